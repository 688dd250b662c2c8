/**
 * PKI benchmark (issue 5): generate a CA + Frontend + API client chain with our certificates.ts
 * (WebCrypto keys: generated on libuv's thread pool) for RSA 2048 and 4096 while measuring the event
 * loop's worst delay (perf_hooks.monitorEventLoopDelay); then the same three key pairs with
 * node-forge's pure-JS generator in the same process, for the ratio. Prints one JSON line per case.
 * Usage (bundled by run.mjs): node chain.mjs [--runs N] [--forge-4096-keys N]
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import forge from 'node-forge';

// Without this node-forge quietly calls Node's native generateKeyPairSync: force its own JS code.
(forge as unknown as { options: { usePureJavaScript: boolean } }).options.usePureJavaScript = true;
import {
  createCertificateAuthority,
  issueApiClientCertificate,
  issueFrontendCertificate,
} from '../../electron/core/pki/certificates';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('--runs', 3);
const FORGE_4096_KEYS = arg('--forge-4096-keys', 3);

/**
 * CPU time of the main (event-loop) thread only, from /proc (Linux): on a loaded machine the loop's
 * delay includes time the OS gave to other processes; this is the part our code itself spent there.
 */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime in 10 ms ticks
  } catch {
    return NaN;
  }
}

/** Main thread's on-CPU time in ns (/proc/<pid>/task/<pid>/schedstat, Linux), or NaN. */
function mainThreadOnCpuNs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/**
 * The longest stretch our own code held the loop: between two consecutive 1 ms ticks, how much CPU
 * the main thread used. Unlike the delay histogram, this excludes time the OS gave to other processes.
 */
function blockingProbe(): { stop(): number } {
  let last = mainThreadOnCpuNs();
  let max = 0;
  const timer = setInterval(() => {
    const now = mainThreadOnCpuNs();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return max / 1e6;
    },
  };
}

async function ours(bits: 2048 | 4096): Promise<{
  ms: number;
  maxLoopDelayMs: number;
  p99LoopDelayMs: number;
  mainCpuMs: number;
  maxBlockingMs: number;
}> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const probe = blockingProbe();
  const c0 = mainThreadCpuMs();
  const t0 = performance.now();
  const ca = await createCertificateAuthority({ algorithm: { kind: 'rsa', bits } });
  await issueFrontendCertificate(ca, { bits });
  await issueApiClientCertificate(ca, 'bench-user', { algorithm: { kind: 'rsa', bits } });
  const ms = performance.now() - t0;
  h.disable();
  return {
    ms,
    maxLoopDelayMs: h.max / 1e6,
    p99LoopDelayMs: h.percentile(99) / 1e6,
    mainCpuMs: mainThreadCpuMs() - c0,
    maxBlockingMs: probe.stop(),
  };
}

function forgeKeys(bits: number, count: number): { ms: number; maxLoopDelayMs: number } {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const ms = performance.now() - t0;
  h.disable();
  // The histogram only samples between ticks; a synchronous run is one stall of its full length.
  return { ms, maxLoopDelayMs: Math.max(h.max / 1e6, ms) };
}

/** The same histogram over an idle loop: the machine's own scheduling noise, for context. */
async function idle(ms: number): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, ms));
  h.disable();
  return h.max / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

console.log(JSON.stringify({ idleMaxLoopDelayMs: Number((await idle(3000)).toFixed(1)) }));
for (const bits of [2048, 4096] as const) {
  await ours(bits); // warm-up (module init, first thread-pool use)
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await ours(bits));
  const forgeCount = bits === 4096 ? FORGE_4096_KEYS : 3;
  const f = forgeKeys(bits, forgeCount);
  const forgeChainMs = (f.ms / forgeCount) * 3; // per 3 keys, like our chain
  const oursMs = median(runs.map((r) => r.ms));
  console.log(
    JSON.stringify({
      bits,
      runs: RUNS,
      oursChainMsMedian: Math.round(oursMs),
      oursMaxLoopDelayMs: Number(Math.max(...runs.map((r) => r.maxLoopDelayMs)).toFixed(1)),
      oursMaxBlockingMs: Number(Math.max(...runs.map((r) => r.maxBlockingMs)).toFixed(1)),
      oursMainThreadCpuMsMedian: median(runs.map((r) => r.mainCpuMs)),
      oursP99LoopDelayMs: Number(Math.max(...runs.map((r) => r.p99LoopDelayMs)).toFixed(1)),
      forgeKeys: forgeCount,
      forgeChainMs: Math.round(forgeChainMs),
      forgeMaxLoopDelayMs: Math.round(f.maxLoopDelayMs),
      forgeOverOurs: Number((forgeChainMs / oursMs).toFixed(1)),
    }),
  );
}
