/**
 * The Velociraptor operations the investigation screens need, each one query composed with the
 * connectivity layer's VQL builder (user values only ever in env) and run on a registry
 * connection. This is a thin bridge: when `core/velociraptor/operations` lands, these methods
 * delegate to it one by one; the rest of the investigation code depends on `InvestigationOps` only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../../shared/errors';
import type { VelociraptorConnection } from '../velociraptor/connection';
import type { QueryEvent } from '../velociraptor/query/stream';
import { bool, build, clientId as cid, flowId as fid, huntId as hid, int, json, str, userQuery, validateId, vql, type VqlFragment } from '../velociraptor/vql/builder';

export type Row = Record<string, unknown>;

/** Lists go through parse_json(...).v: it works on every server version (and the simulator). */
function list(values: readonly string[]): VqlFragment {
  return vql`${json({ v: values })}.v`;
}

export interface CollectSpec {
  clientId: string;
  artifacts: string[];
  parameters: Record<string, Record<string, string>>;
  timeoutSeconds?: number | undefined;
  cpuLimit?: number | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
  urgent: boolean;
}

export interface HuntCreateSpec {
  description: string;
  artifacts: string[];
  parameters: Record<string, Record<string, string>>;
  includeLabels: string[];
  excludeLabels: string[];
  os: string;
  expiresHours: number;
  timeoutSeconds?: number | undefined;
  cpuLimit?: number | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
  paused: boolean;
}

const FINAL_STATES = new Set(['FINISHED', 'ERROR', 'UNRESPONSIVE']);

export class InvestigationOps {
  constructor(private readonly conn: VelociraptorConnection) {}

  private async rows(f: VqlFragment, opts: { timeoutSeconds?: number } = {}): Promise<Row[]> {
    const r = await this.conn.queryRows(build(f), { idempotent: true, bigInts: 'string', timeoutSeconds: opts.timeoutSeconds ?? 60 });
    return r.rows;
  }

  /** A write: not retried, so a lost answer never launches twice. */
  private async write(f: VqlFragment): Promise<Row[]> {
    const r = await this.conn.queryRows(build(f), { bigInts: 'string', timeoutSeconds: 60 });
    return r.rows;
  }

  whoami(): Promise<Row[]> {
    return this.rows(vql`SELECT whoami() AS User FROM scope()`);
  }

  orgs(): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM orgs()`);
  }

  searchClients(search: string, count: number): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM clients(search=${str(search)}, count=${int(count)})`);
  }

  async client(clientId: string): Promise<Row | null> {
    const r = await this.rows(vql`SELECT * FROM clients(client_id=${cid(clientId)})`);
    return r[0] ?? null;
  }

  async label(clientId: string, labels: string[], op: 'set' | 'remove'): Promise<void> {
    for (const l of labels) validateId('label', l);
    await this.write(vql`SELECT label(client_id=${cid(clientId)}, labels=${list(labels)}, op=${str(op)}) AS R FROM scope()`);
  }

  flows(clientId: string, count: number): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM flows(client_id=${cid(clientId)}, count=${int(count)})`);
  }

  async flow(clientId: string, flowId: string): Promise<Row | null> {
    const r = await this.rows(vql`SELECT * FROM flows(client_id=${cid(clientId)}, flow_id=${fid(flowId)})`);
    return r[0] ?? null;
  }

  flowLogs(clientId: string, flowId: string): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM flow_logs(client_id=${cid(clientId)}, flow_id=${fid(flowId)})`);
  }

  /** `source` is `Artifact` or `Artifact/Source`. */
  flowResults(clientId: string, flowId: string, source: string, signal?: AbortSignal): AsyncGenerator<QueryEvent> {
    validateId('artifactSource', source);
    return this.conn.query(build(vql`SELECT * FROM source(client_id=${cid(clientId)}, flow_id=${fid(flowId)}, artifact=${str(source)})`), {
      bigInts: 'string',
      ...(signal ? { signal } : {}),
    });
  }

  uploads(clientId: string, flowId: string): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM uploads(client_id=${cid(clientId)}, flow_id=${fid(flowId)})`);
  }

  async cancelFlow(clientId: string, flowId: string): Promise<boolean> {
    const r = await this.write(vql`SELECT cancel_flow(client_id=${cid(clientId)}, flow_id=${fid(flowId)}) AS R FROM scope()`);
    return r[0]?.R !== null && r[0]?.R !== undefined;
  }

  async collect(spec: CollectSpec): Promise<string> {
    for (const a of spec.artifacts) validateId('artifact', a);
    const opt: VqlFragment[] = [];
    if (spec.timeoutSeconds !== undefined) opt.push(vql`, timeout=${int(spec.timeoutSeconds)}`);
    if (spec.maxRows !== undefined) opt.push(vql`, max_rows=${int(spec.maxRows)}`);
    if (spec.maxBytes !== undefined) opt.push(vql`, max_bytes=${int(spec.maxBytes)}`);
    if (spec.cpuLimit !== undefined) opt.push(vql`, cpu_limit=${int(Math.round(spec.cpuLimit))}`);
    const extra = opt.reduce<VqlFragment>((acc, f) => vql`${acc}${f}`, vql``);
    const r = await this.write(
      vql`SELECT collect_client(client_id=${cid(spec.clientId)}, artifacts=${list(spec.artifacts)}, spec=${json(spec.parameters)}, urgent=${bool(spec.urgent)}${extra}) AS Flow FROM scope()`,
    );
    const flow = r[0]?.Flow as { flow_id?: unknown } | null | undefined;
    if (!flow || typeof flow.flow_id !== 'string') {
      throw new AppError('VQL_ERROR', `The server did not start the collection on ${spec.clientId}. Check that the artifacts exist for this client's OS and that you have the COLLECT_CLIENT permission.`);
    }
    return flow.flow_id;
  }

  /** Polls the flow until it reaches a final state (or the wait runs out). */
  async waitFlow(clientId: string, flowId: string, waitMs: number, signal?: AbortSignal): Promise<Row> {
    const until = Date.now() + waitMs;
    for (;;) {
      const f = await this.flow(clientId, flowId);
      if (f && FINAL_STATES.has(String(f.state))) return f;
      if (Date.now() > until) {
        throw new AppError('TIMEOUT', `The collection ${flowId} on ${clientId} did not finish within ${Math.round(waitMs / 1000)} s. The client may be offline; the flow keeps waiting on the server.`);
      }
      await sleep(400, undefined, signal ? { signal } : undefined);
    }
  }

  artifacts(): Promise<Row[]> {
    return this.rows(vql`SELECT name, description, type, parameters, sources FROM artifact_definitions(sanitize=TRUE)`);
  }

  help(): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM help()`);
  }

  hunts(): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM hunts()`);
  }

  async hunt(huntId: string): Promise<Row | null> {
    const r = await this.rows(vql`SELECT * FROM hunts(hunt_id=${hid(huntId)})`);
    return r[0] ?? null;
  }

  huntFlows(huntId: string): Promise<Row[]> {
    return this.rows(vql`SELECT * FROM hunt_flows(hunt_id=${hid(huntId)})`);
  }

  huntResults(huntId: string, source: string, signal?: AbortSignal): AsyncGenerator<QueryEvent> {
    validateId('artifactSource', source);
    return this.conn.query(build(vql`SELECT * FROM hunt_results(hunt_id=${hid(huntId)}, artifact=${str(source)})`), {
      bigInts: 'string',
      ...(signal ? { signal } : {}),
    });
  }

  async createHunt(spec: HuntCreateSpec): Promise<string> {
    for (const a of spec.artifacts) validateId('artifact', a);
    const parts: VqlFragment[] = [];
    if (spec.os) parts.push(vql`, os=${str(spec.os)}`);
    else if (spec.includeLabels.length) parts.push(vql`, include_labels=${list(spec.includeLabels)}`);
    if (spec.excludeLabels.length) parts.push(vql`, exclude_labels=${list(spec.excludeLabels)}`);
    if (spec.timeoutSeconds !== undefined) parts.push(vql`, timeout=${int(spec.timeoutSeconds)}`);
    if (spec.maxRows !== undefined) parts.push(vql`, max_rows=${int(spec.maxRows)}`);
    if (spec.maxBytes !== undefined) parts.push(vql`, max_bytes=${int(spec.maxBytes)}`);
    if (spec.cpuLimit !== undefined) parts.push(vql`, cpu_limit=${int(Math.round(spec.cpuLimit))}`);
    const extra = parts.reduce<VqlFragment>((acc, f) => vql`${acc}${f}`, vql``);
    const expires = int(Math.floor(Date.now() / 1000 + spec.expiresHours * 3600));
    const r = await this.write(
      vql`SELECT hunt(description=${str(spec.description)}, artifacts=${list(spec.artifacts)}, spec=${json(spec.parameters)}, expires=timestamp(epoch=${expires}), pause=${bool(spec.paused)}${extra}) AS Hunt FROM scope()`,
    );
    const hunt = r[0]?.Hunt as { HuntId?: unknown } | null | undefined;
    if (!hunt || typeof hunt.HuntId !== 'string') {
      throw new AppError('VQL_ERROR', 'The server did not create the hunt. Check the expiry and that you have the START_HUNT permission.');
    }
    return hunt.HuntId;
  }

  async updateHunt(huntId: string, action: 'start' | 'stop'): Promise<void> {
    const flag = action === 'start' ? vql`start=TRUE` : vql`stop=TRUE`;
    await this.write(vql`SELECT hunt_update(hunt_id=${hid(huntId)}, ${flag}) AS R FROM scope()`);
  }

  /** Prepares the flow's zip on the server; returns the file store components to fetch. */
  async flowDownload(clientId: string, flowId: string): Promise<string[]> {
    const r = await this.write(vql`SELECT create_flow_download(client_id=${cid(clientId)}, flow_id=${fid(flowId)}, wait=TRUE, format=${str('csv')}).Components AS C FROM scope()`);
    const c = r[0]?.C;
    if (!Array.isArray(c)) throw new AppError('VQL_ERROR', 'The server did not prepare the export. You need the PREPARE_RESULTS permission.');
    return c.map(String);
  }

  /** A responder's own VQL, streamed. */
  userQuery(text: string, timeoutSeconds: number, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    return this.conn.query(userQuery(text), { bigInts: 'string', timeoutSeconds, signal, maxWait: 1 });
  }

  readBuffer(components: string[], offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    return this.conn.readBuffer({ components, offset, length }, signal ? { signal } : {});
  }

  check(): Promise<string> {
    return this.conn.check();
  }
}
