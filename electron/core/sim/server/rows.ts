/**
 * Every row shape the simulated server answers with, in one place: protobuf records (clients,
 * flows, hunts, users) with Velociraptor's snake_case field names and enum names, and the dict
 * rows of its plugins (uploads, info, help, orgs). Plugins and the world build rows only here.
 */
import { hostname as osHostname } from 'node:os';
import { findArtifact, sourceKeys, type ArtifactDefinition } from '../dataset/artifacts';
import type { ClientRecord } from '../dataset/clients';
import { ROLE_PERMISSIONS, type Permission } from '../permissions';
import type { FunctionDef, PluginDef } from '../vql/scope';
import { VqlTime, type Row } from '../vql/values';
import type { FlowRecord, HuntRecord, UploadRecord, World } from '../world';

export const SIM_VERSION = '0.77.2';
export const SIM_HOSTNAME = 'megaraptor-velociraptor-simulator';

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

/** The ArtifactCollectorArgs of a flow (its `request`). */
export function flowRequest(flow: FlowRecord): Row {
  return {
    creator: flow.creator,
    client_id: flow.client_id,
    flow_id: flow.session_id,
    artifacts: flow.artifacts,
    specs: specsOf(flow.artifacts, flow.env),
    timeout: flow.timeout,
    max_rows: flow.max_rows,
    urgent: flow.urgent,
  };
}

function specsOf(artifacts: string[], env: Record<string, Record<string, string>>): Row[] {
  return artifacts.map((a) => ({
    artifact: a,
    parameters: { env: Object.entries(env[a] ?? {}).map(([key, value]) => ({ key, value })) },
  }));
}

/** An ArtifactCollectorContext (flows(), get_flow(), the completion event's Flow). */
export function flowRow(world: World, orgId: string, flow: FlowRecord): Row {
  const state = world.flowState(orgId, flow);
  const done = flow.finalised || state === 'FINISHED';
  const rows = [...flow.results.values()].reduce((n, r) => n + r.length, 0);
  const uploaded = flow.uploads.reduce((n, u) => n + u.size, 0);
  return {
    client_id: flow.client_id,
    session_id: flow.session_id,
    request: flowRequest(flow),
    create_time: Math.floor(flow.createMs * 1000),
    start_time: state === 'WAITING' ? 0 : Math.floor(flow.startMs * 1000),
    active_time: Math.floor(Math.min(world.now(), flow.finishMs) * 1000),
    total_uploaded_files: flow.uploads.length,
    total_expected_uploaded_bytes: uploaded,
    total_uploaded_bytes: uploaded,
    total_collected_rows: rows,
    total_logs: flow.logs.length,
    state,
    status: flow.status,
    artifacts_with_results: done
      ? [...flow.results.entries()].filter(([, r]) => r.length > 0).map(([k]) => k)
      : [],
    execution_duration: done ? Math.floor((flow.finishMs - flow.startMs) * 1_000_000) : 0,
  };
}

const OS_ENUM = { windows: 'WINDOWS', linux: 'LINUX', darwin: 'OSX' } as const;

/** A Hunt record (hunts(), hunt_info(), hunt()'s Request). */
export function huntRow(world: World, orgId: string, hunt: HuntRecord): Row {
  const state = hunt.state === 'RUNNING' && world.now() > hunt.expiresMs ? 'STOPPED' : hunt.state;
  return {
    hunt_id: hunt.hunt_id,
    create_time: Math.floor(hunt.createMs * 1000),
    start_time: hunt.startMs === null ? 0 : Math.floor(hunt.startMs * 1000),
    hunt_description: hunt.description,
    creator: hunt.creator,
    // The HuntCondition as the real server writes it: every field present, excluded labels inside
    // the condition, the OS enum by name (ALL when there is none; macOS is OSX).
    condition: {
      excluded_labels: { label: hunt.excludeLabels },
      labels: { label: hunt.includeLabels },
      os: { os: hunt.os ? OS_ENUM[hunt.os] : 'ALL' },
    },
    state,
    expires: Math.floor(hunt.expiresMs * 1000),
    start_request: {
      creator: hunt.creator,
      artifacts: hunt.artifacts,
      specs: specsOf(hunt.artifacts, hunt.env),
      timeout: hunt.timeout,
      max_rows: hunt.max_rows,
      max_upload_bytes: hunt.max_bytes,
      cpu_limit: hunt.cpu_limit,
    },
    artifacts: hunt.artifacts,
    artifact_sources: hunt.artifacts.flatMap((a) => {
      const def = findArtifact(a);
      return def ? sourceKeys(def) : [a];
    }),
    stats: world.huntStats(orgId, hunt),
    tags: hunt.tags,
    org_ids: [orgId],
    version: Math.floor(world.now() * 1000),
  };
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

/** A hunt_results() row: the flow's row with where it came from. */
export function huntResultRow(r: Row, flowId: string, clientId: string, orgId: string, fqdn: string): Row {
  return { ...r, FlowId: flowId, ClientId: clientId, _OrgId: orgId, Fqdn: fqdn };
}

/** A hunt_flows() row. */
export function huntFlowRow(world: World, orgId: string, huntId: string, flow: FlowRecord): Row {
  return {
    HuntId: huntId,
    ClientId: flow.client_id,
    FlowId: flow.session_id,
    Flow: flowRow(world, orgId, flow),
  };
}

/**
 * A flow_logs() row: client flows `{client_time (s), level, message}`; server flows (client_id
 * 'server') `{Timestamp (µs), Level, message}`, each message ending in a newline.
 */
export function logRow(flow: { client_id: string }, ms: number, level: string, message: string): Row {
  return flow.client_id === 'server'
    ? { Timestamp: Math.floor(ms * 1000), Level: level, message: `${message}\n` }
    : { client_time: Math.floor(ms / 1000), level, message };
}

/** An uploads() row. */
export function uploadRow(up: UploadRecord): Row {
  return {
    Timestamp: new VqlTime(up.timestampMs),
    started: new VqlTime(up.timestampMs).toJSON(),
    vfs_path: up.vfs_path,
    _Components: up.components,
    file_size: up.size,
    uploaded_size: up.size,
    client_path: up.client_path,
    Upload: {
      Path: up.vfs_path,
      Size: up.size,
      StoredSize: up.size,
      Components: up.components,
      Accessor: up.accessor,
      Type: '',
    },
  };
}

/** info(): the host, labelled as the simulator. */
export function infoRow(startMs: number, now: number): Row {
  return {
    Hostname: SIM_HOSTNAME,
    Uptime: Math.floor((now - startMs) / 1000),
    BootTime: Math.floor(startMs / 1000),
    Procs: 1,
    OS: 'linux',
    Platform: 'Velociraptor simulator (Megaraptor)',
    PlatformFamily: 'simulator',
    PlatformVersion: `${SIM_VERSION}-simulator`,
    KernelVersion: 'simulated',
    VirtualizationSystem: '',
    VirtualizationRole: '',
    CompilerVersion: 'node',
    HostID: 'megaraptor-simulator',
    Exe: 'megaraptor sim',
    CWD: '/',
    IsAdmin: false,
    ClientStart: new VqlTime(startMs),
    LocalTZ: 'UTC',
    LocalTZOffset: 0,
    Fqdn: `${SIM_HOSTNAME}.invalid`,
    Architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    RealHostname: osHostname(),
  };
}

/** One help() row: a plugin or function with its arguments. */
export function helpRow(def: PluginDef | FunctionDef, type: 'Plugin' | 'Function'): Row {
  return {
    name: def.name,
    type,
    description: def.doc,
    args: Object.entries(def.args).map(([name, s]) => ({
      name,
      type: s.type,
      required: s.required === true,
    })),
  };
}

/** An orgs() row. */
export function orgRow(o: { id: string; name: string }): Row {
  return { Name: o.name, OrgId: o.id };
}

/** A user record (user(), gui_users()): one user in one org, with no `orgs` list. */
export function userRecordRow(name: string, orgId: string, orgName: string, roles: string[]): Row {
  const perms = new Set<Permission>();
  for (const r of roles) for (const p of ROLE_PERMISSIONS[r] ?? []) perms.add(p);
  return {
    name,
    org_id: orgId,
    org_name: orgName,
    picture: '',
    // An unset email is the boolean false on the real server.
    email: false,
    roles: roles.length ? roles : null,
    _policy: roles.length ? { roles } : {},
    effective_policy: Object.fromEntries([...perms].map((p) => [p.toLowerCase(), true])),
  };
}

/** A gui_users() row. */
export const guiUserRow = userRecordRow;

/** An artifact_definitions() row (sanitize=TRUE drops the source queries). */
export function definitionRow(def: ArtifactDefinition, sanitize: boolean): Row {
  return {
    name: def.name,
    description: def.description,
    type: def.type,
    parameters: def.parameters.map((x) => ({
      name: x.name,
      default: x.default,
      description: x.description,
      type: x.type,
      ...(x.choices ? { choices: x.choices } : {}),
    })),
    sources: def.sources.map((s) =>
      sanitize
        ? { name: s }
        : {
            name: s,
            query: `-- Simulated by Megaraptor: rows are generated, this VQL is not executed.\nSELECT * FROM scope()`,
          },
    ),
    ...(def.os.length ? { precondition: `SELECT OS From info() where OS IN ${JSON.stringify(def.os)}` } : {}),
  };
}
