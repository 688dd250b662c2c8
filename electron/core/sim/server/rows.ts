/**
 * Every row shape the simulated server answers with, in one place: protobuf records (clients,
 * flows, hunts, users) with Velociraptor's field names, every field present in the order the real
 * server writes them (recorded from 0.75.7 and 0.77.2: electron/core/sim/fixtures/real), and the
 * dict rows of its plugins (uploads, info, help, orgs). Plugins and the world build rows only here.
 */
import type { ArtifactDefinition } from '../dataset/artifacts';
import { sourceKeys } from '../dataset/artifacts';
import type { ClientRecord } from '../dataset/clients';
import { permissionsFor, type Permission } from '../permissions';
import type { VersionProfile } from '../version';
import type { FunctionDef, PluginDef } from '../vql/scope';
import type { Row } from '../vql/values';
import type { FlowRecord, HuntRecord, HuntCounts, UploadRecord, World } from '../world';

export const SIM_HOSTNAME = 'megaraptor-velociraptor-simulator';

const us = (ms: number): number => Math.floor(ms * 1000);

/** An ApiClient record (clients(), client_info()). */
export function clientRow(world: World, c: ClientRecord): Row {
  return {
    client_id: c.client_id,
    agent_information: {
      version: c.agent_version,
      name: 'velociraptor',
      build_time: '2026-08-21T00:00:00Z',
      build_url: '',
    },
    os_info: {
      system: c.os,
      hostname: c.hostname,
      release: c.release,
      machine: c.machine,
      fqdn: c.fqdn,
      mac_addresses: c.mac_addresses,
    },
    first_seen_at: c.first_seen_at,
    last_seen_at: world.lastSeenUs(c),
    last_ip: c.last_ip,
    last_interrogate_flow_id: c.last_interrogate_flow_id,
    last_interrogate_artifact_name: 'Generic.Client.Info',
    labels: c.labels,
    last_hunt_timestamp: 0,
    last_event_table_version: 0,
    last_label_timestamp: c.last_label_timestamp,
    in_flight_flows: {},
  };
}

/** What an ArtifactCollectorArgs is built from (a flow's request, a hunt's start_request). */
export interface CollectorArgs {
  creator: string;
  clientId: string;
  flowId: string;
  urgent: boolean;
  artifacts: string[];
  env: Record<string, Record<string, string>>;
  cpuLimit: number;
  timeout: number;
  maxRows: number;
  maxBytes: number;
}

/** An ArtifactCollectorArgs with every field, as flows(), hunts() and collect_client() write it. */
export function collectorArgsRow(p: VersionProfile, a: CollectorArgs): Row {
  return {
    creator: a.creator,
    user_data: '',
    client_id: a.clientId,
    flow_id: a.flowId,
    urgent: a.urgent,
    ...(p.requestSummary ? { summary: false } : {}),
    artifacts: a.artifacts,
    specs: a.artifacts.map((artifact) => ({
      artifact,
      parameters: {
        env: Object.entries(a.env[artifact] ?? {}).map(([key, value]) => ({ key, value, comment: '' })),
      },
      cpu_limit: 0,
      max_batch_wait: 0,
      max_batch_rows: 0,
      max_batch_rows_buffer: 0,
      timeout: 0,
    })),
    cpu_limit: a.cpuLimit,
    iops_limit: 0,
    progress_timeout: 0,
    timeout: a.timeout,
    max_rows: a.maxRows,
    max_logs: 0,
    max_upload_bytes: a.maxBytes,
    trace_freq_sec: 0,
    allow_custom_overrides: false,
    log_batch_time: 0,
    compiled_collector_args: [],
    ops_per_second: 0,
  };
}

/** The request of a flow. Before 0.77 a collection's request did not name its flow. */
export function flowRequest(p: VersionProfile, flow: FlowRecord): Row {
  return collectorArgsRow(p, {
    creator: flow.creator,
    clientId: flow.client_id,
    flowId: p.requestFlowId || flow.huntId ? flow.session_id : '',
    urgent: flow.urgent,
    artifacts: flow.artifacts,
    env: flow.env,
    cpuLimit: flow.cpu_limit,
    timeout: flow.timeout,
    maxRows: flow.max_rows,
    maxBytes: flow.max_bytes,
  });
}

/** The numbers a flow record reports, derived from the world's state. */
function flowNumbers(world: World, orgId: string, flow: FlowRecord) {
  const state = world.flowState(orgId, flow);
  const done = flow.finalised || state === 'FINISHED';
  const started = state !== 'WAITING';
  const uploaded = flow.uploads.reduce((n, u) => n + u.size, 0);
  const withResults = done ? [...flow.results.entries()].filter(([, r]) => r.length > 0).map(([k]) => k) : [];
  const durationMs = done ? flow.finishMs - flow.startMs : 0;
  return {
    state,
    done,
    startUs: started ? us(flow.startMs) : 0,
    activeUs: started ? us(Math.min(world.now(), flow.finishMs)) : 0,
    uploaded,
    rows: [...flow.results.values()].reduce((n, r) => n + r.length, 0),
    withResults,
    // Client flows report nanoseconds, server flows microseconds (as the real server does).
    duration: Math.floor(durationMs * (flow.client_id === 'server' ? 1_000 : 1_000_000)),
    requests: done ? flow.artifacts.length + withResults.length : 0,
  };
}

/** One query_stats entry per source that produced rows, after one for the collection itself. */
function queryStats(flow: FlowRecord, n: ReturnType<typeof flowNumbers>): Row[] {
  if (!n.done) return [];
  const artifact = flow.client_id === 'server' ? (flow.artifacts[0] ?? '') : '';
  const entry = (names: string[], rows: number): Row => ({
    status: 'OK',
    error_message: '',
    backtrace: '',
    duration: n.duration,
    last_active: n.activeUs,
    first_active: n.startUs,
    names_with_response: names,
    Artifact: artifact,
    log_rows: 4,
    uploaded_files: 0,
    uploaded_bytes: 0,
    expected_uploaded_bytes: 0,
    result_rows: rows,
    query_id: 0,
    total_queries: 0,
    transactions_outstanding: 0,
  });
  // The uploads count with the source that made them (the first with rows here).
  const uploads = (i: number): Row =>
    i === 0 && flow.uploads.length
      ? {
          uploaded_files: flow.uploads.length,
          uploaded_bytes: n.uploaded,
          expected_uploaded_bytes: n.uploaded,
        }
      : {};
  return [
    entry([], 0),
    ...n.withResults.map((key, i) => ({
      ...entry([key], flow.results.get(key)?.length ?? 0),
      ...uploads(i),
    })),
  ];
}

/** An ArtifactCollectorContext as flows() and get_flow() give it (hunt_flows()' Flow has no downloads). */
export function flowRow(world: World, orgId: string, flow: FlowRecord, withDownloads = true): Row {
  const p = world.profile;
  const n = flowNumbers(world, orgId, flow);
  return {
    client_id: flow.client_id,
    session_id: flow.session_id,
    request: flowRequest(p, flow),
    ...(p.previousFlows ? { previous_flows: [] } : {}),
    backtrace: '',
    create_time: us(flow.createMs),
    start_time: n.startUs,
    active_time: n.activeUs,
    inflight_time: 0,
    total_uploaded_files: flow.uploads.length,
    total_expected_uploaded_bytes: n.uploaded,
    total_uploaded_bytes: n.uploaded,
    total_collected_rows: n.rows,
    total_logs: flow.logs.length,
    total_requests: n.requests,
    outstanding_requests: 0,
    transactions_outstanding: 0,
    next_response_id: 0,
    execution_duration: n.duration,
    state: n.state,
    status: flow.status,
    artifacts_with_results: n.withResults,
    query_stats: queryStats(flow, n),
    uploaded_files: [],
    user_notified: false,
    logs: [],
    dirty: false,
    total_loads: 0,
    ...(withDownloads ? { AvailableDownloads: {} } : {}),
  };
}

/**
 * A value in proto-JSON with unset fields left out (the form of event rows and of hunt()'s answer):
 * zero numbers, empty strings, false and empty lists disappear; objects stay.
 */
export function omitUnset(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(omitUnset);
  if (v === null || typeof v !== 'object') return v;
  const out: Row = {};
  for (const [k, x] of Object.entries(v as Row)) {
    if (x === 0 || x === '' || x === false || x === null || x === undefined) continue;
    if (Array.isArray(x) && x.length === 0) continue;
    out[k] = omitUnset(x);
  }
  return out;
}

const FLOW_STATE_ENUM: Record<string, number> = {
  RUNNING: 0,
  WAITING: 0,
  IN_PROGRESS: 0,
  FINISHED: 2,
  ERROR: 3,
  UNRESPONSIVE: 4,
};

/**
 * A System.Flow.Completion event row: the flow in proto-JSON with unset fields left out and the
 * state as its enum number; server flows also carry their request and creation time.
 */
export function completionRow(world: World, orgId: string, flow: FlowRecord): Row {
  const p = world.profile;
  const n = flowNumbers(world, orgId, flow);
  const server = flow.client_id === 'server';
  const seconds = Math.floor(world.now() / 1000);
  const flowProto = {
    client_id: flow.client_id,
    session_id: flow.session_id,
    ...(server
      ? {
          request: (({ specs, ...rest }: Row) => ({
            ...rest,
            specs: (specs as Row[]).map((s) => ({ artifact: s.artifact, parameters: {} })),
          }))(flowRequest(p, flow)),
          create_time: us(flow.createMs),
        }
      : {}),
    start_time: n.startUs,
    active_time: n.activeUs,
    total_uploaded_files: flow.uploads.length,
    total_expected_uploaded_bytes: n.uploaded,
    total_uploaded_bytes: n.uploaded,
    total_collected_rows: n.rows,
    total_logs: flow.logs.length,
    total_requests: n.requests,
    execution_duration: n.duration,
    state: FLOW_STATE_ENUM[n.state] ?? 0,
    status: flow.status,
    artifacts_with_results: n.withResults,
    // The status enum OK is its zero value: left out like every unset field.
    query_stats: queryStats(flow, n).map(({ status: _ok, ...rest }) => rest),
  };
  return {
    Timestamp: seconds,
    Flow: omitUnset(flowProto),
    FlowId: flow.session_id,
    ClientId: flow.client_id,
    _ts: seconds,
    ...(p.completionSource ? { _Source: 'System.Flow.Completion' } : {}),
  };
}

const OS_ENUM = { windows: 'WINDOWS', linux: 'LINUX', darwin: 'OSX' } as const;

function huntStartRequest(world: World, hunt: HuntRecord): Row {
  return collectorArgsRow(world.profile, {
    creator: hunt.creator,
    clientId: '',
    flowId: `F.${hunt.hunt_id.slice(2)}.H`,
    urgent: false,
    artifacts: hunt.artifacts,
    env: hunt.env,
    cpuLimit: hunt.cpu_limit,
    timeout: hunt.timeout,
    maxRows: hunt.max_rows,
    maxBytes: hunt.max_bytes,
  });
}

function huntStatsRow(p: VersionProfile, c: HuntCounts, stopped: boolean): Row {
  return {
    total_clients_scheduled: c.scheduled,
    total_clients_with_results: c.withResults,
    total_clients_without_results: c.finished - c.withResults,
    total_clients_with_errors: c.errors,
    ...(p.huntStatsExtended
      ? {
          total_uploaded_bytes: c.bytes,
          total_collected_rows: c.rows,
          total_finished_clients: c.finished + c.errors,
        }
      : {}),
    stopped,
    available_downloads: { files: [] },
    ...(p.huntStatsExtended ? { last_client_table_scan: 0 } : {}),
  };
}

function artifactSources(world: World, hunt: HuntRecord): string[] {
  return hunt.artifacts.flatMap((a) => {
    const def = world.artifact(a);
    return def ? sourceKeys(def) : [a];
  });
}

function huntState(world: World, hunt: HuntRecord): string {
  return hunt.state === 'RUNNING' && world.now() > hunt.expiresMs ? 'STOPPED' : hunt.state;
}

/**
 * A Hunt record as hunts() and hunt_info() give it: every field, the HuntCondition with excluded
 * labels inside it and the OS enum by name (ALL when there is none; macOS is OSX).
 */
export function huntRow(world: World, orgId: string, hunt: HuntRecord): Row {
  const state = huntState(world, hunt);
  return {
    hunt_id: hunt.hunt_id,
    version: 0,
    create_time: us(hunt.createMs),
    creator: hunt.creator,
    start_time: hunt.startMs === null ? 0 : us(hunt.startMs),
    expires: us(hunt.expiresMs),
    hunt_description: hunt.description,
    tags: hunt.tags,
    start_request: huntStartRequest(world, hunt),
    condition: {
      excluded_labels: { label: hunt.excludeLabels },
      labels: { label: hunt.includeLabels },
      os: { os: hunt.os ? OS_ENUM[hunt.os] : 'ALL' },
    },
    client_limit: 0,
    stats: huntStatsRow(
      world.profile,
      world.huntCounts(orgId, hunt),
      state === 'STOPPED' || state === 'ARCHIVED',
    ),
    artifacts: hunt.artifacts,
    artifact_sources: artifactSources(world, hunt),
    state,
    org_ids: [orgId],
  };
}

/**
 * The Hunt hunt() answers with, in proto-JSON: unset fields left out, 64-bit numbers as strings,
 * the condition only as set (labels, or the OS alone).
 */
export function huntCreatedRow(world: World, orgId: string, hunt: HuntRecord): Row {
  const start = huntStartRequest(world, hunt);
  const condition = hunt.os
    ? { os: { os: OS_ENUM[hunt.os] } }
    : hunt.includeLabels.length || hunt.excludeLabels.length
      ? {
          ...(hunt.excludeLabels.length ? { excluded_labels: { label: hunt.excludeLabels } } : {}),
          ...(hunt.includeLabels.length ? { labels: { label: hunt.includeLabels } } : {}),
        }
      : undefined;
  const stringified = (n: number): string | undefined => (n ? String(n) : undefined);
  return omitUnset({
    hunt_id: hunt.hunt_id,
    create_time: String(us(hunt.createMs)),
    creator: hunt.creator,
    expires: String(us(hunt.expiresMs)),
    hunt_description: hunt.description,
    tags: hunt.tags,
    start_request: {
      creator: start.creator,
      flow_id: start.flow_id,
      artifacts: start.artifacts,
      // Proto-JSON leaves out what is unset: no specs when hunt() got neither spec nor env.
      specs: hunt.withoutSpecs
        ? undefined
        : hunt.artifacts.map((artifact) => ({
            artifact,
            parameters: Object.keys(hunt.env[artifact] ?? {}).length
              ? { env: Object.entries(hunt.env[artifact] ?? {}).map(([key, value]) => ({ key, value })) }
              : {},
          })),
      timeout: stringified(hunt.timeout),
      max_rows: stringified(hunt.max_rows),
      max_upload_bytes: stringified(hunt.max_bytes),
      cpu_limit: hunt.cpu_limit,
      compiled_collector_args: compiledCollectorArgs(world, hunt.artifacts),
    },
    ...(condition ? { condition } : {}),
    stats: {},
    artifacts: hunt.artifacts,
    artifact_sources: artifactSources(world, hunt),
    state: huntState(world, hunt),
    org_ids: [orgId],
  }) as Row;
}

const ILLUSTRATIVE_VQL = '-- Simulated by Megaraptor: rows are generated, this VQL is not executed.';

function sourcePrecondition(def: ArtifactDefinition, source: string): string {
  const os = def.sourceOs?.[source] ?? (def.os.length === 1 ? def.os[0] : undefined);
  return os ? `SELECT OS From info() where OS = '${os}'` : '';
}

/** An artifact and everything it calls or imports, dependencies first. */
function withDependencies(world: World, name: string, seen = new Set<string>()): ArtifactDefinition[] {
  const def = world.artifact(name);
  if (!def || seen.has(name)) return [];
  seen.add(name);
  const below = [...(def.deps ?? []), ...(def.imports ?? [])].flatMap((d) =>
    withDependencies(world, d, seen),
  );
  return [...below, def];
}

/**
 * The compiled form of a collection (hunt()'s start_request.compiled_collector_args): one request
 * per artifact source, the last of an artifact carrying the artifacts it depends on. The VQL is
 * illustrative, as everywhere in the simulator.
 */
function compiledCollectorArgs(world: World, artifacts: string[]): Row[] {
  const defs = artifacts.map((a) => world.artifact(a)).filter((d): d is ArtifactDefinition => !!d);
  const total = defs.reduce((n, d) => n + d.sources.length, 0);
  const out: Row[] = [];
  for (const def of defs) {
    const deps = withDependencies(world, def.name).filter((d) => d.name !== def.name);
    def.sources.forEach((source, i) => {
      const last = i === def.sources.length - 1;
      out.push({
        query_id: String(out.length + 1),
        total_queries: String(total),
        precondition: sourcePrecondition(def, source),
        Query: [{ Name: `$${def.name}${source ? `/${source}` : ''}`, VQL: ILLUSTRATIVE_VQL }],
        max_row: '1000',
        ...(last && deps.length
          ? {
              artifacts: deps.map((d) => ({
                name: d.name,
                parameters: d.parameters.map((x) => ({ name: x.name, default: x.default })),
                type: d.type.toLowerCase(),
                sources: d.sources.map((s2) => ({
                  precondition: sourcePrecondition(d, s2),
                  queries: [ILLUSTRATIVE_VQL],
                })),
                export: d.exports ? ILLUSTRATIVE_VQL : '',
                imports: d.imports ?? [],
              })),
            }
          : {}),
      });
    });
  }
  return out;
}

/** hunts(summary=TRUE): the few fields the GUI's hunt list needs. */
export function huntSummaryRow(row: Row): Row {
  return {
    hunt_id: row.hunt_id,
    hunt_description: row.hunt_description,
    state: row.state,
    create_time: row.create_time,
    stats: row.stats,
  };
}

/** A hunt_results() row: the flow's row, then where it came from (Fqdn moves to the end). */
export function huntResultRow(r: Row, flowId: string, clientId: string, orgId: string, fqdn: string): Row {
  const { Fqdn: _own, ...rest } = r;
  return { ...rest, FlowId: flowId, ClientId: clientId, _OrgId: orgId, Fqdn: fqdn };
}

/** A hunt_flows() row. */
export function huntFlowRow(world: World, orgId: string, huntId: string, flow: FlowRecord): Row {
  return {
    HuntId: huntId,
    ClientId: flow.client_id,
    FlowId: flow.session_id,
    Flow: flowRow(world, orgId, flow, false),
  };
}

/**
 * A flow_logs() row: client flows `{client_time (s), level, message}`; server flows (client_id
 * 'server') `{Timestamp (µs), Level, message}`, each message ending in a newline.
 */
export function logRow(flow: { client_id: string }, ms: number, level: string, message: string): Row {
  return flow.client_id === 'server'
    ? { Timestamp: us(ms), Level: level, message: `${message}\n` }
    : { client_time: Math.floor(ms / 1000), level, message };
}

/** A Go time as the server prints it: `2026-12-06 19:22:42.893805655 +0000 UTC`. */
function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000 +0000 UTC`;
}

/** An uploads() row. */
export function uploadRow(up: UploadRecord): Row {
  const clientComponents = up.components.slice(6);
  return {
    Timestamp: Math.floor(up.timestampMs / 1000),
    started: goTime(up.timestampMs),
    vfs_path: `fs:${up.vfs_path}`,
    Type: '',
    _Components: up.components,
    file_size: up.size,
    _accessor: up.accessor,
    _client_components: clientComponents,
    uploaded_size: up.size,
    client_path: up.client_path,
    Upload: {
      Path: up.client_path,
      Size: up.size,
      StoredSize: up.size,
      Components: up.components,
      Accessor: up.accessor,
      UploadId: 0,
    },
  };
}

/** info(): the host, labelled as the simulator. */
export function infoRow(startMs: number, now: number): Row {
  return {
    Hostname: SIM_HOSTNAME,
    Uptime: Math.floor((now - startMs) / 1000),
    BootTime: Math.floor(startMs / 1000),
    OS: 'linux',
    Platform: 'Velociraptor simulator (Megaraptor)',
    PlatformFamily: 'simulator',
    PlatformVersion: 'simulator',
    KernelVersion: 'simulated',
    VirtualizationSystem: '',
    VirtualizationRole: '',
    CompilerVersion: `node ${process.version}`,
    HostID: 'megaraptor-simulator',
    Exe: 'megaraptor sim',
    CWD: '/',
    IsAdmin: false,
    ClientStart: new Date(startMs).toISOString(),
    LocalTZ: 'UTC',
    LocalTZOffset: 0,
    Fqdn: `${SIM_HOSTNAME}.invalid`,
    Architecture: process.arch === 'x64' ? 'amd64' : process.arch,
  };
}

/** One help() row: a plugin or function with its arguments (and the permissions it checks). */
export function helpRow(def: PluginDef | FunctionDef, type: 'Plugin' | 'Function'): Row {
  const args = Object.entries(def.args).map(([name, s]) => ({
    name,
    type: s.type,
    description: '',
    ...(s.type === 'strings' ? { repeated: true } : {}),
    ...(s.required ? { required: true } : {}),
  }));
  return {
    name: def.name,
    description: def.doc,
    type,
    version: 0,
    args: args.length ? args : null,
    category: type === 'Plugin' ? 'server' : 'basic',
    metadata: null,
    platforms: null,
    free_form_args: false,
  };
}

/** An orgs() row; `_client_config` is the org's client config (YAML). */
export function orgRow(o: { id: string; name: string }, clientConfig: string): Row {
  return { Name: o.name, OrgId: o.id, _client_config: clientConfig };
}

/** The names of the permissions in a user record's effective_policy (the ACL proto's fields). */
const POLICY_FIELD: Record<Permission, string> = {
  ANY_QUERY: 'any_query',
  READ_RESULTS: 'read_results',
  LABEL_CLIENT: 'label_clients',
  COLLECT_CLIENT: 'collect_client',
  COLLECT_BASIC: 'collect_basic',
  START_HUNT: 'start_hunt',
  COLLECT_SERVER: 'collect_server',
  ARTIFACT_WRITER: 'artifact_writer',
  SERVER_ARTIFACT_WRITER: 'server_artifact_writer',
  EXECVE: 'execve',
  NOTEBOOK_EDITOR: 'notebook_editor',
  ORG_ADMIN: 'org_admin',
  IMPERSONATION: 'impersonation',
  SERVER_ADMIN: 'server_admin',
  FILESYSTEM_READ: 'filesystem_read',
  FILESYSTEM_WRITE: 'filesystem_write',
  NETWORK: 'network',
  MACHINE_STATE: 'machine_state',
  PREPARE_RESULTS: 'prepare_results',
  DELETE_RESULTS: 'delete_results',
  DATASTORE_ACCESS: 'datastore_access',
};

/** A user record (user(), gui_users()): one user in one org, with no `orgs` list. */
export function userRecordRow(
  p: VersionProfile,
  name: string,
  orgId: string,
  orgName: string,
  roles: string[],
): Row {
  const perms = [...permissionsFor(roles, orgId)];
  return {
    name,
    org_id: orgId,
    org_name: orgName,
    picture: '',
    // An unset email is the boolean false on the real server.
    email: false,
    ...(p.userStats ? { stats: { last_active_time: 0, last_ip_address: '' } } : {}),
    roles: roles.length ? roles : null,
    _policy: roles.length ? { roles } : {},
    effective_policy: Object.fromEntries(perms.map((x) => [POLICY_FIELD[x], true])),
  };
}

/** A label() answer. */
export function labelResultRow(clientId: string, labels: string[], op: string): Row {
  return { ClientId: clientId, Labels: labels, Op: op };
}

/** An artifact_definitions() row with every field (sanitize=TRUE drops the source queries). */
export function definitionRow(def: ArtifactDefinition, sanitize: boolean): Row {
  const query = `-- Simulated by Megaraptor: rows are generated, this VQL is not executed.\nSELECT * FROM scope()`;
  return {
    name: def.name,
    aliases: [],
    description: def.description,
    author: '',
    reference: '',
    references: '',
    required_permissions: [],
    implied_permissions: [],
    impersonate: '',
    resources: {
      timeout: 0,
      ops_per_second: 0,
      cpu_limit: 0,
      iops_limit: 0,
      max_rows: 0,
      max_upload_bytes: 0,
      max_batch_wait: 0,
      max_batch_rows: 0,
      max_batch_rows_buffer: 0,
    },
    tools: (def.tools ?? []).map((t) => ({
      name: t.name,
      url: t.url,
      github_project: '',
      github_asset_regex: '',
      serve_locally: true,
      admin_override: false,
      expected_hash: t.expected_hash ?? '',
      version: t.version ?? '',
      materialize: false,
      artifact: '',
      filestore_path: '',
      serve_url: '',
      serve_urls: [],
      serve_path: '',
      filename: '',
      hash: '',
      invalid_hash: '',
      versions: [],
    })),
    precondition: def.os.length ? `SELECT OS From info() where OS IN ${JSON.stringify(def.os)}` : '',
    parameters: def.parameters.map((x) => ({
      name: x.name,
      default: x.default,
      description: x.description,
      type: x.type === 'string' ? '' : x.type,
      choices: x.choices ?? [],
      friendly_name: '',
      validating_regex: '',
      artifact_type: '',
      sources: false,
    })),
    type: def.type.toLowerCase(),
    sources: def.sources.map((s) => ({
      name: s,
      description: '',
      precondition: def.sourceOs?.[s] ? sourcePrecondition(def, s) : '',
      query: sanitize ? '' : query,
      queries: sanitize ? [] : [query],
      notebook: [],
    })),
    imports: def.imports ?? [],
    export: def.exports ? ILLUSTRATIVE_VQL : '',
    reports: [],
    column_types: [],
    raw: '',
    compiled: false,
    built_in: true,
    compiled_in: true,
    is_alias: false,
    is_inherited: false,
    metadata: { hidden: false, basic: def.basic === true, tags: [] },
  };
}
