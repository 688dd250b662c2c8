/**
 * The crash test both clouds run (aws-crash.int.test.ts, azure-crash.int.test.ts): one full run of the
 * child names every journal write; then the child is SIGKILLed at each step's start and just before
 * and after each cloud resource is asked for. After each kill a fresh runner in this process must list
 * the deployment as interrupted and clean it up to nothing (`leftovers` equal to `nothing`); one kill
 * point (the boot) resumes instead and must end deployed, then destroy to nothing.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TrustedKey } from '../releases/signature';
import type { BundledScript } from './bundle';
import { runChild } from './child-run';
import { cloudWorld, type CloudCrashChildConfig } from './cloud-world';
import { openVault } from './vault';

type World = ReturnType<typeof cloudWorld>;
type Vault = Awaited<ReturnType<typeof openVault>>;

/** The fields of a crash round that are the same on every cloud. */
export function crashRound(
  root: string,
  name: string,
  release: { url: string; caPem: string; key: TrustedKey },
) {
  return {
    dataDir: join(root, name),
    vaultPath: join(root, name, 'vault.json'),
    vaultPassphrase: 'crash-test-passphrase',
    vmRoot: join(root, 'vm'),
    release,
    stopAt: null,
  };
}

/** A fresh app "after the restart" on the same data dir. */
async function restart(config: CloudCrashChildConfig): Promise<{ world: World; secrets: Vault }> {
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  return { world: cloudWorld(config, secrets), secrets };
}

export async function killAtEachStep(o: {
  child: BundledScript;
  round: (name: string) => Promise<CloudCrashChildConfig>;
  leftovers: (world: World, secrets: Vault, deploymentId: string) => Promise<unknown>;
  nothing: unknown;
  /** The journal writes of the cloud's resources to kill at. */
  resourceWrites: RegExp;
  /** Kill points the run must have (labels or matchers). */
  mustKillAt: unknown[];
}): Promise<void> {
  const full = await o.round('full');
  const r = await runChild(o.child.file, [JSON.stringify(full)], o.child.env, { timeoutMs: 240_000 });
  expect(r.stdout).toMatch(/DONE deployed \d+/);
  const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
  const after = await restart(full);
  expect((await after.world.runner.destroy(id)).filter((x) => !x.ok)).toEqual([]);
  await expect
    .poll(() => o.leftovers(after.world, after.secrets, id), { timeout: 10_000 })
    .toEqual(o.nothing);
  await after.world.close();

  const writes = [...r.stdout.matchAll(/^WRITE (\d+) (.+)$/gm)].map((m) => ({
    n: Number(m[1]),
    label: m[2]!,
  }));
  const points = writes.filter(
    (w) => /^step:[a-z-]+:running$/.test(w.label) || o.resourceWrites.test(w.label),
  );
  expect(points.map((p) => p.label)).toEqual(expect.arrayContaining(o.mustKillAt));
  console.log(`${writes.length} journal writes; killing at ${points.length} of them`);
  const resumeAt = points.find((p) => p.label === 'step:boot:running')?.n;

  for (const point of points) {
    const config = { ...(await o.round(`kill-${point.n}`)), stopAt: point.n };
    const killed = await runChild(o.child.file, [JSON.stringify(config)], o.child.env, {
      killWhen: /BOUNDARY \d+/,
      timeoutMs: 240_000,
    });
    expect([point.label, killed.killed]).toEqual([point.label, true]);
    const deploymentId = /PLANNED (\S+)/.exec(killed.stdout)![1]!;

    const app = await restart(config);
    try {
      const interrupted = await app.world.runner.interrupted();
      expect([point.label, interrupted.map((j) => j.id)]).toEqual([point.label, [deploymentId]]);
      if (point.n === resumeAt) {
        const out = await app.world.runner.resume(deploymentId);
        expect([point.label, out.journal.state, out.journal.outputs.connectionName]).toEqual([
          point.label,
          'deployed',
          'crash',
        ]);
        expect((await app.world.runner.destroy(deploymentId)).filter((x) => !x.ok)).toEqual([]);
      } else {
        const removed = await app.world.runner.cleanup(deploymentId);
        expect([point.label, removed.filter((x) => !x.ok)]).toEqual([point.label, []]);
      }
      await expect
        .poll(async () => [point.label, await o.leftovers(app.world, app.secrets, deploymentId)], {
          timeout: 10_000,
        })
        .toEqual([point.label, o.nothing]);
    } finally {
      await app.world.close();
    }
  }
}
