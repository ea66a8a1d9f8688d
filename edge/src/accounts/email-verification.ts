/**
 * Proof that a user reads their email address: a single-use link with a 256-bit token, mailed
 * to the address and kept only as its SHA-256, valid for a day. Rights that name a person by
 * email (alternative host) count only for an account whose address is verified this way or
 * vouched for by the organization's IdP.
 */
import { sha256HexOf } from '../digest.ts';
import { toB64url } from '@sealroom/crypto/bytes';
import type { MailMessage, MailProvider } from '../mail/index.ts';
import type { User } from './store.ts';

/** Long enough for someone who reads mail once a day, short enough that an old inbox leak does not matter. */
export const VERIFICATION_TTL_MS = 24 * 60 * 60 * 1000;
/** A resend at most every minute and five an hour: enough for a lost mail, too few to bomb an inbox. */
export const RESEND_INTERVAL_MS = 60 * 1000;
export const RESENDS_PER_HOUR = 5;

export type ConsumeOutcome = { ok: true; email: string } | { ok: false; reason: 'invalid' | 'expired' | 'other_account' };

/**
 * Stores a new link for the user's current address and returns its token (which only the mail
 * will hold). With `limited`, the insert itself checks the resend limits, so concurrent resends
 * cannot slip past them together; null then means "not now" (see resendWait).
 */
export async function issueVerification(
  db: D1Database,
  user: Pick<User, 'id' | 'email'>,
  opts: { limited?: boolean; now?: number } = {},
): Promise<string | null> {
  const now = opts.now ?? Date.now();
  const token = toB64url(crypto.getRandomValues(new Uint8Array(32)));
  const hash = await sha256HexOf(token);
  // Dead links of this user go now; the live ones still count toward the resend limit.
  await db.prepare('DELETE FROM email_verifications WHERE user_id = ? AND expires_at <= ?').bind(user.id, now).run();
  const r = await db
    .prepare(
      `INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at)
       SELECT ?1, ?2, ?3, ?4, ?5
       WHERE ?6 = 0 OR (
         NOT EXISTS (SELECT 1 FROM email_verifications WHERE user_id = ?2 AND created_at > ?4 - ?7)
         AND (SELECT COUNT(*) FROM email_verifications WHERE user_id = ?2 AND created_at > ?4 - 3600000) < ?8)`,
    )
    .bind(hash, user.id, user.email, now, now + VERIFICATION_TTL_MS, opts.limited ? 1 : 0, RESEND_INTERVAL_MS, RESENDS_PER_HOUR)
    .run();
  return r.meta.changes === 1 ? token : null;
}

/**
 * Uses a link for `userId`. The row is found by the token's SHA-256, so lookup time says nothing
 * about the token (an attacker would need a preimage to steer it), and it is taken with one
 * DELETE … RETURNING: of two requests with the same token, exactly one gets the row.
 */
export async function consumeVerification(db: D1Database, userId: string, token: string, now = Date.now()): Promise<ConsumeOutcome> {
  const hash = await sha256HexOf(token);
  const row = await db
    .prepare('DELETE FROM email_verifications WHERE token_hash = ? AND user_id = ? RETURNING email, expires_at')
    .bind(hash, userId)
    .first<{ email: string; expires_at: number }>();
  if (!row) {
    // Left in place: it is someone else's link, and their signing in must still be able to use it.
    const other = await db.prepare('SELECT 1 AS x FROM email_verifications WHERE token_hash = ?').bind(hash).first();
    return { ok: false, reason: other ? 'other_account' : 'invalid' };
  }
  if (row.expires_at <= now) return { ok: false, reason: 'expired' };
  // A link proves the address it was sent to; if the account's address changed since, it proves nothing.
  const set = await db
    .prepare('UPDATE users SET email_verified_at = ? WHERE id = ? AND email = ? AND email_verified_at IS NULL')
    .bind(now, userId, row.email)
    .run();
  if (set.meta.changes !== 1) {
    const current = await db
      .prepare('SELECT email, email_verified_at FROM users WHERE id = ?')
      .bind(userId)
      .first<{ email: string; email_verified_at: number | null }>();
    if (current?.email !== row.email || current.email_verified_at === null) return { ok: false, reason: 'invalid' };
  }
  await db.prepare('DELETE FROM email_verifications WHERE user_id = ?').bind(userId).run();
  return { ok: true, email: row.email };
}

/** @returns 0 when another link may be mailed now, else the seconds to wait. */
export async function resendWait(db: D1Database, userId: string, now = Date.now()): Promise<number> {
  const r = await db
    .prepare('SELECT COUNT(*) AS n, MAX(created_at) AS last, MIN(created_at) AS first FROM email_verifications WHERE user_id = ? AND created_at > ?')
    .bind(userId, now - 60 * 60 * 1000)
    .first<{ n: number; last: number | null; first: number | null }>();
  if (!r || r.n === 0) return 0;
  const waits = [r.last! + RESEND_INTERVAL_MS - now];
  if (r.n >= RESENDS_PER_HOUR) waits.push(r.first! + 60 * 60 * 1000 - now);
  return Math.max(0, Math.ceil(Math.max(...waits) / 1000));
}

/** The mail, in English and Simplified Chinese: the account has no language setting, and the reader may use either. */
export function verificationMail(to: string, link: string): MailMessage {
  const text = [
    'Confirm that this is your email address for Sealroom:',
    '',
    link,
    '',
    'Open the link in the browser where you are signed in. It works once, for 24 hours.',
    'If you did not create a Sealroom account, ignore this mail: nothing changes until the link is opened by that account.',
    '',
    '请确认这是你的 Sealroom 邮箱地址：',
    '',
    link,
    '',
    '请在已登录的浏览器中打开此链接。链接仅可使用一次，24 小时内有效。',
    '如果你没有注册 Sealroom 账号，请忽略此邮件。',
  ].join('\n');
  return { to, subject: 'Verify your email for Sealroom / 验证你的 Sealroom 邮箱', text };
}

/**
 * Issues a link and mails it. @returns false when the resend limit refused a new link.
 * @throws MailNotConfigured or MailError from the provider.
 */
export async function sendVerification(
  db: D1Database,
  mail: MailProvider,
  user: Pick<User, 'id' | 'email'>,
  origin: string,
  opts: { limited?: boolean } = {},
): Promise<boolean> {
  const token = await issueVerification(db, user, opts);
  if (!token) return false;
  // The page takes the token out of the address bar and trades it for a POST at once.
  await mail.send(verificationMail(user.email, `${origin}/verify-email?token=${token}`));
  return true;
}
