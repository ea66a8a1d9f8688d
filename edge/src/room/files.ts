/**
 * In-meeting file transfer relayed by the Room. The sender seals name, type and every chunk
 * (crypto/seal.ts, chunk index in the AAD); the Room sees sizes only, keeps nothing, and relays
 * chunks only to current members who accepted — a participant removed mid-transfer gets no more.
 */
import type { ClientToRoom, ErrorCode } from '@sealroom/protocol';
import { type DecideContext, type Effect, type MemberRecord, type RoomData, error } from './model.ts';

/** Chunks carry at most 96 KiB of ciphertext, so a file has at most this many per byte of size. */
export const CHUNK_BYTES = 96 * 1024;

type FileMsg = Extract<ClientToRoom, { type: `file-${string}` }>;

/** A refusal that names the transfer (and the chunk the room expects next), so the client can resume it. */
function refuse(code: ErrorCode, message: string, file: { id: string; next?: number }, retryAfter?: number): Effect {
  return { kind: 'reply', msg: { type: 'error', code, message, file, ...(retryAfter === undefined ? {} : { retryAfter }) } };
}

export function fileMessage(room: RoomData, self: MemberRecord, msg: FileMsg, ctx: DecideContext): Effect[] {
  switch (msg.type) {
    case 'file-offer': {
      const file = { id: msg.id };
      if (!self.permissions.chat) return [refuse('forbidden', 'the host has turned chat and files off for you', file)];
      if (msg.size > ctx.maxFileBytes) return [refuse('bad_message', `files are limited to ${Math.floor(ctx.maxFileBytes / 1_048_576)} MB`, file)];
      if (msg.chunks > Math.ceil(msg.size / 1024) + 1) return [refuse('bad_message', 'more chunks than the size allows', file)];
      if (room.files.has(msg.id)) return [error('bad_message', 'that file id is in use')];
      if (msg.to !== null && (msg.to === self.id || room.members.get(msg.to)?.breakout !== self.breakout))
        return [refuse('not_found', 'that participant is not in this room', file)];
      if (!ctx.allow(self.id, 'file')) return [refuse('rate_limited', 'too many files at once', file, 5)];
      const relay = { ...msg, from: self.id };
      return [
        { kind: 'put-file', file: { id: msg.id, from: self.id, to: msg.to, chunks: msg.chunks, accepted: new Set(), next: 0 } },
        msg.to === null ? { kind: 'broadcast', to: 'members', except: self.id, msg: relay, room: self.breakout } : { kind: 'send', to: msg.to, msg: relay },
      ];
    }
    case 'file-answer': {
      const f = room.files.get(msg.id);
      if (!f || f.from !== msg.from || f.from === self.id || (f.to !== null && f.to !== self.id))
        return [refuse('not_found', 'no such file offer', { id: msg.id })];
      // Someone who accepts once chunks are flowing would get a stream without its start.
      if (msg.accept && f.next > 0 && !f.accepted.has(self.id)) return [refuse('not_found', 'that transfer has already started', { id: msg.id })];
      const accepted = new Set(f.accepted);
      if (msg.accept) accepted.add(self.id);
      else accepted.delete(self.id);
      return [
        { kind: 'put-file', file: { ...f, accepted } },
        { kind: 'send', to: f.from, msg: { type: 'file-answer', id: f.id, from: self.id, accept: msg.accept } },
      ];
    }
    case 'file-chunk': {
      const f = room.files.get(msg.id);
      if (!f || f.from !== self.id) return [refuse('not_found', 'no such file', { id: msg.id })];
      if (msg.index >= f.chunks) return [refuse('bad_message', 'chunk index past the end of the file', { id: f.id, next: f.next })];
      // In order and without gaps: after a refused chunk, those already in flight behind it are
      // refused too, so receivers never see a hole and the sender resumes from `next`.
      if (msg.index !== f.next) return [refuse('bad_message', `expected chunk ${f.next}`, { id: f.id, next: f.next })];
      if (!ctx.allow(self.id, 'file-chunk')) return [refuse('rate_limited', 'sending chunks too fast; resend from this one', { id: f.id, next: f.next }, 1)];
      const relay = { ...msg, from: self.id };
      const effects: Effect[] = [...f.accepted].filter((id) => room.members.has(id)).map((to) => ({ kind: 'send', to, msg: relay }));
      effects.unshift({ kind: 'put-file', file: { ...f, next: f.next + 1 } });
      // The last chunk ends the transfer: nothing about it stays in the room.
      if (msg.index === f.chunks - 1) effects.push({ kind: 'del-file', id: f.id });
      return effects;
    }
    case 'file-cancel': {
      const f = room.files.get(msg.id);
      if (!f || (f.from !== self.id && !f.accepted.has(self.id))) return [error('not_found', 'no such file')];
      const relay = { ...msg, from: self.id };
      if (f.from !== self.id)
        return [
          { kind: 'send', to: f.from, msg: relay },
          { kind: 'put-file', file: { ...f, accepted: new Set([...f.accepted].filter((id) => id !== self.id)) } },
        ];
      return [{ kind: 'del-file', id: f.id }, ...[...f.accepted].map((to): Effect => ({ kind: 'send', to, msg: relay }))];
    }
  }
}
