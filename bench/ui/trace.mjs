// CDP tracing for the UI benchmark (`node bench/ui/run.mjs --trace DIR`): records a browser-wide
// trace (devtools.timeline categories plus toplevel and v8.execute; the verbose v8/blink/cc categories
// multiply the page's own script time) around a phase and reduces it to where the
// time went: self time per event name on the page's renderer main thread, grouped into script / GC /
// style / layout / paint / commit / other, and busy time (top-level task time) per thread name across
// all Chromium processes (raster workers, compositor, viz, browser IO). Times are thread CPU time
// (tdur/tts) where the event has it, so a loaded machine's waiting for a core is not counted as work.
import { writeFileSync } from 'node:fs';

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'toplevel',
  'v8.execute',
  'blink.user_timing',
].join(',');

/** Starts a trace on a browser-level CDP session (Playwright `browser.newBrowserCDPSession()`). */
export async function startTrace(session) {
  await session.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReturnAsStream' });
}

/**
 * Ends the trace and returns its events; with `saveAs` also writes them (open in DevTools' Performance
 * panel or ui.perfetto.dev).
 */
export async function stopTrace(session, saveAs) {
  const done = new Promise((res) => session.once('Tracing.tracingComplete', res));
  await session.send('Tracing.end');
  const { stream } = await done;
  let text = '';
  for (;;) {
    const r = await session.send('IO.read', { handle: stream, size: 1 << 20 });
    text += r.base64Encoded ? Buffer.from(r.data, 'base64').toString('utf8') : r.data;
    if (r.eof) break;
  }
  await session.send('IO.close', { handle: stream });
  if (saveAs) writeFileSync(saveAs, text);
  const parsed = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

// Event name -> bucket on the renderer main thread (self time). Anything else is "other" (listed).
const BUCKETS = [
  ['gc', /GC|Gc|garbage|Sweep|Scavenge|Mark-?Compact|V8\.GC|BlinkGC|CppGC/],
  [
    'script',
    /^(FunctionCall|EvaluateScript|v8\.run|v8\.compile|v8\.callFunction|V8\.Execute|RunMicrotasks|v8\.produceCache|v8\.parseOnBackground|TimerFire|FireAnimationFrame|EventDispatch|v8\.newInstance|V8\.|v8\.)/,
  ],
  [
    'style',
    /^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet|ScheduleStyleRecalculation|StyleRecalc|Document::(updateStyle|recalcStyle|rebuildLayoutTree)|InvalidateLayout)/,
  ],
  [
    'layout',
    /^(Layout|UpdateLayout|LocalFrameView::(layout|performLayout)|InlineNode|LayoutObject|LayoutBlock)/,
  ],
  [
    'paint',
    /^(PrePaint|Paint|PaintImage|RasterTask|UpdateLayer|UpdateLayerTree|Layerize|PaintArtifactCompositor|LocalFrameView::RunPaintLifecyclePhase|PaintController)/,
  ],
  ['commit', /^(Commit|ProxyMain::BeginMainFrame::commit|LayerTreeHost::|CompositeLayers|ActivateLayerTree)/],
  ['hit-test and hover', /^(HitTest|EventHandler::handleMouse)/],
  // Self time of the task wrappers: scheduling and IPC dispatch around the work above.
  [
    'task and IPC',
    /^(RunTask|ThreadControllerImpl::RunTask|Receive mojo message|ThreadController|SequenceManager|SimpleWatcher)/,
  ],
];
const bucketOf = (name) => (BUCKETS.find(([, re]) => re.test(name)) ?? ['other'])[0];

/** Per-thread intervals (X events and B/E pairs), sorted for a stack walk. */
function threads(events) {
  const names = new Map();
  const procNames = new Map();
  const by = new Map();
  const open = new Map();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === 'M') {
      if (e.name === 'thread_name') names.set(key, e.args?.name ?? '?');
      if (e.name === 'process_name') procNames.set(e.pid, e.args?.name ?? '?');
      continue;
    }
    let iv = null;
    if (e.ph === 'X' && typeof e.dur === 'number')
      iv = { name: e.name, ts: e.ts, dur: e.dur, cpu: typeof e.tdur === 'number' ? e.tdur : e.dur };
    else if (e.ph === 'B') {
      const s = open.get(key) ?? [];
      s.push(e);
      open.set(key, s);
    } else if (e.ph === 'E') {
      const b = open.get(key)?.pop();
      if (b)
        iv = {
          name: b.name,
          ts: b.ts,
          dur: e.ts - b.ts,
          cpu: typeof b.tts === 'number' && typeof e.tts === 'number' ? e.tts - b.tts : e.ts - b.ts,
        };
    }
    if (iv) {
      if (!by.has(key)) by.set(key, []);
      by.get(key).push(iv);
    }
  }
  for (const list of by.values()) list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  return { names, procNames, by };
}

/**
 * Self CPU time per event name and top-level busy CPU time of one thread's intervals (microseconds).
 * Nesting comes from wall-clock spans; the time attributed is thread time.
 */
function selfTimes(list) {
  const self = new Map();
  const stack = [];
  let busy = 0;
  for (const iv of list) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= iv.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) {
      // Clip a child that overruns its parent (clock jitter between B/E and X events).
      if (iv.ts + iv.dur > parent.ts + parent.dur) iv.dur = Math.max(0, parent.ts + parent.dur - iv.ts);
      iv.cpu = Math.min(iv.cpu, parent.cpu);
      self.set(parent.name, (self.get(parent.name) ?? 0) - iv.cpu);
    } else busy += iv.cpu;
    self.set(iv.name, (self.get(iv.name) ?? 0) + iv.cpu);
    stack.push(iv);
  }
  return { self, busy };
}

const ms = (us) => Math.round(us / 100) / 10;

/**
 * Where the time went during a phase of `frames` frames. `mainPid` (optional) picks the renderer whose
 * main thread is reported; by default the busiest CrRendererMain.
 */
export function summarize(events, frames = 1) {
  const { names, procNames, by } = threads(events);
  const perThread = [];
  for (const [key, list] of by) {
    const { self, busy } = selfTimes(list);
    const pid = Number(key.split(':')[0]);
    perThread.push({ key, name: names.get(key) ?? '?', proc: procNames.get(pid) ?? '?', self, busy });
  }
  const mains = perThread.filter((t) => t.name === 'CrRendererMain').sort((a, b) => b.busy - a.busy);
  const main = mains[0];
  const buckets = {};
  const others = [];
  if (main) {
    for (const [name, us] of main.self) {
      if (us <= 0) continue;
      const b = bucketOf(name);
      buckets[b] = (buckets[b] ?? 0) + us;
      others.push([name, us]);
    }
  }
  others.sort((a, b) => b[1] - a[1]);
  // Busy time per thread name over all processes (raster workers summed).
  const threadBusy = {};
  for (const t of perThread) {
    const k = `${t.proc}/${t.name.replace(/\d+$/, '')}`;
    threadBusy[k] = (threadBusy[k] ?? 0) + t.busy;
  }
  const perFrame = (us) => Math.round(us / frames / 100) / 10;
  return {
    renderer_main_busy_ms: main ? ms(main.busy) : null,
    renderer_main_ms_per_frame: main ? perFrame(main.busy) : null,
    renderer_main_self_ms_by_bucket: Object.fromEntries(
      Object.entries(buckets)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, ms(v)]),
    ),
    renderer_main_self_ms_per_frame_by_bucket: Object.fromEntries(
      Object.entries(buckets)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, perFrame(v)]),
    ),
    renderer_main_top_events_self_ms: others.slice(0, 15).map(([n, us]) => `${n} ${ms(us)}`),
    busy_ms_by_thread: Object.fromEntries(
      Object.entries(threadBusy)
        .filter(([, v]) => v >= 5000)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, ms(v)]),
    ),
  };
}
