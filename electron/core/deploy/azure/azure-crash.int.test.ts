/**
 * Crash tests of the Azure target against the fake ARM and Key Vault: a real child process deploys
 * (the real Azure SDK clients talking to the fake; the stand-in fleet booting the VM's real custom
 * data) and is SIGKILLed as each step starts, and just before and after the resource group and the
 * config secret are asked for. After each kill a fresh runner in this process must list the deployment
 * as interrupted, and clean-up must leave nothing: no group, resource, vault (not even soft-deleted)
 * or stand-in VM on "Azure", no keychain entry, no connection, no journal. One kill point resumes
 * instead and must end deployed and verified, then destroy to nothing. The group's name is chosen
 * before it exists, so a kill between the request and its journal entry still finds it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { FakeAzure } from '../testing/azure-arm';
import type { AzureCrashChildConfig } from '../testing/azure-crash-child';
import { AzureFleet } from '../testing/azure-fleet';
import { AZURE_TEST, azureLeftovers, azureTestSettings, azureWorld, NOTHING } from '../testing/azure-world';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { runChild } from '../testing/child-run';
import { freePort } from '../testing/docker-world';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../testing/ssh-world';
import { openVault } from '../testing/vault';

const ASSET = 'velociraptor-v0.77.2-linux-amd64';

describe('Azure deployment killed at each step', () => {
  let fake: FakeAzure;
  let fleet: AzureFleet;
  let signer: TestSigner;
  let releases: ReleaseServer;
  let child: BundledScript;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'megaraptor-azure-crash-'));
    signer = await makeTestSigner();
    child = await bundleScript(join(__dirname, '..', 'testing', 'azure-crash-child.ts'));
    const binary = (await testServerBinary(await buildCli(join(root, 'megaraptor.mjs')))).data;
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [ASSET]: binary }, (d) => signer.sign(d)),
    ]);
    fleet = new AzureFleet({ root: join(root, 'vm'), dir: join(root, 'vms'), caFile: join(root, 'cas.pem') });
    fake = new FakeAzure({
      publicIp: AZURE_TEST.publicIp,
      tenantId: AZURE_TEST.tenantId,
      onVm: fleet.onVm,
      onGroupDeleted: fleet.onGroupDeleted,
      onPowerOff: fleet.onPowerOff,
      onStart: fleet.onStart,
      onTags: fleet.onTags,
      serialLog: fleet.serialLog,
    });
    await fake.start();
    fleet.fakePort = fake.port;
    await writeFile(join(root, 'cas.pem'), `${releases.caPem}\n${fake.caPem}\n`);
  }, 240_000);

  afterAll(async () => {
    await fleet?.stop();
    await fake?.stop();
    await releases?.close();
    await signer?.cleanup();
    await child?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  async function round(name: string): Promise<AzureCrashChildConfig> {
    return {
      dataDir: join(root, name),
      vaultPath: join(root, name, 'vault.json'),
      vaultPassphrase: 'crash-test-passphrase',
      fake: { endpoint: fake.endpoint, caPem: fake.caPem },
      vmRoot: join(root, 'vm'),
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
      settings: azureTestSettings({
        frontend: await freePort(),
        api: await freePort(),
        gui: await freePort(),
      }),
      stopAt: null,
    };
  }

  /** A fresh app "after the restart" on the same data dir. */
  async function restart(config: AzureCrashChildConfig) {
    const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
    const world = azureWorld({
      dataDir: config.dataDir,
      fake: config.fake,
      vmRoot: config.vmRoot,
      release: config.release,
      secrets,
    });
    return { world, secrets };
  }

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    const full = await round('full');
    const r = await runChild(child.file, [JSON.stringify(full)], child.env, { timeoutMs: 240_000 });
    expect(r.stdout).toMatch(/DONE deployed \d+/);
    const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
    const after = await restart(full);
    expect((await after.world.runner.destroy(id)).filter((x) => !x.ok)).toEqual([]);
    await expect
      .poll(() => azureLeftovers(fake, fleet, after.world, after.secrets, id, 'crash'), { timeout: 10_000 })
      .toEqual(NOTHING);
    await after.world.close();

    const writes = [...r.stdout.matchAll(/^WRITE (\d+) (.+)$/gm)].map((m) => ({
      n: Number(m[1]),
      label: m[2]!,
    }));
    const points = writes.filter(
      (w) =>
        /^step:[a-z-]+:running$/.test(w.label) ||
        /^resource:cloud-(resource-group|secret):.*:(intended|created)$/.test(w.label),
    );
    expect(points.map((p) => p.label)).toEqual(
      expect.arrayContaining([
        'step:account:running',
        expect.stringMatching(/^resource:cloud-resource-group:.*:intended$/),
        expect.stringMatching(/^resource:cloud-resource-group:.*:created$/),
        'step:infrastructure:running',
        expect.stringMatching(/^resource:cloud-secret:.*:intended$/),
        'step:boot:running',
        'step:seal:running',
        'step:connect:running',
      ]),
    );
    console.log(`${writes.length} journal writes; killing at ${points.length} of them`);
    const resumeAt = points.find((p) => p.label === 'step:boot:running')?.n;

    for (const point of points) {
      const config = { ...(await round(`kill-${point.n}`)), stopAt: point.n };
      const killed = await runChild(child.file, [JSON.stringify(config)], child.env, {
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
          .poll(
            async () => [
              point.label,
              await azureLeftovers(fake, fleet, app.world, app.secrets, deploymentId, 'crash'),
            ],
            { timeout: 10_000 },
          )
          .toEqual([point.label, NOTHING]);
      } finally {
        await app.world.close();
      }
    }
  }, 1_800_000);
});
