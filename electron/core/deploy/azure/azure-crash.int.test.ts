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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureLeftovers, azureTestSettings, NOTHING } from '../testing/azure-world';
import type { BundledScript } from '../testing/bundle';
import { startAzureBed, withCrashChild, type AzureBed } from '../testing/cloud-bed';
import { crashRound, killAtEachStep } from '../testing/cloud-crash';
import { freePort } from '../testing/docker-world';

describe('Azure deployment killed at each step', () => {
  let bed: AzureBed & { child: BundledScript };

  beforeAll(async () => {
    bed = await withCrashChild(startAzureBed('megaraptor-azure-crash-'));
  }, 240_000);

  afterAll(async () => {
    await bed?.close();
  }, 120_000);

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    await killAtEachStep({
      child: bed.child,
      round: async (name) => ({
        ...crashRound(bed.root, name, bed.release),
        target: 'azure',
        fake: { endpoint: bed.fake.endpoint, caPem: bed.fake.caPem },
        settings: azureTestSettings({
          frontend: await freePort(),
          api: await freePort(),
          gui: await freePort(),
        }),
      }),
      leftovers: (world, secrets, id) => azureLeftovers(bed.fake, bed.fleet, world, secrets, id, 'crash'),
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
