/**
 * The encoded-transform worker. One FrameWorker per worker instance, created here at startup;
 * there is no other mutable module state. Frames arrive either through `onrtctransform`
 * (RTCRtpScriptTransform, options `{ role, codec }`) or through a `{ kind: 'streams' }` message
 * carrying the `createEncodedStreams()` pair (fallback path). Keys and stats queries arrive as
 * messages; see frame-worker.ts for the message types.
 */
import { FrameWorker, parseTransformOptions, type EncodedFrameLike, type WorkerIn, type WorkerOut } from './frame-worker.ts';

/** The part of DedicatedWorkerGlobalScope this worker uses (lib.webworker is not loaded). */
type Scope = {
  onmessage: ((ev: MessageEvent<WorkerIn>) => void) | null;
  onrtctransform?:
    | ((ev: {
        transformer: {
          options: unknown;
          readable: ReadableStream<EncodedFrameLike>;
          writable: WritableStream<EncodedFrameLike>;
          sendKeyFrameRequest?: () => Promise<void>;
        };
      }) => void)
    | null;
  postMessage(msg: WorkerOut): void;
};

const scope = globalThis as unknown as Scope;
const frames = new FrameWorker();

scope.onmessage = (ev) => {
  const reply = frames.handleMessage(ev.data);
  if (reply) scope.postMessage(reply);
};

scope.onrtctransform = (ev) => {
  const t = ev.transformer;
  const opts = parseTransformOptions(t.options);
  // Only a receiver's transformer can ask for a key frame; the fallback path has no such call.
  const request = opts?.role === 'recv' && typeof t.sendKeyFrameRequest === 'function' ? () => t.sendKeyFrameRequest!() : undefined;
  if (opts) void frames.attach(opts, t.readable, t.writable, request);
};
