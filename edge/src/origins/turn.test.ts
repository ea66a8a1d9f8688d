import { describe, expect, it } from 'vitest';
import { TURN_CREDENTIAL_TTL_S, turnConfigOf, turnPassword, turnServerFor } from './turn.ts';
import vectors from './vectors/turn-rest.json';

describe('TURN REST credentials', () => {
  it('match the vectors computed with openssl', () => {
    for (const v of vectors.vectors) expect(turnPassword(v.secret, v.username)).toBe(v.credential);
  });

  it('name the participant and expire after the TTL', () => {
    const server = turnServerFor({ urls: ['turn:127.0.0.1:3478?transport=tcp'], secret: 'k', relayOnly: false }, 'p-alice', 1_000_000_500);
    expect(server.username).toBe(`${1_000_000 + TURN_CREDENTIAL_TTL_S}:p-alice`);
    expect(server.credential).toBe(turnPassword('k', server.username!));
    expect(server.urls).toEqual(['turn:127.0.0.1:3478?transport=tcp']);
  });

  it('are configured only when both the URLs and the secret are set, and refuse a URL that is not TURN', () => {
    expect(turnConfigOf({})).toBeNull();
    expect(turnConfigOf({ TURN_URLS: 'turn:a:3478' })).toBeNull();
    expect(turnConfigOf({ TURN_SECRET: 's' })).toBeNull();
    expect(turnConfigOf({ TURN_URLS: ' turn:a:3478?transport=udp , turns:a:443?transport=tcp ', TURN_SECRET: 's' })).toEqual({
      urls: ['turn:a:3478?transport=udp', 'turns:a:443?transport=tcp'],
      secret: 's',
      relayOnly: false,
    });
    expect(turnConfigOf({ TURN_URLS: 'turn:a:3478', TURN_SECRET: 's', TURN_POLICY: 'relay' })?.relayOnly).toBe(true);
    expect(() => turnConfigOf({ TURN_URLS: 'turn:a:3478', TURN_SECRET: 's', TURN_POLICY: 'never' })).toThrow(/neither all nor relay/);
    expect(() => turnConfigOf({ TURN_URLS: 'https://a', TURN_SECRET: 's' })).toThrow(/not a turn: or turns: URL/);
  });
});
