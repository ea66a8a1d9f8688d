/**
 * In-meeting file transfer relayed by the Room. The sender seals name, type and every chunk
 * (crypto/seal.ts, chunk index in the AAD); the Room sees sizes only, keeps nothing, and relays
 * chunks only to current members who accepted — a participant removed mid-transfer gets no more.
 */
import type { ClientToRoom } from '@sealroom/protocol';
import { type DecideContext, type Effect, type MemberRecord, type RoomData, error } from './machine.ts';

/** Chunks carry at most 96 KiB of ciphertext, so a file has at most this many per byte of size. */
export const CHUNK_BYTES = 96 * 1024;

type FileMsg = Extract<ClientToRoom, { type: `file-${string}` }>;

export function fileMessage(room: RoomData, self: MemberRecord, msg: FileMsg, ctx: DecideContext): Effect[] {
  switch (msg.type) {
    case 'file-offer': {
      if (!self.permissions.chat) return [error('forbidden', 'the host has turned chat and files off for you')];
      if (msg.size > ctx.maxFileBytes) return [error('bad_message', `files are limited to ${Math.floor(ctx.maxFileBytes / 1_048_576)} MB`)];
      if (msg.chunks > Math.ceil(msg.size / 1024) + 1) return [error('bad_message', 'more chunks than the size allows')];
      if (room.files.has(msg.id)) return [error('bad_message', 'that file id is in use')];
      if (msg.to !== null && (msg.to === self.id || room.members.get(msg.to)?.breakout !== self.breakout)) return [error('not_found', 'that participant is not in this room')];
      if (!ctx.allow(self.id, 'file')) return [error('rate_limited', 'too many files at once', 5)];
      const relay = { ...msg, from: self.id };
      return [
        { kind: 'put-file', file: { id: msg.id, from: self.id, to: msg.to, chunks: msg.chunks, accepted: new Set() } },
        msg.to === null ? { kind: 'broadcast', to: 'members', except: self.id, msg: relay, room: self.breakout } : { kind: 'send', to: msg.to, msg: relay },
      ];
    }
    case 'file-answer': {
      const f = room.files.get(msg.id);
      if (!f || f.from !== msg.from || f.from === self.id || (f.to !== null && f.to !== self.id)) return [error('not_found', 'no such file offer')];
      const accepted = new Set(f.accepted);
      if (msg.accept) accepted.add(self.id);
      else accepted.delete(self.id);
      return [{ kind: 'put-file', file: { ...f, accepted } }, { kind: 'send', to: f.from, msg: { type: 'file-answer', id: f.id, from: self.id, accept: msg.accept } }];
    }
    case 'file-chunk': {
      const f = room.files.get(msg.id);
      if (!f || f.from !== self.id) return [error('not_found', 'no such file')];
      if (msg.index >= f.chunks) return [error('bad_message', 'chunk index past the end of the file')];
      if (!ctx.allow(self.id, 'file-chunk')) return [error('rate_limited', 'sending chunks too fast; resend this one', 1)];
      const relay = { ...msg, from: self.id };
      const effects: Effect[] = [...f.accepted].filter((id) => room.members.has(id)).map((to) => ({ kind: 'send', to, msg: relay }));
      // The last chunk ends the transfer: nothing about it stays in the room.
      if (msg.index === f.chunks - 1) effects.push({ kind: 'del-file', id: f.id });
      return effects;
    }
    case 'file-cancel': {
      const f = room.files.get(msg.id);
      if (!f || (f.from !== self.id && !f.accepted.has(self.id))) return [error('not_found', 'no such file')];
      const relay = { ...msg, from: self.id };
      if (f.from !== self.id) return [{ kind: 'send', to: f.from, msg: relay }, { kind: 'put-file', file: { ...f, accepted: new Set([...f.accepted].filter((id) => id !== self.id)) } }];
      return [{ kind: 'del-file', id: f.id }, ...[...f.accepted].map((to): Effect => ({ kind: 'send', to, msg: relay }))];
    }
  }
}
