/**
 * Audio levels for the meters on participants' tiles, from mediasoup's
 * AudioLevelObserver: it reads the RFC 6464 level each sender puts in an RTP header
 * extension (ssrc-audio-level), never the sealed payload. Only producers above the
 * threshold are reported (those speaking), at most every AUDIO_LEVEL_INTERVAL_MS, rounded to
 * whole dB, and a notification goes out only when the rounded picture changed.
 */
import { AUDIO_LEVEL_INTERVAL_MS, AUDIO_LEVEL_MAX_ENTRIES, type OriginNotification } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import type { ProducerAppData } from './peer.ts';

/**
 * Quieter than this (dBov, averaged over the interval) counts as not speaking: speech sits
 * around −20…−40 dBov, room noise through a browser's noise suppression below −60.
 */
export const SPEAKING_THRESHOLD_DBOV = -60;

type LevelsMessage = Extract<OriginNotification, { event: 'audioLevels' }>;

export class AudioLevels {
  readonly #observer: ms.AudioLevelObserver;
  #last = '';

  private constructor(observer: ms.AudioLevelObserver) {
    this.#observer = observer;
  }

  static async create(router: ms.Router): Promise<AudioLevels> {
    const observer = await router.createAudioLevelObserver({
      maxEntries: AUDIO_LEVEL_MAX_ENTRIES,
      threshold: SPEAKING_THRESHOLD_DBOV,
      interval: AUDIO_LEVEL_INTERVAL_MS,
    });
    return new AudioLevels(observer);
  }

  add(producer: ms.Producer): Promise<void> {
    return this.#observer.addProducer({ producerId: producer.id });
  }

  /** Calls `send` with each change: speakers loudest first, or an empty list on silence. */
  onChange(send: (msg: LevelsMessage) => void): void {
    const emit = (levels: LevelsMessage['data']['levels']) => {
      const key = JSON.stringify(levels);
      if (key === this.#last) return;
      this.#last = key;
      send({ type: 'notification', event: 'audioLevels', data: { levels } });
    };
    this.#observer.on('volumes', (volumes) => emit(toLevels(volumes)));
    this.#observer.on('silence', () => emit([]));
  }
}

/** mediasoup's volumes (already loudest first) as the protocol's entries. */
export function toLevels(volumes: readonly { producer: ms.Producer; volume: number }[]): LevelsMessage['data']['levels'] {
  const out: LevelsMessage['data']['levels'] = [];
  for (const { producer, volume } of volumes) {
    const participantId = (producer.appData as Partial<ProducerAppData>).participantId;
    if (!participantId || out.some((l) => l.participantId === participantId)) continue;
    out.push({ participantId, dBov: Math.max(-127, Math.min(0, Math.round(volume))) });
    if (out.length >= AUDIO_LEVEL_MAX_ENTRIES) break;
  }
  return out;
}
