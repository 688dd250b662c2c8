/**
 * Operations on a Linux host over SSH against a real OpenSSH sshd (the recording service manager runs
 * the unit's process; no systemd here), through the DeploymentService: with a fake clock the server
 * was deployed "6.5 days ago" with 7-day certificates; renewal goes over SFTP (the config, 0600,
 * owned by the service user) and a service restart, and through an SSH tunnel (the API listens on the
 * host's loopback only) the server then serves the renewed certificate; health, logs, restart, and the
 * evidence export through the same tunnel; and a legal hold, which stops and disables the host's
 * self-destruction timer (the recording manager's timer then never fires) until it is lifted — after
 * the deployment's time, so the timer is armed again an hour after the lift and fires then.
 */
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { keychainStoreFor } from '../../credentials/index';
import { MemorySecretStore } from '../../credentials/memory-store';
import type { SecretStore } from '../../credentials/secret-store';
import { identitySecrets } from '../server-identity';
import { DeploymentService } from '../service';
import { openSsh } from '../ssh/connect';
import { RemoteFiles } from '../ssh/remote-files';
import { SMALL } from '../testing/docker-world';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { servedCertificate } from '../testing/served-certificate';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  type ClientKeys,
  type SshdHost,
} from '../testing/sshd-host';
import {
  hostSettings,
  makeSkeleton,
  signedRelease,
  SSH_TEST_ASSET,
  SSH_TEST_TAG,
  sshWorld,
  testServerBinary,
  type SshWorld,
} from '../testing/ssh-world';
import { hostLayout } from './layout';
import { sshHostPlan } from './ssh-host-deployer';
import { SshHostOperations } from './operations';

const hosts = sshdHosts();
const DAY = 86_400_000;
const HOUR = 3_600_000;

it(`has ${hosts.name} (required in CI)`, () => hosts.check());

describe.runIf(hosts.run)('operations on a Linux host over SSH', () => {
  let keys: ClientKeys;
  let signer: TestSigner;
  let releases: ReleaseServer;
  let root: string;
  let host: SshdHost;
  let secrets: SecretStore;
  let world: SshWorld;
  let service: DeploymentService;
  let offset = 0;
  let realBinary = false;

  beforeAll(async () => {
    keys = await makeClientKeys();
    root = await mkdtemp(join(tmpdir(), 'megaraptor-ssh-ops-'));
    await chmod(root, 0o755);
    host = await startSshdHost(keys);
    await makeSkeleton(host.prefix);
    signer = await makeTestSigner();
    const server = await testServerBinary(await buildCli(join(root, 'megaraptor.mjs')));
    realBinary = server.real;
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [SSH_TEST_ASSET]: server.data }, (d) => signer.sign(d)),
    ]);
    const dataDir = join(root, 'data');
    secrets =
      process.env.MEGARAPTOR_TEST_KEYRING === '1' ? keychainStoreFor(dataDir) : new MemorySecretStore();
    const clock = () => new Date(Date.now() + offset);
    world = await sshWorld({
      dataDir,
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
      secrets,
      hosts: [host],
      clock,
    });
    service = new DeploymentService({
      dataDir,
      secrets: () => Promise.resolve(secrets),
      connections: world.connections,
      clock,
      targets: () => [
        { deployer: world.deployer, operations: new SshHostOperations({ deployer: world.deployer, clock }) },
      ],
    });
  }, 240_000);

  afterAll(async () => {
    await service?.dispose();
    await world?.close();
    await releases?.close();
    await signer?.cleanup();
    await host?.stop();
    await keys?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('renews over SFTP and a service restart; through the tunnel the server serves the renewed certificate', async () => {
    offset = -6.5 * DAY;
    const plan = await service.plan('ssh', {
      name: 'ssh-renew',
      profile: 'standard',
      overrides: { ...SMALL, certificates: { caDays: 60, serverDays: 7, apiDays: 7 } },
      settings: await hostSettings(host, {
        username: 'nopass',
        auth: { method: 'key', keyPath: keys.plain },
        sudo: { mode: 'sudo' },
      }),
    });
    await service.deploy(plan);
    offset = 0;
    const id = plan.deploymentId;
    const ssh = sshHostPlan(plan);
    const refs = identitySecrets(id);
    const tls = async () => {
      const ca = JSON.parse((await secrets.get(refs.ca.id))!) as { certificatePem: string };
      const api = JSON.parse((await secrets.get(refs.apiIdentity.id))!) as {
        certificatePem: string;
        privateKeyPem: string;
      };
      return { ca: ca.certificatePem, cert: api.certificatePem, key: api.privateKeyPem };
    };
    const served = async () =>
      world.deployer.reach(ssh, ssh.settings.api.port, false, async (endpoint) =>
        servedCertificate(endpoint, await tls()),
      );

    const before = await service.status(id);
    expect(before.health).toMatchObject({ ok: true, state: 'active' });
    const old = await served();
    expect(Math.abs(old.validTo.getTime() - (Date.now() + 0.5 * DAY))).toBeLessThan(10 * 60_000);

    const configPath = join(host.prefix, 'etc/velociraptor/server.config.yaml');
    const oldConfig = await readFile(configPath, 'utf8');
    const renewed = await service.renewCertificates(id);
    expect(renewed.operation.state).toBe('done');
    const newConfig = await readFile(configPath, 'utf8');
    expect(newConfig).not.toBe(oldConfig);
    expect(newConfig).not.toMatch(/CA:\s*\n\s*private_key/);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    const now = await served();
    expect(now.publicKey).toBe(old.publicKey);
    expect(Math.abs(now.validTo.getTime() - (Date.now() + 7 * DAY))).toBeLessThan(10 * 60_000);
    // The staging folder the delivery used is gone again.
    expect(
      renewed.journal.resources.filter((r) => r.id.includes('/var/tmp/megaraptor-') && r.state !== 'removed'),
    ).toEqual([]);

    expect((await service.restart(id)).operation.state).toBe('done');
    expect((await service.status(id)).health?.ok).toBe(true);
    expect(typeof (await service.logs(id, 20))).toBe('string');

    // Evidence through the tunnel.
    const evidence = await service.exportEvidence(id, join(root, 'ssh-evidence'));
    expect(evidence.failures).toEqual([]);
    // The simulator serves a seeded fleet's flows and hunts; a real server starts with none (the
    // manifest then lists no file, which is right).
    if (!realBinary) expect(evidence.files.length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(join(root, 'ssh-evidence', 'manifest.json'), 'utf8'))).toMatchObject({
      deployment: { id },
      failures: [],
    });

    await service.destroy(id, { exportTo: null });
    expect((await service.list()).deployments).toEqual([]);
  }, 400_000);

  it("a legal hold stops and disables the host's timer: past its time the server runs; lifted, the timer fires an hour later", async () => {
    offset = 0;
    const plan = await service.plan('ssh', {
      name: 'ssh-held',
      profile: 'rapid',
      overrides: { ...SMALL, autoDestroyHours: 2 },
      settings: await hostSettings(host, {
        username: 'nopass',
        auth: { method: 'key', keyPath: keys.plain },
        sudo: { mode: 'sudo' },
      }),
    });
    const out = await service.deploy(plan);
    const id = plan.deploymentId;
    const at = Date.parse(String(out.journal.outputs.targetDestroyAt));
    const layout = hostLayout(id, host.prefix, '/opt/velociraptor');
    const timer = layout.expireTimer;
    const conn = await openSsh(
      { host: host.host, port: host.port, username: 'root', auth: { method: 'key', keyPath: keys.plain } },
      { secrets, hostKeys: world.hostKeys },
    );
    const m = world.services.factory(conn, new RemoteFiles(conn, layout.staging), layout);
    const unitDir = join(host.prefix, 'etc/systemd/system');
    try {
      const callsBefore = world.services.calls.length;
      const progress: string[] = [];
      const held = await service.setLegalHold(id, true, 'case 2031-107', {
        onEvent: (e) => {
          if (e.type === 'progress' && e.message) progress.push(e.message);
        },
      });
      expect(progress).toContain("Disarming the ssh target's timer");
      expect(held.journal.legalHold).toMatchObject({ targetTimer: 'disarmed' });
      expect(held.journal.outputs.targetDestroyAt).toBe('');
      expect(world.services.calls.slice(callsBefore)).toEqual([
        { op: 'stop', unit: timer },
        { op: 'disable', unit: timer },
      ]);
      // The units stay for the lift; the timer no longer fires, at its time or long after.
      expect(await readdir(unitDir)).toContain(timer);
      expect(await m.fireDue(new Date(at + 1000))).toEqual([]);
      expect(await m.fireDue(new Date(at + 30 * 24 * HOUR))).toEqual([]);
      offset = at - Date.now() + 3 * HOUR;
      expect((await service.status(id)).health?.ok).toBe(true);
      expect((await service.reap({ export: false })).map((r) => r.outcome)).toEqual(['held']);

      // Lifted three hours after its time: armed (enabled, started) for an hour after the lift.
      const lifted = await service.setLegalHold(id, false);
      const rearmed = Date.parse(lifted.journal.autoDestroyAt!);
      expect(rearmed).toBeGreaterThanOrEqual(at + 4 * HOUR);
      expect(rearmed).toBeLessThan(at + 4 * HOUR + 60_000);
      expect(lifted.journal.outputs.targetDestroyAt).toBe(new Date(rearmed).toISOString());
      expect(world.services.calls.slice(-3).map((c) => c.op)).toEqual(['stop', 'enable', 'start']);
      expect(await m.fireDue(new Date(rearmed - 1000))).toEqual([]);
      // OnCalendar has whole seconds, rounded up: never early.
      expect(await m.fireDue(new Date(rearmed + 1000))).toEqual([timer]);
    } finally {
      conn.close();
    }
    // The host destroyed it by itself; the app's destroy finds every removal done.
    expect(await readdir(unitDir)).not.toContain(timer);
    expect((await service.status(id)).health?.ok).toBe(false);
    const removed = await service.destroy(id, { exportTo: null });
    expect(removed.removed.filter((r) => !r.ok)).toEqual([]);
    expect((await service.list()).deployments).toEqual([]);
    offset = 0;
  }, 400_000);
});
