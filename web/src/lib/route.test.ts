import { describe, expect, it } from 'vitest';
import { formatMeetingId, parseJoinInput, parseRoute, takeHostKey } from './route.ts';

describe('parseRoute', () => {
  it.each([
    ['/', { page: 'home' }],
    ['/m/123456789', { page: 'meeting', id: '123456789' }],
    ['/m/12345678901/', { page: 'meeting', id: '12345678901' }],
    ['/m/12345', { page: 'not-found' }],
    ['/m/123456789/extra', { page: 'not-found' }],
    ['/elsewhere', { page: 'not-found' }],
    ['/schedule', { page: 'schedule' }],
    ['/m/123456789/edit', { page: 'edit', id: '123456789' }],
    ['/m/123/edit', { page: 'not-found' }],
    ['/recordings', { page: 'recordings' }],
    ['/signin', { page: 'account', section: 'admin' }],
    ['/admin', { page: 'account', section: 'admin' }],
    ['/account/mfa', { page: 'account', section: 'mfa' }],
    ['/signup', { page: 'account', section: 'signup' }],
    ['/verify-email', { page: 'account', section: 'verify-email' }],
    ['/r/abcDEF12_-xyz', { page: 'shared-recording', shareId: 'abcDEF12_-xyz' }],
    ['/r/short', { page: 'not-found' }],
  ])('%s', (path, want) => expect(parseRoute(path)).toEqual(want));
});

describe('parseJoinInput', () => {
  it.each([
    ['123456789', '/m/123456789'],
    [' 123 456 789 ', '/m/123456789'],
    ['123-456-7890', '/m/1234567890'],
    ['https://sealroom.example/m/123456789', '/m/123456789'],
    ['http://127.0.0.1:8787/m/123456789#host=abc', '/m/123456789#host=abc'],
    ['/m/123456789', '/m/123456789'],
    ['12345', null],
    ['https://evil.example/other', null],
    ['', null],
  ])('%j → %j', (input, want) => expect(parseJoinInput(input)).toBe(want));
});

describe('formatMeetingId', () => {
  it('groups digits for reading aloud', () => {
    expect(formatMeetingId('123456789')).toBe('123 456 789');
    expect(formatMeetingId('1234567890')).toBe('1234 567 890');
    expect(formatMeetingId('12345678901')).toBe('12345 678 901');
  });
});

describe('takeHostKey', () => {
  function env(hash: string) {
    const store = new Map<string, string>();
    const replaced: string[] = [];
    return {
      store,
      replaced,
      env: {
        location: { hash, pathname: '/m/123456789', search: '' },
        history: { state: null, replaceState: (_d: unknown, _u: string, url?: string) => void replaced.push(url ?? '') },
        storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
      },
    };
  }

  it('moves the key from the fragment to storage and strips the URL', () => {
    const e = env('#host=s3cr3t');
    expect(takeHostKey('123456789', e.env)).toBe('s3cr3t');
    expect(e.replaced).toEqual(['/m/123456789']);
    expect([...e.store.values()]).toEqual(['s3cr3t']);
  });

  it('finds a stored key after a reload, and nothing for a guest', () => {
    const e = env('');
    expect(takeHostKey('123456789', e.env)).toBeUndefined();
    e.store.set('sealroom:host:123456789', 'kept');
    expect(takeHostKey('123456789', e.env)).toBe('kept');
    expect(e.replaced).toEqual([]);
  });
});
