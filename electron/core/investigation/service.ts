/**
 * The investigation service: clients, collections, VFS, hunts, VQL cells and result sets, over the
 * operations of one server + org at a time. Files fetched from servers land under
 * <dataDir>/downloads (VFS files) and <dataDir>/exports (flow zips), hashed while written.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ClientSummary, DownloadProgress, FlowSummary, VfsEntry } from '../../../shared/contracts/clients';
import type { Target } from '../../../shared/contracts/connections';
import type { ArtifactSummary, LogLine, Resources, UploadInfo } from '../../../shared/contracts/collections';
import type { HuntFlow, HuntScope, HuntSummary } from '../../../shared/contracts/hunts';
import type { CompletionItem, RunEvent } from '../../../shared/contracts/vql';
import { AppError } from '../../../shared/errors';
import type { QueryEvent } from '../velociraptor/query/stream';
import type { ConnectionManager } from './connections';
import { flowParams, text, toArtifact, toClient, toCompletion, toFlow, toHunt, toHuntFlow, toVfsEntry, usToMs } from './map';
import type { InvestigationOps, Row } from './ops';
import { ResultStore, type ResultSet } from './result-store';

const LIST_DIR = 'System.VFS.ListDirectory';
const DOWNLOAD_FILE = 'System.VFS.DownloadFile';
const CHUNK = 1024 * 1024;
const CACHE_MS = 5 * 60_000;

export class InvestigationService {
  readonly results = new ResultStore();
  private readonly artifactCache = new Map<string, { at: number; list: ArtifactSummary[] }>();
  private readonly completionCache = new Map<string, { at: number; items: CompletionItem[] }>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly dataDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  private async ops(t: Target): Promise<InvestigationOps> {
    await this.connections.ready();
    return this.connections.ops(t);
  }

  // ---- clients -------------------------------------------------------------------------------

  async searchClients(t: Target, query: string, limit: number): Promise<{ clients: ClientSummary[]; more: boolean }> {
    const rows = await (await this.ops(t)).searchClients(query.trim(), limit + 1);
    const now = this.now();
    return { clients: rows.slice(0, limit).map((r) => toClient(r, now)), more: rows.length > limit };
  }

  async client(t: Target, clientId: string): Promise<ClientSummary> {
    const r = await (await this.ops(t)).client(clientId);
    if (!r) throw new AppError('NOT_FOUND', `The server has no client ${clientId}.`);
    return toClient(r, this.now());
  }

  async setLabels(t: Target, clientId: string, add: string[], remove: string[]): Promise<{ labels: string[] }> {
    const ops = await this.ops(t);
    if (add.length) await ops.label(clientId, add, 'set');
    if (remove.length) await ops.label(clientId, remove, 'remove');
    return { labels: (await this.client(t, clientId)).labels };
  }

  async flows(t: Target, clientId: string, limit: number): Promise<FlowSummary[]> {
    return (await (await this.ops(t)).flows(clientId, limit)).map(toFlow);
  }

  // ---- VFS -------------------------------------------------------------------------------------

  async vfsList(t: Target, clientId: string, path: string): Promise<{ entries: VfsEntry[]; refreshedMs: number | null }> {
    const ops = await this.ops(t);
    const flows = await ops.flows(clientId, 500);
    const done = flows.filter((f) => String(f.state) === 'FINISHED');
    const listing = done.find((f) => toFlow(f).artifacts.includes(LIST_DIR) && samePath(flowParams(f, LIST_DIR).Path ?? '', path));
    const downloaded = new Set(done.filter((f) => toFlow(f).artifacts.includes(DOWNLOAD_FILE)).map((f) => flowParams(f, DOWNLOAD_FILE).Path ?? ''));
    if (!listing) return { entries: [], refreshedMs: null };
    const rows = await drain(ops.flowResults(clientId, String(listing.session_id), `${LIST_DIR}/Listing`));
    const entries = rows.map((r) => toVfsEntry(r, downloaded)).sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
    return { entries, refreshedMs: usToMs(listing.create_time) };
  }

  async vfsRefresh(t: Target, clientId: string, path: string): Promise<{ flowId: string; state: string }> {
    const ops = await this.ops(t);
    const flowId = await ops.collect({ clientId, artifacts: [LIST_DIR], parameters: { [LIST_DIR]: { Path: path, Accessor: 'auto', Depth: '0' } }, urgent: true });
    const f = await ops.waitFlow(clientId, flowId, 120_000);
    return { flowId, state: String(f.state) };
  }

  async *download(t: Target, clientId: string, path: string, signal: AbortSignal): AsyncGenerator<DownloadProgress> {
    const ops = await this.ops(t);
    yield { received: 0, total: 0, done: false };
    const flowId = await ops.collect({ clientId, artifacts: [DOWNLOAD_FILE], parameters: { [DOWNLOAD_FILE]: { Path: path, Accessor: 'auto' } }, urgent: true });
    const flow = await ops.waitFlow(clientId, flowId, 300_000, signal);
    if (String(flow.state) !== 'FINISHED') throw new AppError('VQL_ERROR', `The client could not fetch ${path} (flow ${flowId}: ${String(flow.state)} ${text(flow.status)}).`);
    const up = (await ops.uploads(clientId, flowId))[0];
    const upload = up?.Upload as { Components?: unknown; Size?: unknown } | undefined;
    if (!upload || !Array.isArray(upload.Components)) throw new AppError('NOT_FOUND', `The collection finished but uploaded no file for ${path}.`);
    const name = basename(path.replace(/\\/g, '/')) || 'file';
    const dir = join(this.dataDir, 'downloads', safeSegment(t.server), safeSegment(clientId));
    yield* this.fetchToFile(ops, upload.Components.map(String), Number(upload.Size ?? 0), dir, `${flowId}-${safeSegment(name)}`, signal);
  }

  async *exportFlow(t: Target, clientId: string, flowId: string, signal: AbortSignal): AsyncGenerator<DownloadProgress> {
    const ops = await this.ops(t);
    yield { received: 0, total: 0, done: false };
    const components = await ops.flowDownload(clientId, flowId);
    const dir = join(this.dataDir, 'exports', safeSegment(t.server));
    yield* this.fetchToFile(ops, components, 0, dir, safeSegment(components[components.length - 1] ?? `${clientId}-${flowId}.zip`), signal);
  }

  /** VFSGetBuffer in 1 MiB chunks until an empty buffer; sha256 computed over what was written. */
  private async *fetchToFile(ops: InvestigationOps, components: string[], total: number, dir: string, name: string, signal: AbortSignal): AsyncGenerator<DownloadProgress> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const target = join(dir, name);
    const out = createWriteStream(target, { mode: 0o600 });
    const hash = createHash('sha256');
    let received = 0;
    try {
      for (;;) {
        const buf = await ops.readBuffer(components, received, CHUNK, signal);
        if (buf.length === 0) break;
        hash.update(buf);
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
        received += buf.length;
        yield { received, total: Math.max(total, received), done: false };
        if (buf.length < CHUNK && total > 0 && received >= total) break;
      }
    } finally {
      await new Promise<void>((r) => out.end(() => r()));
    }
    yield { received, total: received, done: true, sha256: hash.digest('hex'), savedTo: target };
  }

  // ---- collections -----------------------------------------------------------------------------

  async artifacts(t: Target, search: string, kind: 'CLIENT' | 'SERVER' | 'ANY'): Promise<ArtifactSummary[]> {
    const key = t.server + '|' + t.org;
    let cached = this.artifactCache.get(key);
    if (!cached || this.now() - cached.at > CACHE_MS) {
      cached = { at: this.now(), list: (await (await this.ops(t)).artifacts()).map(toArtifact).sort((a, b) => a.name.localeCompare(b.name)) };
      this.artifactCache.set(key, cached);
    }
    const q = search.trim().toLowerCase();
    return cached.list.filter((a) => (kind === 'ANY' || a.type === kind) && (!q || a.name.toLowerCase().includes(q) || a.description.toLowerCase().includes(q)));
  }

  async launch(t: Target, clientIds: string[], artifacts: string[], parameters: Record<string, Record<string, string>>, r: Resources) {
    const ops = await this.ops(t);
    const flows: Array<{ clientId: string; flowId: string }> = [];
    const failures: Array<{ clientId: string; message: string }> = [];
    for (const clientId of clientIds) {
      try {
        const flowId = await ops.collect({ clientId, artifacts, parameters, urgent: r.urgent, timeoutSeconds: r.timeoutSeconds, cpuLimit: r.cpuLimit, maxRows: r.maxRows, maxBytes: r.maxBytes });
        flows.push({ clientId, flowId });
      } catch (e) {
        failures.push({ clientId, message: e instanceof Error ? e.message : String(e) });
      }
    }
    if (flows.length === 0 && failures[0]) throw new AppError('VQL_ERROR', failures[0].message);
    return { flows, failures };
  }

  async flow(t: Target, clientId: string, flowId: string): Promise<FlowSummary> {
    const r = await (await this.ops(t)).flow(clientId, flowId);
    if (!r) throw new AppError('NOT_FOUND', `No flow ${flowId} on ${clientId}.`);
    return toFlow(r);
  }

  async logs(t: Target, clientId: string, flowId: string): Promise<LogLine[]> {
    // Velociraptor stamps flow log rows with _ts in seconds.
    return (await (await this.ops(t)).flowLogs(clientId, flowId)).map((r) => ({
      timeMs: Number(r._ts ?? r.client_time ?? 0) * 1000,
      level: text(r.level) || 'INFO',
      message: text(r.message),
    }));
  }

  async uploads(t: Target, clientId: string, flowId: string): Promise<UploadInfo[]> {
    return (await (await this.ops(t)).uploads(clientId, flowId)).map((r) => ({ vfsPath: text(r.vfs_path), clientPath: text(r.client_path), size: Number(r.file_size ?? 0), uploadedSize: Number(r.uploaded_size ?? 0) }));
  }

  async flowResults(t: Target, clientId: string, flowId: string, source: string, owner: string) {
    return this.fill((await this.ops(t)).flowResults(clientId, flowId, source), owner);
  }

  async cancel(t: Target, clientId: string, flowId: string): Promise<boolean> {
    return (await this.ops(t)).cancelFlow(clientId, flowId);
  }

  private async fill(events: AsyncIterable<QueryEvent>, owner: string): Promise<{ resultId: string; total: number; columns: string[] }> {
    const set = this.results.create(owner);
    for await (const ev of events) if (ev.type === 'rows') set.push(ev.rows, ev.columns);
    set.complete = true;
    return { resultId: set.id, total: set.rows.length, columns: set.columns };
  }

  // ---- hunts -----------------------------------------------------------------------------------

  async hunts(t: Target): Promise<HuntSummary[]> {
    return (await (await this.ops(t)).hunts()).map(toHunt);
  }

  async hunt(t: Target, huntId: string): Promise<HuntSummary> {
    const r = await (await this.ops(t)).hunt(huntId);
    if (!r) throw new AppError('NOT_FOUND', `No hunt ${huntId}.`);
    return toHunt(r);
  }

  /** Which clients a hunt with this scope would reach now (Velociraptor: OS beats include labels). */
  async estimate(t: Target, scope: HuntScope): Promise<{ count: number; online: number; sample: string[] }> {
    const now = this.now();
    const all = (await (await this.ops(t)).searchClients('all', 100_000)).map((r) => toClient(r, now));
    const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());
    const inc = lower(scope.includeLabels);
    const exc = lower(scope.excludeLabels);
    const matched = all.filter((c) => {
      const labels = lower(c.labels);
      if (exc.some((l) => labels.includes(l))) return false;
      if (scope.os) return c.os.toLowerCase() === scope.os;
      return inc.length === 0 || inc.some((l) => labels.includes(l));
    });
    return { count: matched.length, online: matched.filter((c) => c.online).length, sample: matched.slice(0, 8).map((c) => c.hostname || c.clientId) };
  }

  async createHunt(t: Target, input: { description: string; artifacts: string[]; parameters: Record<string, Record<string, string>>; scope: HuntScope; expiresHours: number; resources: Resources; paused: boolean }) {
    const huntId = await (await this.ops(t)).createHunt({
      description: input.description,
      artifacts: input.artifacts,
      parameters: input.parameters,
      includeLabels: input.scope.includeLabels,
      excludeLabels: input.scope.excludeLabels,
      os: input.scope.os,
      expiresHours: input.expiresHours,
      timeoutSeconds: input.resources.timeoutSeconds,
      cpuLimit: input.resources.cpuLimit,
      maxRows: input.resources.maxRows,
      maxBytes: input.resources.maxBytes,
      paused: input.paused,
    });
    return { huntId };
  }

  async updateHunt(t: Target, huntId: string, action: 'start' | 'stop'): Promise<{ state: string }> {
    await (await this.ops(t)).updateHunt(huntId, action);
    return { state: (await this.hunt(t, huntId)).state };
  }

  async huntFlows(t: Target, huntId: string): Promise<HuntFlow[]> {
    const ops = await this.ops(t);
    const rows = await ops.huntFlows(huntId);
    const names = new Map<string, string>();
    const now = this.now();
    if (rows.length) for (const r of await ops.searchClients('all', 100_000)) names.set(String(r.client_id), toClient(r, now).hostname);
    return rows.map((r) => toHuntFlow(r, names));
  }

  async huntResults(t: Target, huntId: string, source: string, owner: string) {
    return this.fill((await this.ops(t)).huntResults(huntId, source), owner);
  }

  // ---- VQL -------------------------------------------------------------------------------------

  async completions(t: Target): Promise<CompletionItem[]> {
    const key = t.server + '|' + t.org;
    const c = this.completionCache.get(key);
    if (c && this.now() - c.at < CACHE_MS) return c.items;
    const ops = await this.ops(t);
    const [help, arts] = await Promise.all([ops.help(), this.artifacts(t, '', 'ANY')]);
    const items: CompletionItem[] = [
      ...help.map(toCompletion).filter((x): x is CompletionItem => x !== null),
      ...arts.map((a) => ({ name: a.name, kind: 'artifact' as const, description: a.description, args: a.parameters.map((p) => ({ name: p.name, type: p.type, required: false, description: p.description })) })),
    ];
    this.completionCache.set(key, { at: this.now(), items });
    return items;
  }

  /**
   * Runs a cell. Rows go into a result set; the renderer gets a row count at most ~8 times a second
   * and fetches the window it shows. Log lines that report a failure end the stream with VQL_ERROR
   * after everything else was delivered, so the cell shows both the partial rows and the error.
   */
  async *run(t: Target, text: string, timeoutSeconds: number, owner: string, signal: AbortSignal): AsyncGenerator<RunEvent> {
    const set: ResultSet = this.results.create(owner);
    const started = Date.now();
    let firstRowsMs: number | null = null;
    yield { type: 'started', resultId: set.id };
    let lastEmit = 0;
    const problems: string[] = [];
    for await (const ev of (await this.ops(t)).userQuery(text, timeoutSeconds, signal)) {
      if (ev.type === 'log') {
        if (ev.problem) problems.push(ev.message);
        yield { type: 'log', timeMs: Math.floor(ev.timestampUs / 1000) || Date.now(), level: ev.level, message: ev.message, ...(ev.problem ? { problem: ev.problem } : {}) };
        continue;
      }
      if (ev.rows.length === 0) continue;
      set.push(ev.rows, ev.columns);
      const now = Date.now();
      if (firstRowsMs === null) firstRowsMs = now - started;
      if (now - lastEmit > 120 || lastEmit === 0) {
        lastEmit = now;
        yield { type: 'rows', total: set.rows.length, columns: [...set.columns] };
      }
    }
    set.complete = true;
    yield { type: 'rows', total: set.rows.length, columns: [...set.columns] };
    yield { type: 'done', total: set.rows.length, elapsedMs: Date.now() - started, firstRowsMs };
    if (problems.length) throw new AppError('VQL_ERROR', problems[0] ?? 'The query failed.', { details: { logs: problems.slice(0, 20) } });
  }
}

async function drain(events: AsyncIterable<QueryEvent>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const ev of events) if (ev.type === 'rows') for (const r of ev.rows) out.push(r);
  return out;
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase() || '/';
  return norm(a) === norm(b);
}

function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 120) || '_';
}
