/**
 * The Azure target against a local fake of ARM and Key Vault (testing/azure-arm.ts: Azure has no
 * emulator; HTTPS with a test CA, the real Azure SDK clients talking to it with a test credential).
 * The fake records every request; the stand-in fleet boots the VM's REAL custom data in a namespace of
 * its own, with the simulator as the binary, reading its config from the fake Key Vault with a
 * managed-identity token from the stand-in metadata service.
 *
 * Asserted on the recorded requests and the fake's state: the resource group and the template (the
 * security group's rules = exactly the chosen ranges, no secret in the custom data, the vault's
 * access policies), the config written by the app and read by the VM only, deleted and purged after
 * verify; a query through the app's connection; destroy leaving nothing (the vault purged, not only
 * soft-deleted). A failure midway (the template fails) rolls everything back.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../credentials/memory-store';
import { identitySecrets } from '../server-identity';
import {
  AZURE_TEST,
  azureLeftovers,
  azureTestSettings,
  azureWorld,
  NOTHING,
  type AzureWorld,
} from '../testing/azure-world';
import { freePort, SMALL } from '../testing/docker-world';
import { configOnVm, renewCertificates, whoamiThrough } from '../testing/cloud-world';
import { startAzureBed, type AzureBed } from '../testing/cloud-bed';
import { AZURE_NAMES, resourceGroupOf, vaultNameOf } from './names';
import { RAPID_AZURE_STEPS } from '../testing/expected-steps';

let bed: AzureBed;

beforeAll(async () => {
  bed = await startAzureBed('megaraptor-azure-int-');
}, 240_000);

afterAll(async () => {
  await bed?.close();
}, 120_000);

function world(name: string, secrets: MemorySecretStore): AzureWorld {
  return azureWorld({
    dataDir: join(bed.root, name),
    fake: bed.fake,
    vmRoot: bed.vmRoot,
    release: bed.release,
    secrets,
  });
}

async function ports() {
  return { frontend: await freePort(), api: await freePort(), gui: await freePort() };
}

function leftovers(w: AzureWorld, secrets: MemorySecretStore, id: string, name: string) {
  return azureLeftovers(bed.fake, bed.fleet, w, secrets, id, name);
}

type Template = { resources: Array<{ type: string; name: string; properties: Record<string, unknown> }> };

describe('an Azure deployment against the fake ARM and Key Vault', () => {
  it('makes the group and the VM, delivers the config through Key Vault only, verifies, renews, extends, destroys to nothing', async () => {
    const secrets = new MemorySecretStore();
    const w = world('one', secrets);
    try {
      const p = await ports();
      const plan = await w.runner.plan('azure', {
        name: 'azure-one',
        profile: 'rapid',
        overrides: SMALL,
        settings: azureTestSettings(p),
      });
      expect(plan.steps.map((s) => s.id)).toEqual(RAPID_AZURE_STEPS);
      expect(plan.warnings.join('\n')).toMatch(/Estimated cost: about \$.*until it destroys itself in 72 h/);
      const id = plan.deploymentId;
      const rg = resourceGroupOf(id);
      const vault = vaultNameOf(id);

      const out = await w.runner.deploy(plan);
      expect(out.journal.state).toBe('deployed');
      expect(out.journal.outputs).toMatchObject({
        azureTenantId: AZURE_TEST.tenantId,
        azureObjectId: AZURE_TEST.objectId,
        node0Address: AZURE_TEST.publicIp,
        vaultUri: `https://${vault}.vault.azure.net/`,
      });

      // Every ARM call carried a bearer token; the group and the template are what we asked for.
      const arm = bed.fake.requests.filter((r) => !r.host.includes('vault.azure.net'));
      expect(arm.every((r) => r.authorized)).toBe(true);
      const put = arm.find(
        (r) => r.method === 'PUT' && r.path.includes('/providers/Microsoft.Resources/deployments/'),
      )!;
      expect(put.path).toContain(`/resourcegroups/${rg}/`);
      const template = (JSON.parse(put.body) as { properties: { template: Template } }).properties.template;
      const byType = (t: string) => template.resources.find((r) => r.type === t)!;
      const rules = (
        byType('Microsoft.Network/networkSecurityGroups').properties.securityRules as Array<{
          properties: {
            sourceAddressPrefix: string;
            destinationPortRange: string;
            access: string;
            direction: string;
          };
        }>
      ).map(
        (r) =>
          `${r.properties.direction} ${r.properties.access} ${r.properties.destinationPortRange} ${r.properties.sourceAddressPrefix}`,
      );
      expect(rules.sort()).toEqual(
        [
          `Inbound Allow ${p.frontend} 198.51.100.0/24`,
          `Inbound Allow ${p.frontend} 2001:db8:1::/48`,
          `Inbound Allow ${p.gui} 203.0.113.7/32`,
          `Inbound Allow ${p.api} 203.0.113.7/32`,
        ].sort(),
      );
      expect(put.body).not.toContain('0.0.0.0/0');
      const vm = byType('Microsoft.Compute/virtualMachines') as unknown as {
        identity: { type: string };
        properties: {
          osProfile: { customData: string; linuxConfiguration: { disablePasswordAuthentication: boolean } };
        };
      };
      expect(vm.identity.type).toBe('SystemAssigned');
      expect(vm.properties.osProfile.linuxConfiguration.disablePasswordAuthentication).toBe(true);
      const customData = Buffer.from(vm.properties.osProfile.customData, 'base64').toString();
      expect(customData).toContain(`https://${vault}.vault.azure.net`);
      expect(customData).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|password_hash|gw_private_key/);
      expect(customData).not.toContain(await secrets.get(identitySecrets(id).adminPassword.id));
      const policies = byType('Microsoft.KeyVault/vaults').properties.accessPolicies as Array<{
        objectId: string;
        permissions: { secrets: string[] };
      }>;
      expect(
        policies.map((x) => [
          x.objectId.startsWith('[reference(') ? 'vm' : x.objectId,
          x.permissions.secrets,
        ]),
      ).toEqual([
        ['vm', ['get']],
        [AZURE_TEST.objectId, ['get', 'set', 'delete', 'purge']],
      ]);
      expect(byType('Microsoft.KeyVault/vaults').properties).toMatchObject({
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
      });

      // The config: written by the app (after the bearer challenge), read by the VM, deleted and purged.
      const kv = bed.fake.requests.filter((r) => r.host.startsWith(`${vault}.`));
      const line = (r: { method: string; path: string; userAgent: string; authorized: boolean }) =>
        `${r.userAgent.startsWith('curl/') ? 'vm' : 'app'} ${r.method} ${r.path.replace(/\?.*$/, '')}${r.authorized ? '' : ' (challenge)'}`;
      expect(kv.map(line)).toEqual(
        expect.arrayContaining([
          `app PUT /secrets/${AZURE_NAMES.secret} (challenge)`,
          `app PUT /secrets/${AZURE_NAMES.secret}`,
          `vm GET /secrets/${AZURE_NAMES.secret}`,
          `app DELETE /secrets/${AZURE_NAMES.secret}`,
          `app DELETE /deletedsecrets/${AZURE_NAMES.secret}`,
        ]),
      );
      expect(
        kv.filter(
          (r) => r.method === 'GET' && !r.userAgent.startsWith('curl/') && r.path.startsWith('/secrets/'),
        ),
      ).toEqual([]);
      expect(bed.fake.secretNames()).toEqual([]);
      expect(bed.fake.vaults.get(vault)?.deleted.size).toBe(0);
      expect((await bed.fleet.of(rg)!.boot).code).toBe(0);

      expect(await whoamiThrough(w, 'azure-one')).toEqual([{ User: 'megaraptor-app' }]);

      // Renewal through Azure's channels: the config in Key Vault again, power-off and start (the
      // fetcher puts it in place before the server starts), verify, the secret deleted and purged.
      const renewed = await renewCertificates(w, plan, secrets, join(bed.root, 'one-rotations.jsonl'));
      expect(renewed.operation.state).toBe('done');
      const standIn = bed.fleet.of(rg)!;
      expect(standIn.restarts).toEqual(['powerOff', 'start']);
      const onDisk = await configOnVm(w, standIn.vm, id, bed.vmRoot);
      expect(onDisk).toBe(await secrets.get(identitySecrets(id).serverConfig.id));
      expect(bed.fake.secretNames()).toEqual([]);
      expect(bed.fake.vaults.get(vault)?.deleted.size).toBe(0);
      expect(await whoamiThrough(w, 'azure-one')).toEqual([{ User: 'megaraptor-app' }]);

      // Extending re-tags the VM; at the old deadline the on-VM timer reads the tag and moves itself.
      const later = new Date(Date.now() + 96 * 3_600_000);
      await w.runner.operate(id, {
        kind: 'extend',
        title: 'Extend',
        steps: [
          { id: 'timer', title: 'Timer', run: (ctx) => w.operations.rescheduleExpiry(plan, later, ctx) },
        ],
      });
      const fired = await standIn.vm.fireTimers(new Date(Date.now() + 73 * 3_600_000));
      expect(fired.map((f) => f.output).join('\n')).toContain(
        `self-destruction moved to ${later.toISOString()}`,
      );
      expect(standIn.vm.shutdownRequested()).toBe(false);

      // A legal hold tags the VM "held": its timer, fired long past any time, destroys nothing and
      // asks again in an hour; lifting tags a time again, which the timer moves to.
      await w.runner.operate(id, {
        kind: 'legal-hold',
        title: 'Hold',
        steps: [
          {
            id: 'disarm',
            title: 'Disarm',
            run: async (ctx) => expect(await w.operations.disarmExpiry(plan, ctx)).toBe('disarmed'),
          },
        ],
      });
      const whileHeld = await standIn.vm.fireTimers(new Date(Date.now() + 400 * 3_600_000));
      expect(whileHeld.map((f) => f.output).join('\n')).toContain('legal hold: self-destruction suspended');
      expect(standIn.vm.shutdownRequested()).toBe(false);
      const lifted = new Date(Date.now() + 48 * 3_600_000);
      await w.runner.operate(id, {
        kind: 'extend',
        title: 'Lift',
        steps: [
          { id: 'timer', title: 'Timer', run: (ctx) => w.operations.rescheduleExpiry(plan, lifted, ctx) },
        ],
      });
      const afterLift = await standIn.vm.fireTimers(new Date(Date.now() + 2 * 3_600_000));
      expect(afterLift.map((f) => f.output).join('\n')).toContain(
        `self-destruction moved to ${lifted.toISOString()}`,
      );
      expect(standIn.vm.shutdownRequested()).toBe(false);
      expect(await w.operations.health(plan)).toMatchObject({ ok: true, state: 'running' });
      expect(await w.operations.logs(plan, 200)).toContain('megaraptor-boot:');

      const removed = await w.runner.destroy(id);
      expect(removed.filter((r) => !r.ok)).toEqual([]);
      expect(
        bed.fake.requests.some(
          (r) => r.method === 'POST' && r.path.includes(`/deletedVaults/${vault}/purge`),
        ),
      ).toBe(true);
      await expect
        .poll(async () => leftovers(w, secrets, id, 'azure-one'), { timeout: 10_000 })
        .toEqual(NOTHING);
    } finally {
      await w.close();
    }
  }, 300_000);

  it('rolls everything back when the template fails midway', async () => {
    const secrets = new MemorySecretStore();
    const w = world('failing', secrets);
    bed.fake.failTypes.add('Microsoft.KeyVault/vaults');
    try {
      const plan = await w.runner.plan('azure', {
        name: 'azure-failing',
        profile: 'rapid',
        overrides: SMALL,
        settings: azureTestSettings(await ports()),
      });
      const error = await w.runner.deploy(plan).then(
        () => null,
        (e: unknown) => e as Error & { code?: string; details?: Record<string, unknown> },
      );
      expect({ code: error?.code, message: error?.message, step: error?.details?.step }).toMatchObject({
        code: 'DEPLOY_FAILED',
        message: expect.stringMatching(
          /ResourceDeploymentFailure[\s\S]*Microsoft\.KeyVault\/vaults[\s\S]*Everything it had made was removed/,
        ),
        step: 'infrastructure',
      });
      await expect
        .poll(async () => leftovers(w, secrets, plan.deploymentId, 'azure-failing'), { timeout: 10_000 })
        .toMatchObject({
          ...NOTHING,
          journals: expect.any(Array),
        });
    } finally {
      bed.fake.failTypes.clear();
      await w.close();
    }
  }, 300_000);
});
