// Runs in the newcomer's page before any of its scripts (page.addInitScript): notes the join
// click and the page's long tasks, and polls every peer connection the page makes for its first
// decoded video frame.
// Plain JavaScript so that it reaches the page exactly as written.
(() => {
  const POLL_MS = 25;
  const probe = { joinClick: null, firstFrame: null, longTasks: [] };
  window.__bench = probe;
  // Main-thread tasks of 50 ms or more: time the page could not answer input or events.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // No Long Tasks API: the busy rows stay empty.
  }
  document.addEventListener(
    'click',
    (ev) => {
      const t = ev.target;
      if (probe.joinClick === null && t?.closest?.('[data-bench-join], [data-testid="join-button"]')) probe.joinClick = performance.now();
    },
    true,
  );
  const pcs = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      pcs.push(this);
    }
  };
  const timer = setInterval(async () => {
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats().catch(() => null);
      report?.forEach((s) => {
        if (probe.firstFrame === null && s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > 0) {
          probe.firstFrame = performance.now();
          clearInterval(timer);
        }
      });
    }
  }, POLL_MS);
})();
