/**
 * Sentences for what the account API refused. Each code the server sends has its own sentence
 * under `account.error.<code>`; the server's own text only fills the sentence's `{detail}`, so a
 * reader never sees raw server English alone.
 */
import type { AccountErrorCode } from '@sealroom/protocol';
import { ApiError } from '../lib/api-error.ts';
import { t } from '../lib/i18n.svelte.ts';
import { en, type MessageKey } from '../lib/messages.ts';

/** The sentence for whatever an API call threw: an ApiError's code, anything else the generic sentence. */
export function errorMessage(e: unknown): string {
  return e instanceof ApiError ? errorText(e.code, e.message) : t('account.error.generic');
}

/** A sentence for an API error code; unknown codes get the generic sentence. */
export function errorText(code: AccountErrorCode | string, detail = ''): string {
  const key = `account.error.${code}`;
  return Object.hasOwn(en, key) ? t(key as MessageKey, { detail }) : t('account.error.generic');
}
