import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../shared/deploy';
import { MemorySecretStore } from '../credentials/memory-store';
import { JournalStore } from './journal';
import { DeploymentRunner } from './runner';
import { FileDeployer, type FileSettings } from './testing/file-deployer';
import { appErrorOf } from '../../../test/app-error-of';

let dir: string;
let files: string;
let journals: JournalStore;
let secrets: MemorySecretStore;
let deployer: FileDeployer;
let runner: DeploymentRunner;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-runner-'));
  files = join(dir, 'target');
  journals = new JournalStore(join(dir, 'deployments'));
  secrets = new MemorySecretStore();
  deployer = new FileDeployer();
  runner = new DeploymentRunner({ journals, secrets, deployers: [deployer] });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settings = (extra: Partial<FileSettings> = {}): FileSettings => ({
  dir: files,
  filesPerStep: 2,
  ...extra,
});

async function targetFiles(): Promise<string[]> {
  return (await readdir(files).catch(() => [])).sort();
}

describe('DeploymentRunner', () => {
  it('deploys step by step, journaling every resource and emitting progress per step', async () => {
    const events: ProgressEvent[] = [];
    const plan = await runner.plan('ssh', { name: 'files', profile: 'standard', settings: settings() });
    const out = await runner.deploy(plan, { onEvent: (e) => events.push(e) });

    expect(out.journal.state).toBe('deployed');
    expect(out.journal.owner).toBeNull();
    expect(out.journal.outputs).toMatchObject({ verified: true, 'files-a-done': true });
    expect(await targetFiles()).toHaveLength(6);
    expect([...secrets.data.keys()].sort()).toEqual([
      `deploy:${plan.deploymentId}:s0`,
      `deploy:${plan.deploymentId}:s1`,
    ]);
    expect(out.journal.resources.map((r) => r.state)).toEqual(Array(8).fill('created'));
    expect(out.journal.resources.find((r) => r.kind === 'remote-file')?.facts).toEqual({
      bytes: 'files-a'.length,
    });
    // On disk as in memory.
    expect(JSON.parse(await readFile(journals.pathOf(plan.deploymentId), 'utf8'))).toMatchObject({
      state: 'deployed',
    });

    const steps = events.filter((e) => e.type === 'step').map((e) => `${e.step}:${e.state}`);
    expect(steps).toEqual([
      'preflight:running',
      'preflight:done',
      ...['secrets', 'files-a', 'files-b', 'files-c', 'verify'].flatMap((s) => [`${s}:running`, `${s}:done`]),
    ]);
    expect(events.filter((e) => e.type === 'phase').map((e) => e.phase)).toEqual([
      'preflight',
      'apply',
      'verify',
    ]);
    // Every resource: intended before created.
    const resourceEvents = events.filter((e) => e.type === 'resource');
    expect(resourceEvents).toHaveLength(16);
    expect(resourceEvents[0]).toMatchObject({ state: 'intended' });
    expect(resourceEvents[1]).toMatchObject({ state: 'created' });
  });

  it('rolls back every resource, newest first, when a step fails, and says so', async () => {
    const events: ProgressEvent[] = [];
    const plan = await runner.plan('ssh', {
      name: 'f',
      profile: 'standard',
      settings: settings({ failAt: 'files-c' }),
    });
    const err = await appErrorOf(runner.deploy(plan, { onEvent: (e) => events.push(e) }));
    expect(err.code).toBe('DEPLOY_FAILED');
    expect(err.message).toMatch(/told to fail at files-c.*Everything it had made was removed/);
    expect(err.details).toMatchObject({ step: 'files-c' });
    const rollback = (err.details as { rollback: Array<{ id: string; ok: boolean }> }).rollback;
    expect(rollback).toHaveLength(6);
    expect(rollback.every((r) => r.ok)).toBe(true);
    expect(rollback[0]!.id).toMatch(/files-b-1$/); // newest first
    expect(await targetFiles()).toEqual([]);
    expect([...secrets.data.keys()]).toEqual([]);
    const j = await journals.read(plan.deploymentId);
    expect(j.state).toBe('rolled-back');
    expect(j.error?.message).toMatch(/told to fail/);
    expect(j.resources.every((r) => r.state === 'removed')).toBe(true);
    expect(events.some((e) => e.type === 'step' && e.step === 'files-c' && e.state === 'failed')).toBe(true);
    expect((await runner.interrupted()).map((x) => x.id)).toEqual([]);
  });

  it('reports a removal that fails and keeps that resource in the journal', async () => {
    const plan = await runner.plan('ssh', {
      name: 'f',
      profile: 'standard',
      settings: settings({ failAt: 'verify' }),
    });
    const stuck = plan.steps.find((s) => s.id === 'files-a')!.resources[1]!.id;
    deployer.refuseRemoval.add(stuck);
    const err = await appErrorOf(runner.deploy(plan));
    expect(err.message).toMatch(/Rollback could not remove 1 resource/);
    expect(err.message).toContain(stuck);
    const rollback = (err.details as { rollback: Array<{ id: string; ok: boolean; error?: string }> })
      .rollback;
    expect(rollback.filter((r) => !r.ok)).toEqual([
      { kind: 'remote-file', id: stuck, ok: false, error: `permission denied: ${stuck}` },
    ]);
    expect(await targetFiles()).toEqual([stuck.split('/').pop()]);
    const j = await journals.read(plan.deploymentId);
    expect(j.state).toBe('rollback-failed');
    expect(j.resources.filter((r) => r.state !== 'removed')).toMatchObject([
      { id: stuck, state: 'created', error: expect.stringMatching(/permission denied/) },
    ]);

    // Fixed: a clean-up removes it and forgets the deployment.
    deployer.refuseRemoval.clear();
    const outcome = await runner.cleanup(plan.deploymentId);
    expect(outcome).toMatchObject([{ ok: true, resource: { id: stuck } }]);
    expect(await targetFiles()).toEqual([]);
    await expect(journals.read(plan.deploymentId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a failed pre-flight creates nothing', async () => {
    const plan = await runner.plan('ssh', {
      name: 'f',
      profile: 'standard',
      settings: settings({ preflightFails: true }),
    });
    const err = await appErrorOf(runner.deploy(plan));
    expect(err.code).toBe('DEPLOY_PREFLIGHT_FAILED');
    expect(err.message).toMatch(/^Nothing was created\. Folder writable: told to fail/);
    expect(err.details).toMatchObject({ checks: [{ id: 'folder', status: 'failed' }] });
    expect(await targetFiles()).toEqual([]);
    expect((await journals.read(plan.deploymentId)).state).toBe('failed');
  });

  it('enforces the profile when planning', async () => {
    const rapidForever = await appErrorOf(
      runner.plan('ssh', {
        name: 'f',
        profile: 'rapid',
        overrides: { autoDestroyHours: null },
        settings: settings(),
      }),
    );
    expect(rapidForever.code).toBe('DEPLOY_PROFILE_VIOLATION');
    const wrongTarget = await appErrorOf(
      runner.plan('lab', { name: 'f', profile: 'enterprise', settings: settings() }),
    );
    expect(wrongTarget.code).toBe('DEPLOY_PROFILE_VIOLATION');
    expect(wrongTarget.message).toMatch(/does not deploy to lab/);
  });

  it('records the self-destruction time of a rapid deployment when it is deployed', async () => {
    const t = new Date('2030-01-01T00:00:00Z');
    const r = new DeploymentRunner({ journals, secrets, deployers: [deployer], clock: () => t });
    const plan = await r.plan('ssh', { name: 'f', profile: 'rapid', settings: settings() });
    const out = await r.deploy(plan);
    expect(out.journal.autoDestroyAt).toBe('2030-01-04T00:00:00.000Z');
    expect(out.journal.deployedAt).toBe(t.toISOString());
  });

  it('destroy removes everything and forgets the deployment', async () => {
    const plan = await runner.plan('ssh', { name: 'f', profile: 'standard', settings: settings() });
    await runner.deploy(plan);
    const outcomes = await runner.destroy(plan.deploymentId);
    expect(outcomes).toHaveLength(8);
    expect(await targetFiles()).toEqual([]);
    expect([...secrets.data.keys()]).toEqual([]);
    expect((await journals.list()).journals).toEqual([]);
  });

  it('refuses to journal key material', async () => {
    const plan = await runner.plan('ssh', {
      name: 'f',
      profile: 'standard',
      settings: { ...settings(), note: '-----BEGIN RSA PRIVATE KEY-----' },
    });
    await expect(runner.deploy(plan)).rejects.toThrow(/Refusing to write key material/);
  });
});
