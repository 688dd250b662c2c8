/**
 * "Deploy" benchmark: the Docker target from plan to a verified, connected server on a local Docker
 * engine (the run's own dockerd unless MEGARAPTOR_BENCH_DOCKER_HOST names one), with the time of every
 * step, then destroy. Run 1 starts with an empty release cache (download + signature check); the
 * following runs use the cached release — the target is < 30 s for those. Baseline, measured in the
 * same run on the same engine: the floor of Docker work for the same image (import the root
 * filesystem, create a container, run the binary once to its end), reported as deploy ÷ baseline.
 *
 * The binary is the simulator launcher (a signed "release" from a local HTTPS server, like the tests),
 * or a real Velociraptor static build with `--binary PATH` (then deployed as the responder's own file:
 * unsigned, no download). Bundled and run by `npm run bench -- deploy [--runs N] [--binary PATH]
 * [--health-interval MS]`; the health interval defaults to the product's (5 s).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerdUnavailable, startDockerd, stopDockerd } from '../../scripts/dockerd.mjs';
import { MemorySecretStore } from '../../electron/core/credentials/memory-store';
import type { ProgressEvent } from '../../shared/deploy';
import type { EngineRef } from '../../electron/core/deploy/docker/engine';
import { DEFAULT_HEALTH, rootfsEntries, type ImageFile } from '../../electron/core/deploy/docker/spec';
import { tarStream } from '../../electron/core/deploy/docker/tar';
import {
  dockerWorld,
  hostNetworkSettings,
  SMALL,
  TEST_ASSET,
  TEST_TAG,
} from '../../electron/core/deploy/testing/docker-world';
import { makeTestSigner } from '../../electron/core/deploy/testing/gpg';
import { startReleaseServer } from '../../electron/core/deploy/testing/release-server';
import { simRuntime } from '../../electron/core/deploy/testing/sim-runtime';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(opt('--runs') ?? 3);
const BINARY = opt('--binary');
const HEALTH_MS = Number(opt('--health-interval') ?? DEFAULT_HEALTH.intervalMs);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function engineRef(): Promise<{ ref: EngineRef; stop(): Promise<void> }> {
  const given = process.env.MEGARAPTOR_BENCH_DOCKER_HOST;
  if (given?.startsWith('unix://'))
    return { ref: { kind: 'socket', path: given.slice(7) }, stop: async () => undefined };
  const why = dockerdUnavailable();
  if (why) throw new Error(`No Docker engine: ${why}`);
  const d = await startDockerd();
  return { ref: { kind: 'socket', path: d.socket }, stop: () => stopDockerd(d) };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'megaraptor-bench-deploy-'));
  const engine = await engineRef();
  const signer = await makeTestSigner();
  // The built CLI (`npm run build`), run from the repo root by scripts/bench.mjs.
  const runtime = await simRuntime(
    join(root, 'runtime'),
    join(process.cwd(), 'out', 'cli', 'megaraptor.mjs'),
  );
  const launcher = await readFile(runtime.launcher);
  const releases = await startReleaseServer([
    {
      tag: TEST_TAG,
      publishedAt: '2026-05-31T00:00:00Z',
      assets: { [TEST_ASSET]: launcher, [`${TEST_ASSET}.sig`]: await signer.sign(launcher) },
    },
  ]);
  // A real binary is a static Go build: it needs no node and no libraries in the image.
  const extraFiles: ImageFile[] = BINARY ? [] : runtime.extraFiles;
  const world = dockerWorld({
    dataDir: join(root, 'data'),
    engine: engine.ref,
    release: { url: releases.url, caPem: releases.caPem, key: signer.key },
    secrets: new MemorySecretStore('memory (benchmark)'),
    extraFiles,
  });
  const docker = await world.engines.get(engine.ref);
  const results: Array<{ run: number; totalMs: number; destroyMs: number; steps: Record<string, number> }> =
    [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const settings = await hostNetworkSettings(engine.ref, extraFiles);
      settings.health = { ...DEFAULT_HEALTH, intervalMs: HEALTH_MS };
      if (BINARY) settings.image = { kind: 'local', binary: { kind: 'file', path: BINARY } };
      const steps: Record<string, number> = {};
      const t0 = performance.now();
      const plan = await world.runner.plan('docker', {
        name: `bench-${run}`,
        profile: 'rapid',
        overrides: SMALL,
        settings,
      });
      steps.plan = performance.now() - t0;
      const out = await world.runner.deploy(plan, {
        onEvent: (e: ProgressEvent) => {
          if (e.type === 'step' && e.state === 'done' && e.ms !== undefined) steps[e.step] = e.ms;
        },
      });
      const totalMs = performance.now() - t0;
      if (out.journal.state !== 'deployed') throw new Error(`run ${run} ended ${out.journal.state}`);
      const d0 = performance.now();
      await world.runner.destroy(plan.deploymentId);
      const destroyMs = performance.now() - d0;
      results.push({ run, totalMs, destroyMs, steps });
      console.log(
        `run ${run}${run === 1 && !BINARY ? ' (empty release cache)' : ''}: deployed, verified, connected in ${sec(totalMs)}; destroyed in ${sec(destroyMs)}`,
      );
    }

    // Baseline: the floor of Docker work for this image — import the same root filesystem, create a
    // container, run the binary once (`version`) to its end, remove both.
    const base: number[] = [];
    for (let i = 1; i <= Math.max(1, RUNS - 1); i++) {
      const t0 = performance.now();
      const entries = rootfsEntries(BINARY ?? runtime.launcher, extraFiles);
      const res = await (docker.importImage(tarStream(entries), {
        repo: 'megaraptor/bench-baseline',
        tag: String(i),
      } as never) as unknown as Promise<NodeJS.ReadableStream>);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(res, (e: Error | null) => (e ? reject(e) : resolve())),
      );
      const c = await docker.createContainer({
        Image: `megaraptor/bench-baseline:${i}`,
        Cmd: ['/usr/local/bin/velociraptor', 'version'],
        HostConfig: { NetworkMode: 'none', Init: true },
      });
      await c.start();
      await c.wait();
      base.push(performance.now() - t0);
      await c.remove({ force: true });
      await docker.getImage(`megaraptor/bench-baseline:${i}`).remove();
    }

    const warm = results.filter((r) => BINARY || r.run > 1);
    const stepNames = Object.keys(results[0]!.steps);
    console.log('\nstep                      ' + results.map((r) => `run ${r.run}`.padStart(10)).join(''));
    for (const s of stepNames)
      console.log(s.padEnd(26) + results.map((r) => sec(r.steps[s] ?? 0).padStart(10)).join(''));
    console.log('total'.padEnd(26) + results.map((r) => sec(r.totalMs).padStart(10)).join(''));
    console.log('destroy'.padEnd(26) + results.map((r) => sec(r.destroyMs).padStart(10)).join(''));
    const warmMedian = median(warm.map((r) => r.totalMs));
    const baseMedian = median(base);
    console.log(
      `\ncached-release deploy, median of ${warm.length}: ${sec(warmMedian)} (target < 30 s: ${warmMedian < 30_000 ? 'met' : 'MISSED'})`,
    );
    console.log(
      `baseline (import the image + run the binary once), median of ${base.length}: ${sec(baseMedian)}`,
    );
    console.log(`deploy ÷ baseline: ${(warmMedian / baseMedian).toFixed(2)}`);
  } finally {
    await world.close();
    await releases.close();
    await signer.cleanup();
    await engine.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
