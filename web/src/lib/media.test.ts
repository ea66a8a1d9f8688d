import { describe, expect, it } from 'vitest';
import { e2eeCodec, iceOptionsOf } from './media.svelte.ts';
import { FIRST_MEDIA_RETRY_MS, backoffMs, mediaRetryMs } from './meeting.svelte.ts';

describe('e2eeCodec', () => {
  it('names the codecs the transform knows and nothing else', () => {
    expect(e2eeCodec('video/VP8')).toBe('vp8');
    expect(e2eeCodec('audio/opus')).toBe('opus');
    expect(e2eeCodec('video/H264')).toBeNull();
    expect(e2eeCodec(undefined)).toBeNull();
  });
});

describe('backoffMs', () => {
  it('doubles from 1 s and caps at 15 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });
});

describe('mediaRetryMs', () => {
  it('retries lost media quickly once, then backs off like the room', () => {
    expect(FIRST_MEDIA_RETRY_MS).toBeLessThanOrEqual(300);
    expect([0, 1, 2, 3, 10].map(mediaRetryMs)).toEqual([FIRST_MEDIA_RETRY_MS, 1000, 2000, 4000, 15000]);
  });
});

describe('iceOptionsOf', () => {
  it('hands the grant’s TURN servers and policy to the transports, and nothing when there are none', () => {
    const turn = { urls: ['turn:127.0.0.1:3478?transport=tcp'], username: '1800000000:p-1', credential: 'c2VjcmV0' };
    expect(iceOptionsOf({ iceServers: [turn], iceTransportPolicy: 'relay' })).toEqual({ iceServers: [turn], iceTransportPolicy: 'relay' });
    expect(iceOptionsOf({ iceServers: [turn] })).toEqual({ iceServers: [turn] });
    expect(iceOptionsOf({})).toEqual({});
    expect(iceOptionsOf({ iceServers: [] })).toEqual({});
  });
});
