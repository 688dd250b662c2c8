/**
 * Crash tests of the journal and runner: a real child process deploys and is SIGKILLed after each of
 * its journal writes in turn (every step boundary and every resource before/after it is made). After
 * each kill, a fresh runner in this process must list the deployment as interrupted, and clean-up
 * must leave nothing — no file, no secret, no journal. A second round resumes instead and must end
 * deployed with every resource present. The target is the test double FileDeployer (real files, a
 * real file vault); the Docker target runs the same kills in docker/docker-crash.int.test.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalStore } from './journal';
import { DeploymentRunner } from './runner';
import { bundleScript, type BundledScript } from './testing/bundle';
import { runChild } from './testing/child-run';
import type { CrashChildConfig } from './testing/crash-child';
import { openVault } from './testing/vault';
import { FileDeployer } from './testing/file-deployer';

let child: BundledScript;
let root: string;
beforeAll(async () => {
  child = await bundleScript(join(__dirname, 'testing', 'crash-child.ts'));
  root = await mkdtemp(join(tmpdir(), 'megaraptor-journal-crash-'));
});
afterAll(async () => {
  await child?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
});

async function world(name: string) {
  const dir = join(root, name);
  const config: Omit<Extract<CrashChildConfig, { target: 'files' }>, 'stopAt' | 'mode'> = {
    journalDir: join(dir, 'deployments'),
    vaultPath: join(dir, 'vault.json'),
    vaultPassphrase: 'crash-test-passphrase',
    target: 'files',
    settings: { dir: join(dir, 'target'), filesPerStep: 2 },
  };
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  const runner = new DeploymentRunner({
    journals: new JournalStore(config.journalDir),
    secrets,
    deployers: [new FileDeployer()],
  });
  const left = async () => ({
    files: await readdir(config.settings.dir).catch(() => []),
    secrets: await secrets.listRefs(),
    journals: (await readdir(config.journalDir).catch(() => [])).filter((f) => f.endsWith('.json')),
  });
  return { config, runner, left };
}

async function boundaries(): Promise<number> {
  const w = await world('count');
  const r = await runChild(
    child.file,
    [JSON.stringify({ ...w.config, stopAt: null, mode: 'deploy' })],
    child.env,
  );
  const m = /DONE deployed (\d+)/.exec(r.stdout);
  expect(m, r.stdout + r.stderr).not.toBeNull();
  return Number(m![1]);
}

describe('a deploy process killed at each step boundary', () => {
  let total = 0;
  it('has at least 20 boundaries', async () => {
    total = await boundaries();
    expect(total).toBeGreaterThanOrEqual(20);
  });

  it('is listed as interrupted at restart, and clean-up leaves nothing', async () => {
    for (let n = 1; n <= total; n++) {
      const w = await world(`cleanup-${n}`);
      const r = await runChild(
        child.file,
        [JSON.stringify({ ...w.config, stopAt: n, mode: 'deploy' })],
        child.env,
        {
          killWhen: /BOUNDARY \d+/,
        },
      );
      expect(r.killed, `boundary ${n}: ${r.stdout}${r.stderr}`).toBe(true);
      const id = /PLANNED (\S+)/.exec(r.stdout)?.[1];
      const label = /BOUNDARY \d+ (\S+)/.exec(r.stdout)?.[1];
      const interrupted = await w.runner.interrupted();
      if (label === 'state:deployed' || label === 'release') {
        // Killed after it was recorded as deployed: a finished deployment, destroyed as usual.
        expect(interrupted, `boundary ${n}`).toEqual([]);
        await w.runner.destroy(id!);
      } else {
        // Even the very first write (the plan, before an owner is recorded) is an interrupted deployment.
        expect(
          interrupted.map((j) => j.id),
          `boundary ${n} (${label})`,
        ).toEqual([id]);
        await w.runner.cleanup(id!);
      }
      expect(await w.left(), `boundary ${n} (${label})`).toEqual({
        files: [],
        secrets: [],
        journals: [],
      });
    }
  }, 300_000);

  it('can be resumed from where it stopped, ending deployed with every resource', async () => {
    for (let n = 1; n <= total - 2; n += 3) {
      const w = await world(`resume-${n}`);
      const r = await runChild(
        child.file,
        [JSON.stringify({ ...w.config, stopAt: n, mode: 'deploy' })],
        child.env,
        {
          killWhen: /BOUNDARY \d+/,
        },
      );
      const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
      const resumed = await runChild(
        child.file,
        [JSON.stringify({ ...w.config, stopAt: null, mode: 'resume', deploymentId: id })],
        child.env,
      );
      expect(resumed.stdout, `boundary ${n}: ${resumed.stderr}`).toMatch(/DONE deployed/);
      const left = await w.left();
      expect(left.files, `boundary ${n}`).toHaveLength(6);
      expect(left.secrets, `boundary ${n}`).toHaveLength(2);
      const journal = (await w.runner.interrupted()).length;
      expect(journal).toBe(0);
      await w.runner.destroy(id);
      expect(await w.left()).toEqual({ files: [], secrets: [], journals: [] });
    }
  }, 300_000);
});
