import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentRunEvent } from '../../../../shared/agents';
import { AppError } from '../../../../shared/errors';
import {
  AgentPushRunner,
  hostErrorOf,
  type HostContext,
  type HostPusher,
  type PushOutcome,
  type PushSession,
  VERIFYING_PER_SLOT,
} from './fanout';
import { AgentRunStore, type AgentRunDoc } from './run-journal';
import { runSummary, summaryCsv } from './summary';

/**
 * A channel of the test: each host's behaviour comes from its name (`ok-*` enrol, `down-N-*` is
 * unreachable N times, `auth-*` refuses the login, `slow-*` waits until cancelled). It records how many
 * hosts it held at once, and the run's journal state each time a host entered a state.
 */
class ScriptedPusher implements HostPusher {
  readonly channel = 'ssh' as const;
  /** Hosts connecting, uploading or installing (what the concurrency bounds). */
  active = 0;
  maxActive = 0;
  /** Hosts in flight in any state, verifying ones too. */
  inFlight = 0;
  maxInFlight = 0;
  /** How long a host stays verifying (waiting for its agent to enrol). */
  verifyMs: number;
  opened = 0;
  closed = 0;
  attempts = new Map<string, number>();
  journaledBefore: string[] = [];
  /** `slow-*` hosts hang in installing while this is true. */
  slow = true;

  constructor(
    private readonly store: AgentRunStore,
    private readonly stepMs = 5,
  ) {
    this.verifyMs = stepMs;
  }

  defaultPort(): number {
    return 22;
  }

  parseSettings(s: unknown): unknown {
    return s;
  }

  async open(): Promise<PushSession> {
    this.opened++;
    return {
      push: (ctx) => this.push(ctx),
      close: async () => {
        this.closed++;
      },
    };
  }

  private async push(ctx: HostContext): Promise<PushOutcome> {
    const name = ctx.host.host;
    this.attempts.set(name, (this.attempts.get(name) ?? 0) + 1);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let working = true;
    try {
      const wait = (ms: number): Promise<void> =>
        new Promise((resolve, reject) => {
          if (ctx.signal.aborted) return reject(new AppError('CANCELLED', 'cancelled'));
          const t = setTimeout(resolve, ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(new AppError('CANCELLED', 'cancelled'));
          });
        });
      await wait(this.stepMs);
      const down = /^down-(\d+)-/.exec(name);
      if (down && (this.attempts.get(name) ?? 0) <= Number(down[1]))
        throw new AppError('SSH_UNREACHABLE', `${name} cannot be reached: ECONNREFUSED.`);
      if (name.startsWith('auth-')) throw new AppError('SSH_AUTH_FAILED', `${name} refused the login.`);
      await ctx.enter('uploading');
      const doc = await this.store.read(ctx.runId);
      this.journaledBefore.push(`${name}:${doc.hosts.find((h) => h.key === ctx.host.key)?.state ?? '?'}`);
      await ctx.create(
        { kind: 'remote-file', id: `/usr/local/bin/velociraptor_client@${name}`, title: 'binary' },
        () => wait(this.stepMs),
      );
      ctx.progress(0.5, 'half');
      await ctx.enter('installing');
      if (name.startsWith('slow-') && this.slow) await wait(60_000);
      await ctx.enter('verifying');
      working = false;
      this.active--;
      await wait(this.verifyMs);
      return {
        outcome: 'enrolled',
        clientId: `C.${Buffer.from(name).toString('hex').padEnd(16, '0').slice(0, 16)}`,
      };
    } finally {
      if (working) this.active--;
      this.inFlight--;
    }
  }
}

let dir: string;
let store: AgentRunStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-fanout-'));
  store = new AgentRunStore(join(dir, 'agent-runs'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const hosts = (...names: string[]) => names.map((host) => ({ host, os: 'auto' as const }));

describe('fan-out', () => {
  it('bounded concurrency; each state journaled before the host moves on; CSV summary', async () => {
    const pusher = new ScriptedPusher(store);
    // Enrolment takes longer than an upload: hosts verifying give their slot to the next upload.
    pusher.verifyMs = 40;
    const runner = new AgentPushRunner({ store, pushers: [pusher], retryDelayMs: () => 1 });
    const events: AgentRunEvent[] = [];
    const names = Array.from({ length: 30 }, (_, i) => `ok-${i}.lab`);
    const doc = await runner.start(
      { name: 'thirty', channel: 'ssh', settings: {}, hosts: hosts(...names), concurrency: 4, retries: 0 },
      { onEvent: (e) => events.push(e) },
    );
    expect(pusher.maxActive).toBe(4);
    expect(pusher.maxInFlight).toBeGreaterThan(4);
    expect(pusher.maxInFlight).toBeLessThanOrEqual(4 * VERIFYING_PER_SLOT);
    expect(pusher.opened).toBe(1);
    expect(pusher.closed).toBe(1);
    expect(doc.state).toBe('finished');
    expect(doc.hosts.every((h) => h.state === 'enrolled' && h.attempts === 1 && h.clientId)).toBe(true);
    expect(pusher.journaledBefore).toHaveLength(30);
    expect(pusher.journaledBefore.every((s) => s.endsWith(':uploading'))).toBe(true);
    const onDisk = await store.read(doc.id);
    expect(onDisk.owner).toBeNull();
    expect(onDisk.hosts[0]!.resources).toEqual([
      {
        kind: 'remote-file',
        id: '/usr/local/bin/velociraptor_client@ok-0.lab',
        title: 'binary',
        state: 'created',
      },
    ]);
    const states = events
      .filter(
        (e): e is Extract<AgentRunEvent, { type: 'host' }> => e.type === 'host' && e.host.host === 'ok-3.lab',
      )
      .map((e) => e.host.state);
    expect([...new Set(states)]).toEqual([
      'queued',
      'connecting',
      'uploading',
      'installing',
      'verifying',
      'enrolled',
    ]);
    const last = events.filter((e) => e.type === 'run').at(-1);
    expect(last).toMatchObject({ state: 'finished', counts: { total: 30, enrolled: 30 } });

    const csv = summaryCsv(onDisk).split('\n');
    expect(csv[0]).toBe(
      'host,port,channel,state,attempts,client_id,platform,error_code,error,started_at,ended_at,seconds',
    );
    expect(csv[1]).toMatch(/^ok-0\.lab,22,ssh,enrolled,1,C\.[0-9a-f]{16},,,,\d{4}-/);
    expect(runSummary(onDisk).counts).toEqual({
      total: 30,
      queued: 0,
      active: 0,
      enrolled: 30,
      removed: 0,
      failed: 0,
      cancelled: 0,
    });
  });

  it('retries transient failures only; a refused login fails at once while the others succeed', async () => {
    const pusher = new ScriptedPusher(store);
    const runner = new AgentPushRunner({ store, pushers: [pusher], retryDelayMs: () => 5 });
    const doc = await runner.start({
      name: 'mixed',
      channel: 'ssh',
      settings: {},
      hosts: hosts('down-2-a.lab', 'down-9-b.lab', 'auth-c.lab', 'ok-d.lab'),
      concurrency: 8,
      retries: 3,
    });
    const by = Object.fromEntries(doc.hosts.map((h) => [h.host, h]));
    expect(by['down-2-a.lab']).toMatchObject({ state: 'enrolled', attempts: 3 });
    expect(by['down-9-b.lab']).toMatchObject({
      state: 'failed',
      attempts: 4,
      error: { code: 'SSH_UNREACHABLE', transient: true },
    });
    expect(by['auth-c.lab']).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'SSH_AUTH_FAILED', transient: false },
    });
    expect(by['ok-d.lab']!.state).toBe('enrolled');
    expect(summaryCsv(doc)).toMatch(
      /auth-c\.lab,22,ssh,failed,1,,,SSH_AUTH_FAILED,auth-c\.lab refused the login\./,
    );
  });

  it('cancel: hosts in flight and in the queue end cancelled; the run resumes them later', async () => {
    const pusher = new ScriptedPusher(store);
    const runner = new AgentPushRunner({ store, pushers: [pusher], retryDelayMs: () => 1 });
    const controller = new AbortController();
    const names = ['ok-1.lab', 'slow-2.lab', 'slow-3.lab', 'ok-4.lab', 'ok-5.lab', 'ok-6.lab'];
    const doc = await runner.start(
      { name: 'cancel', channel: 'ssh', settings: {}, hosts: hosts(...names), concurrency: 2, retries: 0 },
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'host' && e.host.host === 'slow-3.lab' && e.host.state === 'installing')
            controller.abort();
        },
      },
    );
    expect(doc.state).toBe('cancelled');
    const by = Object.fromEntries(doc.hosts.map((h) => [h.host, h.state]));
    expect(by).toMatchObject({
      'ok-1.lab': 'enrolled',
      'slow-2.lab': 'cancelled',
      'slow-3.lab': 'cancelled',
    });
    expect(['cancelled', 'enrolled']).toContain(by['ok-4.lab']);
    expect(by['ok-6.lab']).toBe('cancelled');

    pusher.slow = false;
    const again = await runner.resume(doc.id);
    expect(again.state).toBe('finished');
    const after = Object.fromEntries(again.hosts.map((h) => [h.host, h]));
    expect(after['ok-1.lab']!.attempts).toBe(1); // kept, not pushed again
    expect(after['ok-6.lab']!.state).toBe('enrolled');
  });

  it('a run left by a dead process is listed as interrupted and resumes its unfinished hosts', async () => {
    const pusher = new ScriptedPusher(store);
    const runner = new AgentPushRunner({ store, pushers: [pusher], retryDelayMs: () => 1 });
    const draft = runner.draft({
      name: 'crashed',
      channel: 'ssh',
      settings: {},
      hosts: hosts('ok-a.lab', 'ok-b.lab', 'ok-c.lab'),
      concurrency: 2,
      retries: 0,
    });
    const crashed: AgentRunDoc = {
      ...draft,
      owner: { pid: 2 ** 22 + 1, token: 'x', since: draft.createdAt, heartbeatAt: draft.createdAt },
      hosts: [
        { ...draft.hosts[0]!, state: 'enrolled', attempts: 1, clientId: 'C.0000000000000001' },
        { ...draft.hosts[1]!, state: 'uploading', attempts: 1 },
        draft.hosts[2]!,
      ],
    };
    await store.write(crashed);
    const interrupted = await runner.interrupted();
    expect(interrupted.map((r) => r.id)).toEqual([crashed.id]);
    expect(runSummary(interrupted[0]!).interrupted).toBe(true);
    const done = await runner.resume(crashed.id);
    expect(done.hosts.map((h) => [h.host, h.state, h.clientId])).toEqual([
      ['ok-a.lab', 'enrolled', 'C.0000000000000001'],
      ['ok-b.lab', 'enrolled', expect.stringMatching(/^C\./)],
      ['ok-c.lab', 'enrolled', expect.stringMatching(/^C\./)],
    ]);
    expect(pusher.attempts.has('ok-a.lab')).toBe(false);
    expect(await runner.interrupted()).toEqual([]);
  });

  it('refuses a run another live process owns, and bad plans', async () => {
    const pusher = new ScriptedPusher(store);
    const runner = new AgentPushRunner({ store, pushers: [pusher] });
    const draft = runner.draft({
      name: 'x',
      channel: 'ssh',
      settings: {},
      hosts: hosts('ok-a'),
      concurrency: 1,
      retries: 0,
    });
    await store.write({
      ...draft,
      owner: { pid: process.ppid, token: 't', since: draft.createdAt, heartbeatAt: new Date().toISOString() },
    });
    await expect(runner.resume(draft.id)).rejects.toMatchObject({ code: 'AGENT_RUN_IN_PROGRESS' });
    const plan = {
      name: 'x',
      channel: 'ssh' as const,
      settings: {},
      hosts: hosts('a'),
      concurrency: 1,
      retries: 0,
    };
    expect(() => runner.draft({ ...plan, concurrency: 0 })).toThrow(/Concurrency/);
    expect(() => runner.draft({ ...plan, concurrency: 65 })).toThrow(/Concurrency/);
    expect(() => runner.draft({ ...plan, hosts: [] })).toThrow(/no host/);
    expect(() => runner.draft({ ...plan, channel: 'winrm' })).toThrow(/winrm/);
  });

  it('the journal refuses key material in settings', async () => {
    const runner = new AgentPushRunner({ store, pushers: [new ScriptedPusher(store)] });
    await expect(
      runner.start({
        name: 'leak',
        channel: 'ssh',
        settings: { key: '-----BEGIN OPENSSH PRIVATE KEY-----' },
        hosts: hosts('ok-a'),
        concurrency: 1,
        retries: 0,
      }),
    ).rejects.toThrow(/key material/);
  });

  it('error classification: unreachable and connect timeouts are transient, the rest is not', () => {
    expect(hostErrorOf(new AppError('WINRM_UNREACHABLE', 'x'), 'connecting').transient).toBe(true);
    expect(hostErrorOf(new AppError('TIMEOUT', 'x'), 'connecting').transient).toBe(true);
    expect(hostErrorOf(new AppError('TIMEOUT', 'x'), 'verifying').transient).toBe(false);
    expect(hostErrorOf(new AppError('SSH_HOST_KEY_MISMATCH', 'x'), 'connecting').transient).toBe(false);
    expect(hostErrorOf(new Error('boom'), 'installing')).toEqual({
      code: 'INTERNAL',
      message: 'boom',
      transient: false,
    });
  });

  it('the journal on disk is always whole JSON', async () => {
    const runner = new AgentPushRunner({ store, pushers: [new ScriptedPusher(store, 1)] });
    const doc = await runner.start({
      name: 'json',
      channel: 'ssh',
      settings: {},
      hosts: hosts(...Array.from({ length: 50 }, (_, i) => `ok-${i}`)),
      concurrency: 16,
      retries: 0,
    });
    const text = await readFile(store.pathOf(doc.id), 'utf8');
    expect((JSON.parse(text) as AgentRunDoc).hosts).toHaveLength(50);
    await writeFile(store.pathOf(doc.id), '{not json');
    const listed = await store.list();
    expect(listed.problems[0]!.message).toMatch(/not valid JSON/);
  });
});
