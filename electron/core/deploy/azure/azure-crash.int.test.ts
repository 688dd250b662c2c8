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
import { AzureFleet } from '../testing/azure-fleet';
import { AZURE_TEST, azureLeftovers, azureTestSettings, NOTHING } from '../testing/azure-world';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { crashRound, killAtEachStep } from '../testing/cloud-crash';
import { freePort } from '../testing/docker-world';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../testing/ssh-world';

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
    child = await bundleScript(join(__dirname, '..', 'testing', 'cloud-crash-child.ts'));
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

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    await killAtEachStep({
      child,
      round: async (name) => ({
        ...crashRound(root, name, { url: releases.url, caPem: releases.caPem, key: signer.key }),
        target: 'azure',
        fake: { endpoint: fake.endpoint, caPem: fake.caPem },
        settings: azureTestSettings({
          frontend: await freePort(),
          api: await freePort(),
          gui: await freePort(),
        }),
      }),
      leftovers: (world, secrets, id) => azureLeftovers(fake, fleet, world, secrets, id, 'crash'),
      nothing: NOTHING,
      resourceWrites: /^resource:cloud-(resource-group|secret):.*:(intended|created)$/,
      mustKillAt: [
        'step:account:running',
        expect.stringMatching(/^resource:cloud-resource-group:.*:intended$/),
        expect.stringMatching(/^resource:cloud-resource-group:.*:created$/),
        'step:infrastructure:running',
        expect.stringMatching(/^resource:cloud-secret:.*:intended$/),
        'step:boot:running',
        'step:seal:running',
        'step:connect:running',
      ],
    });
  }, 1_800_000);
});
