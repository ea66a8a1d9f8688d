// Minimal typings for WebRTC Encoded Transform pieces that TypeScript's DOM lib lacks.
// RTCRtpScriptTransform itself and `sender.transform` are in lib.dom; the worker-side event
// (`onrtctransform`) lives only in lib.webworker, which cannot be combined with lib.dom, so the
// worker declares its own narrow view of the scope (see worker.ts).

interface RTCRtpSender {
  /** Chromium's legacy Insertable Streams API (needs `encodedInsertableStreams: true`). */
  createEncodedStreams?(): { readable: ReadableStream; writable: WritableStream };
}

interface RTCRtpReceiver {
  createEncodedStreams?(): { readable: ReadableStream; writable: WritableStream };
}
