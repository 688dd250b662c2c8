/**
 * Work on deployed servers, with the file-based test double target: operations journaled step by
 * step (and undone on failure), legal holds that block every removal path, certificate expiry levels
 * and notices with a fake clock, and the reaper — in a service that is then replaced by a new one over
 * the same data dir (a restart), which reaps what the first left past its time.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HoldTargetTimer, ProgressEvent, TargetHealth } from '../../../shared/deploy';
import { AppError } from '../../../shared/errors';
import { ConnectionManager } from '../connections/index';
import { MemorySecretStore } from '../credentials/memory-store';
import { certificateStatuses, expiryLevel, renewalDue } from './certificates';
import { JournalStore } from './journal';
import type { DeploymentPlan, StepContext } from './model';
import { DeploymentRunner } from './runner';
import { DeploymentService, noticesOf } from './service';
import type { TargetOperations } from './target-operations';
import { FileDeployer, type FileSettings } from './testing/file-deployer';
import { appErrorOf } from '../../../test/app-error-of';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dir: string;
let secrets: MemorySecretStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-ops-'));
  secrets = new MemorySecretStore();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settings = (): FileSettings => ({ dir: join(dir, 'target'), filesPerStep: 1 });

/**
 * TEST DOUBLE operations for the file target: a timer is a recorded time (null while disarmed),
 * health is fixed. `disarmable: false` is a target whose own timer cannot be disarmed (the clouds'
 * on-VM timers); `disarmFails` makes the next disarm fail as an unreachable host would.
 */
class FileOperations implements TargetOperations {
  readonly target = 'ssh' as const;
  readonly timers: Array<{ id: string; at: string | null }> = [];
  disarmFails = false;
  /** 'armed': a target that has a disarm but not for this deployment (cloud VMs made before holds). */
  disarmAnswer: HoldTargetTimer = 'disarmed';
  readonly disarmExpiry?: (plan: DeploymentPlan, ctx: StepContext) => Promise<HoldTargetTimer>;

  constructor(disarmable = true) {
    if (disarmable)
      this.disarmExpiry = async (plan, ctx) => {
        if (this.disarmFails)
          throw new AppError('DEPLOY_TARGET_UNREACHABLE', 'The host did not answer on port 22.');
        if (this.disarmAnswer === 'armed') return 'armed';
        this.timers.push({ id: plan.deploymentId, at: null });
        ctx.log('timer disarmed');
        return 'disarmed';
      };
  }
  async health(): Promise<TargetHealth> {
    return { ok: false, state: 'files', detail: 'a folder of files, no server', checkedAt: '' };
  }
  async logs(): Promise<string> {
    return '';
  }
  async deliverConfig(): Promise<void> {}
  async restart(_p: DeploymentPlan, ctx: StepContext): Promise<void> {
    ctx.log('restarted');
  }
  async rescheduleExpiry(plan: DeploymentPlan, at: Date): Promise<void> {
    this.timers.push({ id: plan.deploymentId, at: at.toISOString() });
  }
}

describe('operations on a deployed server', () => {
  it('journal each step under an operation; a failure removes what it made and runs undo', async () => {
    const journals = new JournalStore(join(dir, 'deployments'));
    const runner = new DeploymentRunner({ journals, secrets, deployers: [new FileDeployer()] });
    const plan = await runner.plan('ssh', { name: 'files', profile: 'standard', settings: settings() });
    await runner.deploy(plan);

    const ok = await runner.operate(plan.deploymentId, {
      kind: 'restart',
      title: 'Restart',
      steps: [{ id: 'one', title: 'One', run: (ctx) => ctx.setOutput('restarted', true) }],
    });
    expect(ok.operation).toMatchObject({ kind: 'restart', state: 'done', steps: ['restart-one'] });
    expect(ok.journal.outputs.restarted).toBe(true);
    expect(ok.journal.steps.find((s) => s.id === 'restart-one')).toMatchObject({
      phase: 'operate',
      state: 'done',
    });
    expect(ok.journal.owner).toBeNull();

    const undone: string[] = [];
    const err = await appErrorOf(
      runner.operate(plan.deploymentId, {
        kind: 'renew-certificates',
        title: 'Renew',
        steps: [
          {
            id: 'make',
            title: 'Make a one-shot resource',
            run: (ctx) =>
              ctx.create(
                { kind: 'secret', id: `deploy:${plan.deploymentId}:temp`, scope: 'keychain', title: 'temp' },
                () => ctx.secrets.set(`deploy:${plan.deploymentId}:temp`, 'x'),
              ),
          },
          {
            id: 'boom',
            title: 'Fail',
            run: () => Promise.reject(new Error('the target said no')),
          },
        ],
        undo: async () => {
          undone.push('undo');
        },
      }),
    );
    expect(err.code).toBe('DEPLOY_FAILED');
    expect(err.message).toMatch(/Renew failed at "renew-certificates-boom": the target said no/);
    expect(err.message).toMatch(/What it had changed was undone/);
    expect(undone).toEqual(['undo']);
    expect(await secrets.get(`deploy:${plan.deploymentId}:temp`)).toBeUndefined();
    const doc = await journals.read(plan.deploymentId);
    expect(doc.state).toBe('deployed');
    expect(doc.operations?.map((o) => [o.kind, o.state])).toEqual([
      ['restart', 'done'],
      ['renew-certificates', 'failed'],
    ]);
    // What the deployment made before the operation is still there.
    expect((await readdir(settings().dir)).length).toBe(3);
  });

  it('refuses work on a deployment that is not deployed', async () => {
    const journals = new JournalStore(join(dir, 'deployments'));
    const runner = new DeploymentRunner({ journals, secrets, deployers: [new FileDeployer()] });
    const plan = await runner.plan('ssh', {
      name: 'files',
      profile: 'standard',
      settings: { ...settings(), failAt: 'files-b' },
    });
    await appErrorOf(runner.deploy(plan));
    const err = await appErrorOf(
      runner.operate(plan.deploymentId, { kind: 'restart', title: 'Restart', steps: [] }),
    );
    expect(err).toMatchObject({ code: 'CONFLICT' });
  });
});

describe('certificate expiry', () => {
  it('warns 30, 7 and 1 days ahead, by the clock it is given', () => {
    expect([45, 30, 8, 7, 2, 1, 0.5, 0, -3].map(expiryLevel)).toEqual([
      'ok',
      'within-30d',
      'within-30d',
      'within-7d',
      'within-7d',
      'within-1d',
      'within-1d',
      'expired',
      'expired',
    ]);
    const t0 = Date.parse('2031-01-01T00:00:00Z');
    const outputs = {
      frontendCertNotAfter: new Date(t0 + 365 * DAY).toISOString(),
      gatewayCertNotAfter: new Date(t0 + 365 * DAY).toISOString(),
      apiCertNotAfter: new Date(t0 + 90 * DAY).toISOString(),
      caNotAfter: new Date(t0 + 3650 * DAY).toISOString(),
    };
    const at = (days: number) =>
      Object.fromEntries(
        certificateStatuses(outputs, new Date(t0 + days * DAY)).map((c) => [c.role, c.level]),
      );
    expect(at(0)).toEqual({ frontend: 'ok', gateway: 'ok', api: 'ok', ca: 'ok' });
    expect(at(61)).toMatchObject({ api: 'within-30d', frontend: 'ok' });
    expect(at(336)).toMatchObject({ frontend: 'within-30d', api: 'expired' });
    expect(at(358.5)).toMatchObject({ frontend: 'within-7d' });
    expect(at(364.5)).toMatchObject({ frontend: 'within-1d', gateway: 'within-1d', ca: 'ok' });
    expect(at(366)).toMatchObject({ frontend: 'expired' });
    // The CA is tracked, never renewed (that would change what every agent trusts).
    expect(certificateStatuses(outputs, new Date(t0)).find((c) => c.role === 'ca')?.renewable).toBe(false);
  });

  it('renews by itself a third of the life ahead, at most 7 days and at least 1', () => {
    const s = (daysLeft: number) => ({
      role: 'frontend' as const,
      title: '',
      notAfter: '',
      daysLeft,
      level: expiryLevel(daysLeft),
      renewable: true,
    });
    expect(renewalDue(s(8), 365)).toBe(false);
    expect(renewalDue(s(7), 365)).toBe(true);
    expect(renewalDue(s(2.5), 7)).toBe(false);
    expect(renewalDue(s(2.3), 7)).toBe(true);
    expect(renewalDue(s(1), 2)).toBe(true);
    expect(renewalDue({ ...s(0.5), role: 'ca', renewable: false }, 3650)).toBe(false);
  });
});

describe('self-destruction by the app', () => {
  function service(clock: () => Date, ops: FileOperations, deployer = new FileDeployer()) {
    return new DeploymentService({
      dataDir: dir,
      secrets: () => Promise.resolve(secrets),
      connections: new ConnectionManager({
        dataDir: dir,
        secrets: () => Promise.resolve(secrets),
        demo: () => Promise.reject(new Error('no demo')),
      }),
      clock,
      targets: () => [{ deployer, operations: ops }],
    });
  }

  it('gives notices 24 h and 1 h ahead, extends the target timer, honours a legal hold, and reaps after a restart', async () => {
    const t0 = Date.parse('2031-03-01T12:00:00Z');
    let now = t0;
    const ops = new FileOperations();
    const first = service(() => new Date(now), ops);
    const plan = await first.plan('ssh', {
      name: 'rapid-files',
      profile: 'rapid',
      overrides: { autoDestroyHours: 48 },
      settings: settings(),
    });
    const out = await first.deploy(plan);
    expect(out.journal.autoDestroyAt).toBe(new Date(t0 + 48 * HOUR).toISOString());
    const keys = async () => (await first.notices()).map((n) => n.key.split(':').slice(1).join(':'));

    now = t0 + 23 * HOUR;
    expect(await keys()).toEqual([]);
    now = t0 + 25 * HOUR;
    expect(await keys()).toEqual(['destroy-24h']);
    now = t0 + 47.5 * HOUR;
    expect(await keys()).toEqual(['destroy-1h']);

    // Extend: the target's timer moves first, then the journal.
    const ext = await first.extend(plan.deploymentId, 30);
    const moved = new Date(now + 30 * HOUR).toISOString();
    expect(ops.timers).toEqual([{ id: plan.deploymentId, at: moved }]);
    expect(ext.journal.autoDestroyAt).toBe(moved);
    expect(await keys()).toEqual([]);
    // Not past two weeks after deploy.
    expect(await appErrorOf(first.extend(plan.deploymentId, 14 * 24))).toMatchObject({
      code: 'DEPLOY_PROFILE_VIOLATION',
    });

    // A legal hold keeps it past its time: not the target's timer (disarmed), not the reaper, not a destroy.
    await first.setLegalHold(plan.deploymentId, true, 'case 2031-044, counsel request');
    expect(ops.timers.at(-1)).toEqual({ id: plan.deploymentId, at: null });
    now = t0 + 80 * HOUR;
    expect((await first.reap({ export: false })).map((r) => r.outcome)).toEqual(['held']);
    expect(await appErrorOf(first.destroy(plan.deploymentId, { exportTo: null }))).toMatchObject({
      code: 'DEPLOY_LEGAL_HOLD',
    });
    expect(noticesOf(await first.find(plan.deploymentId), new Date(now)).map((n) => n.message)).toEqual([
      expect.stringMatching(
        /legal hold: its target's timer is disarmed and it stays past its destruction time .*1 h after the lift/,
      ),
    ]);
    // Lifted after its time: the timer comes back an hour later, and the reaper waits as long.
    const lifted = await first.setLegalHold(plan.deploymentId, false);
    const grace = new Date(now + HOUR).toISOString();
    expect(ops.timers.at(-1)).toEqual({ id: plan.deploymentId, at: grace });
    expect(lifted.journal.autoDestroyAt).toBe(grace);
    expect(await keys()).toEqual(['destroy-1h']);
    expect(await first.reap({ export: false })).toEqual([]);
    await first.dispose();

    // A restart: a new service over the same data dir reads the journal and reaps.
    now += HOUR;
    const second = service(() => new Date(now), new FileOperations());
    const reaped = await second.reap({ export: false });
    expect(reaped.map((r) => [r.name, r.outcome])).toEqual([['rapid-files', 'destroyed']]);
    expect(reaped[0]!.removed?.every((r) => r.ok)).toBe(true);
    expect(await readdir(settings().dir)).toEqual([]);
    expect((await second.list()).deployments).toEqual([]);
    expect([...secrets.data.keys()]).toEqual([]);
    await second.dispose();
  });

  it("disarms the target's timer for a hold (journaled, with progress), re-arms it at its time on lift, and never shows a hold the target ignores as protecting", async () => {
    const t0 = Date.parse('2031-03-01T12:00:00Z');
    let now = t0;
    const ops = new FileOperations();
    const s = service(() => new Date(now), ops);
    const plan = await s.plan('ssh', {
      name: 'held-files',
      profile: 'rapid',
      overrides: { autoDestroyHours: 48 },
      settings: settings(),
    });
    await s.deploy(plan);
    const id = plan.deploymentId;
    const due = new Date(t0 + 48 * HOUR).toISOString();

    // The target cannot be reached: no hold, and the error says its timer still runs.
    ops.disarmFails = true;
    const failed = await appErrorOf(s.setLegalHold(id, true, 'case 7'));
    expect(failed.code).toBe('DEPLOY_TARGET_UNREACHABLE');
    expect(failed.message).toMatch(
      new RegExp(
        `could not be disarmed, so it may still destroy held-files at ${due}; the hold is not placed`,
      ),
    );
    expect(failed.message).toMatch(/did not answer on port 22/);
    expect((await s.find(id)).legalHold ?? null).toBeNull();
    expect(ops.timers).toEqual([]);

    ops.disarmFails = false;
    const events: ProgressEvent[] = [];
    const held = await s.setLegalHold(id, true, 'case 7', { onEvent: (e) => events.push(e) });
    expect(held.journal.legalHold).toMatchObject({ reason: 'case 7', targetTimer: 'disarmed' });
    expect(held.operation).toMatchObject({ kind: 'legal-hold', state: 'done', steps: ['legal-hold-disarm'] });
    expect(held.journal.steps.find((x) => x.id === 'legal-hold-disarm')).toMatchObject({ state: 'done' });
    expect(
      events.some((e) => e.type === 'progress' && /Disarming the ssh target's timer/.test(e.message ?? '')),
    ).toBe(true);
    expect(ops.timers).toEqual([{ id, at: null }]);
    expect(await appErrorOf(s.setLegalHold(id, true, 'again'))).toMatchObject({ code: 'CONFLICT' });

    // Extending while held moves the journal's time only: the timer stays disarmed until the lift.
    now = t0 + 10 * HOUR;
    const ext = await s.extend(id, 60);
    const later = new Date(now + 60 * HOUR).toISOString();
    expect(ext.journal.autoDestroyAt).toBe(later);
    expect(ops.timers).toEqual([{ id, at: null }]);

    // Lifted before its time: armed again for exactly that time.
    const lifted = await s.setLegalHold(id, false);
    expect(ops.timers.at(-1)).toEqual({ id, at: later });
    expect(lifted.journal.autoDestroyAt).toBe(later);
    expect(lifted.journal.legalHold).toBeNull();
    expect(lifted.operation.steps).toEqual(['legal-hold-rearm']);
    // Ten minutes before its time is still before it: no grace added.
    await s.setLegalHold(id, true, 'case 7, again');
    now = Date.parse(later) - 10 * 60_000;
    expect((await s.setLegalHold(id, false)).journal.autoDestroyAt).toBe(later);
    expect(ops.timers.at(-1)).toEqual({ id, at: later });
    await s.dispose();

    // A target whose own timer cannot be disarmed: held from the app only, and said so, critically.
    const cloudLike = new FileOperations(false);
    const c = service(() => new Date(now), cloudLike);
    const armed = await c.setLegalHold(id, true, 'case 8');
    expect(armed.journal.legalHold).toMatchObject({ targetTimer: 'armed' });
    expect(cloudLike.timers).toEqual([]);
    now = Date.parse(later) - 2 * HOUR;
    const notices = noticesOf(await c.find(id), new Date(now));
    expect(notices.map((n) => [n.level, n.message])).toEqual([
      [
        'critical',
        expect.stringMatching(
          /its ssh target's own timer could not be disarmed: it still destroys it at .*The hold stops the app only; extend it/,
        ),
      ],
    ]);
    // Lifting re-arms nothing that was never disarmed.
    await c.setLegalHold(id, false);
    expect(cloudLike.timers).toEqual([]);
    await c.dispose();

    // A target that can disarm, but not this deployment's timer: the same app-only hold, logged.
    const oldVms = new FileOperations();
    oldVms.disarmAnswer = 'armed';
    const o = service(() => new Date(now), oldVms);
    const oldHeld = await o.setLegalHold(id, true, 'case 9');
    expect(oldHeld.journal.legalHold).toMatchObject({ targetTimer: 'armed' });
    expect(oldVms.timers).toEqual([]);
    expect(noticesOf(await o.find(id), new Date(now)).map((n) => n.level)).toEqual(['critical']);
    await o.setLegalHold(id, false);
    expect(oldVms.timers).toEqual([]);
    await o.dispose();
  });

  it('leaves a standard deployment alone and says a legal hold needs a reason', async () => {
    const now = Date.parse('2031-03-01T12:00:00Z');
    const s = service(() => new Date(now), new FileOperations());
    const plan = await s.plan('ssh', { name: 'keeps', profile: 'standard', settings: settings() });
    await s.deploy(plan);
    expect(await s.reap()).toEqual([]);
    expect(await appErrorOf(s.extend(plan.deploymentId, 5))).toMatchObject({ code: 'CONFLICT' });
    expect(await appErrorOf(s.setLegalHold(plan.deploymentId, true, ' '))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await s.dispose();
  });
});
