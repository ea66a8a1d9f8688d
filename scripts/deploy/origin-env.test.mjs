import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SETTINGS, loadConfig } from '../../media-origin/src/config.ts';
import { documentedSettings, originEnvFile } from './origin-env.mjs';

describe('the media origin env file', () => {
  it('documents every setting the origin reads, and nothing it does not', () => {
    expect(documentedSettings().sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('filled in from config.example, reads back (as node --env-file and systemd read it) into the config meant', () => {
    const text = originEnvFile({
      ORIGIN_LISTEN_IP: '0.0.0.0',
      ORIGIN_ANNOUNCED_IP: '203.0.113.10',
      ORIGIN_TLS_CERT: '/etc/sealroom/tls/fullchain.pem',
      ORIGIN_TLS_KEY: '/etc/sealroom/tls/privkey.pem',
      ORIGIN_WEBRTC_PORT: '443',
      ORIGIN_REGION: 'cn-east',
      EDGE_URL: 'https://meet.example.com',
      SEALROOM_SHARED_SECRET: 'k'.repeat(43),
    });
    const env = parseEnv(text);
    expect(env.ORIGIN_WEBRTC_PORT).toBe('443');
    // Commented examples stay comments: ORIGIN_WORKERS is not set, so it defaults to the cores.
    expect(env.ORIGIN_WORKERS).toBeUndefined();
    expect(loadConfig(env)).toMatchObject({
      listenIp: '0.0.0.0',
      announcedIp: '203.0.113.10',
      tls: { certFile: '/etc/sealroom/tls/fullchain.pem', keyFile: '/etc/sealroom/tls/privkey.pem' },
      webRtcPort: 443,
      region: 'cn-east',
      edgeUrl: 'https://meet.example.com',
      testTap: false,
    });
  });

  it('refuses a setting the origin does not have, and a value spanning lines', () => {
    expect(() => originEnvFile({ ORIGIN_TLS_CERTIFICATE: '/x' })).toThrow(/ORIGIN_TLS_CERTIFICATE/);
    expect(() => originEnvFile({ ORIGIN_REGION: 'a\nSEALROOM_TEST_TAP=1' })).toThrow(/span lines/);
  });
});
