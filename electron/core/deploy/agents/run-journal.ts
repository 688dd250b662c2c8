/**
 * The journal of an agent push, kept like a deployment's (deploy/journal.ts): one JSON document per run
 * under `<dataDir>/agent-runs/`, replaced atomically (JsonFile) on every change, with an owner (pid,
 * token, heartbeat) so a run a dead process left behind is found at start and resumed. It holds each
 * host's state, attempts, error and the resources made on it (journaled `intended` before and
 * `created` after), never a secret: settings name keychain references only, and the deployment
 * journal's secret check applies here too.
 *
 * A push to hundreds of hosts changes state thousands of times: writes are coalesced — every change
 * is applied in memory at once, and the promise it returns resolves when a write that includes it is
 * on disk, so a host never moves on before its state is journaled, yet concurrent hosts share writes.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentChannel, HostStatus, RunState, type RunCounts } from '../../../../shared/agents';
import { AppError, asError, messageOf } from '../../../../shared/errors';
import { JsonFile } from '../../files/index';
import { assertNoSecrets, JournalOwner, ownerAlive, OWNER_STALE_MS } from '../journal';

export const RUN_FORMAT = 'megaraptor-agent-run';

export const HostResourceState = z.enum(['intended', 'created', 'removed']);

/** Something a push made on a host (a file, a unit, a service), so uninstall and clean-up know it. */
export const HostResource = z.object({
  kind: z.enum(['remote-file', 'remote-dir', 'unit', 'service', 'package', 'writeback']),
  id: z.string().min(1).max(512),
  title: z.string().max(200),
  state: HostResourceState,
});
export type HostResource = z.infer<typeof HostResource>;

export const RunHost = HostStatus.extend({
  os: z.enum(['auto', 'linux', 'darwin', 'windows']),
  resources: z.array(HostResource),
});
export type RunHost = z.infer<typeof RunHost>;

export const AgentRunDoc = z.object({
  format: z.literal(RUN_FORMAT),
  version: z.literal(1),
  id: z.string(),
  name: z.string(),
  channel: AgentChannel,
  /** The pusher's settings (no secrets: keychain references only). */
  settings: z.unknown(),
  concurrency: z.number().int().min(1),
  retries: z.number().int().min(0),
  state: RunState,
  owner: JournalOwner.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  hosts: z.array(RunHost),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type AgentRunDoc = z.infer<typeof AgentRunDoc>;

const ID = /^r[a-z0-9]{6,40}$/;

export function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export function checkRunId(id: string): string {
  if (!ID.test(id)) throw new AppError('INVALID_ARGUMENT', `"${id}" is not an agent push id.`);
  return id;
}

export function countsOf(hosts: readonly Pick<RunHost, 'state'>[]): RunCounts {
  const c: RunCounts = {
    total: hosts.length,
    queued: 0,
    active: 0,
    enrolled: 0,
    removed: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const h of hosts) {
    if (h.state === 'queued') c.queued++;
    else if (h.state === 'enrolled') c.enrolled++;
    else if (h.state === 'removed') c.removed++;
    else if (h.state === 'failed') c.failed++;
    else if (h.state === 'cancelled') c.cancelled++;
    else c.active++;
  }
  return c;
}

/** A run left `running` by a process that is gone (or silent for longer than OWNER_STALE_MS). */
export function isInterruptedRun(doc: AgentRunDoc, now = Date.now()): boolean {
  return doc.state === 'running' && !ownerAlive(doc.owner, now);
}

export class AgentRunStore {
  constructor(readonly dir: string) {}

  pathOf(id: string): string {
    return join(this.dir, `${checkRunId(id)}.json`);
  }

  private file(id: string): JsonFile<typeof AgentRunDoc> {
    return new JsonFile(this.pathOf(id), AgentRunDoc, {
      damaged: (damage, path) =>
        `The journal of agent push ${id} ${damage === 'not-json' ? 'is not valid JSON' : 'has an unexpected structure'} (${path}). Check its hosts by hand.`,
    });
  }

  async read(id: string): Promise<AgentRunDoc> {
    const doc = await this.file(id).read();
    if (!doc) throw new AppError('NOT_FOUND', `No agent push "${id}" is journaled.`, { details: { id } });
    return doc;
  }

  async list(): Promise<{ runs: AgentRunDoc[]; problems: Array<{ id: string; message: string }> }> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const runs: AgentRunDoc[] = [];
    const problems: Array<{ id: string; message: string }> = [];
    for (const name of names.sort()) {
      const id = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!ID.test(id)) continue;
      try {
        runs.push(await this.read(id));
      } catch (e) {
        problems.push({ id, message: messageOf(e) });
      }
    }
    return { runs, problems };
  }

  async write(doc: AgentRunDoc): Promise<void> {
    assertNoSecrets(doc);
    await this.file(doc.id).write(doc);
  }
}

/**
 * One run's journal owned by this process. `update` applies a change now and resolves once a write
 * that includes it is on disk; writes run one at a time and each carries every change made before it.
 */
export class RunJournal {
  private generation = 0;
  private written = 0;
  private loop: Promise<void> | undefined;
  private failure: unknown;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AgentRunStore,
    private current: AgentRunDoc,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  get doc(): Readonly<AgentRunDoc> {
    return this.current;
  }

  host(key: string): RunHost {
    const h = this.current.hosts.find((x) => x.key === key);
    if (!h) throw new AppError('INTERNAL', `Host ${key} is not part of push ${this.current.id}.`);
    return h;
  }

  update(change: (doc: AgentRunDoc) => void): Promise<void> {
    change(this.current);
    this.current.updatedAt = this.clock().toISOString();
    if (this.current.owner) this.current.owner.heartbeatAt = this.current.updatedAt;
    const mine = ++this.generation;
    this.loop ??= this.drain();
    return this.waitFor(mine);
  }

  private async drain(): Promise<void> {
    try {
      while (this.written < this.generation) {
        const gen = this.generation;
        await this.store.write(structuredClone(this.current));
        this.written = gen;
      }
    } catch (e) {
      this.failure = e;
    } finally {
      this.loop = undefined;
    }
  }

  private async waitFor(gen: number): Promise<void> {
    while (this.written < gen) {
      if (this.failure) {
        const e = asError(this.failure);
        this.failure = undefined;
        throw e;
      }
      this.loop ??= this.drain();
      await this.loop;
    }
  }

  async claim(heartbeatMs = 30_000): Promise<void> {
    const o = this.current.owner;
    if (o && o.pid !== process.pid && ownerAlive(o))
      throw new AppError(
        'AGENT_RUN_IN_PROGRESS',
        `Agent push ${this.current.name} is being worked on by process ${o.pid}. Wait for it, or stop that process first.`,
        { details: { id: this.current.id, pid: o.pid } },
      );
    const since = this.clock().toISOString();
    await this.update((d) => {
      d.owner = { pid: process.pid, token: randomBytes(8).toString('hex'), since, heartbeatAt: since };
    });
    this.heartbeat = setInterval(
      () => {
        this.update(() => undefined).catch(() => undefined);
      },
      Math.min(heartbeatMs, OWNER_STALE_MS / 4),
    );
    this.heartbeat.unref();
  }

  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.update((d) => {
      d.owner = null;
    });
  }
}
