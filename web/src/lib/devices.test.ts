import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalDevices, groupDevices, levelFromSamples } from './devices.svelte.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A stand-in camera and microphone: `present` are the device ids that exist; '' asks for the default. */
function fakeMediaDevices(present: { audio: string[]; video: string[] }) {
  const asked: MediaStreamConstraints[] = [];
  const opened: { kind: string; stopped: boolean }[] = [];
  const track = (kind: 'audio' | 'video', id: string) => {
    const t = { kind, enabled: true, stopped: false, getSettings: () => ({ deviceId: id }), stop: () => void (t.stopped = true) };
    opened.push(t);
    return t;
  };
  const pick = (kind: 'audio' | 'video', c: boolean | MediaTrackConstraints | undefined): string => {
    const exact = typeof c === 'object' ? (c.deviceId as { exact?: string } | undefined)?.exact : undefined;
    if (exact !== undefined && !present[kind].includes(exact)) throw new DOMException('no such device', 'OverconstrainedError');
    return exact ?? present[kind][0]!;
  };
  const md = {
    asked,
    opened,
    getUserMedia: async (c: MediaStreamConstraints) => {
      asked.push(c);
      // As a browser does: nothing opens unless everything asked for can.
      const ids = (['audio', 'video'] as const).filter((kind) => c[kind]).map((kind) => [kind, pick(kind, c[kind])] as const);
      const tracks = ids.map(([kind, id]) => track(kind, id));
      return {
        getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
        getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
        getTracks: () => tracks,
      };
    },
    enumerateDevices: async () => [
      ...present.audio.map((deviceId) => ({ deviceId, kind: 'audioinput', label: deviceId })),
      ...present.video.map((deviceId) => ({ deviceId, kind: 'videoinput', label: deviceId })),
    ],
    addEventListener: () => {},
  };
  vi.stubGlobal('navigator', { mediaDevices: md });
  return md;
}

describe('LocalDevices', () => {
  it('opens the remembered camera and microphone when they are there', async () => {
    fakeMediaDevices({ audio: ['mic-1', 'mic-2'], video: ['cam-1', 'cam-2'] });
    const devices = new LocalDevices();
    devices.cameraId = 'cam-2';
    devices.microphoneId = 'mic-2';
    await devices.start();
    expect([devices.videoTrack?.getSettings().deviceId, devices.audioTrack?.getSettings().deviceId]).toEqual(['cam-2', 'mic-2']);
    expect(devices.error).toBeNull();
  });

  it('falls back to the default devices when a remembered one is gone, and stops what it opened on the way', async () => {
    const md = fakeMediaDevices({ audio: ['mic-1'], video: ['cam-1'] });
    const devices = new LocalDevices();
    devices.cameraId = 'unplugged-cam';
    devices.microphoneId = 'mic-1';
    await devices.start();
    expect([devices.videoTrack?.getSettings().deviceId, devices.audioTrack?.getSettings().deviceId]).toEqual(['cam-1', 'mic-1']);
    expect([devices.cameraId, devices.microphoneId]).toEqual(['cam-1', 'mic-1']);
    expect(devices.error).toBeNull();
    // Both together failed, the microphone alone opened, then both again with the defaults.
    expect(md.asked.map((c) => [Boolean(c.audio), Boolean(c.video)])).toEqual([
      [true, true],
      [true, false],
      [false, true],
      [true, true],
    ]);
    expect(md.opened.map((t) => `${t.kind}${t.stopped ? ' stopped' : ''}`)).toEqual(['audio stopped', 'audio', 'video']);
  });
});

describe('groupDevices', () => {
  it('sorts devices into pickers, skipping aliases, duplicates and id-less entries', () => {
    const lists = groupDevices([
      { deviceId: 'default', kind: 'audioinput', label: 'Default - Mic' },
      { deviceId: 'mic1', kind: 'audioinput', label: 'Mic' },
      { deviceId: 'mic1', kind: 'audioinput', label: 'Mic' },
      { deviceId: 'cam1', kind: 'videoinput', label: '' },
      { deviceId: '', kind: 'videoinput', label: '' },
      { deviceId: 'communications', kind: 'audiooutput', label: 'Comms' },
      { deviceId: 'spk1', kind: 'audiooutput', label: 'Speakers' },
    ]);
    expect(lists).toEqual({
      microphones: [{ id: 'mic1', label: 'Mic', n: 1 }],
      cameras: [{ id: 'cam1', label: '', n: 1 }],
      speakers: [{ id: 'spk1', label: 'Speakers', n: 1 }],
    });
  });
});

describe('levelFromSamples', () => {
  it('is 0 for silence and grows with amplitude, capped at 1', () => {
    expect(levelFromSamples(new Uint8Array(256).fill(128))).toBe(0);
    expect(levelFromSamples(new Uint8Array())).toBe(0);
    const quiet = Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 131 : 125));
    const loud = Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 200 : 56));
    expect(levelFromSamples(quiet)).toBeGreaterThan(0);
    expect(levelFromSamples(quiet)).toBeLessThan(levelFromSamples(loud));
    expect(levelFromSamples(loud)).toBe(1);
  });
});
