/**
 * What an Azure deployment test needs, built the way the app builds it, against the fake ARM and
 * Key Vault (azure-arm.ts): the release cache on the test's release server and key, journals and
 * connections in a data dir, the runner with the Azure deployer — its SDK clients on the fake's
 * endpoint with its CA and a test credential (a JWT-shaped token naming a tenant and an object id),
 * the vault's address mapped onto the fake, the VM's public address dialled on loopback.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { readdir } from 'node:fs/promises';
import { Agent } from 'node:https';
import type { EnumerableSecretStore, SecretStore } from '../../credentials/secret-store';
import { AzureDeployer, type AzureSettingsInput } from '../azure/azure-deployer';
import { resourceGroupOf, vaultNameOf } from '../azure/names';
import { AzureOperations } from '../azure/operations';
import type { FakeAzure } from './azure-arm';
import type { AzureFleet } from './azure-fleet';
import type { TrustedKey } from '../releases/signature';
import type { RunnerDeps } from '../runner';
import { CLOUD_TEST_ACCESS, standInVms, worldParts } from './world-parts';

export const AZURE_TEST = {
  tenantId: '72f988bf-0000-4000-8000-000000000001',
  subscriptionId: '11111111-2222-4333-8444-555555555555',
  objectId: '0b1e2c3d-0000-4000-8000-00000000a11e',
  location: 'westeurope',
  /** The address the fake gives the VM (TEST-NET-1); dialled on loopback. */
  publicIp: '192.0.2.10',
} as const;

/** TEST credential: a fixed unsigned JWT-shaped token (the fake only checks that a bearer is sent). */
export const testAzureCredential: TokenCredential = {
  getToken(): Promise<AccessToken> {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ tid: AZURE_TEST.tenantId, oid: AZURE_TEST.objectId, upn: 'responder@example.org' })}.test`;
    return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 });
  },
};

export interface AzureWorldOptions {
  dataDir: string;
  fake: { endpoint: string; caPem: string };
  vmRoot: string;
  release: { url: string; caPem: string; key: TrustedKey };
  secrets: SecretStore;
  afterJournalWrite?: RunnerDeps['afterJournalWrite'];
}

export function azureWorld(o: AzureWorldOptions) {
  const parts = worldParts(o);
  const deployer = new AzureDeployer({
    releases: parts.releases,
    connections: parts.sink,
    azure: {
      credential: testAzureCredential,
      endpoint: o.fake.endpoint,
      caPem: o.fake.caPem,
      vault: {
        url: (uri) => {
          const u = new URL(uri);
          u.port = new URL(o.fake.endpoint).port;
          return u.toString();
        },
        // The vault's real host name, resolved to the fake.
        agent: new Agent({
          ca: o.fake.caPem,
          lookup: (_host, options, callback) =>
            options.all
              ? callback(null, [{ address: '127.0.0.1', family: 4 }])
              : callback(null, '127.0.0.1', 4),
        }),
      },
    },
    ...standInVms(o.vmRoot),
  });
  return {
    ...parts,
    deployer,
    operations: new AzureOperations({ deployer, pollMs: 200 }),
    runner: parts.runnerFor(deployer),
    async close() {
      deployer.close();
      await parts.connections.dispose();
    },
  };
}
export type AzureWorld = ReturnType<typeof azureWorld>;

export function azureTestSettings(
  ports: { frontend: number; api: number; gui: number },
  extra: Partial<AzureSettingsInput> = {},
): AzureSettingsInput {
  return {
    subscriptionId: AZURE_TEST.subscriptionId,
    location: AZURE_TEST.location,
    access: CLOUD_TEST_ACCESS,
    ports,
    release: { tag: 'v0.77.2' },
    bootTimeoutMs: 90_000,
    ...extra,
  };
}

/** Everything of deployment `id` that could be left on "Azure" (the fake), in the keychain, the app or the journal. */
export async function azureLeftovers(
  fake: FakeAzure,
  fleet: AzureFleet,
  w: Pick<AzureWorld, 'connections' | 'journals'>,
  secrets: Pick<EnumerableSecretStore, 'listRefs'>,
  id: string,
  name: string,
) {
  const vault = vaultNameOf(id);
  return {
    groups: [...fake.groups.values()].map((g) => g.name).filter((n) => n.includes(id)),
    resources: [...fake.resources.keys()].filter((r) => r.includes(id.toLowerCase())),
    vaults: [...fake.vaults.keys(), ...fake.deletedVaults.keys()].filter((v) => v === vault),
    vms: fleet.of(resourceGroupOf(id)) ? [resourceGroupOf(id)] : [],
    keychain: (await secrets.listRefs()).filter((r) => r.includes(id)),
    connections: (await w.connections.list()).connections.filter((c) => c.name === name).map((c) => c.name),
    journals: (await readdir(w.journals.dir).catch(() => [] as string[])).filter((f) => f.startsWith(id)),
  };
}

export const NOTHING = {
  groups: [],
  resources: [],
  vaults: [],
  vms: [],
  keychain: [],
  connections: [],
  journals: [],
};
