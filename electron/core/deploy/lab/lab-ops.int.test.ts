/**
 * Operations on a real local lab (the simulator as the Velociraptor binary, from a signed local
 * release), through the DeploymentService the app builds:
 * - certificates with a fake clock: deployed "6.5 days ago" with 7-day certificates, the tracker
 *   says a day is left, the app renews them by itself under the keychain's CA keeping the keys, and
 *   over mTLS the server then serves the renewed certificate (same key, new dates); the app's
 *   connection keeps working;
 * - evidence: every flow and hunt exported as zips whose manifest SHA-256s match the files, then a
 *   destroy that exports first and leaves nothing;
 * - self-destruction across a restart: a rapid lab past its time, the deploying service gone, and a
 *   NEW PROCESS (`megaraptor deployments reap`, the built CLI) reads the journal and reaps it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { keyringSession } from '../../../../test/real-parts';
import { keychainStoreFor } from '../../credentials/index';
import { MemorySecretStore } from '../../credentials/memory-store';
import type { SecretStore } from '../../credentials/secret-store';
import { build, vql } from '../../velociraptor/vql/builder';
import { VelociraptorService } from '../../velociraptor/service';
import { describePlatform, hostPlatform } from '../releases/assets';
import { identitySecrets, loadAdminPassword } from '../server-identity';
import { PROJECT_ROOT } from '../testing/bundle';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { servedCertificate } from '../testing/served-certificate';
import { serviceWorld } from '../testing/service-world';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../testing/ssh-world';
import { verifyGui } from '../verify';
import { alive } from './processes';

const run = promisify(execFile);
const DAY = 86_400_000;
const ASSET = `velociraptor-v0.77.2-${describePlatform(hostPlatform())}`;
const keyring = keyringSession();

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function identity(secrets: SecretStore, id: string) {
  const refs = identitySecrets(id);
  const ca = JSON.parse((await secrets.get(refs.ca.id))!) as { certificatePem: string };
  const api = JSON.parse((await secrets.get(refs.apiIdentity.id))!) as {
    certificatePem: string;
    privateKeyPem: string;
  };
  return { ca: ca.certificatePem, cert: api.certificatePem, key: api.privateKeyPem };
}

describe('operations on a local lab', () => {
  let signer: TestSigner;
  let releases: ReleaseServer;
  let root: string;
  let cli: string;
  let release: { url: string; caPem: string; key: TestSigner['key'] };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'megaraptor-lab-ops-'));
    signer = await makeTestSigner();
    cli = await buildCli(join(root, 'megaraptor.mjs'));
    const bin = await testServerBinary(cli);
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [ASSET]: bin.data }, (d) => signer.sign(d)),
    ]);
    release = { url: releases.url, caPem: releases.caPem, key: signer.key };
  }, 240_000);

  afterAll(async () => {
    await releases?.close();
    await signer?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('renews certificates by itself before they end; the server then serves the renewed one', async () => {
    const dataDir = join(root, 'renew');
    const secrets: SecretStore = keyring.ready ? keychainStoreFor(dataDir) : new MemorySecretStore();
    const world = serviceWorld({ dataDir, secrets, release });
    const s = world.service;
    try {
      // Deployed "6.5 days ago" with 7-day certificates.
      world.shift(-6.5 * DAY);
      const plan = await s.plan('lab', {
        name: 'renew-lab',
        profile: 'standard',
        overrides: { certificates: { caDays: 60, serverDays: 7, apiDays: 7 } },
        settings: { binary: { kind: 'release', tag: SSH_TEST_TAG } },
      });
      const out = await s.deploy(plan);
      world.shift(0);
      const id = plan.deploymentId;
      const endpoint = String(out.journal.outputs.apiEndpoint);

      const before = await s.status(id);
      expect(before.health?.ok).toBe(true);
      const levels = Object.fromEntries(before.deployment.certificates.map((c) => [c.role, c.level]));
      expect(levels).toEqual({ frontend: 'within-1d', gateway: 'within-1d', api: 'within-1d', ca: 'ok' });
      expect(before.deployment.notices.filter((n) => n.level === 'critical')).toHaveLength(3);
      const old = await servedCertificate(endpoint, await identity(secrets, id));
      expect(Math.abs(old.validTo.getTime() - (Date.now() + 0.5 * DAY))).toBeLessThan(10 * 60_000);

      // The app's own pass (what its watch runs): due certificates renewed, keys kept.
      const renewed = await s.renewDue();
      expect(renewed, JSON.stringify(renewed)).toEqual([
        { id, name: 'renew-lab', ok: true, message: expect.any(String) },
      ]);

      const now = await servedCertificate(endpoint, await identity(secrets, id));
      expect(now.publicKey).toBe(old.publicKey);
      expect(now.fingerprint256).not.toBe(old.fingerprint256);
      expect(Math.abs(now.validTo.getTime() - (Date.now() + 7 * DAY))).toBeLessThan(10 * 60_000);
      const after = await s.status(id);
      expect(after.health?.ok).toBe(true);
      expect(Date.parse(String(after.deployment.outputs.frontendCertNotAfter))).toBe(now.validTo.getTime());
      expect(after.deployment.certificates.find((c) => c.role === 'api')?.level).toBe('within-7d');
      expect(after.deployment.operations.at(-1)).toMatchObject({ kind: 'renew-certificates', state: 'done' });
      expect(after.deployment.notices.filter((n) => n.level === 'critical')).toEqual([]);

      // The app's connection uses the renewed identity; the GUI still takes the admin's password.
      await world.connections.service({ server: 'renew-lab', org: '' });
      const conn = world.connections.registry.connection('renew-lab');
      expect((await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows).toEqual([
        { User: 'megaraptor-app' },
      ]);
      await verifyGui(
        String(after.deployment.outputs.guiUrl),
        (await identity(secrets, id)).ca,
        'admin',
        await loadAdminPassword(secrets, id),
      );

      // A restart is done when the new process answers as the registered identity, not when the
      // ports are open (the real binary's listeners can outlive the stop by a moment).
      const restarted = await s.restart(id);
      expect(restarted.operation).toMatchObject({
        state: 'done',
        steps: ['restart-restart', 'restart-verify-api'],
      });

      // Evidence before destruction: every flow and hunt, zips + manifest whose SHA-256s match.
      const svc = new VelociraptorService(conn);
      const clientId = String(out.journal.outputs.labClientId);
      const flow = await svc.collectAndWait(
        { clientId, artifacts: ['Generic.Client.Info'], urgent: true },
        { timeoutMs: 60_000, pollMs: 200 },
      );
      const hunt = await svc.createHunt({ description: 'lab evidence', artifacts: ['Generic.Client.Info'] });
      const huntCount = (await svc.listHunts({ limit: 10_000 })).length;
      const folder = join(root, 'evidence');
      const destroyed = await s.destroy(id, { exportTo: folder });
      const evidence = destroyed.evidence!;
      expect(evidence.failures).toEqual([]);
      // The simulator's frontend serves its seeded fleet too: every flow and hunt is there, ours included.
      const paths = evidence.files.map((f) => f.path);
      expect(paths).toContain(`flows/${clientId}/${flow.flowId}.zip`);
      expect(paths).toContain(`hunts/${hunt.huntId}.zip`);
      expect(paths.filter((p) => p.startsWith('hunts/'))).toHaveLength(huntCount);
      const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as {
        files: Array<{ path: string; sha256: string; bytes: number }>;
      };
      for (const f of manifest.files) {
        expect(await sha256(join(folder, f.path))).toBe(f.sha256);
        expect((await readFile(join(folder, f.path))).subarray(0, 2).toString()).toBe('PK');
      }
      const sums = (await readFile(join(folder, 'SHA256SUMS'), 'utf8')).trim().split('\n');
      expect(sums.sort()).toEqual(manifest.files.map((f) => `${f.sha256}  ${f.path}`).sort());

      expect(destroyed.removed.filter((r) => !r.ok)).toEqual([]);
      expect(await readdir(join(dataDir, 'labs'))).toEqual([]);
      expect((await s.list()).deployments).toEqual([]);
    } finally {
      await world.close();
    }
  }, 300_000);

  it(`has ${keyring.name} for the restart test (required in CI)`, () => keyring.check());

  it.runIf(keyring.run)(
    'is reaped past its time by a new process reading the journal (megaraptor deployments reap)',
    async () => {
      const dataDir = join(root, 'reap');
      const secrets = keychainStoreFor(dataDir);
      const world = serviceWorld({ dataDir, secrets, release });
      let pids: number[] = [];
      let id = '';
      try {
        // Deployed "2 hours ago" with a 1-hour life: its time has passed.
        world.shift(-2 * 3_600_000);
        const plan = await world.service.plan('lab', {
          name: 'rapid-lab',
          profile: 'rapid',
          overrides: { autoDestroyHours: 1 },
          settings: { binary: { kind: 'release', tag: SSH_TEST_TAG }, client: false },
        });
        const out = await world.service.deploy(plan);
        id = plan.deploymentId;
        expect(Date.parse(out.journal.autoDestroyAt!)).toBeLessThan(Date.now());
        pids = out.journal.resources.filter((r) => r.kind === 'process').map((r) => Number(r.facts?.pid));
        expect(pids.every(alive)).toBe(true);
      } finally {
        await world.close();
      }
      const r = await run(process.execPath, [cli, 'deployments', 'reap', '--no-export', '--json'], {
        // The bundle sits in a temp dir: the keychain's native addon resolves from the project.
        env: { ...process.env, MEGARAPTOR_DATA_DIR: dataDir, NODE_PATH: join(PROJECT_ROOT, 'node_modules') },
        timeout: 120_000,
      }).catch((e: { stdout?: string; stderr?: string; code?: number }) => {
        throw new Error(`reap exited ${e.code}: ${e.stdout ?? ''}${e.stderr ?? ''}`);
      });
      const outcomes = (JSON.parse(r.stdout) as { outcomes: Array<{ id: string; outcome: string }> })
        .outcomes;
      expect(outcomes).toEqual([expect.objectContaining({ id, outcome: 'destroyed' })]);
      expect(pids.some(alive)).toBe(false);
      expect(await readdir(join(dataDir, 'labs'))).toEqual([]);
      for (const ref of Object.values(identitySecrets(id))) expect(await secrets.get(ref.id)).toBeUndefined();
      expect((await readdir(join(dataDir, 'deployments'))).filter((f) => f.endsWith('.json'))).toEqual([]);
    },
    300_000,
  );
});
