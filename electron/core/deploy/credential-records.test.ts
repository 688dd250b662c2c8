import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialService } from '../credentials/index';
import { MemorySecretStore } from '../credentials/memory-store';
import { listedDeploymentSecrets } from './credential-records';
import { JournalStore } from './journal';
import { DeploymentRunner } from './runner';
import { FileDeployer } from './testing/file-deployer';

let dir: string;
let keychain: MemorySecretStore;
let credentials: CredentialService;
let runner: DeploymentRunner;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-deploy-creds-'));
  keychain = new MemorySecretStore();
  credentials = new CredentialService({
    indexPath: join(dir, 'credentials.json'),
    vaultPath: join(dir, 'vault.json'),
    keychain,
    probe: () => Promise.resolve({ available: true, backend: 'Secret Service' }),
  });
  const journals = new JournalStore(join(dir, 'deployments'));
  runner = new DeploymentRunner({
    journals,
    secrets: listedDeploymentSecrets(keychain, credentials, async (id) => (await journals.read(id)).name),
    deployers: [new FileDeployer()],
  });
});
afterEach(async () => {
  credentials.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('listedDeploymentSecrets', () => {
  it("lists a deployment's secrets under its name while it lives, and unlists them when it is removed", async () => {
    const plan = await runner.plan('ssh', {
      name: 'incident-42',
      profile: 'standard',
      settings: { dir: join(dir, 'target'), filesPerStep: 1 },
    });
    await runner.deploy(plan);

    const listed = (await credentials.list()).items;
    expect(listed.map((c) => c.id).sort()).toEqual([
      `deploy:${plan.deploymentId}:s0`,
      `deploy:${plan.deploymentId}:s1`,
    ]);
    for (const c of listed) {
      expect(c.owner).toEqual({ deploymentId: plan.deploymentId });
      expect(c.name).toMatch(/^incident-42 — /);
      // The index holds no secret; the keychain does, and the confirmed reveal reads it.
      expect(JSON.stringify(c)).not.toContain('value-of-');
      expect((await credentials.reveal(c.id, true)).value).toBe(`value-of-${c.id}`);
    }

    await runner.destroy(plan.deploymentId);
    expect((await credentials.list()).items).toEqual([]);
    expect(keychain.data.size).toBe(0);
  });

  it('names the known secrets by what they are and never offers the CA key as revealable kind', async () => {
    const secrets = listedDeploymentSecrets(keychain, credentials, () => Promise.reject(new Error('gone')));
    await secrets.set('deploy:dep-1:ca', 'pem');
    await secrets.set('deploy:dep-1:admin-password', 'pw');
    await secrets.set('ssh:other', 'not a deployment secret');
    const byId = Object.fromEntries((await credentials.list()).items.map((c) => [c.id, c]));
    expect(byId['deploy:dep-1:ca']).toMatchObject({
      kind: 'ca-key',
      name: 'dep-1 — CA certificate and private key',
    });
    expect(byId['deploy:dep-1:admin-password']).toMatchObject({
      kind: 'password',
      name: 'dep-1 — GUI administrator password',
    });
    expect(byId['ssh:other']).toBeUndefined();
    expect(await secrets.get('ssh:other')).toBe('not a deployment secret');
  });
});
