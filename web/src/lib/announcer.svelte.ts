/** The sentence screen readers are told next (the live region reads `current`). */
import type { Participant } from '@sealroom/protocol';
import type { MessageKey } from './messages.ts';

export interface Announcement {
  key: MessageKey;
  params?: Record<string, string | number>;
  /** Bumps on every announcement so the same sentence twice is read twice. */
  seq: number;
}

export type Say = (key: MessageKey, params?: Record<string, string | number>) => void;

export class Announcer {
  #current = $state.raw<Announcement | null>(null);
  #seq = 0;

  get current(): Announcement | null {
    return this.#current;
  }

  readonly say: Say = (key, params) => {
    this.#current = { key, params, seq: ++this.#seq };
  };

  /** What changed about someone that sighted people notice on the tiles, said to screen readers too. */
  participantChanged(p: Participant, prev: Participant, selfId: string | undefined): void {
    if (p.id !== selfId) {
      if (prev.handRaisedAt === null && p.handRaisedAt !== null) this.say('call.handRaisedBy', { name: p.name });
      if (!prev.sharing && p.sharing) this.say('share.startedBy', { name: p.name });
      return;
    }
    if (prev.role !== p.role) this.say(p.role === 'host' ? 'call.nowHost' : p.role === 'cohost' ? 'call.nowCohost' : 'call.nowParticipant');
    if (prev.name !== p.name) this.say('call.renamed', { name: p.name });
  }
}
