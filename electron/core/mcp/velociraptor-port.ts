/**
 * Binds the MCP port to the connectivity layer: registry connections, the one VQL builder (every
 * value goes to env through its arguments; no text is ever spliced), streaming queries and
 * VFSGetBuffer. `core/velociraptor/operations` has not landed yet; when it does, each method here
 * becomes a one-line delegation to the matching typed operation and this file shrinks to a mapper.
 */
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../../shared/errors';
import type { VelociraptorConnection } from '../velociraptor/connection';
import type { ConnectionRegistry } from '../velociraptor/registry';
import { artifactSource, bool, build, clientId as cid, flowId as fid, huntId as hid, int, json, str, userQuery, validateId, vql, type VqlFragment } from '../velociraptor/vql/builder';
import { str as text } from './tools/common';
import type { ClientOs, CollectAndWaitResult, CollectRequest, ConnectionSummary, DownloadResult, FlowRef, HuntSpec, Page, QueryOptions, QueryResult, Row, Target, VelociraptorPort } from './ports';

const FINAL = new Set(['FINISHED', 'ERROR', 'UNRESPONSIVE']);

function list(values: readonly string[]): VqlFragment {
  return vql`${json({ v: values })}.v`;
}

export interface BridgeDeps {
  registry: ConnectionRegistry;
  /** The server used when a call names none. */
  defaultServer: () => string | undefined;
  /** The least-privilege identity (a registry name) for read-only VQL on `server`, when configured. */
  readOnlyServer?: (server: string) => string | undefined;
}

export class VelociraptorBridge implements VelociraptorPort {
  constructor(private readonly deps: BridgeDeps) {}

  private conn(t: Target, readOnly = false): VelociraptorConnection {
    const server = t.server ?? this.deps.defaultServer();
    if (!server) throw new AppError('CONNECTION_NOT_FOUND', 'No Velociraptor server is connected. Add one in the app (or start the stdio server with --api-config).');
    if (!this.deps.registry.has(server)) throw new AppError('CONNECTION_NOT_FOUND', `No connection named "${server}". Call list_connections for the names.`);
    const name = (readOnly && this.deps.readOnlyServer?.(server)) || server;
    return this.deps.registry.connection(name, t.org ?? '');
  }

  private async rows(t: Target, f: VqlFragment, timeoutSeconds = 60): Promise<Row[]> {
    const r = await this.conn(t).queryRows(build(f), { idempotent: true, bigInts: 'string', timeoutSeconds });
    return r.rows;
  }

  private async write(t: Target, f: VqlFragment): Promise<Row[]> {
    const r = await this.conn(t).queryRows(build(f), { bigInts: 'string', timeoutSeconds: 60 });
    return r.rows;
  }

  async connections(): Promise<ConnectionSummary[]> {
    const def = this.deps.defaultServer();
    return this.deps.registry.list().map((s) => ({ name: s.name, address: s.connectionString, user: s.user, isDefault: s.name === def }));
  }

  async serverInfo(t: Target): Promise<Row> {
    const r = await this.rows(t, vql`SELECT whoami() AS User, server_version() AS Version FROM scope()`).catch(() => [] as Row[]);
    const info = await this.rows(t, vql`SELECT * FROM info()`).catch((e: unknown) => [{ Error: e instanceof Error ? e.message : String(e) }]);
    return { ...(info[0] ?? {}), ...(r[0] ?? {}) };
  }

  orgs(t: Target): Promise<Row[]> {
    return this.rows(t, vql`SELECT * FROM orgs()`);
  }

  searchClients(t: Target, search: string, page: Page): Promise<Row[]> {
    return this.rows(t, vql`SELECT * FROM clients(search=${str(search)}, start=${int(page.offset)}, count=${int(page.limit)})`);
  }

  async clientInfo(t: Target, clientId: string): Promise<Row | null> {
    return (await this.rows(t, vql`SELECT * FROM clients(client_id=${cid(clientId)})`))[0] ?? null;
  }

  async clientOs(t: Target, clientId: string): Promise<ClientOs> {
    const c = await this.clientInfo(t, clientId);
    if (!c) throw new AppError('NOT_FOUND', `Client ${clientId} was not found on the server.`);
    const os = c.os_info as Row | undefined;
    const s = (text(os?.system) ?? '').toLowerCase();
    return s === 'windows' || s === 'linux' || s === 'darwin' ? s : 'unknown';
  }

  async label(t: Target, clientId: string, labels: string[], op: 'set' | 'remove'): Promise<string[]> {
    for (const l of labels) validateId('label', l);
    await this.write(t, vql`SELECT label(client_id=${cid(clientId)}, labels=${list(labels)}, op=${str(op)}) AS R FROM scope()`);
    const c = await this.clientInfo(t, clientId);
    return Array.isArray(c?.labels) ? c.labels.filter((x): x is string => typeof x === 'string') : [];
  }

  async quarantine(t: Target, clientId: string, quarantine: boolean, message?: string): Promise<{ flowId: string; artifact: string }> {
    const os = await this.clientOs(t, clientId);
    const artifact = os === 'windows' ? 'Windows.Remediation.Quarantine' : os === 'linux' ? 'Linux.Remediation.Quarantine' : os === 'darwin' ? 'MacOS.Remediation.Quarantine' : undefined;
    if (!artifact) throw new AppError('INVALID_ARGUMENT', `Client ${clientId} has no known OS; it cannot be quarantined by artifact.`);
    const params: Record<string, string> = quarantine ? (message ? { MessageBox: message } : {}) : { RemovePolicy: 'Y' };
    const { flowId } = await this.collect(t, { clientId, artifacts: [artifact], parameters: { [artifact]: params }, urgent: true });
    return { flowId, artifact };
  }

  async listArtifacts(t: Target, filter: { search?: string | undefined; type?: string | undefined }, page: Page): Promise<Row[]> {
    const all = await this.rows(t, vql`SELECT name, description, type, parameters, sources FROM artifact_definitions(sanitize=TRUE)`);
    let re: RegExp | undefined;
    if (filter.search) {
      try {
        re = new RegExp(filter.search, 'i');
      } catch {
        throw new AppError('INVALID_ARGUMENT', `"${filter.search}" is not a valid regular expression.`);
      }
    }
    return all
      .filter((a) => (!filter.type || (text(a.type) ?? '').toUpperCase() === filter.type) && (!re || re.test(text(a.name) ?? '') || re.test(text(a.description) ?? '')))
      .slice(page.offset, page.offset + page.limit);
  }

  async artifactDefinition(t: Target, name: string): Promise<Row | null> {
    validateId('artifact', name);
    const all = await this.rows(t, vql`SELECT * FROM artifact_definitions(names=${list([name])})`);
    return all.find((a) => a.name === name) ?? null;
  }

  async collect(t: Target, req: CollectRequest): Promise<{ flowId: string }> {
    for (const a of req.artifacts) validateId('artifact', a);
    const opt: VqlFragment[] = [];
    if (req.timeoutSeconds !== undefined) opt.push(vql`, timeout=${int(req.timeoutSeconds)}`);
    if (req.maxRows !== undefined) opt.push(vql`, max_rows=${int(req.maxRows)}`);
    if (req.maxBytes !== undefined) opt.push(vql`, max_bytes=${int(req.maxBytes)}`);
    if (req.cpuLimit !== undefined) opt.push(vql`, cpu_limit=${int(req.cpuLimit)}`);
    const extra = opt.reduce<VqlFragment>((acc, f) => vql`${acc}${f}`, vql``);
    const r = await this.write(t, vql`SELECT collect_client(client_id=${cid(req.clientId)}, artifacts=${list(req.artifacts)}, spec=${json(req.parameters ?? {})}, urgent=${bool(req.urgent ?? false)}${extra}) AS Flow FROM scope()`);
    const flow = r[0]?.Flow as { flow_id?: unknown } | null | undefined;
    if (!flow || typeof flow.flow_id !== 'string') {
      throw new AppError('VQL_ERROR', `The server did not start the collection on ${req.clientId}. Check that the artifacts exist and that the API user has COLLECT_CLIENT.`);
    }
    return { flowId: flow.flow_id };
  }

  async collectAndWait(t: Target, req: CollectRequest, wait: { waitSeconds: number; signal?: AbortSignal | undefined }): Promise<CollectAndWaitResult> {
    const { flowId } = await this.collect(t, req);
    const until = Date.now() + wait.waitSeconds * 1000;
    let state = 'RUNNING';
    let flow: Row | null = null;
    for (;;) {
      flow = await this.flowStatus(t, { clientId: req.clientId, flowId });
      state = text(flow?.state) ?? 'RUNNING';
      if (FINAL.has(state) || Date.now() > until) break;
      await sleep(300, undefined, wait.signal ? { signal: wait.signal } : undefined);
    }
    const withResults = Array.isArray(flow?.artifacts_with_results) ? (flow.artifacts_with_results as unknown[]).map(String) : req.artifacts;
    const sources: Array<{ source: string; rows: Row[] }> = [];
    for (const source of withResults) {
      sources.push({ source, rows: await this.flowResults(t, { clientId: req.clientId, flowId }, source, { offset: 0, limit: 1000 }) });
    }
    const logs = await this.flowLogs(t, { clientId: req.clientId, flowId }, { offset: 0, limit: 1000 }).catch(() => [] as Row[]);
    const errors = logs.map((l) => `${text(l.level) ?? ''} ${text(l.message) ?? text(l.log) ?? ''}`.trim()).filter((m) => /^(ERROR|WARN)/i.test(m));
    return { flowId, state, sources, errors };
  }

  flows(t: Target, clientId: string, page: Page): Promise<Row[]> {
    return this.rows(t, vql`SELECT * FROM flows(client_id=${cid(clientId)}, start=${int(page.offset)}, count=${int(page.limit)})`);
  }

  async flowStatus(t: Target, f: FlowRef): Promise<Row | null> {
    return (await this.rows(t, vql`SELECT * FROM flows(client_id=${cid(f.clientId)}, flow_id=${fid(f.flowId)})`))[0] ?? null;
  }

  async flowLogs(t: Target, f: FlowRef, page: Page): Promise<Row[]> {
    return (await this.rows(t, vql`SELECT * FROM flow_logs(client_id=${cid(f.clientId)}, flow_id=${fid(f.flowId)})`)).slice(page.offset, page.offset + page.limit);
  }

  flowResults(t: Target, f: FlowRef, source: string, page: Page): Promise<Row[]> {
    return this.rows(t, vql`SELECT * FROM source(client_id=${cid(f.clientId)}, flow_id=${fid(f.flowId)}, artifact=${artifactSource(source)}, start_row=${int(page.offset)}, count=${int(page.limit)})`);
  }

  async cancelFlow(t: Target, f: FlowRef): Promise<void> {
    await this.write(t, vql`SELECT cancel_flow(client_id=${cid(f.clientId)}, flow_id=${fid(f.flowId)}) AS R FROM scope()`);
  }

  async uploads(t: Target, f: FlowRef, page: Page): Promise<Row[]> {
    return (await this.rows(t, vql`SELECT * FROM uploads(client_id=${cid(f.clientId)}, flow_id=${fid(f.flowId)})`)).slice(page.offset, page.offset + page.limit);
  }

  async downloadUpload(t: Target, f: FlowRef, vfsPath: string, folder: string): Promise<DownloadResult> {
    const ups = await this.rows(t, vql`SELECT * FROM uploads(client_id=${cid(f.clientId)}, flow_id=${fid(f.flowId)})`);
    const up = ups.find((u) => u.vfs_path === vfsPath);
    if (!up) throw new AppError('NOT_FOUND', `Flow ${f.flowId} has no upload ${vfsPath}. Call list_flow_uploads for the paths.`);
    const components = (up.Upload as Row | undefined)?.Components ?? up._Components ?? up.components;
    if (!Array.isArray(components)) throw new AppError('VQL_ERROR', 'The server did not give the file store path of this upload.');
    const name = basename(String(components[components.length - 1] ?? 'upload')).replace(/[^A-Za-z0-9._-]/g, '_') || 'upload';
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const path = join(folder, name);
    const fh = await open(path, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
      throw new AppError(e.code === 'EEXIST' ? 'CONFLICT' : 'INVALID_ARGUMENT', e.code === 'EEXIST' ? `${path} exists already; choose another folder.` : `Cannot write into ${folder}: ${e.message}`);
    });
    const hash = createHash('sha256');
    let size = 0;
    try {
      const conn = this.conn(t);
      for (;;) {
        const buf = await conn.readBuffer({ components: components.map(String), offset: size, length: 1024 * 1024 });
        if (buf.length === 0) break;
        hash.update(buf);
        await fh.write(buf);
        size += buf.length;
      }
    } finally {
      await fh.close();
    }
    return { path, sha256: hash.digest('hex'), size };
  }

  async vfsList(t: Target, clientId: string, path: string, page: Page): Promise<Row[]> {
    const parts = path.split('/').filter((p) => p !== '');
    const rows = await this.rows(t, vql`SELECT * FROM vfs_ls(client_id=${cid(clientId)}, components=${list(parts)})`).catch(async (e: unknown) => {
      if (e instanceof AppError && e.code === 'VQL_ERROR') return [] as Row[];
      throw e;
    });
    return rows.slice(page.offset, page.offset + page.limit);
  }

  async vfsRefresh(t: Target, clientId: string, path: string, opts: { depth: number; accessor?: string | undefined }): Promise<{ flowId: string }> {
    const params: Record<string, string> = { Path: path, Depth: String(opts.depth) };
    if (opts.accessor) params.Accessor = opts.accessor;
    return this.collect(t, { clientId, artifacts: ['System.VFS.ListDirectory'], parameters: { 'System.VFS.ListDirectory': params }, urgent: true });
  }

  async createHunt(t: Target, spec: HuntSpec): Promise<{ huntId: string }> {
    for (const a of spec.artifacts) validateId('artifact', a);
    const parts: VqlFragment[] = [];
    if (spec.os) parts.push(vql`, os=${str(spec.os)}`);
    else if (spec.includeLabels?.length) parts.push(vql`, include_labels=${list(spec.includeLabels)}`);
    if (spec.excludeLabels?.length) parts.push(vql`, exclude_labels=${list(spec.excludeLabels)}`);
    if (spec.timeoutSeconds !== undefined) parts.push(vql`, timeout=${int(spec.timeoutSeconds)}`);
    if (spec.maxRows !== undefined) parts.push(vql`, max_rows=${int(spec.maxRows)}`);
    if (spec.cpuLimit !== undefined) parts.push(vql`, cpu_limit=${int(spec.cpuLimit)}`);
    const extra = parts.reduce<VqlFragment>((acc, f) => vql`${acc}${f}`, vql``);
    const expires = int(Math.floor(Date.now() / 1000 + (spec.expiresHours ?? 24) * 3600));
    const r = await this.write(t, vql`SELECT hunt(description=${str(spec.description)}, artifacts=${list(spec.artifacts)}, spec=${json(spec.parameters ?? {})}, expires=timestamp(epoch=${expires}), pause=TRUE${extra}) AS Hunt FROM scope()`);
    const hunt = r[0]?.Hunt as { HuntId?: unknown } | null | undefined;
    if (!hunt || typeof hunt.HuntId !== 'string') throw new AppError('VQL_ERROR', 'The server did not create the hunt. Check the artifacts and that the API user has START_HUNT.');
    return { huntId: hunt.HuntId };
  }

  async previewHuntScope(t: Target, scope: Pick<HuntSpec, 'includeLabels' | 'excludeLabels' | 'os'>, page: Page): Promise<{ total: number; clients: Row[] }> {
    const all = await this.rows(t, vql`SELECT * FROM clients(search=${str('all')})`);
    const inc = scope.os ? [] : (scope.includeLabels ?? []);
    const exc = scope.excludeLabels ?? [];
    const match = all.filter((c) => {
      const labels = Array.isArray(c.labels) ? c.labels.map(String) : [];
      const os = (text((c.os_info as Row | undefined)?.system) ?? '').toLowerCase();
      if (scope.os && os !== scope.os) return false;
      if (inc.length && !inc.some((l) => labels.includes(l))) return false;
      return !exc.some((l) => labels.includes(l));
    });
    return { total: match.length, clients: match.slice(page.offset, page.offset + page.limit) };
  }

  async startHunt(t: Target, huntId: string): Promise<void> {
    await this.write(t, vql`SELECT hunt_update(hunt_id=${hid(huntId)}, start=TRUE) AS R FROM scope()`);
  }

  async stopHunt(t: Target, huntId: string): Promise<void> {
    await this.write(t, vql`SELECT hunt_update(hunt_id=${hid(huntId)}, stop=TRUE) AS R FROM scope()`);
  }

  async hunts(t: Target, filter: { state?: string | undefined }, page: Page): Promise<Row[]> {
    const all = await this.rows(t, vql`SELECT * FROM hunts()`);
    return all.filter((h) => !filter.state || h.state === filter.state).slice(page.offset, page.offset + page.limit);
  }

  async hunt(t: Target, huntId: string): Promise<Row | null> {
    return (await this.rows(t, vql`SELECT * FROM hunts(hunt_id=${hid(huntId)})`))[0] ?? null;
  }

  async huntResults(t: Target, huntId: string, source: string, page: Page): Promise<Row[]> {
    return (await this.rows(t, vql`SELECT * FROM hunt_results(hunt_id=${hid(huntId)}, artifact=${artifactSource(source)})`, 300)).slice(page.offset, page.offset + page.limit);
  }

  async query(t: Target, text: string, env: Record<string, string>, opts: QueryOptions): Promise<QueryResult> {
    const r = await this.conn(t, opts.readOnlyIdentity === true).queryRows(userQuery(text, env), {
      bigInts: 'string',
      timeoutSeconds: opts.timeoutSeconds ?? 60,
      failOnLogErrors: false,
      rowLimit: 100_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return { rows: r.rows, errors: r.logs.filter((l) => l.problem !== undefined).map((l) => l.message) };
  }

  vqlReference(t: Target): Promise<Row[]> {
    return this.rows(t, vql`SELECT * FROM help()`);
  }
}
