/**
 * The Room's durable state in the Durable Object's SQLite storage, mirrored in memory.
 * Every change is written through at once, so an evicted or restarted object reloads the
 * meeting exactly as it was: roster, roles, settings, lock, waiting queue, removals.
 */
import { BreakoutState, type MeetingSettings, type OriginControl, MeetingSettings as SettingsSchema } from '@sealroom/protocol';
import { MAX_DEPARTED } from './identity.ts';
import {
  type BanRecord,
  type DeniedRecord,
  type DepartedRecord,
  type FileTransfer,
  type MemberRecord,
  NO_BREAKOUT,
  type RoomData,
  type RoomPatch,
  type WaitingRecord,
} from './model.ts';

interface LiveRoom extends RoomData {
  members: Map<string, MemberRecord>;
  waiting: Map<string, WaitingRecord>;
  banned: Map<string, BanRecord>;
  departed: Map<string, DepartedRecord>;
  denied: DeniedRecord[];
  files: Map<string, FileTransfer>;
}

export class RoomStore {
  #sql: SqlStorage;
  #room: LiveRoom | null = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS waiting (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS banned (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS origin_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS departed (id TEXT PRIMARY KEY, left_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS denied (at INTEGER NOT NULL, json TEXT NOT NULL);
      DROP TABLE IF EXISTS password_failures;
      CREATE TABLE IF NOT EXISTS password_attempts (address TEXT NOT NULL, device TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS password_attempts_at ON password_attempts (at);
    `);
  }

  #meta(key: string): string | null {
    const row = this.#sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0];
    return row?.value ?? null;
  }

  #setMeta(key: string, value: string): void {
    this.#sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', key, value);
  }

  #rows<T>(table: 'members' | 'waiting' | 'banned' | 'departed'): Map<string, T> {
    const out = new Map<string, T>();
    for (const r of this.#sql.exec<{ id: string; json: string }>(`SELECT id, json FROM ${table}`)) out.set(r.id, JSON.parse(r.json) as T);
    return out;
  }

  /** The stored room, or null if this object has never served a meeting. */
  load(): RoomData | null {
    const meetingId = this.#meta('meetingId');
    if (meetingId === null) return null;
    this.#room = {
      meetingId,
      topic: this.#meta('topic') ?? '',
      settings: SettingsSchema.parse(JSON.parse(this.#meta('settings') ?? '{}')),
      locked: this.#meta('locked') === 'true',
      spotlight: this.#meta('spotlight') || null,
      ended: this.#meta('ended') === 'true',
      breakout: BreakoutState.parse(JSON.parse(this.#meta('breakout') ?? JSON.stringify(NO_BREAKOUT))),
      // Files in transit are not worth surviving a restart: senders see the failure and resend.
      files: new Map(),
      members: this.#rows<MemberRecord>('members'),
      waiting: this.#rows<WaitingRecord>('waiting'),
      banned: this.#rows<BanRecord>('banned'),
      departed: this.#rows<DepartedRecord>('departed'),
      denied: this.#sql
        .exec<{ json: string }>('SELECT json FROM denied ORDER BY at')
        .toArray()
        .map((r) => JSON.parse(r.json) as DeniedRecord),
    };
    return this.#room;
  }

  init(meetingId: string, topic: string, settings: MeetingSettings): RoomData {
    this.#setMeta('meetingId', meetingId);
    this.#setMeta('topic', topic);
    this.#setMeta('settings', JSON.stringify(settings));
    return this.load() as RoomData;
  }

  #live(): LiveRoom {
    if (!this.#room) throw new Error('room not initialised');
    return this.#room;
  }

  putMember(m: MemberRecord): void {
    this.#live().members.set(m.id, m);
    this.#sql.exec('INSERT INTO members (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json', m.id, JSON.stringify(m));
  }

  deleteMember(id: string): void {
    this.#live().members.delete(id);
    this.#sql.exec('DELETE FROM members WHERE id = ?', id);
  }

  putWaiting(w: WaitingRecord): void {
    this.#live().waiting.set(w.id, w);
    this.#sql.exec('INSERT INTO waiting (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json', w.id, JSON.stringify(w));
  }

  deleteWaiting(id: string): void {
    this.#live().waiting.delete(id);
    this.#sql.exec('DELETE FROM waiting WHERE id = ?', id);
  }

  ban(b: BanRecord): void {
    this.#live().banned.set(b.id, b);
    this.#sql.exec('INSERT INTO banned (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json', b.id, JSON.stringify(b));
  }

  unban(id: string): void {
    this.#live().banned.delete(id);
    this.#sql.exec('DELETE FROM banned WHERE id = ?', id);
  }

  putDeparted(d: DepartedRecord): void {
    const room = this.#live();
    room.departed.set(d.id, d);
    this.#sql.exec(
      'INSERT INTO departed (id, left_at, json) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET left_at = excluded.left_at, json = excluded.json',
      d.id,
      d.leftAt,
      JSON.stringify(d),
    );
    if (room.departed.size > MAX_DEPARTED) {
      // Oldest first out: Map keeps insertion order, and a re-put seat was deleted and re-added by the machine.
      const oldest = room.departed.keys().next().value!;
      this.deleteDeparted(oldest);
    }
  }

  deleteDeparted(id: string): void {
    this.#live().departed.delete(id);
    this.#sql.exec('DELETE FROM departed WHERE id = ?', id);
  }

  /** Denials older than their cool-down no longer matter; they are pruned as new ones arrive. */
  putDenied(d: DeniedRecord, keepSince: number): void {
    const room = this.#live();
    room.denied = [...room.denied.filter((x) => x.at > keepSince), d];
    this.#sql.exec('DELETE FROM denied WHERE at <= ?', keepSince);
    this.#sql.exec('INSERT INTO denied (at, json) VALUES (?, ?)', d.at, JSON.stringify(d));
  }

  putFile(f: FileTransfer): void {
    this.#live().files.set(f.id, f);
  }

  deleteFile(id: string): void {
    this.#live().files.delete(id);
  }

  patchRoom(patch: RoomPatch): void {
    const room = this.#live();
    if (patch.locked !== undefined) this.#setMeta('locked', String((room.locked = patch.locked)));
    if (patch.settings !== undefined) this.#setMeta('settings', JSON.stringify((room.settings = patch.settings)));
    if (patch.spotlight !== undefined) this.#setMeta('spotlight', (room.spotlight = patch.spotlight) ?? '');
    if (patch.ended !== undefined) this.#setMeta('ended', String((room.ended = patch.ended)));
    if (patch.breakout !== undefined) this.#setMeta('breakout', JSON.stringify((room.breakout = patch.breakout)));
  }

  /** SFrame sender indexes are never reused in a meeting, so a KID always names one sender. */
  nextSenderIndex(): number {
    const next = Number(this.#meta('nextIndex') ?? '0');
    this.#setMeta('nextIndex', String(next + 1));
    return next;
  }

  originId(): string | null {
    return this.#meta('originId');
  }

  setOriginId(id: string): void {
    this.#setMeta('originId', id);
  }

  /**
   * Reserves one password attempt, synchronously, before any check runs: concurrent joins see
   * each other's reservations, so at most the budget is ever checked. Returns the row id to
   * refund if the attempt turns out not to be a wrong guess.
   */
  reservePasswordAttempt(address: string, device: string, at: number): number {
    return this.#sql
      .exec<{ id: number }>('INSERT INTO password_attempts (address, device, at) VALUES (?, ?, ?) RETURNING rowid AS id', address, device, at)
      .one().id;
  }

  refundPasswordAttempt(id: number): void {
    this.#sql.exec('DELETE FROM password_attempts WHERE rowid = ?', id);
  }

  /** Attempts since `since`, and the oldest of them, for this device at this address, this address, and the whole meeting. */
  passwordAttempts(address: string, device: string, since: number): Record<'device' | 'address' | 'meeting', { count: number; oldest: number }> {
    this.#sql.exec('DELETE FROM password_attempts WHERE at < ?', since);
    const r = this.#sql
      .exec<Record<'dn' | 'dt' | 'an' | 'at' | 'mn' | 'mt', number | null>>(
        `SELECT SUM(address = ?1 AND device = ?2) AS dn, MIN(CASE WHEN address = ?1 AND device = ?2 THEN at END) AS dt,
                SUM(address = ?1) AS an, MIN(CASE WHEN address = ?1 THEN at END) AS at,
                COUNT(*) AS mn, MIN(at) AS mt
           FROM password_attempts`,
        address,
        device,
      )
      .one();
    return {
      device: { count: r.dn ?? 0, oldest: r.dt ?? since },
      address: { count: r.an ?? 0, oldest: r.at ?? since },
      meeting: { count: r.mn ?? 0, oldest: r.mt ?? since },
    };
  }

  /** Enforcement calls not yet confirmed by the origin, in order: kept until it says it applied them. */
  queueControls(controls: readonly OriginControl[]): void {
    for (const c of controls) this.#sql.exec('INSERT INTO origin_queue (json) VALUES (?)', JSON.stringify(c));
  }

  /** The oldest queued calls (up to `limit`) and the last sequence number among them. */
  queuedControls(limit: number): { upTo: number; controls: OriginControl[] } {
    const rows = this.#sql.exec<{ seq: number; json: string }>('SELECT seq, json FROM origin_queue ORDER BY seq LIMIT ?', limit).toArray();
    return { upTo: rows.at(-1)?.seq ?? 0, controls: rows.map((r) => JSON.parse(r.json) as OriginControl) };
  }

  confirmControls(upTo: number): void {
    this.#sql.exec('DELETE FROM origin_queue WHERE seq <= ?', upTo);
  }

  meta(key: string): string | null {
    return this.#meta(key);
  }

  setMeta(key: string, value: string): void {
    this.#setMeta(key, value);
  }
}
