/** Flows: collect artifacts (with parameters and limits), status, logs, results, cancel, wait. */
import { z } from 'zod';
import { AppError, isAppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import type { Row } from '../query/json';
import type { QueryEvent, QueryOptions } from '../query/stream';
import {
  artifactNames,
  artifactSource,
  bool,
  build,
  clientId as clientIdArg,
  flowId as flowIdArg,
  int,
  join,
  json,
  validateId,
  vql,
  type BuiltQuery,
  type VqlFragment,
} from '../vql/builder';
import {
  callBuiltFunction,
  callFunction,
  functionQuery,
  limitOf,
  optNum,
  queryTyped,
  rowsOptions,
  SpecsSchema,
  specParameters,
  strList,
  usToIso,
  type OpOptions,
} from './common';
import { artifactCatalog } from './catalog';

/** Per-artifact parameters; values are strings (Velociraptor converts per declared type). */
export type ArtifactParameters = Record<string, Record<string, string>>;

export interface ResourceLimits {
  timeoutSeconds?: number;
  /** Percent of one CPU the collection may use. */
  cpuLimit?: number;
  maxRows?: number;
  maxBytes?: number;
}

export interface CollectInput extends ResourceLimits {
  /** `C.…` or 'server' for server artifacts. */
  clientId: string;
  artifacts: string[];
  parameters?: ArtifactParameters;
  urgent?: boolean;
}

export interface LaunchedFlow {
  clientId: string;
  flowId: string;
  artifacts: string[];
}

export function limitArgs(l: ResourceLimits): VqlFragment[] {
  const out: VqlFragment[] = [];
  const pos = (v: number | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new AppError('INVALID_ARGUMENT', `${name} must be a positive integer.`);
    return v;
  };
  const t = pos(l.timeoutSeconds, 'timeout');
  const c = pos(l.cpuLimit, 'cpu_limit');
  const r = pos(l.maxRows, 'max_rows');
  const b = pos(l.maxBytes, 'max_bytes');
  if (t !== undefined) out.push(vql`timeout=${int(t)}`);
  if (c !== undefined) out.push(vql`cpu_limit=${int(c)}`);
  if (r !== undefined) out.push(vql`max_rows=${int(r)}`);
  if (b !== undefined) out.push(vql`max_bytes=${int(b)}`);
  return out;
}

export function specOf(
  artifacts: string[],
  parameters: ArtifactParameters = {},
): Record<string, Record<string, string>> {
  const spec: Record<string, Record<string, string>> = {};
  for (const a of artifacts) spec[a] = {};
  for (const [a, params] of Object.entries(parameters)) {
    if (!artifacts.includes(a))
      throw new AppError('INVALID_ARGUMENT', `Parameters given for ${a}, which is not collected.`);
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'string')
        throw new AppError('INVALID_ARGUMENT', `Parameter ${a}.${k} must be a string.`);
      (spec[a] as Record<string, string>)[k] = v;
    }
  }
  return spec;
}

const CollectResultSchema = z.looseObject({
  flow_id: z.string(),
  request: z.looseObject({ client_id: z.string().optional(), artifacts: strList }).optional(),
});

/**
 * The query collectArtifacts sends for `input`, built without running it: approvals show this and
 * collectArtifacts runs exactly this (the builder names env values in order, so it is deterministic).
 */
export function planCollect(input: CollectInput): BuiltQuery {
  validateId('clientId', input.clientId);
  if (input.artifacts.length === 0) throw new AppError('INVALID_ARGUMENT', 'Name at least one artifact.');
  const args = [
    vql`client_id=${clientIdArg(input.clientId)}`,
    vql`artifacts=${artifactNames(input.artifacts)}`,
    vql`spec=${json(specOf(input.artifacts, input.parameters))}`,
    ...limitArgs(input),
    ...(input.urgent ? [vql`urgent=${bool(true)}`] : []),
  ];
  return functionQuery(vql`collect_client(${join(args, ', ')})`);
}

export async function collectArtifacts(
  conn: VelociraptorConnection,
  input: CollectInput,
  opts?: OpOptions,
): Promise<LaunchedFlow> {
  const query = planCollect(input);
  // Never send what the server would drop silently (an undeclared parameter runs the default).
  await artifactCatalog.check(conn, input.artifacts, input.parameters, opts);
  const r = await callBuiltFunction(
    conn,
    query,
    CollectResultSchema,
    rowsOptions(opts, false),
    'collect_client()',
  );
  return {
    clientId: r.request?.client_id ?? input.clientId,
    flowId: r.flow_id,
    artifacts: r.request?.artifacts.length ? r.request.artifacts : input.artifacts,
  };
}

export const FLOW_FINAL_STATES = ['FINISHED', 'ERROR'] as const;

const FlowRowSchema = z.looseObject({
  session_id: z.string(),
  client_id: z.string().optional(),
  state: z.string().optional(),
  status: z.string().nullable().optional(),
  create_time: optNum,
  start_time: optNum,
  active_time: optNum,
  total_collected_rows: optNum,
  total_uploaded_files: optNum,
  total_uploaded_bytes: optNum,
  total_logs: optNum,
  execution_duration: optNum,
  artifacts_with_results: strList,
  request: z
    .looseObject({
      artifacts: strList,
      creator: z.string().optional(),
      specs: SpecsSchema,
    })
    .nullable()
    .optional(),
});

export const FlowSummarySchema = FlowRowSchema.transform((f) => ({
  flowId: f.session_id,
  clientId: f.client_id ?? '',
  state: f.state ?? 'UNSET',
  status: f.status ?? '',
  artifacts: f.request?.artifacts ?? [],
  creator: f.request?.creator ?? '',
  createTime: usToIso(f.create_time),
  lastActive: usToIso(f.active_time),
  totalRows: f.total_collected_rows ?? 0,
  totalUploadedFiles: f.total_uploaded_files ?? 0,
  totalUploadedBytes: f.total_uploaded_bytes ?? 0,
  artifactsWithResults: f.artifacts_with_results,
  /** The request's parameters per artifact (finds e.g. which path a VFS listing covered). */
  parameters: specParameters(f.request?.specs) satisfies ArtifactParameters,
  done: f.state === 'FINISHED' || f.state === 'ERROR',
}));
export type FlowSummary = z.output<typeof FlowSummarySchema>;

/** The client's flows, newest first. flows() answers in no useful order, so the server sorts before LIMIT. */
export async function listFlows(
  conn: VelociraptorConnection,
  clientId: string,
  options: { limit?: number } & OpOptions = {},
): Promise<FlowSummary[]> {
  const limit = limitOf(options.limit, 50);
  return queryTyped(
    conn,
    vql`SELECT * FROM flows(client_id=${clientIdArg(clientId)}) ORDER BY create_time DESC LIMIT ${int(limit)}`,
    FlowSummarySchema,
    rowsOptions(options, true),
  );
}

export async function flowStatus(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  opts?: OpOptions,
): Promise<FlowSummary> {
  const rows = await queryTyped(
    conn,
    vql`SELECT * FROM flows(client_id=${clientIdArg(clientId)}, flow_id=${flowIdArg(flowId)})`,
    FlowSummarySchema,
    rowsOptions(opts, true),
  );
  const f = rows.find((r) => r.flowId === flowId);
  if (!f) throw new AppError('NOT_FOUND', `${conn.label} has no flow ${flowId} on ${clientId}.`);
  return f;
}

/**
 * A flow_logs() row. Client flows: `{client_time (s), level, message}`; server flows (client_id
 * 'server'): `{Timestamp (µs), Level, message}` (VR flows/logs.go, services/server_artifacts/logger.go).
 */
export const FlowLogSchema = z
  .looseObject({
    client_time: optNum,
    _ts: optNum,
    Timestamp: z.union([z.number(), z.bigint(), z.string()]).nullable().optional(),
    level: z.string().optional(),
    Level: z.string().optional(),
    message: z.string().optional(),
    Message: z.string().optional(),
  })
  .transform((l) => ({
    time: logTime(l),
    level: l.level ?? l.Level ?? '',
    message: (l.message ?? l.Message ?? '').replace(/\n$/, ''),
  }));

function logTime(l: {
  client_time?: number;
  _ts?: number;
  Timestamp?: number | bigint | string | null;
}): string {
  if (typeof l.Timestamp === 'string') return l.Timestamp;
  if (typeof l.Timestamp === 'number' || typeof l.Timestamp === 'bigint')
    return usToIso(Number(l.Timestamp)) ?? '';
  const s = l.client_time ?? l._ts;
  return s ? new Date(s * 1000).toISOString() : '';
}
export type FlowLog = z.output<typeof FlowLogSchema>;

export async function flowLogs(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  options: { limit?: number } & OpOptions = {},
): Promise<FlowLog[]> {
  const limit = limitOf(options.limit, 1000);
  return queryTyped(
    conn,
    vql`SELECT * FROM flow_logs(client_id=${clientIdArg(clientId)}, flow_id=${flowIdArg(flowId)}) LIMIT ${int(limit)}`,
    FlowLogSchema,
    rowsOptions(options, true),
  );
}

export interface ResultsInput {
  clientId: string;
  flowId: string;
  /** `Artifact` or `Artifact/Source` (multi-source artifacts need the source). */
  artifact: string;
  startRow?: number;
  limit?: number;
}

export async function flowResults(
  conn: VelociraptorConnection,
  input: ResultsInput,
  opts?: OpOptions,
): Promise<Row[]> {
  const limit = limitOf(input.limit, 1000, 1_000_000);
  const start = input.startRow ?? 0;
  const q = vql`SELECT * FROM source(client_id=${clientIdArg(input.clientId)}, flow_id=${flowIdArg(input.flowId)}, artifact=${artifactSource(input.artifact)}, start_row=${int(start)}) LIMIT ${int(limit)}`;
  return (await conn.queryRows(build(q), rowsOptions(opts, true))).rows;
}

/** All rows of one source as they arrive (result grids hold millions of rows: never buffered here). */
export function streamFlowResults(
  conn: VelociraptorConnection,
  input: Omit<ResultsInput, 'startRow' | 'limit'>,
  opts: QueryOptions = {},
): AsyncGenerator<QueryEvent, void, undefined> {
  const q = vql`SELECT * FROM source(client_id=${clientIdArg(input.clientId)}, flow_id=${flowIdArg(input.flowId)}, artifact=${artifactSource(input.artifact)})`;
  return conn.query(build(q), opts);
}

export async function cancelFlow(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  opts?: OpOptions,
): Promise<void> {
  await callFunction(
    conn,
    vql`cancel_flow(client_id=${clientIdArg(clientId)}, flow_id=${flowIdArg(flowId)})`,
    z.unknown(),
    rowsOptions(opts, false),
    'cancel_flow()',
  );
}

export interface WaitOptions extends OpOptions {
  /** Give up after this long (default 10 min). */
  timeoutMs?: number;
  /** Poll flows() this often as a backstop to the completion event (default 2 s). */
  pollMs?: number;
}

/**
 * Waits for a flow to finish: listens for its System.Flow.Completion event and polls flows() as a
 * backstop (a completion that happens before the listener starts would otherwise be missed).
 */
export async function waitForFlow(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  options: WaitOptions = {},
): Promise<FlowSummary> {
  validateId('clientId', clientId);
  validateId('flowId', flowId);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const inner = new AbortController();
  const onOuter = (): void => inner.abort();
  options.signal?.addEventListener('abort', onOuter, { once: true });
  const timer = setTimeout(() => inner.abort(), timeoutMs);
  const signal = inner.signal;
  try {
    const watch = (async (): Promise<void> => {
      const q = vql`SELECT * FROM watch_monitoring(artifact='System.Flow.Completion') WHERE FlowId = ${flowIdArg(flowId)} LIMIT 1`;
      try {
        for await (const ev of conn.query(build(q), {
          signal,
          timeoutSeconds: Math.ceil(timeoutMs / 1000),
        })) {
          if (ev.type === 'rows' && ev.rows.length > 0) return;
        }
      } catch {
        /* the poller decides; a failed watch only loses the fast path */
      }
      await new Promise<void>(() => undefined); // never resolves by itself: the poller or timeout ends it
    })();
    let fired = false;
    void watch.then(() => (fired = true));
    const started = Date.now();
    const poll = (async (): Promise<FlowSummary> => {
      for (;;) {
        let f: FlowSummary | undefined;
        try {
          f = await flowStatus(conn, clientId, flowId, { signal, deadlineMs: 30_000 });
        } catch (e) {
          // A server flow is not in flows() at once after collect_client() returns: not yet, not gone.
          if (!isAppError(e, 'NOT_FOUND') || Date.now() - started > NOT_YET_VISIBLE_MS) throw e;
        }
        if (f?.done) return f;
        // After the completion event, the flow record may lag a moment: re-check shortly.
        await (fired ? sleep(200, signal) : Promise.race([watch, sleep(options.pollMs ?? 2_000, signal)]));
        if (signal.aborted) throw abortError(options.signal?.aborted === true, flowId, timeoutMs);
      }
    })();
    return await poll.catch((e: unknown) => {
      if (signal.aborted) throw abortError(options.signal?.aborted === true, flowId, timeoutMs);
      throw e;
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuter);
    inner.abort(); // stops the watch query on the server
  }
}

function abortError(cancelled: boolean, flowId: string, timeoutMs: number): AppError {
  return cancelled
    ? new AppError('CANCELLED', `Stopped waiting for flow ${flowId}.`)
    : new AppError(
        'TIMEOUT',
        `Flow ${flowId} did not finish within ${Math.round(timeoutMs / 1000)} s. It keeps running on the server; check it later.`,
        {
          // Callers that launched the flow (collectAndWait) need its id to report partial progress.
          details: { flowId },
        },
      );
}

/** How long a just-launched flow may be missing from flows() before "not found" means it. */
const NOT_YET_VISIBLE_MS = 5_000;

/** Resolves after `ms`, or at once when `signal` aborts; never leaves a listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface CollectAndWaitResult {
  clientId: string;
  flowId: string;
  /** FINISHED or ERROR; otherwise the state when the wait ran out (the flow keeps running). */
  state: string;
  finished: boolean;
  /** The flow record when the wait ended (absent when it could not be read). */
  flow: FlowSummary | undefined;
  /** Rows per `Artifact` or `Artifact/Source` that has results (only once the flow finished). */
  results: Record<string, Row[]>;
  /** The flow's log lines that report an error or a warning: VQL failures arrive only as logs. */
  errors: string[];
}

/** A log line that reports a failure or a warning (by its level, or by a message that starts so). */
export function isProblemLog(l: FlowLog): boolean {
  return /^(ERROR|WARN)/i.test(l.level) || /^(ERROR|WARN)/i.test(l.message);
}

/**
 * Collects, waits for completion, and fetches the results of every source that produced rows.
 * When the wait runs out the answer says so (`finished: false`, the state at that moment) instead
 * of failing: the flow keeps running and its results can be read later.
 */
export async function collectAndWait(
  conn: VelociraptorConnection,
  input: CollectInput,
  options: WaitOptions & { resultLimit?: number; logLimit?: number } = {},
): Promise<CollectAndWaitResult> {
  const launched = await collectArtifacts(conn, input, options);
  const { clientId, flowId } = launched;
  let flow: FlowSummary | undefined;
  try {
    flow = await waitForFlow(conn, clientId, flowId, options);
  } catch (e) {
    if (!isAppError(e, 'TIMEOUT')) throw e;
    flow = await flowStatus(conn, clientId, flowId, { signal: options.signal }).catch(() => undefined);
  }
  const finished = flow?.done === true;
  const results: Record<string, Row[]> = {};
  if (finished) {
    for (const source of flow?.artifactsWithResults ?? []) {
      results[source] = await flowResults(
        conn,
        { clientId, flowId, artifact: source, limit: options.resultLimit ?? 10_000 },
        options,
      );
    }
  }
  const logs = await flowLogs(conn, clientId, flowId, {
    limit: options.logLimit ?? 1000,
    signal: options.signal,
  }).catch((): FlowLog[] => []);
  return {
    clientId,
    flowId,
    state: flow?.state ?? 'RUNNING',
    finished,
    flow,
    results,
    errors: logs.filter(isProblemLog).map((l) => `${l.level} ${l.message}`.trim()),
  };
}
