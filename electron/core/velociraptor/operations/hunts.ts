/**
 * Hunts: create (paused unless asked), start/stop via hunt_update(start=TRUE / stop=TRUE) — the
 * function has no `state` argument — list, status with stats, flows and results. hunt() answers a
 * dict keyed `HuntId`, not `hunt_id`.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import {
  droppedLabelsWarning,
  matchesHuntScope,
  type HuntOs,
  type HuntScopeRule,
} from '../../../../shared/hunt-scope';
import type { VelociraptorConnection } from '../connection';
import type { Row } from '../query/json';
import type { QueryEvent, QueryOptions } from '../query/stream';
import {
  artifactNames,
  artifactSource,
  bool,
  build,
  huntId as huntIdArg,
  int,
  join,
  json,
  labels as labelsArg,
  str,
  vql,
  type BuiltQuery,
} from '../vql/builder';
import {
  callBuiltFunction,
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
import { searchClients, type ClientSummary } from './clients';

export type { HuntOs, HuntScopeRule };
import { limitArgs, specOf, type ArtifactParameters, type ResourceLimits } from './flows';

export interface CreateHuntInput extends ResourceLimits {
  description: string;
  artifacts: string[];
  parameters?: ArtifactParameters;
  includeLabels?: string[];
  excludeLabels?: string[];
  /** With an OS, Velociraptor drops the include and the exclude labels (see acceptDroppedLabels). */
  os?: HuntOs;
  /**
   * Send an OS together with labels although the server will drop the labels: only after the
   * responder saw that said (an approval plan). Otherwise such a scope is refused.
   */
  acceptDroppedLabels?: boolean;
  /** Seconds from now until the hunt expires (default 7 days). */
  expiresInSeconds?: number;
  /** Start immediately instead of creating it paused. Default false. */
  start?: boolean;
  tags?: string[];
}

const HuntCreatedSchema = z.looseObject({ HuntId: z.string() });

/** The hunt() query createHunt sends for `input`, built without running it (what an approval shows). */
export function planCreateHunt(input: CreateHuntInput): BuiltQuery {
  if (input.artifacts.length === 0) throw new AppError('INVALID_ARGUMENT', 'Name at least one artifact.');
  const dropped = droppedLabelsWarning(input);
  if (dropped && !input.acceptDroppedLabels)
    throw new AppError(
      'INVALID_ARGUMENT',
      `${dropped} Choose labels or an OS: to keep clients out of an OS-wide hunt, scope it by labels instead.`,
    );
  if (input.os && !['windows', 'linux', 'darwin'].includes(input.os))
    throw new AppError('INVALID_ARGUMENT', 'os must be windows, linux or darwin.');
  const expires = input.expiresInSeconds ?? 7 * 86_400;
  if (!Number.isSafeInteger(expires) || expires < 60)
    throw new AppError('INVALID_ARGUMENT', 'The expiry must be at least 60 seconds away.');
  const args = [
    vql`description=${str(input.description)}`,
    vql`artifacts=${artifactNames(input.artifacts)}`,
    vql`spec=${json(specOf(input.artifacts, input.parameters))}`,
    vql`expires=now() + ${int(expires)}`,
    vql`pause=${bool(!input.start)}`,
    ...(input.includeLabels?.length ? [vql`include_labels=${labelsArg(input.includeLabels)}`] : []),
    ...(input.excludeLabels?.length ? [vql`exclude_labels=${labelsArg(input.excludeLabels)}`] : []),
    ...(input.os ? [vql`os=${str(input.os)}`] : []),
    ...(input.tags?.length ? [vql`tags=${labelsArg(input.tags)}`] : []),
    ...limitArgs(input),
  ];
  return functionQuery(vql`hunt(${join(args, ', ')})`);
}

export async function createHunt(
  conn: VelociraptorConnection,
  input: CreateHuntInput,
  opts?: OpOptions,
): Promise<{ huntId: string }> {
  const query = planCreateHunt(input);
  // Never send what the server would drop silently (an undeclared parameter runs the default).
  await artifactCatalog.check(conn, input.artifacts, input.parameters, opts);
  // hunt() has no tags before 0.77: it would answer null and create nothing.
  if (input.tags?.length) await artifactCatalog.requireFunctionArgs(conn, 'hunt', ['tags'], opts);
  const r = await callBuiltFunction(conn, query, HuntCreatedSchema, rowsOptions(opts, false), 'hunt()');
  return { huntId: r.HuntId };
}

/** The hunt_update() query that starts or stops a hunt, built without running it. */
export function planHuntUpdate(huntId: string, action: 'start' | 'stop'): BuiltQuery {
  const flag = action === 'start' ? vql`start=${bool(true)}` : vql`stop=${bool(true)}`;
  return functionQuery(vql`hunt_update(hunt_id=${huntIdArg(huntId)}, ${flag})`);
}

async function huntUpdate(
  conn: VelociraptorConnection,
  huntId: string,
  action: 'start' | 'stop',
  opts?: OpOptions,
): Promise<HuntSummary> {
  await callBuiltFunction(
    conn,
    planHuntUpdate(huntId, action),
    z.unknown(),
    rowsOptions(opts, false),
    `hunt_update(${action})`,
  );
  return huntStatus(conn, huntId, opts);
}

export const startHunt = (
  conn: VelociraptorConnection,
  huntId: string,
  opts?: OpOptions,
): Promise<HuntSummary> => huntUpdate(conn, huntId, 'start', opts);
export const stopHunt = (
  conn: VelociraptorConnection,
  huntId: string,
  opts?: OpOptions,
): Promise<HuntSummary> => huntUpdate(conn, huntId, 'stop', opts);

const StatsSchema = z
  .looseObject({
    total_clients_scheduled: optNum,
    total_clients_with_results: optNum,
    total_clients_with_errors: optNum,
    total_clients_without_results: optNum,
    total_finished_clients: optNum,
    total_collected_rows: optNum,
    total_uploaded_bytes: optNum,
    stopped: z.boolean().optional(),
  })
  .nullable()
  .optional()
  .transform((s) => ({
    scheduled: s?.total_clients_scheduled ?? 0,
    withResults: s?.total_clients_with_results ?? 0,
    withErrors: s?.total_clients_with_errors ?? 0,
    withoutResults: s?.total_clients_without_results ?? 0,
    finished: s?.total_finished_clients ?? 0,
    collectedRows: s?.total_collected_rows ?? 0,
    uploadedBytes: s?.total_uploaded_bytes ?? 0,
  }));

/** The HuntOsCondition enum name (ALL, WINDOWS, LINUX, OSX) as the OS the app names. */
function huntOsOf(name: string | undefined): HuntOs | '' {
  switch ((name ?? '').toUpperCase()) {
    case 'WINDOWS':
      return 'windows';
    case 'LINUX':
      return 'linux';
    case 'OSX':
      return 'darwin';
    default:
      return '';
  }
}

/** Unset proto numbers arrive as 0: no limit was asked for. */
function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

export const HuntSummarySchema = z
  .looseObject({
    hunt_id: z.string(),
    hunt_description: z.string().nullable().optional(),
    state: z.string().optional(),
    creator: z.string().optional(),
    create_time: optNum,
    start_time: optNum,
    expires: optNum,
    artifacts: strList,
    start_request: z
      .looseObject({
        artifacts: strList,
        specs: SpecsSchema,
        timeout: optNum,
        max_rows: optNum,
        max_upload_bytes: optNum,
        cpu_limit: optNum,
      })
      .nullable()
      .optional(),
    tags: strList,
    stats: StatsSchema,
    condition: z
      .looseObject({
        labels: z.looseObject({ label: strList }).nullable().optional(),
        excluded_labels: z.looseObject({ label: strList }).nullable().optional(),
        os: z.looseObject({ os: z.string().optional() }).nullable().optional(),
      })
      .nullable()
      .optional(),
    artifact_sources: strList,
  })
  .transform((h) => ({
    huntId: h.hunt_id,
    description: h.hunt_description ?? '',
    state: h.state ?? 'UNSET',
    creator: h.creator ?? '',
    createTime: usToIso(h.create_time),
    startTime: usToIso(h.start_time),
    expires: usToIso(h.expires),
    artifacts: h.artifacts.length ? h.artifacts : (h.start_request?.artifacts ?? []),
    tags: h.tags,
    /** The parameters each artifact was given (the others take their defaults). */
    parameters: specParameters(h.start_request?.specs),
    /** Resource limits of every collection the hunt starts (undefined: the server's default). */
    limits: {
      timeoutSeconds: positive(h.start_request?.timeout),
      maxRows: positive(h.start_request?.max_rows),
      maxBytes: positive(h.start_request?.max_upload_bytes),
      cpuLimit: positive(h.start_request?.cpu_limit),
    },
    stats: h.stats,
    /** `Artifact/Source` for every source (what hunt_results() takes for named sources). */
    sources: h.artifact_sources,
    includeLabels: h.condition?.labels?.label ?? [],
    // Excluded labels live inside the condition (there is no top-level field).
    excludeLabels: h.condition?.excluded_labels?.label ?? [],
    /** '' when the hunt is not limited to one OS (the server writes ALL). */
    os: huntOsOf(h.condition?.os?.os),
  }));
export type HuntSummary = z.output<typeof HuntSummarySchema>;

/** Hunts, newest first. hunts() walks a map (no order), so the server sorts before LIMIT. */
export async function listHunts(
  conn: VelociraptorConnection,
  options: { limit?: number; state?: string } & OpOptions = {},
): Promise<HuntSummary[]> {
  const limit = limitOf(options.limit, 100);
  if (options.state) {
    // Hunts in one state: read them all, as the state filter happens here.
    const all = await queryTyped(
      conn,
      vql`SELECT * FROM hunts() ORDER BY create_time DESC`,
      HuntSummarySchema,
      rowsOptions(options, true),
    );
    return all.filter((h) => h.state === options.state).slice(0, limit);
  }
  return queryTyped(
    conn,
    vql`SELECT * FROM hunts() ORDER BY create_time DESC LIMIT ${int(limit)}`,
    HuntSummarySchema,
    rowsOptions(options, true),
  );
}

export async function huntStatus(
  conn: VelociraptorConnection,
  huntId: string,
  opts?: OpOptions,
): Promise<HuntSummary> {
  const rows = await queryTyped(
    conn,
    vql`SELECT * FROM hunts(hunt_id=${huntIdArg(huntId)})`,
    HuntSummarySchema,
    rowsOptions(opts, true),
  );
  const h = rows.find((r) => r.huntId === huntId);
  if (!h) throw new AppError('NOT_FOUND', `${conn.label} has no hunt ${huntId}.`);
  return h;
}

export const HuntFlowSchema = z
  .looseObject({
    HuntId: z.string().optional(),
    ClientId: z.string(),
    FlowId: z.string(),
    Flow: z
      .looseObject({
        state: z.string().optional(),
        total_collected_rows: optNum,
        start_time: optNum,
        active_time: optNum,
      })
      .nullable()
      .optional(),
  })
  .transform((f) => ({
    clientId: f.ClientId,
    flowId: f.FlowId,
    state: f.Flow?.state ?? 'UNSET',
    totalRows: f.Flow?.total_collected_rows ?? 0,
    startTime: usToIso(f.Flow?.start_time),
    /** When a final flow last reported (its end); absent while it runs. */
    endTime:
      f.Flow?.state === 'FINISHED' || f.Flow?.state === 'ERROR' ? usToIso(f.Flow.active_time) : undefined,
  }));
export type HuntFlow = z.output<typeof HuntFlowSchema>;

export async function huntFlows(
  conn: VelociraptorConnection,
  huntId: string,
  options: { limit?: number } & OpOptions = {},
): Promise<HuntFlow[]> {
  return queryTyped(
    conn,
    vql`SELECT * FROM hunt_flows(hunt_id=${huntIdArg(huntId)}) LIMIT ${int(limitOf(options.limit, 1000))}`,
    HuntFlowSchema,
    rowsOptions(options, true),
  );
}

/**
 * The source name hunt_results() needs. For an artifact with named sources it takes only
 * `Artifact/Source` (a bare name logs "not available in hunt" and returns no rows): a bare name
 * with a single named source in the hunt is completed, one with several is refused, naming them.
 */
export async function huntSource(
  conn: VelociraptorConnection,
  huntId: string,
  artifact: string,
  opts?: OpOptions,
): Promise<string> {
  if (artifact.includes('/')) return artifact;
  const sources = (await huntStatus(conn, huntId, opts)).sources;
  if (sources.includes(artifact) || sources.length === 0) return artifact;
  const named = sources.filter((s) => s.startsWith(`${artifact}/`));
  if (named.length === 1) return named[0] ?? artifact;
  if (named.length > 1)
    throw new AppError(
      'INVALID_ARGUMENT',
      `${artifact} has several sources in hunt ${huntId}: name one of ${named.join(', ')}.`,
      { details: { sources: named } },
    );
  return artifact;
}

export async function huntResults(
  conn: VelociraptorConnection,
  huntId: string,
  artifact: string,
  options: { limit?: number } & OpOptions = {},
): Promise<Row[]> {
  const source = await huntSource(conn, huntId, artifact, options);
  const q = vql`SELECT * FROM hunt_results(hunt_id=${huntIdArg(huntId)}, artifact=${artifactSource(source)}) LIMIT ${int(limitOf(options.limit, 1000, 1_000_000))}`;
  return (await conn.queryRows(build(q), rowsOptions(options, true))).rows;
}

/** All rows of one hunt source as they arrive (for result grids; never buffered here). */
export async function* streamHuntResults(
  conn: VelociraptorConnection,
  huntId: string,
  artifact: string,
  opts: QueryOptions = {},
): AsyncGenerator<QueryEvent, void, undefined> {
  const source = await huntSource(conn, huntId, artifact, { signal: opts.signal });
  yield* conn.query(
    build(vql`SELECT * FROM hunt_results(hunt_id=${huntIdArg(huntId)}, artifact=${artifactSource(source)})`),
    opts,
  );
}

/** The largest fleet a scope preview reads (the operations' ceiling for one list read). */
const SCOPE_MAX_CLIENTS = 10_000;

/** Which clients a hunt with this scope would reach now, by the server's own rule (matchesHuntScope). */
export async function previewHuntScope(
  conn: VelociraptorConnection,
  scope: HuntScopeRule,
  opts?: OpOptions,
): Promise<ClientSummary[]> {
  const all = await searchClients(conn, { search: 'all', limit: SCOPE_MAX_CLIENTS }, opts);
  return all.filter((c) => matchesHuntScope(scope, c));
}
