/**
 * The origin's HTTP API: a health check for load balancers, and the signed endpoints the edge
 * calls — enforcement (`POST /control`), cascading (`POST /pipe`) and, in tests only, the tap
 * and state probes. Every signed call is checked once against the nonce ledger.
 */
import type http from 'node:http';
import { type MediaSource, MemoryNonceLedger, OriginControl, OriginControlBatch, OriginPipeRequest, parseJson, verifyRequest } from '@sealroom/protocol';
import type { OriginConfig } from './config.ts';
import { OriginError, httpStatus } from './errors.ts';
import { headerOf, readBody } from './http-io.ts';
import { type Logger, errText } from './log.ts';
import type { MeetingRegistry } from './meeting-registry.ts';
import { TapRequest, TestStateRequest, runTap } from './test-tap.ts';

/** Control batches (mute all in a 1000-person meeting) run to ~150 KB; nothing larger is legitimate. */
const MAX_HTTP_BODY = 1024 * 1024;

export interface ApiOptions {
  config: Pick<OriginConfig, 'sharedSecret' | 'testTap'>;
  log: Logger;
  meetings: MeetingRegistry;
  health: () => { closed: boolean; draining: boolean; workerPids: number[]; registered: boolean };
  control: (c: OriginControl) => Promise<Record<string, number | boolean>>;
  pipe: (req: OriginPipeRequest) => Promise<object>;
}

export type ApiHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

export function createApiHandler(opts: ApiOptions): ApiHandler {
  const { config, log, meetings } = opts;
  /** Nonces of accepted edge calls: one process, so memory is the whole ledger. */
  const nonces = new MemoryNonceLedger();

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    const fail = (e: OriginError): void => json(httpStatus(e.code), { error: { code: e.code, message: e.message } });
    try {
      if (req.method === 'GET' && path === '/healthz') {
        const h = opts.health();
        // registered: the edge accepted the last heartbeat, so it may send meetings here.
        return json(h.closed ? 503 : 200, { ok: !h.closed, draining: h.draining, workers: h.workerPids.length, registered: h.registered });
      }
      const testOnly = path === '/test/tap' || path === '/test/state';
      if (req.method === 'POST' && (path === '/control' || path === '/pipe' || (testOnly && config.testTap))) {
        const body = await readBody(req, MAX_HTTP_BODY);
        const auth = await verifyRequest(config.sharedSecret, 'POST', path, body, { get: (h) => headerOf(req, h) }, nonces);
        if (!auth.ok) {
          log.warn({ event: auth.reason === 'replayed' ? 'replayed_internal_request' : 'unsigned_internal_request', path, reason: auth.reason });
          return fail(new OriginError('forbidden', auth.reason === 'replayed' ? 'this signed request was already used' : 'bad or missing signature'));
        }
        if (path === '/control') {
          // A batch (one host action such as mute all) is an array: applied in order, answered together.
          if (body.trimStart().startsWith('[')) {
            const batch = parseJson(OriginControlBatch, body, MAX_HTTP_BODY);
            if (!batch.ok) return fail(new OriginError(batch.code, batch.message));
            const results = [];
            for (const c of batch.value) results.push(await opts.control(c));
            return json(200, { ok: true, results });
          }
          const parsed = parseJson(OriginControl, body, MAX_HTTP_BODY);
          if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
          return json(200, { ok: true, ...(await opts.control(parsed.value)) });
        }
        if (path === '/pipe') {
          const parsed = parseJson(OriginPipeRequest, body, MAX_HTTP_BODY);
          if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
          return json(200, { ok: true, ...(await opts.pipe(parsed.value)) });
        }
        if (path === '/test/state') {
          const parsed = parseJson(TestStateRequest, body, MAX_HTTP_BODY);
          if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
          // Fault tests kill a worker by PID, find the origin a meeting landed on and the holds it was told.
          const held: Record<string, Record<string, MediaSource[]>> = {};
          for (const [id, e] of meetings.hostPauses) held[id] = Object.fromEntries([...e.pauses].map(([p, set]) => [p, [...set]]));
          return json(200, { workerPids: opts.health().workerPids, meetings: [...meetings.keys()], held });
        }
        const parsed = parseJson(TapRequest, body, MAX_HTTP_BODY);
        if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
        const meeting = meetings.get(parsed.value.meetingId);
        if (!meeting) return fail(new OriginError('not_found', 'no such meeting on this origin'));
        log.info({ event: 'test_tap', meetingId: meeting.id, ms: parsed.value.ms });
        return json(200, await runTap(meeting, parsed.value.ms));
      }
      return json(404, { error: { code: 'not_found', message: 'not found' } });
    } catch (err) {
      if (err instanceof OriginError) return fail(err);
      log.error({ event: 'http_failed', path, error: errText(err) });
      if (!res.headersSent) fail(new OriginError('internal', 'internal error'));
    }
  };
}
