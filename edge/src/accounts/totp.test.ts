/** TOTP against RFC 6238's own vectors and against `otpauth` used directly. */
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import rfc6238 from '../../test/vectors/rfc6238-totp.json';
import { base32Decode, base32Encode, hotp, otpauthUri, totpAt, verifyTotp } from './totp.ts';

const reference = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

describe('TOTP (RFC 6238) against otpauth', () => {
  it('matches the RFC 6238 appendix B vectors for SHA-1 (8-digit values, last 6 digits)', async () => {
    const secret = base32Encode(new TextEncoder().encode(rfc6238.secretAscii));
    for (const { time, totp } of rfc6238.sha1) expect(await totpAt(secret, time * 1000)).toBe(totp.slice(2));
  });

  it('agrees with otpauth over many random secrets and times', async () => {
    for (let i = 0; i < 25; i++) {
      const secret = base32Encode(crypto.getRandomValues(new Uint8Array(20)));
      const t = Math.floor(Math.random() * 2 ** 40);
      expect(await totpAt(secret, t)).toBe(reference(secret).generate({ timestamp: t }));
    }
  });

  it('round-trips base32 and parses the otpauth URI with otpauth', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(20));
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    const uri = otpauthUri(base32Encode(bytes), 'ann@example.test');
    const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    expect(parsed.issuer).toBe('Sealroom');
    expect(parsed.label).toBe('ann@example.test');
    expect(parsed.secret.base32).toBe(base32Encode(bytes));
  });

  it('accepts ±1 step, refuses ±2 and refuses a step already used', async () => {
    const secret = base32Encode(crypto.getRandomValues(new Uint8Array(20)));
    const now = 1_700_000_000_000;
    const at = (d: number) => reference(secret).generate({ timestamp: now + d * 30_000 });
    expect(await verifyTotp(secret, at(-1), now, 0)).not.toBeNull();
    expect(await verifyTotp(secret, at(1), now, 0)).not.toBeNull();
    expect(await verifyTotp(secret, at(-2), now, 0)).toBeNull();
    expect(await verifyTotp(secret, at(2), now, 0)).toBeNull();
    const step = (await verifyTotp(secret, at(0), now, 0))!;
    expect(await verifyTotp(secret, at(0), now, step)).toBeNull();
    expect(await hotp(new Uint8Array(20), 0)).toMatch(/^[0-9]{6}$/);
  });
});
