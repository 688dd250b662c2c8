import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutputOf } from '../../../shared/contract';
import type { Contract } from '../../../shared/contracts/index';
import { ConnectionManager } from '../connections/index';
import { MemorySecretStore } from '../credentials/memory-store';
import { deployHandlers } from './handlers';
import type { JournalDoc } from './journal';
import { DeploymentService, releaseSourceFromEnv } from './service';

let dir: string;
let secrets: MemorySecretStore;
let service: DeploymentService;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-deploy-service-'));
  secrets = new MemorySecretStore();
  const connections = new ConnectionManager({
    dataDir: dir,
    secrets: () => Promise.resolve(secrets),
    demo: () => Promise.reject(new Error('no demo')),
  });
  service = new DeploymentService({ dataDir: dir, secrets: () => Promise.resolve(secrets), connections });
});
afterEach(async () => {
  await service.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A journal a dead process left mid-way: one secret made, one intended. */
function interruptedJournal(id: string): JournalDoc {
  const at = new Date().toISOString();
  return {
    format: 'megaraptor-deployment-journal',
    version: 1,
    id,
    name: 'left-behind',
    target: 'docker',
    profile: { name: 'rapid' },
    settings: {},
    plannedSteps: [],
    warnings: [],
    state: 'applying',
    owner: { pid: 2 ** 22 + 7, token: 't', since: at, heartbeatAt: at },
    createdAt: at,
    updatedAt: at,
    autoDestroyAt: null,
    steps: [{ id: 'identity', phase: 'apply', state: 'running', startedAt: at }],
    resources: [
      {
        kind: 'secret',
        id: `deploy:${id}:ca`,
        scope: 'keychain',
        title: 'CA',
        state: 'created',
        step: 'identity',
        at,
      },
      {
        kind: 'secret',
        id: `deploy:${id}:server-config`,
        scope: 'keychain',
        title: 'config',
        state: 'intended',
        step: 'identity',
        at,
      },
    ],
    outputs: { caFingerprint: 'AB:CD' },
  };
}

describe('DeploymentService', () => {
  it('lists what a dead process left unfinished, and cleans it up through the contract handlers', async () => {
    await service.journals.write(interruptedJournal('dleft01'));
    await secrets.set('deploy:dleft01:ca', 'pem');
    await secrets.set('deploy:dleft01:server-config', 'yaml');
    const handlers = deployHandlers(service);
    const ctx = { owner: 't', signal: new AbortController().signal };
    const list = (await handlers['deploy:list']({}, ctx)) as OutputOf<Contract['deploy:list']>;
    expect(list.deployments).toMatchObject([
      {
        id: 'dleft01',
        name: 'left-behind',
        profile: 'rapid',
        state: 'applying',
        interrupted: true,
        outputs: { caFingerprint: 'AB:CD' },
      },
    ]);
    expect((await service.interrupted()).map((d) => d.id)).toEqual(['dleft01']);

    const out = (await handlers['deploy:cleanup']({ id: 'dleft01' }, ctx)) as OutputOf<
      Contract['deploy:cleanup']
    >;
    // Newest first; the intended secret too (a crash may have come after it was written).
    expect(out.removed).toEqual([
      { kind: 'secret', id: 'deploy:dleft01:server-config', ok: true },
      { kind: 'secret', id: 'deploy:dleft01:ca', ok: true },
    ]);
    expect([...secrets.data.keys()]).toEqual([]);
    expect((await service.list()).deployments).toEqual([]);
  });

  it("runs a kept plan's pre-flight checks for the review, read-only, and refuses an unknown plan", async () => {
    const handlers = deployHandlers(service, {});
    const ctx = { owner: 't', signal: new AbortController().signal };
    const plan = (await handlers['deploy:plan'](
      {
        target: 'lab',
        name: 'checked',
        profile: 'rapid',
        settings: { binary: { kind: 'release', tag: 'v0.77.2' } },
      },
      ctx,
    )) as OutputOf<Contract['deploy:plan']>;
    const out = (await handlers['deploy:check']({ id: plan.deploymentId }, ctx)) as OutputOf<
      Contract['deploy:check']
    >;
    expect(out.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['ports', 'connection']));
    expect(out.checks.find((c) => c.id === 'connection')).toMatchObject({ status: 'ok', message: 'checked' });
    // Nothing journaled: the plan is still waiting to be deployed.
    expect((await service.list()).deployments).toEqual([]);
    expect(service.planned(plan.deploymentId).name).toBe('checked');
    await expect(handlers['deploy:check']({ id: 'dnoplan01' }, ctx)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('refuses to deploy without a keychain, and says what to do', async () => {
    const none = new DeploymentService({
      dataDir: dir,
      secrets: () => Promise.resolve(null),
      connections: new ConnectionManager({
        dataDir: dir,
        secrets: () => Promise.resolve(null),
        demo: () => Promise.reject(new Error('x')),
      }),
    });
    await expect(none.cleanup('dleft02')).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    await none.dispose();
  });

  it('reads the release source from the environment', () => {
    expect(releaseSourceFromEnv({})).toEqual({ kind: 'github' });
    expect(
      releaseSourceFromEnv({
        MEGARAPTOR_RELEASE_MIRROR: 'https://mirror.local/vr/',
        HTTPS_PROXY: 'http://proxy:3128',
      }),
    ).toEqual({
      kind: 'mirror',
      baseUrl: 'https://mirror.local/vr/',
      proxy: 'http://proxy:3128',
    });
  });
});
