/**
 * The investigation service: clients, collections, VFS, hunts, VQL cells and result sets, over the
 * operations of one server + org at a time. Files fetched from servers land under
 * <dataDir>/downloads (VFS files) and <dataDir>/exports (flow zips), hashed while written.
 */
import { open, realpath } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type {
  ClientSummary,
  Deleted,
  DownloadProgress,
  QuarantinePlan,
  VfsAccessor,
  FlowSummary,
  VfsEntry,
} from '../../../shared/contracts/clients';
import type { Target } from '../../../shared/contracts/connections';
import type { ArtifactSummary, LogLine, Resources, UploadInfo } from '../../../shared/contracts/collections';
import type { HuntFlow, HuntScope, HuntSummary } from '../../../shared/contracts/hunts';
import type { CompletionItem, RunEvent } from '../../../shared/contracts/vql';
import { AppError, isAppError, messageOf } from '../../../shared/errors';
import { parseClientQuery } from '../../../shared/client-search';
import { droppedLabelsWarning, matchesHuntScope } from '../../../shared/hunt-scope';
import {
  evidenceFileName,
  type HuntOs,
  type ResourceLimits,
  type VelociraptorService,
} from '../velociraptor/index';
import type { QueryEvent, RowsEvent } from '../velociraptor/index';
import type { ConnectionManager } from '../connections/index';
import { isoToMs, toArtifact, toClient, toCompletion, toFlow, toHunt, toHuntFlow, toVfsEntry } from './map';
import { ResultStore, type ResultSet } from './result-store';
import { coalesce, RunProgress } from './run-stream';
import { latestProgress } from '../rpc/index';

const LIST_DIR = 'System.VFS.ListDirectory';
const DOWNLOAD_FILE = 'System.VFS.DownloadFile';
const CACHE_MS = 5 * 60_000;
/** Bytes per chunk when a saved file is read back (base64 over IPC or WebSocket: ~340 kB a message). */
const READ_CHUNK = 256 * 1024;
/** The operations' ceiling for one list read; the UI's lists (clients for an estimate, hunts, logs) stay below it. */
const ALL = 10_000;
/** Result grids and cells keep big integers exact as text (rows go over IPC/WebSocket as JSON). */
const GRID = { bigInts: 'string' } as const;
/** Rows kept in a result set stay unparsed until a window, view or export reads them (result-store.ts). */
const KEPT = { ...GRID, raw: true } as const;

export class InvestigationService {
  readonly results = new ResultStore();
  private readonly completionCache = new Map<string, { at: number; items: CompletionItem[] }>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly dataDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  private ops(t: Target): Promise<VelociraptorService> {
    return this.connections.service(t);
  }

  // ---- clients -------------------------------------------------------------------------------

  async searchClients(
    t: Target,
    query: string,
    limit: number,
  ): Promise<{ clients: ClientSummary[]; more: boolean }> {
    const rows = await (await this.ops(t)).searchClients({ ...parseClientQuery(query), limit: limit + 1 });
    return { clients: rows.slice(0, limit).map(toClient), more: rows.length > limit };
  }

  async client(t: Target, clientId: string): Promise<ClientSummary> {
    return toClient(await (await this.ops(t)).getClient(clientId));
  }

  async setLabels(
    t: Target,
    clientId: string,
    add: string[],
    remove: string[],
  ): Promise<{ labels: string[] }> {
    const ops = await this.ops(t);
    if (add.length) await ops.setLabels(clientId, add, 'set');
    if (remove.length) await ops.setLabels(clientId, remove, 'remove');
    return { labels: (await this.client(t, clientId)).labels };
  }

  async interrogate(t: Target, clientId: string): Promise<{ flowId: string }> {
    return { flowId: (await (await this.ops(t)).interrogate(clientId)).flowId };
  }

  async quarantinePlan(
    t: Target,
    clientId: string,
    remove: boolean,
    message?: string,
  ): Promise<QuarantinePlan> {
    const p = await (await this.ops(t)).planQuarantine({ clientId, remove, message });
    return {
      os: p.os,
      artifact: p.artifact,
      parameters: p.parameters,
      label: { op: p.label.op, label: p.label.label },
      queries: [p.query, p.label.query],
    };
  }

  async quarantine(
    t: Target,
    clientId: string,
    remove: boolean,
    message?: string,
  ): Promise<{ flowId: string; artifact: string }> {
    const r = await (await this.ops(t)).quarantine({ clientId, remove, message });
    return { flowId: r.flowId, artifact: r.artifact };
  }

  async deleteClient(t: Target, clientId: string): Promise<Deleted> {
    return (await this.ops(t)).deleteClient(clientId);
  }

  async deleteFlow(t: Target, clientId: string, flowId: string): Promise<Deleted> {
    return (await this.ops(t)).deleteFlow(clientId, flowId);
  }

  async flows(t: Target, clientId: string, limit: number): Promise<FlowSummary[]> {
    return (await (await this.ops(t)).listFlows(clientId, { limit })).map(toFlow);
  }

  // ---- VFS -------------------------------------------------------------------------------------

  /** The last finished listing of `path` (no new collection), and which of its files were downloaded. */
  async vfsList(
    t: Target,
    clientId: string,
    path: string,
    accessor: VfsAccessor = 'auto',
  ): Promise<{ entries: VfsEntry[]; refreshedMs: number | null }> {
    const ops = await this.ops(t);
    const done = (await ops.listFlows(clientId, { limit: 500 })).filter((f) => f.state === 'FINISHED');
    const listing = done.find(
      (f) =>
        f.artifacts.includes(LIST_DIR) &&
        samePath(f.parameters[LIST_DIR]?.Path ?? '', path) &&
        (f.parameters[LIST_DIR]?.Accessor || 'auto') === accessor,
    );
    const downloaded = new Set(
      done
        .filter((f) => f.artifacts.includes(DOWNLOAD_FILE))
        .map((f) => f.parameters[DOWNLOAD_FILE]?.Path ?? ''),
    );
    if (!listing) return { entries: [], refreshedMs: null };
    const rows = await drain(
      ops.streamFlowResults({ clientId, flowId: listing.flowId, artifact: `${LIST_DIR}/Listing` }, GRID),
    );
    const entries = rows
      .map((r) => toVfsEntry(r, downloaded))
      .sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
    return { entries, refreshedMs: isoToMs(listing.createTime) };
  }

  async vfsRefresh(
    t: Target,
    clientId: string,
    path: string,
    accessor: VfsAccessor = 'auto',
  ): Promise<{ flowId: string; state: string }> {
    const ops = await this.ops(t);
    const { flowId } = await ops.vfsRefresh({ clientId, path, accessor });
    const f = await ops.waitForFlow(clientId, flowId, { timeoutMs: 120_000 });
    return { flowId, state: f.state };
  }

  async *download(
    t: Target,
    clientId: string,
    path: string,
    signal: AbortSignal,
    accessor: VfsAccessor = 'auto',
  ): AsyncGenerator<DownloadProgress> {
    const ops = await this.ops(t);
    yield { received: 0, total: 0, done: false };
    const { flowId } = await ops.vfsDownload({ clientId, path, accessor }, { signal });
    const flow = await ops.waitForFlow(clientId, flowId, { timeoutMs: 300_000, signal });
    if (flow.state !== 'FINISHED')
      throw new AppError(
        'VQL_ERROR',
        `The client could not fetch ${path} (flow ${flowId}: ${flow.state} ${flow.status}).`,
      );
    const upload = (await ops.listUploads(clientId, flowId, { signal }))[0];
    if (!upload || upload.components.length === 0)
      throw new AppError('NOT_FOUND', `The collection finished but uploaded no file for ${path}.`);
    const name = basename(path.replace(/\\/g, '/')) || 'file';
    const dir = join(this.dataDir, 'downloads', evidenceFileName(t.server), evidenceFileName(clientId));
    yield* this.fetchToFile(ops, upload.components, upload.size, dir, `${flowId}-${name}`, signal);
  }

  async *exportFlow(
    t: Target,
    clientId: string,
    flowId: string,
    signal: AbortSignal,
  ): AsyncGenerator<DownloadProgress> {
    const ops = await this.ops(t);
    yield { received: 0, total: 0, done: false };
    const components = await ops.prepareFlowZip(clientId, flowId, { signal, deadlineMs: 600_000 });
    const dir = join(this.dataDir, 'exports', evidenceFileName(t.server));
    const name = components[components.length - 1] ?? `${clientId}-${flowId}.zip`;
    yield* this.fetchToFile(ops, components, 0, dir, name, signal);
  }

  async *exportHunt(t: Target, huntId: string, signal: AbortSignal): AsyncGenerator<DownloadProgress> {
    const ops = await this.ops(t);
    yield { received: 0, total: 0, done: false };
    const components = await ops.prepareHuntZip(huntId, { signal, deadlineMs: 600_000 });
    const dir = join(this.dataDir, 'exports', evidenceFileName(t.server));
    yield* this.fetchToFile(
      ops,
      components,
      0,
      dir,
      components[components.length - 1] ?? `${huntId}.zip`,
      signal,
    );
  }

  /**
   * A file the app saved under <dataDir>/downloads or <dataDir>/exports, read back in chunks (browser
   * mode hands it to the browser). The real path must stay inside one of those folders: no other file
   * of the machine is readable this way, whatever the path says (`..`, symbolic links).
   */
  async *readSaved(
    path: string,
    signal: AbortSignal,
  ): AsyncGenerator<{ base64: string; offset: number; size: number }> {
    const real = await realpath(resolve(path)).catch((cause: unknown) => {
      throw new AppError('NOT_FOUND', `${path} is not there any more: download or export it again.`, {
        cause,
      });
    });
    const roots = await Promise.all(
      ['downloads', 'exports'].map((d) => realpath(join(this.dataDir, d)).catch(() => null)),
    );
    if (!roots.some((r) => r !== null && real.startsWith(r + sep)))
      throw new AppError('PERMISSION_DENIED', 'Only files the app downloaded or exported can be read back.');
    const fh = await open(real, 'r');
    try {
      const { size } = await fh.stat();
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      for (let offset = 0; offset < size;) {
        if (signal.aborted) throw new AppError('CANCELLED', 'Stopped.');
        const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, offset);
        if (bytesRead === 0) break;
        yield { base64: buf.toString('base64', 0, bytesRead), offset, size };
        offset += bytesRead;
      }
      if (size === 0) yield { base64: '', offset: 0, size: 0 };
    } finally {
      await fh.close();
    }
  }

  /**
   * The operations' chunked, hashed download into the app's own folders (a repeated export replaces
   * its file), its progress callbacks turned into stream events.
   */
  private async *fetchToFile(
    ops: VelociraptorService,
    components: string[],
    total: number,
    dir: string,
    name: string,
    signal: AbortSignal,
  ): AsyncGenerator<DownloadProgress> {
    // Only the newest count is kept: a slow renderer never holds the download back or buffers it.
    const r = yield* latestProgress((report: (p: DownloadProgress) => void) =>
      ops.downloadInto({ components }, dir, name, {
        overwrite: true,
        signal,
        onProgress: (p) => report({ received: p.bytes, total: Math.max(total, p.bytes), done: false }),
      }),
    );
    yield { received: r.bytes, total: r.bytes, done: true, sha256: r.sha256, savedTo: r.path };
  }

  // ---- collections -----------------------------------------------------------------------------

  /** The server's artifacts (its catalogue, cached per server, org and version by the core). */
  async artifacts(t: Target, search: string, kind: 'CLIENT' | 'SERVER' | 'ANY'): Promise<ArtifactSummary[]> {
    const list = (await (await this.ops(t)).allArtifacts())
      .map(toArtifact)
      .sort((a, b) => a.name.localeCompare(b.name));
    const q = search.trim().toLowerCase();
    return list.filter(
      (a) =>
        (kind === 'ANY' || a.type === kind) &&
        (!q || a.name.toLowerCase().includes(q) || a.description.toLowerCase().includes(q)),
    );
  }

  /** One collection per client; a client that refuses is reported, the others still start. */
  async launch(
    t: Target,
    clientIds: string[],
    artifacts: string[],
    parameters: Record<string, Record<string, string>>,
    r: Resources,
  ) {
    const ops = await this.ops(t);
    // An artifact or parameter this server does not declare is refused once, with its own code,
    // not as one identical failure per client.
    await ops.checkDeclared(artifacts, parameters);
    const flows: Array<{ clientId: string; flowId: string }> = [];
    const failures: Array<{ clientId: string; message: string }> = [];
    for (const clientId of clientIds) {
      try {
        const { flowId } = await ops.collect({
          clientId,
          artifacts,
          parameters,
          urgent: r.urgent,
          ...limits(r),
        });
        flows.push({ clientId, flowId });
      } catch (e) {
        failures.push({ clientId, message: messageOf(e) });
      }
    }
    if (flows.length === 0 && failures[0]) throw new AppError('VQL_ERROR', failures[0].message);
    return { flows, failures };
  }

  async flow(t: Target, clientId: string, flowId: string): Promise<FlowSummary> {
    return toFlow(await (await this.ops(t)).flowStatus(clientId, flowId));
  }

  async logs(t: Target, clientId: string, flowId: string): Promise<LogLine[]> {
    return (await (await this.ops(t)).flowLogs(clientId, flowId, { limit: ALL })).map((l) => ({
      timeMs: isoToMs(l.time),
      level: l.level || 'INFO',
      message: l.message,
    }));
  }

  async uploads(t: Target, clientId: string, flowId: string): Promise<UploadInfo[]> {
    return (await (await this.ops(t)).listUploads(clientId, flowId)).map((u) => ({
      vfsPath: u.vfsPath,
      clientPath: u.clientPath,
      size: u.size,
      uploadedSize: u.uploadedSize,
    }));
  }

  async flowResults(t: Target, clientId: string, flowId: string, source: string, owner: string) {
    return this.fill(
      (await this.ops(t)).streamFlowResults({ clientId, flowId, artifact: source }, KEPT),
      owner,
    );
  }

  /** false when the server had nothing to cancel (cancel_flow answered nothing). */
  async cancel(t: Target, clientId: string, flowId: string): Promise<boolean> {
    try {
      await (await this.ops(t)).cancelFlow(clientId, flowId);
      return true;
    } catch (e) {
      if (isAppError(e, 'VQL_ERROR')) return false;
      throw e;
    }
  }

  private async fill(
    events: AsyncIterable<QueryEvent>,
    owner: string,
  ): Promise<{ resultId: string; total: number; columns: string[] }> {
    const set = this.results.create(owner);
    for await (const ev of events) if (ev.type === 'rows') addRows(set, ev);
    set.complete = true;
    return { resultId: set.id, total: set.size, columns: set.columns };
  }

  // ---- hunts -----------------------------------------------------------------------------------

  async hunts(t: Target): Promise<HuntSummary[]> {
    return (await (await this.ops(t)).listHunts({ limit: ALL })).map(toHunt);
  }

  async hunt(t: Target, huntId: string): Promise<HuntSummary> {
    return toHunt(await (await this.ops(t)).huntStatus(huntId));
  }

  private async allClients(ops: VelociraptorService): Promise<ClientSummary[]> {
    return (await ops.searchClients({ search: 'all', limit: ALL })).map(toClient);
  }

  /** Which clients a hunt with this scope would reach now (the server's rule: matchesHuntScope). */
  async estimate(
    t: Target,
    scope: HuntScope,
  ): Promise<{ count: number; online: number; sample: string[]; warning?: string }> {
    const matched = (await this.allClients(await this.ops(t))).filter((c) => matchesHuntScope(scope, c));
    const warning = droppedLabelsWarning(scope);
    return {
      count: matched.length,
      online: matched.filter((c) => c.online).length,
      sample: matched.slice(0, 8).map((c) => c.hostname || c.clientId),
      ...(warning ? { warning } : {}),
    };
  }

  async createHunt(
    t: Target,
    input: {
      description: string;
      artifacts: string[];
      parameters: Record<string, Record<string, string>>;
      scope: HuntScope;
      expiresHours: number;
      resources: Resources;
      paused: boolean;
    },
  ) {
    const os: HuntOs | undefined = input.scope.os || undefined;
    return (await this.ops(t)).createHunt({
      description: input.description,
      artifacts: input.artifacts,
      parameters: input.parameters,
      // The scope form offers both; as in Velociraptor, an OS wins over include labels.
      ...(os ? { os } : { includeLabels: input.scope.includeLabels }),
      excludeLabels: input.scope.excludeLabels,
      expiresInSeconds: Math.floor(input.expiresHours * 3600),
      start: !input.paused,
      ...limits(input.resources),
    });
  }

  async updateHunt(t: Target, huntId: string, action: 'start' | 'stop'): Promise<{ state: string }> {
    const ops = await this.ops(t);
    const h = action === 'start' ? await ops.startHunt(huntId) : await ops.stopHunt(huntId);
    return { state: h.state };
  }

  async huntFlows(t: Target, huntId: string): Promise<HuntFlow[]> {
    const ops = await this.ops(t);
    const flows = await ops.huntFlows(huntId, { limit: ALL });
    const names = new Map<string, string>();
    if (flows.length) for (const c of await this.allClients(ops)) names.set(c.clientId, c.hostname);
    return flows.map((f) => toHuntFlow(f, names));
  }

  async huntResults(t: Target, huntId: string, source: string, owner: string) {
    return this.fill((await this.ops(t)).streamHuntResults(huntId, source, KEPT), owner);
  }

  // ---- VQL -------------------------------------------------------------------------------------

  async completions(t: Target): Promise<CompletionItem[]> {
    const key = t.server + '|' + t.org;
    const c = this.completionCache.get(key);
    if (c && this.now() - c.at < CACHE_MS) return c.items;
    const ops = await this.ops(t);
    const [help, arts] = await Promise.all([ops.vqlHelp(), this.artifacts(t, '', 'ANY')]);
    const items: CompletionItem[] = [
      ...help.map(toCompletion),
      ...arts.map((a) => ({
        name: a.name,
        kind: 'artifact' as const,
        description: a.description,
        args: a.parameters.map((p) => ({
          name: p.name,
          type: p.type,
          required: false,
          description: p.description,
        })),
      })),
    ];
    this.completionCache.set(key, { at: this.now(), items });
    return items;
  }

  /**
   * Runs a cell. Rows go into a result set; the renderer gets coalesced progress (row count, log lines,
   * the first rows' text once) at most ~8 times a second and fetches the window it shows. Log lines that
   * report a failure end the stream with VQL_ERROR after everything else was delivered, so the cell
   * shows both the partial rows and the error.
   */
  async *run(
    t: Target,
    text: string,
    timeoutSeconds: number,
    owner: string,
    signal: AbortSignal,
  ): AsyncGenerator<RunEvent> {
    const set: ResultSet = this.results.create(owner);
    const started = Date.now();
    let firstRowsMs: number | null = null;
    yield { type: 'started', resultId: set.id };
    const problems: string[] = [];
    const progress = new RunProgress(set);
    const source = (await this.ops(t)).streamVql(text, {}, { ...KEPT, timeoutSeconds, signal, maxWait: 1 });
    const absorb = (ev: QueryEvent): boolean => {
      if (ev.type === 'log') {
        if (ev.problem) problems.push(ev.message);
        progress.log({
          timeMs: Math.floor(ev.timestampUs / 1000) || Date.now(),
          level: ev.level,
          message: ev.message,
          ...(ev.problem ? { problem: ev.problem } : {}),
        });
        return false;
      }
      if (addRows(set, ev) === 0) return false;
      if (firstRowsMs !== null) return false;
      firstRowsMs = Date.now() - started;
      return true; // the first rows go out at once, with their text: the grid paints without a round trip
    };
    yield* coalesce(source, absorb, () => progress.flush());
    set.complete = true;
    const final = progress.flush(true);
    if (final) yield final;
    yield { type: 'done', total: set.size, elapsedMs: Date.now() - started, firstRowsMs };
    if (problems.length)
      throw new AppError('VQL_ERROR', problems[0] ?? 'The query failed.', {
        details: { logs: problems.slice(0, 20) },
      });
  }
}

/** The contract's resources → the operations' limits (cpu_limit is a whole percent; 0 = no limit). */
function limits(r: Resources): ResourceLimits {
  const cpu = r.cpuLimit === undefined ? 0 : Math.round(r.cpuLimit);
  return {
    ...(r.timeoutSeconds !== undefined ? { timeoutSeconds: r.timeoutSeconds } : {}),
    ...(cpu > 0 ? { cpuLimit: cpu } : {}),
    ...(r.maxRows !== undefined ? { maxRows: r.maxRows } : {}),
    ...(r.maxBytes !== undefined ? { maxBytes: r.maxBytes } : {}),
  };
}

/** A rows event into a result set: raw batches as bytes, parsed ones as rows. Returns the rows added. */
function addRows(set: ResultSet, ev: RowsEvent): number {
  if (ev.raw) {
    set.pushRaw(ev.raw, ev.columns);
    return ev.raw.count;
  }
  set.push(ev.rows, ev.columns);
  return ev.rows.length;
}

async function drain(events: AsyncIterable<QueryEvent>): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const ev of events) if (ev.type === 'rows') for (const r of ev.rows) out.push(r);
  return out;
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase() || '/';
  return norm(a) === norm(b);
}
