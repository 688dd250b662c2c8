// Injected into every page before the app's own scripts (Playwright addInitScript). Plain browser
// JavaScript, no imports. It only observes: WebSocket frames (a listener registered before the app's),
// DOM mutations and animation frames. Everything lands on window.__bench for the runner to read.
(() => {
  const B = (window.__bench = {
    ready: null, // performance.now() when #root got data-app-state=ready
    started: null, // 'started' stream event received (the core created the result set)
    firstRows: null, // first 'rows' event with total > 0 received: the core got its first batch
    firstRowsTotal: null,
    rowsEvents: 0,
    logEvents: 0, // separate 'log' events (before coalescing)
    logLines: 0, // log lines received, in 'log' events or inside 'rows' events
    done: null, // 'done' event received
    doneEvent: null,
    clickAt: null,
    firstWindow: null, // first results:window answer with rows received after firstRows
    paint: null, // { dom, raf, painted } of the first real grid cell
    frames: null, // rAF recorder state
  });

  // The first screen: when the shell says it is ready.
  const readyObs = new MutationObserver(() => {
    const root = document.getElementById('root');
    if (root && root.getAttribute('data-app-state') === 'ready' && B.ready === null) {
      B.ready = performance.now();
      readyObs.disconnect();
    }
  });
  readyObs.observe(document, {
    subtree: true,
    attributes: true,
    attributeFilter: ['data-app-state'],
    childList: true,
  });

  // Stream events of the contract over the browser-mode WebSocket (shared/wire.ts ServerMessage).
  const Native = window.WebSocket;
  class Observed extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        const d = ev.data;
        if (typeof d !== 'string') return;
        const now = performance.now();
        // The grid's first window answer after the first batch (not parsed: a prefix/substring test).
        if (
          B.firstRows !== null &&
          B.firstWindow === null &&
          d.startsWith('{"type":"result"') &&
          d.includes('"matched"') &&
          !d.includes('"rows":[]')
        )
          B.firstWindow = now;
        // Only stream events are parsed; window answers (large) are never parsed a second time.
        if (!d.startsWith('{"type":"event"')) return;
        let m;
        try {
          m = JSON.parse(d);
        } catch {
          return;
        }
        const data = m.event && m.event.type === 'data' ? m.event.data : null;
        if (!data) return;
        if (data.type === 'started' && B.clickAt !== null && B.started === null) B.started = now;
        else if (data.type === 'rows' && B.clickAt !== null) {
          B.rowsEvents++;
          // Progress events carry the log lines since the previous one (coalesced in the core).
          if (Array.isArray(data.logs)) B.logLines += data.logs.length;
          if (B.firstRows === null && data.total > 0) {
            B.firstRows = now;
            B.firstRowsTotal = data.total;
          }
        } else if (data.type === 'log' && B.clickAt !== null) {
          B.logEvents++;
          B.logLines++;
        } else if (data.type === 'done' && B.clickAt !== null && B.done === null) {
          B.done = now;
          B.doneEvent = data;
        }
      });
    }
  }
  window.WebSocket = Observed;

  // First real row painted in a cell's grid: DOM commit (MutationObserver), the next animation frame,
  // and a task posted from that frame (runs after the frame's style/layout/paint).
  B.watchFirstCells = (scope) => {
    const isReal = () => {
      const cell = scope.querySelector('[role="gridcell"]');
      return cell !== null && cell.textContent !== '…' && cell.textContent !== '';
    };
    const mo = new MutationObserver(() => {
      if (B.paint || !isReal()) return;
      const dom = performance.now();
      mo.disconnect();
      B.paint = { dom, raf: null, painted: null };
      requestAnimationFrame(() => {
        B.paint.raf = performance.now();
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          B.paint.painted = performance.now();
        };
        ch.port2.postMessage(0);
      });
    });
    mo.observe(scope, { subtree: true, childList: true, characterData: true });
  };

  // requestAnimationFrame deltas until stopped; `step(ts)` may move things each frame.
  B.recordFrames = (step) => {
    const rec = { deltas: [], last: null, stop: false, extra: 0 };
    const tick = (ts) => {
      if (rec.stop) return;
      if (rec.last !== null) rec.deltas.push(ts - rec.last);
      rec.last = ts;
      if (step) step(ts, rec);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return rec;
  };
})();
