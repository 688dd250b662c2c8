/**
 * Binds the MCP port to the connectivity layer. Every Velociraptor operation is the typed operation
 * of `core/velociraptor` (through VelociraptorService); this file only picks the connection (server,
 * org, least-privilege identity), maps the tools' offset/limit paging onto the operations' limits,
 * and turns exact big integers into strings for JSON. The one query composed elsewhere is the
 * assistant's own VQL, run through the service's runVql (user text + env, never spliced).
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError, isAppError } from '../../../shared/errors';
import type { VelociraptorConnection } from '../velociraptor/connection';
import {
  planLabels as planLabelsOp,
  planQuarantine as planQuarantineOp,
  type QuarantineInput,
} from '../velociraptor/operations/clients';
import { planVfsRefresh as planVfsRefreshOp } from '../velociraptor/operations/vfs';
import { planCollect as planCollectOp, type CollectInput } from '../velociraptor/operations/flows';
import { planHuntUpdate as planHuntUpdateOp } from '../velociraptor/operations/hunts';
import type { JsonValue, Row as WireRow } from '../velociraptor/query/json';
import type { ConnectionRegistry } from '../velociraptor/registry';
import { VelociraptorService } from '../velociraptor/service';
import type {
  ArtifactDefinition,
  ArtifactSummary,
  ClientOs,
  ClientSummary,
  CollectAndWaitResult,
  CollectRequest,
  ConnectionSummary,
  DownloadResult,
  FlowLog,
  FlowRef,
  FlowSummary,
  HelpEntry,
  HuntSpec,
  HuntSummary,
  Org,
  Page,
  PlannedQuery,
  QuarantinePlan,
  QueryOptions,
  QueryResult,
  Row,
  Target,
  UploadInfo,
  VelociraptorPort,
} from './ports';

/** Rows the collect-and-wait tools fetch per source; later pages come from get_flow_results. */
const WAIT_RESULT_ROWS = 1000;
/** The operations' own ceiling for a list read (limitOf's default maximum). */
const LIST_MAX = 10_000;

function plainValue(v: JsonValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') return plainRow(v);
  return v;
}

/** Exact big integers (beyond 2^53) arrive as BigInt; JSON for a model carries them as strings. */
function plainRow(r: WireRow): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = plainValue(v);
  return out;
}

/** Operations take a row limit from the start; the tools page with an offset. */
function upTo(page: Page, max = LIST_MAX): number {
  const n = page.offset + page.limit;
  if (n > max)
    throw new AppError('INVALID_ARGUMENT', `Cannot page beyond row ${max} here; narrow the search instead.`);
  return n;
}

function slice<T>(rows: T[], page: Page): T[] {
  return rows.slice(page.offset, page.offset + page.limit);
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isAppError(e, 'NOT_FOUND')) return null;
    throw e;
  }
}

function collectInput(req: CollectRequest): CollectInput {
  return {
    clientId: req.clientId,
    artifacts: req.artifacts,
    parameters: req.parameters,
    urgent: req.urgent,
    timeoutSeconds: req.timeoutSeconds,
    maxRows: req.maxRows,
    maxBytes: req.maxBytes,
    cpuLimit: req.cpuLimit,
  };
}

/** quarantine() and planQuarantine() map their arguments the same way. */
function quarantineInput(
  clientId: string,
  quarantine: boolean,
  message: string | undefined,
): QuarantineInput {
  return { clientId, remove: !quarantine, message, urgent: true };
}

function isProblem(l: FlowLog): boolean {
  return /^(ERROR|WARN)/i.test(l.level) || /^(ERROR|WARN)/i.test(l.message);
}

export interface BridgeDeps {
  /** The registry, or how to get the current one (the app's saved connections can be re-read). */
  registry: ConnectionRegistry | (() => ConnectionRegistry);
  /** Brings the registry up to date before a call (re-reads connections the app saved). */
  refresh?: () => Promise<void>;
  /** The server used when a call names none. */
  defaultServer: () => string | undefined;
}

export class VelociraptorBridge implements VelociraptorPort {
  constructor(private readonly deps: BridgeDeps) {}

  private async registry(): Promise<ConnectionRegistry> {
    await this.deps.refresh?.();
    return typeof this.deps.registry === 'function' ? this.deps.registry() : this.deps.registry;
  }

  private async conn(t: Target): Promise<VelociraptorConnection> {
    const registry = await this.registry();
    const server = t.server ?? this.deps.defaultServer();
    if (!server)
      throw new AppError(
        'CONNECTION_NOT_FOUND',
        'No Velociraptor server is connected. Add one in the app (or start the stdio server with --api-config).',
      );
    if (!registry.has(server))
      throw new AppError(
        'CONNECTION_NOT_FOUND',
        `No connection named "${server}". Call list_connections for the names.`,
      );
    return registry.connection(server, t.org ?? '');
  }

  private async svc(t: Target): Promise<VelociraptorService> {
    return new VelociraptorService(await this.conn(t));
  }

  async connections(): Promise<ConnectionSummary[]> {
    const registry = await this.registry();
    const def = this.deps.defaultServer();
    return registry
      .list()
      .map((s) => ({ name: s.name, address: s.connectionString, user: s.user, isDefault: s.name === def }));
  }

  async serverInfo(t: Target): Promise<Row> {
    const svc = await this.svc(t);
    const user = await svc.whoami();
    try {
      return { user, ...(await svc.serverInfo()) };
    } catch (e) {
      // info() needs MACHINE_STATE; the identity alone still answers "does this connection work".
      if (!isAppError(e)) throw e;
      return { user, info_error: `${e.code}: ${e.message}` };
    }
  }

  async orgs(t: Target): Promise<Org[]> {
    return (await this.svc(t)).listOrgs();
  }

  async searchClients(t: Target, search: string, page: Page): Promise<ClientSummary[]> {
    return slice(await (await this.svc(t)).searchClients({ search, limit: upTo(page) }), page);
  }

  async clientInfo(t: Target, clientId: string): Promise<ClientSummary | null> {
    return orNull((await this.svc(t)).getClient(clientId));
  }

  async clientOs(t: Target, clientId: string): Promise<ClientOs> {
    const s = (await (await this.svc(t)).getClient(clientId)).os.toLowerCase();
    return s === 'windows' || s === 'linux' || s === 'darwin' ? s : 'unknown';
  }

  async label(t: Target, clientId: string, labels: string[], op: 'set' | 'remove'): Promise<string[]> {
    return (await this.svc(t)).setLabels(clientId, labels, op);
  }

  async quarantine(
    t: Target,
    clientId: string,
    quarantine: boolean,
    message?: string,
  ): Promise<{ flowId: string; artifact: string }> {
    const r = await (await this.svc(t)).quarantine(quarantineInput(clientId, quarantine, message));
    return { flowId: r.flowId, artifact: r.artifact };
  }

  async planQuarantine(
    t: Target,
    clientId: string,
    quarantine: boolean,
    message?: string,
  ): Promise<QuarantinePlan> {
    const os = await this.clientOs(t, clientId);
    const p = planQuarantineOp(os, quarantineInput(clientId, quarantine, message));
    return { os, artifact: p.artifact, parameters: p.parameters, query: p.query };
  }

  async listArtifacts(
    t: Target,
    filter: { search?: string | undefined; type?: string | undefined },
    page: Page,
  ): Promise<ArtifactSummary[]> {
    return slice(
      await (
        await this.svc(t)
      ).listArtifacts({ search: filter.search, type: filter.type, limit: upTo(page) }),
      page,
    );
  }

  async artifactDefinition(t: Target, name: string): Promise<ArtifactDefinition | null> {
    return (await orNull((await this.svc(t)).getArtifacts([name])))?.[0] ?? null;
  }

  async collect(t: Target, req: CollectRequest): Promise<{ flowId: string }> {
    return { flowId: (await (await this.svc(t)).collect(collectInput(req))).flowId };
  }

  planCollect(_t: Target, req: CollectRequest): PlannedQuery {
    return planCollectOp(collectInput(req));
  }

  async collectAndWait(
    t: Target,
    req: CollectRequest,
    wait: { waitSeconds: number; signal?: AbortSignal | undefined },
  ): Promise<CollectAndWaitResult> {
    const svc = await this.svc(t);
    let flowId: string;
    let flow: FlowSummary | undefined;
    let results: Record<string, WireRow[]> = {};
    try {
      const r = await svc.collectAndWait(collectInput(req), {
        timeoutMs: wait.waitSeconds * 1000,
        pollMs: 500,
        resultLimit: WAIT_RESULT_ROWS,
        signal: wait.signal,
      });
      ({ flow, results } = r);
      flowId = r.flow.flowId;
    } catch (e) {
      // The wait ran out: the flow keeps running; report it as unfinished rather than as a failure.
      const launched = isAppError(e, 'TIMEOUT') ? e.details?.flowId : undefined;
      if (typeof launched !== 'string') throw e;
      flowId = launched;
      flow = (await orNull(svc.flowStatus(req.clientId, flowId))) ?? undefined;
    }
    const logs = await svc.flowLogs(req.clientId, flowId, { limit: 1000 }).catch((): FlowLog[] => []);
    return {
      flowId,
      state: flow?.state ?? 'RUNNING',
      flow,
      sources: Object.entries(results).map(([source, rows]) => ({ source, rows: rows.map(plainRow) })),
      errors: logs.filter(isProblem).map((l) => `${l.level} ${l.message}`.trim()),
    };
  }

  async flows(t: Target, clientId: string, page: Page): Promise<FlowSummary[]> {
    return slice(await (await this.svc(t)).listFlows(clientId, { limit: upTo(page) }), page);
  }

  async flowStatus(t: Target, f: FlowRef): Promise<FlowSummary | null> {
    return orNull((await this.svc(t)).flowStatus(f.clientId, f.flowId));
  }

  async flowLogs(t: Target, f: FlowRef, page: Page): Promise<FlowLog[]> {
    return slice(await (await this.svc(t)).flowLogs(f.clientId, f.flowId, { limit: upTo(page) }), page);
  }

  async flowResults(t: Target, f: FlowRef, source: string, page: Page): Promise<Row[]> {
    const rows = await (
      await this.svc(t)
    ).flowResults({
      clientId: f.clientId,
      flowId: f.flowId,
      artifact: source,
      startRow: page.offset,
      limit: page.limit,
    });
    return rows.map(plainRow);
  }

  async cancelFlow(t: Target, f: FlowRef): Promise<void> {
    await (await this.svc(t)).cancelFlow(f.clientId, f.flowId);
  }

  async uploads(t: Target, f: FlowRef, page: Page): Promise<UploadInfo[]> {
    return slice(await (await this.svc(t)).listUploads(f.clientId, f.flowId), page);
  }

  async downloadUpload(t: Target, f: FlowRef, vfsPath: string, folder: string): Promise<DownloadResult> {
    const svc = await this.svc(t);
    const up = (await svc.listUploads(f.clientId, f.flowId)).find((u) => u.vfsPath === vfsPath);
    if (!up)
      throw new AppError(
        'NOT_FOUND',
        `Flow ${f.flowId} has no upload ${vfsPath}. Call list_flow_uploads for the paths.`,
      );
    if (up.components.length === 0)
      throw new AppError('VQL_ERROR', 'The server did not give the file store path of this upload.');
    const name =
      basename(up.components[up.components.length - 1] ?? '')
        .replace(/[^A-Za-z0-9._-]/g, '_')
        .replace(/^\.+$/, '') || 'upload';
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const path = join(folder, name);
    // Claim the name first: evidence already in the folder is never overwritten.
    const fh = await open(path, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
      throw new AppError(
        e.code === 'EEXIST' ? 'CONFLICT' : 'INVALID_ARGUMENT',
        e.code === 'EEXIST'
          ? `${path} exists already; choose another folder.`
          : `Cannot write into ${folder}: ${e.message}`,
      );
    });
    await fh.close();
    try {
      const r = await svc.downloadFile({ components: up.components }, path, { total: up.size });
      return { path: r.path, sha256: r.sha256, size: r.bytes };
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
  }

  async vfsList(
    t: Target,
    clientId: string,
    path: string,
    opts: { accessor?: string | undefined; waitSeconds: number; signal?: AbortSignal | undefined },
  ): Promise<{ flowId: string; entries: Row[] }> {
    const r = await (
      await this.svc(t)
    ).vfsList(
      { clientId, path, accessor: opts.accessor },
      { timeoutMs: opts.waitSeconds * 1000, pollMs: 500, signal: opts.signal },
    );
    return { flowId: r.flowId, entries: r.entries.map(plainRow) };
  }

  async vfsRefresh(
    t: Target,
    clientId: string,
    path: string,
    opts: { depth: number; accessor?: string | undefined },
  ): Promise<{ flowId: string }> {
    return {
      flowId: (
        await (await this.svc(t)).vfsRefresh({ clientId, path, depth: opts.depth, accessor: opts.accessor })
      ).flowId,
    };
  }

  async createHunt(t: Target, spec: HuntSpec): Promise<{ huntId: string }> {
    return (await this.svc(t)).createHunt({
      description: spec.description,
      artifacts: spec.artifacts,
      parameters: spec.parameters,
      includeLabels: spec.includeLabels,
      excludeLabels: spec.excludeLabels,
      os: spec.os,
      expiresInSeconds: spec.expiresHours === undefined ? undefined : Math.round(spec.expiresHours * 3600),
      timeoutSeconds: spec.timeoutSeconds,
      maxRows: spec.maxRows,
      cpuLimit: spec.cpuLimit,
      start: false,
    });
  }

  async previewHuntScope(
    t: Target,
    scope: Pick<HuntSpec, 'includeLabels' | 'excludeLabels' | 'os'>,
    page: Page,
  ): Promise<{ total: number; clients: ClientSummary[] }> {
    const all = await (await this.svc(t)).searchClients({ search: 'all', limit: LIST_MAX });
    // Velociraptor's own rule: with an OS condition the include-labels are ignored.
    const inc = scope.os ? [] : (scope.includeLabels ?? []);
    const exc = scope.excludeLabels ?? [];
    const match = all.filter((c) => {
      if (scope.os && c.os.toLowerCase() !== scope.os) return false;
      if (inc.length && !inc.some((l) => c.labels.includes(l))) return false;
      return !exc.some((l) => c.labels.includes(l));
    });
    return { total: match.length, clients: slice(match, page) };
  }

  async startHunt(t: Target, huntId: string): Promise<HuntSummary> {
    return (await this.svc(t)).startHunt(huntId);
  }

  async stopHunt(t: Target, huntId: string): Promise<HuntSummary> {
    return (await this.svc(t)).stopHunt(huntId);
  }

  planLabel(_t: Target, clientId: string, labels: string[], op: 'set' | 'remove') {
    return planLabelsOp(clientId, labels, op);
  }

  planVfsRefresh(
    _t: Target,
    clientId: string,
    path: string,
    opts: { depth: number; accessor?: string | undefined },
  ) {
    return planVfsRefreshOp({ clientId, path, depth: opts.depth, accessor: opts.accessor });
  }

  planHuntUpdate(_t: Target, huntId: string, action: 'start' | 'stop'): PlannedQuery {
    return planHuntUpdateOp(huntId, action);
  }

  async hunts(t: Target, filter: { state?: string | undefined }, page: Page): Promise<HuntSummary[]> {
    const all = await (await this.svc(t)).listHunts({ limit: filter.state ? LIST_MAX : upTo(page) });
    return slice(filter.state ? all.filter((h) => h.state === filter.state) : all, page);
  }

  async hunt(t: Target, huntId: string): Promise<HuntSummary | null> {
    return orNull((await this.svc(t)).huntStatus(huntId));
  }

  async huntResults(t: Target, huntId: string, source: string, page: Page): Promise<Row[]> {
    const rows = await (
      await this.svc(t)
    ).huntResults(huntId, source, { limit: upTo(page, 1_000_000), deadlineMs: 300_000 });
    return slice(rows, page).map(plainRow);
  }

  async query(
    t: Target,
    text: string,
    env: Record<string, string>,
    opts: QueryOptions,
  ): Promise<QueryResult> {
    const r = await (
      await this.svc(t)
    ).runVql(text, env, {
      bigInts: 'string',
      timeoutSeconds: opts.timeoutSeconds ?? 60,
      failOnLogErrors: false,
      rowLimit: 100_000,
      signal: opts.signal,
    });
    return {
      rows: r.rows.map(plainRow),
      errors: r.logs.filter((l) => l.problem !== undefined).map((l) => l.message),
    };
  }

  async vqlReference(t: Target): Promise<HelpEntry[]> {
    return (await this.svc(t)).vqlHelp();
  }
}
