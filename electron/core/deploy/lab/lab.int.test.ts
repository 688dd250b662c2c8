/**
 * The local lab end to end on this machine: the release for this OS/arch (the simulator launcher in
 * CI; by hand a real Velociraptor, MEGARAPTOR_REAL_VELOCIRAPTOR=/path) from a local HTTPS release
 * server, signed by a key gpg made for the run → identities → lab folder → `user add` → `frontend` and
 * `client` as detached processes → API over mTLS as the registered identity → GUI login → the client
 * enrolled, seen through the API → connection. Then a query through the app's connection, and destroy:
 * no process, file, secret, connection or journal left. The deploying process killed after each of
 * its journal writes (every step boundary, every resource before and after it is made): the restarted
 * app lists it, and clean-up leaves no process, file, keychain entry, journal or connection.
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

  it('is listed after a kill at every journal write, and clean-up leaves nothing', async () => {
    const release = { url: releases.url, caPem: releases.caPem, key: signer.key };
    const configFor = (name: string, stopAt: number | null): LabCrashChildConfig => {
      const dataDir = join(root, name);
      return {
        dataDir,
        vaultPath: join(dataDir, 'vault.json'),
        vaultPassphrase: 'lab-crash-passphrase',
        release,
        stopAt,
      };
    };
    /** What a lab run can leave behind: processes, files, keychain entries, journals, the connection. */
    const leftovers = async (
      c: LabCrashChildConfig,
      id: string,
      secrets: Awaited<ReturnType<typeof openVault>>,
    ) => ({
      processes: await processesUnder(join(c.dataDir, 'labs', id)),
      labs: await readdir(join(c.dataDir, 'labs')).catch(() => []),
      secrets: (await secrets.listRefs()).filter((x) => x.startsWith('deploy:')),
      journals: (await readdir(join(c.dataDir, 'deployments')).catch(() => [])).filter((f) =>
        f.endsWith('.json'),
      ),
      connection: (await readFile(join(c.dataDir, 'connections.json'), 'utf8').catch(() => '')).includes(
        '"lab-crash"',
      ),
    });
    const NOTHING = { processes: [], labs: [], secrets: [], journals: [], connection: false };

    // One full run names every journal write (heartbeats aside); each one up to the deployment's end
    // is a kill point (after `state:deployed` nothing is unfinished). Labels name the deployment and
    // its folder, which differ per run: compared without them.
    const full = configFor('crash-full', null);
    const r = await runChild(child.file, [JSON.stringify(full)], child.env, { timeoutMs: 180_000 });
    expect(r.stdout, r.stderr).toMatch(/DONE deployed \d+/);
    const fullId = /PLANNED (\S+)/.exec(r.stdout)![1]!;
    const general = (label: string, c: LabCrashChildConfig, id: string) =>
      label.replaceAll(c.dataDir, '<data>').replaceAll(id, '<id>');
    const writes = [...r.stdout.matchAll(/^WRITE (\d+) (.+)$/gm)].map((m) => ({
      n: Number(m[1]),
      label: general(m[2]!, full, fullId),
    }));
    const end = writes.findIndex((w) => w.label === 'state:deployed');
    expect(end).toBeGreaterThan(0);
    const points = writes.slice(0, end);
    {
      const secrets = await openVault(full.vaultPath, full.vaultPassphrase);
      const world = labWorld({ dataDir: full.dataDir, secrets, release });
      try {
        expect((await world.runner.destroy(fullId)).filter((x) => !x.ok)).toEqual([]);
      } finally {
        await world.close();
      }
      expect(await leftovers(full, fullId, secrets)).toEqual(NOTHING);
    }
    // Every step's start and end, and every resource before and after it is made, are among them.
    const labels = points.map((p) => p.label);
    for (const step of ['binary', 'identity', 'files', 'register', 'server', 'client', 'connect'])
      for (const at of ['running', 'done']) expect(labels).toContain(`step:${step}:${at}`);
    for (const made of [
      'secret:deploy:<id>:ca',
      'local-file:<data>/labs/<id>/server.config.yaml',
      'process:<data>/labs/<id>/server.pid',
      'process:<data>/labs/<id>/client.pid',
      'connection:lab-crash',
    ])
      for (const at of ['intended', 'created']) expect(labels).toContain(`resource:${made}:${at}`);
    expect(points.length).toBeGreaterThanOrEqual(20);
    console.log(`lab: ${writes.length} journal writes, a kill at each of the first ${points.length}`);

    for (const point of points) {
      const config = configFor(`crash-${point.n}`, point.n);
      const killed = await runChild(child.file, [JSON.stringify(config)], child.env, {
        killWhen: /BOUNDARY \d+/,
        timeoutMs: 180_000,
      });
      const id = /PLANNED (\S+)/.exec(killed.stdout)![1]!;
      const boundary = /^BOUNDARY \d+ (.+)$/m.exec(killed.stdout)?.[1];
      expect([point.label, killed.killed, boundary && general(boundary, config, id)]).toEqual([
        point.label,
        true,
        point.label,
      ]);

      // A fresh app over the data dir the dead process left.
      const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
      const world = labWorld({ dataDir: config.dataDir, secrets, release });
      try {
        expect([point.label, (await world.runner.interrupted()).map((j) => j.id)]).toEqual([
          point.label,
          [id],
        ]);
        const removed = await world.runner.cleanup(id);
        expect([point.label, removed.filter((x) => !x.ok)]).toEqual([point.label, []]);
      } finally {
        await world.close();
      }
      expect([point.label, await leftovers(config, id, secrets)]).toEqual([point.label, NOTHING]);
      await rm(config.dataDir, { recursive: true, force: true });
    }
  }, 1_800_000);
});
