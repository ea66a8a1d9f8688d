/** Reactions the room relays, each shown for a while and then gone. */
import type { Reaction as ReactionSchema } from '@sealroom/protocol';

/** How long a reaction stays on screen. */
export const REACTION_MS = 4000;

/** One of the fixed reactions the room relays. */
export type Reaction = (typeof ReactionSchema.options)[number];

export interface ShownReaction {
  seq: number;
  from: string;
  reaction: Reaction;
}

export class Reactions {
  #shown = $state.raw<readonly ShownReaction[]>([]);
  #seq = 0;

  /** On screen now, oldest first. */
  get shown(): readonly ShownReaction[] {
    return this.#shown;
  }

  show(from: string, reaction: Reaction): void {
    const shown = { seq: ++this.#seq, from, reaction };
    this.#shown = [...this.#shown, shown];
    setTimeout(() => {
      this.#shown = this.#shown.filter((r) => r !== shown);
    }, REACTION_MS);
  }

  clear(): void {
    this.#shown = [];
  }
}
