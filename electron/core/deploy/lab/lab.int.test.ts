/**
 * The local lab end to end on this machine: the release for this OS/arch (the simulator launcher in
 * CI; by hand a real Velociraptor, MEGARAPTOR_REAL_VELOCIRAPTOR=/path) from a local HTTPS release
 * server, signed by a key gpg made for the run → identities → lab folder → `user add` → `frontend` and
 * `client` as detached processes → API over mTLS as the registered identity → GUI login → the client
 * enrolled, seen through the API → connection. Then a query through the app's connection, and destroy:
 * no process, file, secret, connection or journal left. A crash of the deploying process after the
 * server started: the restarted app lists it, and clean-up ends the orphaned processes.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { keychainStoreFor } from '../../credentials/index';
import { MemorySecretStore } from '../../credentials/memory-store';
import type { SecretStore } from '../../credentials/secret-store';
import { build, vql } from '../../velociraptor/vql/builder';
import { describePlatform, hostPlatform } from '../releases/assets';
import { identitySecrets } from '../server-identity';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { runChild } from '../testing/child-run';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../testing/ssh-world';
import { openVault } from '../testing/vault';
import { labWorld } from '../testing/lab-world';
import type { LabCrashChildConfig } from '../testing/lab-crash-child';
import { alive } from './processes';

const inKeyringSession = process.env.MEGARAPTOR_TEST_KEYRING === '1';
const ASSET = `velociraptor-v0.77.2-${describePlatform(hostPlatform())}`;

/** Processes whose command line names the folder. */
async function processesUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dir)) out.push(Number(pid));
  }
  return out;
}

describe('the local lab on this machine', () => {
  let signer: TestSigner;
  let releases: ReleaseServer;
  let root: string;
  let real = false;
  let child: BundledScript;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'megaraptor-lab-int-'));
    signer = await makeTestSigner();
    child = await bundleScript(join(__dirname, '..', 'testing', 'lab-crash-child.ts'));
    const bin = await testServerBinary(await buildCli(join(root, 'megaraptor.mjs')));
    real = bin.real;
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [ASSET]: bin.data }, (d) => signer.sign(d)),
    ]);
  }, 240_000);

  afterAll(async () => {
    await releases?.close();
    await signer?.cleanup();
    await child?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('deploys with one call, answers queries, enrols a client, and is removed without a trace', async () => {
    const dataDir = join(root, 'data');
    const secrets: SecretStore = inKeyringSession ? keychainStoreFor(dataDir) : new MemorySecretStore();
    const world = labWorld({
      dataDir,
      secrets,
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
    });
    // Another server's metrics port (Velociraptor's 8003) is taken: the lab's goes elsewhere.
    const blocker = createServer();
    await new Promise<void>((resolve) => {
      blocker.once('error', () => resolve()); // taken already: the same case
      blocker.listen(8003, '127.0.0.1', () => resolve());
    });
    try {
      // One click: the tag and nothing else (ports: the defaults when free, else free ones).
      const plan = await world.runner.plan('lab', {
        name: 'lab',
        profile: 'standard',
        settings: { binary: { kind: 'release', tag: SSH_TEST_TAG } },
      });
      expect(plan.steps.map((s) => s.id)).toEqual([
        'binary',
        'identity',
        'files',
        'register',
        'server',
        'client',
        'verify-api',
        'verify-gui',
        'verify-client',
        'connect',
      ]);
      const t0 = Date.now();
      const out = await world.runner.deploy(plan);
      console.log(
        `lab deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s${real ? ' (real Velociraptor)' : ''}`,
      );
      expect(out.journal.state).toBe('deployed');
      const labDir = String(out.journal.outputs.labDir);
      expect((await stat(labDir)).mode & 0o777).toBe(0o700);
      expect((await stat(join(labDir, 'server.config.yaml'))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(labDir, 'server.config.yaml'), 'utf8')).not.toMatch(
        /CA:\s*\n\s*private_key/,
      );
      const monitoring = (plan.settings as { monitoringPort: number }).monitoringPort;
      expect(monitoring).not.toBe(8003);
      expect(
        (parse(await readFile(join(labDir, 'server.config.yaml'), 'utf8')) as { Monitoring: unknown })
          .Monitoring,
      ).toEqual({ bind_address: '127.0.0.1', bind_port: monitoring });
      // The real frontend serves its metrics there (the simulator has no metrics listener).
      if (real) expect((await fetch(`http://127.0.0.1:${monitoring}/metrics`)).status).toBe(200);
      const procs = out.journal.resources.filter((r) => r.kind === 'process');
      expect(procs).toHaveLength(2);
      for (const p of procs) expect(alive(Number(p.facts?.pid))).toBe(true);
      expect(out.journal.outputs.labClientId).toMatch(/^C\./);

      // Through the app's connection: the identity we registered, and the client of this machine.
      await world.connections.service({ server: 'lab', org: '' });
      const conn = world.connections.registry.connection('lab');
      expect((await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows).toEqual([
        { User: 'megaraptor-app' },
      ]);
      const clients = (await conn.queryRows(build(vql`SELECT client_id FROM clients()`))).rows as Array<{
        client_id: string;
      }>;
      expect(clients.map((c) => c.client_id)).toContain(out.journal.outputs.labClientId);

      const removed = await world.runner.destroy(plan.deploymentId);
      expect(removed.filter((r) => !r.ok)).toEqual([]);
      for (const p of procs) expect(alive(Number(p.facts?.pid))).toBe(false);
      expect(await processesUnder(labDir)).toEqual([]);
      expect(await readdir(join(dataDir, 'labs'))).toEqual([]);
      for (const r of Object.values(identitySecrets(plan.deploymentId)))
        expect(await secrets.get(r.id)).toBeUndefined();
      expect((await world.connections.list()).connections.map((c) => c.name)).not.toContain('lab');
      expect(await readdir(world.journals.dir)).toEqual([]);
    } finally {
      blocker.close();
      await world.close();
    }
  }, 300_000);

  it('after a crash with the server and client running: listed at restart, clean-up ends them', async () => {
    for (const at of ['resource:process', 'step:client:done', 'step:verify-api:running']) {
      const dataDir = join(root, `crash-${at.replace(/[^a-z-]/g, '')}`);
      const config: LabCrashChildConfig = {
        dataDir,
        vaultPath: join(dataDir, 'vault.json'),
        vaultPassphrase: 'lab-crash-passphrase',
        release: { url: releases.url, caPem: releases.caPem, key: signer.key },
        stopAtLabel: at,
      };
      const r = await runChild(child.file, [JSON.stringify(config)], child.env, {
        killWhen: /BOUNDARY /,
        timeoutMs: 180_000,
      });
      expect([at, r.killed, r.stdout]).toEqual([at, true, expect.stringContaining('BOUNDARY')]);
      const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
      const labDir = join(dataDir, 'labs', id);
      expect((await processesUnder(labDir)).length).toBeGreaterThan(0);

      const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
      const world = labWorld({ dataDir, secrets, release: config.release });
      try {
        expect((await world.runner.interrupted()).map((j) => j.id)).toEqual([id]);
        const removed = await world.runner.cleanup(id);
        expect([at, removed.filter((x) => !x.ok)]).toEqual([at, []]);
        expect([at, await processesUnder(labDir)]).toEqual([at, []]);
        expect(await readdir(join(dataDir, 'labs'))).toEqual([]);
        expect((await secrets.listRefs()).filter((x) => x.startsWith('deploy:'))).toEqual([]);
        expect((await readdir(world.journals.dir)).filter((f) => f.endsWith('.json'))).toEqual([]);
      } finally {
        await world.close();
      }
    }
  }, 600_000);
});
