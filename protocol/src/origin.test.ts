import { describe, expect, it } from 'vitest';
import { AUDIO_LEVEL_MAX_ENTRIES, ConsumerQuality, OriginLoad, OriginNotification, OriginPipeRequest, ORIGIN_CLOSE } from './origin.ts';

const srtp = { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Ng==' };
const end = { ip: '192.0.2.7', port: 40001, srtpParameters: srtp };

describe('origin protocol: cascading', () => {
  it('accepts each pipe step and refuses what the origin must not act on', () => {
    const ok = [
      { action: 'openPipe', meetingId: '123456789' },
      { action: 'connectPipe', meetingId: '123456789', pipeId: 'a1', remote: end },
      { action: 'connectPipe', meetingId: '123456789', pipeId: 'a1', remote: { ...end, ip: '2001:db8::1' } },
      { action: 'pipeProducer', meetingId: '123456789', pipeId: 'a1', producerId: 'p1' },
      {
        action: 'acceptProducer',
        meetingId: '123456789',
        pipeId: 'a1',
        producer: { producerId: 'p1', kind: 'audio', rtpParameters: { codecs: [] }, participantId: 'p_abcdefgh', source: 'audio', paused: false },
      },
      { action: 'closePipe', meetingId: '123456789', pipeId: 'a1' },
    ];
    for (const r of ok) expect(OriginPipeRequest.safeParse(r).success).toBe(true);
    const bad = [
      { action: 'openPipe', meetingId: 'abc' },
      { action: 'openPipe', meetingId: '123456789', extra: true },
      { action: 'connectPipe', meetingId: '123456789', pipeId: 'a1', remote: { ...end, ip: 'origin.example' } },
      { action: 'connectPipe', meetingId: '123456789', pipeId: 'a1', remote: { ...end, port: 70000 } },
      { action: 'connectPipe', meetingId: '123456789', pipeId: 'a1', remote: { ...end, srtpParameters: { ...srtp, cryptoSuite: 'NULL' } } },
      { action: 'connectPipe', meetingId: '123456789', pipeId: 'a1', remote: { ip: end.ip, port: end.port } },
      { action: 'pipeProducer', meetingId: '123456789', pipeId: 'a b', producerId: 'p1' },
      {
        action: 'acceptProducer',
        meetingId: '123456789',
        pipeId: 'a1',
        producer: { producerId: 'p1', kind: 'data', rtpParameters: {}, participantId: 'p_abcdefgh', source: 'audio', paused: false },
      },
      { action: 'explode', meetingId: '123456789' },
    ];
    for (const r of bad) expect(OriginPipeRequest.safeParse(r).success, JSON.stringify(r)).toBe(false);
  });
});

describe('origin protocol: notifications and load', () => {
  const levels = (n: number, dBov = -20) => ({
    type: 'notification',
    event: 'audioLevels',
    data: { levels: Array.from({ length: n }, (_, i) => ({ participantId: `p_abcdefg${i.toString(36)}`, dBov })) },
  });

  it('bounds audio levels in count and range, whole dB only', () => {
    expect(OriginNotification.safeParse(levels(0)).success).toBe(true);
    expect(OriginNotification.safeParse(levels(AUDIO_LEVEL_MAX_ENTRIES)).success).toBe(true);
    expect(OriginNotification.safeParse(levels(AUDIO_LEVEL_MAX_ENTRIES + 1)).success).toBe(false);
    expect(OriginNotification.safeParse(levels(1, 3)).success).toBe(false);
    expect(OriginNotification.safeParse(levels(1, -128)).success).toBe(false);
    expect(OriginNotification.safeParse(levels(1, -20.5)).success).toBe(false);
  });

  it('declares released with a source', () => {
    expect(OriginNotification.safeParse({ type: 'notification', event: 'released', data: { source: 'video' } }).success).toBe(true);
    expect(OriginNotification.safeParse({ type: 'notification', event: 'released', data: { source: 'mic' } }).success).toBe(false);
  });

  it('takes load with or without quality, and quality only as bounded figures', () => {
    const load = { workers: 2, routers: 1, transports: 2, producers: 1, consumers: 1, cpu: 0.2, bitrateIn: 1, bitrateOut: 2 };
    const quality = { consumers: 1, lossP50: 0, lossP95: 0.25, rttMsP50: 20, rttMsP95: 80, jitterMsP50: 1, jitterMsP95: 3 };
    expect(OriginLoad.safeParse(load).success).toBe(true);
    expect(OriginLoad.safeParse({ ...load, quality }).success).toBe(true);
    expect(ConsumerQuality.safeParse({ ...quality, lossP95: 1.5 }).success).toBe(false);
    expect(ConsumerQuality.safeParse({ ...quality, perParticipant: {} }).success).toBe(false);
  });

  it('keeps close codes distinct and in the ranges RFC 6455 allows', () => {
    const codes = Object.values(ORIGIN_CLOSE);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c === 1001 || c === 1008 || (c >= 4000 && c <= 4999)).toBe(true);
  });
});
