/**
 * Crash tests of the Docker target: a real child process deploys to the real engine and is SIGKILLed
 * right after a journal write — every resource boundary (each container, volume, image, secret and
 * connection, before and after it is made) and the step boundaries in between. After each kill a
 * fresh app (runner, connections, same data dir and vault) lists the deployment as interrupted, and
 * clean-up leaves nothing: no container, volume or image of it, no secret, no connection, no journal.
 * The same at the minion boundaries of a multi-frontend (enterprise) deployment.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { runChild } from '../testing/child-run';
import type { CrashChildConfig } from '../testing/crash-child';
import { openVault } from '../testing/vault';
import { journalsLeft, startDockerBed, type DockerBed } from '../testing/docker-bed';
import { dockerEngine } from '../testing/docker-engine';
import {
  dockerWorld,
  freePort,
  hostNetworkSettings,
  MULTI_HEALTH,
  SMALL,
  type DockerWorld,
} from '../testing/docker-world';
import type { SimRuntime } from '../testing/sim-runtime';
import type { FileVaultSecretStore } from '../../credentials/file-vault';
import { LABEL } from './spec';

const part = dockerEngine();
let bed: DockerBed;
let child: BundledScript;
let runtime: SimRuntime;
let root: string;
let vault: FileVaultSecretStore;
let world: DockerWorld;
let docker: Docker;
const VAULT = { vaultPassphrase: 'crash-test-passphrase' };

beforeAll(async () => {
  if (!part.ready) return;
  [bed, child] = await Promise.all([
    startDockerBed('megaraptor-docker-crash-'),
    bundleScript(join(__dirname, '..', 'testing', 'crash-child.ts')),
  ]);
  ({ runtime, root } = bed);
  vault = await openVault(join(root, 'vault.json'), VAULT.vaultPassphrase);
  world = dockerWorld({
    dataDir: join(root, 'data'),
    engine: bed.engine.ref,
    release: bed.release,
    secrets: vault,
    extraFiles: runtime.extraFiles,
  });
  docker = await world.engines.get(bed.engine.ref);
}, 240_000);

afterAll(async () => {
  await world?.close();
  await child?.cleanup();
  await bed?.close();
}, 120_000);

async function config(stopAt: number | null, minions = 0): Promise<CrashChildConfig> {
  const settings = await hostNetworkSettings(bed.engine.ref, runtime.extraFiles);
  const ports: number[] = [];
  for (let i = 0; i < minions; i++) ports.push(await freePort());
  return {
    ...(minions ? { profile: 'enterprise' as const } : {}),
    target: 'docker',
    mode: 'deploy',
    stopAt,
    name: `crash-${randomBytes(3).toString('hex')}`,
    dataDir: join(root, 'data'),
    vaultPath: join(root, 'vault.json'),
    ...VAULT,
    release: bed.release,
    extraFiles: runtime.extraFiles,
    settings: minions
      ? {
          ...settings,
          health: MULTI_HEALTH,
          minions: ports.map((port) => ({ bindAddress: '127.0.0.1', port })),
        }
      : settings,
    overrides: SMALL,
  };
}

/** What leftovers() finds once a deployment is cleaned up. */
const NOTHING_LEFT = { containers: [], volumes: [], images: [], secrets: [], connections: [], journals: [] };

/** Everything of the deployment that could be left on the engine, in the vault, the connections or the journal. */
async function leftovers(id: string, name: string, w: DockerWorld = world) {
  const byLabel = { label: [`${LABEL.deployment}=${id}`] };
  const containers = (await docker.listContainers({ all: true })).filter(
    (c) => c.Names.some((n) => n.includes(id)) || c.Labels[LABEL.deployment] === id,
  );
  const volumes = ((await docker.listVolumes()).Volumes ?? []).filter((v) => v.Name.includes(id));
  const images = await docker.listImages({ filters: byLabel });
  const refs = (await vault.listRefs()).filter((r) => r.includes(id));
  const connections = (await w.connections.list()).connections.filter((c) => c.name === name);
  const journals = await journalsLeft(w.journals.dir, id);
  return {
    containers: containers.map((c) => c.Names[0]),
    volumes: volumes.map((v) => v.Name),
    images: images.map((i) => i.Id),
    secrets: refs,
    connections: connections.map((c) => c.name),
    journals,
  };
}

describe('a Docker deploy process killed at its step boundaries', () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  let boundaries: Array<{ n: number; label: string }> = [];

  it.runIf(part.run)(
    'runs to the end in a child and lists its journal writes',
    async () => {
      const c = await config(null);
      const r = await runChild(child.file, [JSON.stringify(c)], child.env, { timeoutMs: 180_000 });
      expect(r.stdout, r.stderr).toMatch(/DONE deployed/);
      const writes = [...r.stdout.matchAll(/^W (\d+) (\S+)$/gm)].map((m) => ({
        n: Number(m[1]),
        label: m[2]!,
      }));
      // Every resource boundary, and a few step and state boundaries between them.
      const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
      boundaries = writes
        .map((w) => ({ ...w, label: w.label.replaceAll(id, '<id>').replaceAll(c.name!, '<name>') }))
        .filter(
          (w) =>
            w.label.startsWith('resource:') ||
            [
              'state:applying',
              'step:start:running',
              'step:verify-api:running',
              'step:connect:running',
              'state:verifying',
            ].includes(w.label),
        );
      expect(boundaries.length).toBeGreaterThanOrEqual(20);
      await world.runner.destroy(id);
      expect(await leftovers(id, c.name!)).toEqual(NOTHING_LEFT);
    },
    240_000,
  );

  it.runIf(part.run)(
    'is listed as interrupted after each kill, and clean-up leaves nothing',
    () => killAtEach(boundaries),
    1_800_000,
  );

  it.runIf(part.run)(
    'cleans up a multi-frontend deployment killed at each minion boundary',
    async () => {
      const c = await config(null, 2);
      const r = await runChild(child.file, [JSON.stringify(c)], child.env, { timeoutMs: 240_000 });
      expect(r.stdout, r.stderr).toMatch(/DONE deployed/);
      const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
      const minionWrites = [...r.stdout.matchAll(/^W (\d+) (\S+)$/gm)]
        .map((m) => ({
          n: Number(m[1]),
          label: m[2]!
            .replaceAll(id, '<id>')
            .replaceAll(c.name!, '<name>')
            .replace(/-minion-\d+/g, '-minion-<port>'),
        }))
        .filter((w) => /minion/.test(w.label) || w.label === 'step:verify-frontends:running');
      // Each minion container intended and created, and the verification step.
      expect(minionWrites.length).toBeGreaterThanOrEqual(5);
      await world.runner.destroy(id);
      expect((await leftovers(id, c.name!)).containers).toEqual([]);
      await killAtEach(minionWrites, 2);
    },
    1_800_000,
  );
});

/** Kills a child at each boundary; a fresh app then lists it interrupted and cleans up every trace. */
async function killAtEach(bounds: Array<{ n: number; label: string }>, minions = 0): Promise<void> {
  for (const b of bounds) {
    const c = await config(b.n, minions);
    const r = await runChild(child.file, [JSON.stringify(c)], child.env, {
      killWhen: /BOUNDARY \d+/,
      timeoutMs: 180_000,
    });
    const id = /PLANNED (\S+)/.exec(r.stdout)?.[1];
    // A fresh app over the same data dir: the connections file changed behind the old manager's back.
    const fresh = dockerWorld({
      dataDir: join(root, 'data'),
      engine: bed.engine.ref,
      release: bed.release,
      secrets: vault,
      extraFiles: runtime.extraFiles,
    });
    let cleaned = false;
    try {
      expect(r.killed, `${b.label}: ${r.stdout}${r.stderr}`).toBe(true);
      expect(id).toBeDefined();
      if (!id) return;
      // Minion ports are free ports of each run: the boundary is the same write, not the same port.
      expect(
        r.stdout
          .replaceAll(id, '<id>')
          .replaceAll(c.name!, '<name>')
          .replace(/-minion-\d+/g, '-minion-<port>'),
      ).toContain(`BOUNDARY ${b.n} ${b.label}`);
      const interrupted = await fresh.runner.interrupted();
      expect(
        interrupted.map((j) => j.id),
        b.label,
      ).toEqual([id]);
      const outcome = await fresh.runner.cleanup(id);
      cleaned = true;
      expect(
        outcome.filter((o) => !o.ok),
        b.label,
      ).toEqual([]);
      expect(await leftovers(id, c.name!, fresh), `after a kill at ${b.label}`).toEqual(NOTHING_LEFT);
    } finally {
      // A failed assertion must not leave this round's containers behind for the next tests.
      if (id && !cleaned) await fresh.runner.cleanup(id).catch(() => undefined);
      await fresh.close();
    }
  }
}
