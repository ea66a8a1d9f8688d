import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const SECRET = 'x'.repeat(32);

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({ SEALROOM_SHARED_SECRET: SECRET });
    expect(c).toMatchObject({
      listenIp: '127.0.0.1',
      announcedIp: '127.0.0.1',
      port: 4443,
      rtcMinPort: 40000,
      rtcMaxPort: 40999,
      workers: os.availableParallelism(),
      region: 'local',
      originId: 'local-4443',
      edgeUrl: 'http://127.0.0.1:8787',
      metricsPort: 9464,
      drainSeconds: 30,
      testTap: false,
    });
  });

  it('reads env and lets flags override it', () => {
    const c = loadConfig(
      {
        SEALROOM_SHARED_SECRET: SECRET,
        ORIGIN_LISTEN_IP: '0.0.0.0',
        ORIGIN_ANNOUNCED_IP: '203.0.113.7',
        ORIGIN_PORT: '5000',
        ORIGIN_REGION: 'eu-west',
        SEALROOM_TEST_TAP: '1',
      },
      ['--port', '6000', '--workers=3', '--edge-url', 'https://edge.example/'],
    );
    expect(c).toMatchObject({
      listenIp: '0.0.0.0',
      announcedIp: '203.0.113.7',
      port: 6000,
      workers: 3,
      region: 'eu-west',
      originId: 'eu-west-6000',
      edgeUrl: 'https://edge.example',
      testTap: true,
    });
  });

  it('reads the production reach settings: a certificate pair and fixed ICE ports', () => {
    const c = loadConfig({ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_TLS_CERT: '/etc/sealroom/cert.pem', ORIGIN_TLS_KEY: '/etc/sealroom/key.pem' }, [
      '--webrtc-port',
      '443',
    ]);
    expect(c).toMatchObject({ tls: { certFile: '/etc/sealroom/cert.pem', keyFile: '/etc/sealroom/key.pem' }, webRtcPort: 443 });
    expect(loadConfig({ SEALROOM_SHARED_SECRET: SECRET })).toMatchObject({ tls: undefined, webRtcPort: undefined });
  });

  it.each([
    [{}, [], /SEALROOM_SHARED_SECRET is required/],
    [{ SEALROOM_SHARED_SECRET: 'short' }, [], /at least 32 characters/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_LISTEN_IP: 'localhost' }, [], /ORIGIN_LISTEN_IP must be an IPv4 or IPv6/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_PORT: '70000' }, [], /ORIGIN_PORT must be 0–65535/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_PORT: 'abc' }, [], /ORIGIN_PORT must be a number/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_RTC_MIN_PORT: '5000', ORIGIN_RTC_MAX_PORT: '4000' }, [], /ORIGIN_RTC_MIN_PORT must be > 0/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_WORKERS: '0' }, [], /ORIGIN_WORKERS must be ≥ 1/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_REGION: 'EU West' }, [], /ORIGIN_REGION/],
    [{ SEALROOM_SHARED_SECRET: SECRET, EDGE_URL: 'ftp://x' }, [], /EDGE_URL must be an http\(s\) URL/],
    [{ SEALROOM_SHARED_SECRET: SECRET, SEALROOM_TEST_TAP: 'maybe' }, [], /SEALROOM_TEST_TAP/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_TLS_CERT: '/etc/ssl/cert.pem' }, [], /ORIGIN_TLS_CERT and ORIGIN_TLS_KEY go together/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_WEBRTC_PORT: '65535', ORIGIN_WORKERS: '2' }, [], /one port per worker/],
    [{ SEALROOM_SHARED_SECRET: SECRET, ORIGIN_WEBRTC_PORT: '0' }, [], /ORIGIN_WEBRTC_PORT must be 1–65535/],
    [{ SEALROOM_SHARED_SECRET: SECRET }, ['--nope'], /unknown argument "--nope"/],
    [{ SEALROOM_SHARED_SECRET: SECRET }, ['--port'], /--port needs a value/],
  ] as const)('refuses %j %j', (env, argv, message) => {
    expect(() => loadConfig(env, argv)).toThrowError(ConfigError);
    expect(() => loadConfig(env, argv)).toThrowError(message);
  });

  it('lists every problem at once, naming the env variable and the flag', () => {
    try {
      loadConfig({ ORIGIN_PORT: '-1' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems.length).toBe(2);
      expect(problems.join('\n')).toMatch(/--port/);
      expect(problems.join('\n')).toMatch(/--shared-secret/);
    }
  });
});
