import { describe, expect, it } from 'vitest';
import { e2eeCodec, iceOptionsOf } from './media.svelte.ts';

describe('e2eeCodec', () => {
  it('names the codecs the transform knows and nothing else', () => {
    expect(e2eeCodec('video/VP8')).toBe('vp8');
    expect(e2eeCodec('audio/opus')).toBe('opus');
    expect(e2eeCodec('video/H264')).toBeNull();
    expect(e2eeCodec(undefined)).toBeNull();
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
