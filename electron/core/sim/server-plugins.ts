/**
 * Velociraptor's server-side VQL plugins and functions over the simulated world, with the names,
 * arguments, row shapes and per-plugin permissions of velociraptor-api.md §5. Rows from protobuf
 * records (clients, flows, hunts) use snake_case field names and enum names as on the real server.
 */
import { hostname as osHostname } from 'node:os';
import { bulkRowsPlugin } from './bulk-rows';
import { ARTIFACTS, definitionRow, findArtifact } from './dataset/artifacts';
import type { ClientRecord } from './dataset/clients';
import { isKnownRole, ROLE_PERMISSIONS } from './permissions';
import type { Permission } from './permissions';
import { hashPassword } from '../pki/password-hash';
import type { UserStore } from './users';
import { normaliseOrg } from './users';
import { buildZip } from './zip';
import type { FunctionDef, PluginDef, PluginItem, Scope } from './vql/scope';
import { isRow, toJson, toText, VqlPath, VqlTime, type Row } from './vql/values';
import { hasLabel, type FlowRecord, type HuntRecord, type World } from './world';

export const SIM_VERSION = '0.77.2';
export const SIM_HOSTNAME = 'megaraptor-velociraptor-simulator';

export interface ServerEnv {
  world: World;
  users: UserStore;
  startMs: number;
}

function glob(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}${pattern.includes('*') ? '' : '.*'}$`, 'i');
}

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

/** The clients() search syntax (VR services/indexing): bare term ⇒ host:, label:, label:none, mac:, client:, ip:, recent, all. */
export function searchClients(
  world: World,
  orgId: string,
  search: string,
  recent: Set<string>,
): ClientRecord[] {
  const all = [...world.org(orgId).clients.values()];
  const term = search.trim();
  if (term === '' || term === 'all' || term === '*') return all;
  if (term === 'recent') return all.filter((c) => recent.has(c.client_id));
  const colon = term.indexOf(':');
  const [kind, value] =
    colon > 0 ? [term.slice(0, colon).toLowerCase(), term.slice(colon + 1)] : ['host', term];
  const re = glob(value);
  switch (kind) {
    case 'label':
      return value.toLowerCase() === 'none'
        ? all.filter((c) => c.labels.length === 0)
        : all.filter((c) => c.labels.some((l) => re.test(l)));
    case 'host':
      return all.filter((c) => re.test(c.hostname) || re.test(c.fqdn));
    case 'mac':
      return all.filter((c) => c.mac_addresses.some((m) => re.test(m)));
    case 'client':
      return all.filter((c) => re.test(c.client_id));
    case 'ip':
      return all.filter((c) => re.test(c.last_ip));
    default:
      return all.filter((c) => re.test(c.hostname));
  }
}

function plugin(def: PluginDef): PluginDef {
  return def;
}
function fn(def: FunctionDef): FunctionDef {
  return def;
}

/** Parses collect_client / hunt env= and spec= into per-artifact string parameters. */
function artifactEnv(
  artifacts: string[],
  env: unknown,
  spec: unknown,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const asStrings = (d: unknown): Record<string, string> => {
    const r: Record<string, string> = {};
    if (isRow(d))
      for (const [k, v] of Object.entries(d))
        r[k] = typeof v === 'string' ? v : v instanceof VqlTime ? v.toJSON() : toJson(v);
    return r;
  };
  for (const a of artifacts) out[a] = { ...asStrings(env), ...(isRow(spec) ? asStrings(spec[a]) : {}) };
  return out;
}

export function serverPlugins(env: ServerEnv): { plugins: PluginDef[]; functions: FunctionDef[] } {
  const { world, users } = env;
  const recentByUser = new Map<string, Set<string>>();
  const touch = (user: string, clientId: string): void => {
    const set = recentByUser.get(user) ?? new Set<string>();
    set.add(clientId);
    recentByUser.set(user, set);
  };
  const org = (scope: Scope): string => {
    world.refresh(scope.ctx.orgId);
    return scope.ctx.orgId;
  };
  const flowOf = (scope: Scope, clientId: unknown, flowId: unknown): FlowRecord | undefined =>
    world.getFlow(org(scope), toText(clientId), toText(flowId));
  const huntOf = (scope: Scope, huntId: unknown): HuntRecord | undefined =>
    world.org(org(scope)).hunts.get(toText(huntId));
  const resultsOf = (flow: FlowRecord, artifact: string, source: string): Row[] => {
    const key = source ? `${artifact}/${source}` : artifact;
    return flow.results.get(key) ?? [];
  };

  const infoRow = (scope: Scope): Row => {
    const now = scope.ctx.now();
    return {
      Hostname: SIM_HOSTNAME,
      Uptime: Math.floor((now - env.startMs) / 1000),
      BootTime: Math.floor(env.startMs / 1000),
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
      ClientStart: new VqlTime(env.startMs),
      LocalTZ: 'UTC',
      LocalTZOffset: 0,
      Fqdn: `${SIM_HOSTNAME}.invalid`,
      Architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      RealHostname: osHostname(),
    };
  };

  const downloadZip = (orgId: string, flows: FlowRecord[], format: string, prefix: string): Buffer => {
    const entries: Array<{ name: string; data: Buffer }> = [];
    for (const flow of flows) {
      const base = `${prefix}${flow.client_id}/${flow.session_id}/`;
      for (const [key, rows] of flow.results) {
        if (format !== 'csv_only')
          entries.push({
            name: `${base}results/${key}.json`,
            data: Buffer.from(rows.map((r) => toJson(r)).join('\n') + (rows.length ? '\n' : '')),
          });
        if (format === 'csv' || format === 'csv_only')
          entries.push({ name: `${base}results/${key}.csv`, data: Buffer.from(toCsv(rows)) });
      }
      entries.push({
        name: `${base}logs.json`,
        data: Buffer.from(flow.logs.map((r) => toJson(r)).join('\n') + '\n'),
      });
      entries.push({
        name: `${base}collection_context.json`,
        data: Buffer.from(toJson(world.flowRow(orgId, flow))),
      });
      for (const up of flow.uploads) {
        const data = world.store.readAll(up.components);
        if (data)
          entries.push({ name: `${base}uploads/${up.accessor}/${up.components.slice(6).join('/')}`, data });
      }
    }
    return buildZip(entries, new Date(world.now()));
  };

  const plugins: PluginDef[] = [
    plugin({
      name: 'info',
      doc: 'Get information about the running host (here: the simulator).',
      args: {},
      async *run(_a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('MACHINE_STATE', 'info')) return;
        yield infoRow(scope);
      },
    }),
    plugin({
      name: 'clients',
      doc: 'Retrieve the list of clients.',
      args: {
        search: { type: 'string' },
        start: { type: 'int' },
        count: { type: 'int' },
        client_id: { type: 'string' },
      },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'clients')) return;
        const orgId = org(scope);
        let list: ClientRecord[];
        if (typeof a.client_id === 'string' && a.client_id) {
          const c = world.org(orgId).clients.get(a.client_id);
          list = c ? [c] : [];
        } else
          list = searchClients(
            world,
            orgId,
            typeof a.search === 'string' ? a.search : '',
            recentByUser.get(scope.ctx.user) ?? new Set(),
          );
        const start = typeof a.start === 'number' ? a.start : 0;
        const count = typeof a.count === 'number' ? a.count : 1_000_000;
        for (const c of list.slice(start, start + count)) yield clientRow(world, c);
      },
    }),
    plugin({
      name: 'flows',
      doc: 'Retrieve the flows launched on each client.',
      args: {
        client_id: { type: 'string', required: true },
        flow_id: { type: 'string' },
        start: { type: 'int' },
        count: { type: 'int' },
      },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'flows')) return;
        const orgId = org(scope);
        const flows = [...world.org(orgId).flows.values()]
          .filter((f) => f.client_id === a.client_id && (!a.flow_id || f.session_id === a.flow_id))
          .sort((x, y) => y.createMs - x.createMs);
        const start = typeof a.start === 'number' ? a.start : 0;
        for (const f of flows.slice(start, start + (typeof a.count === 'number' ? a.count : 1_000_000)))
          yield world.flowRow(orgId, f);
      },
    }),
    plugin({
      name: 'source',
      doc: "Retrieve rows from an artifact's source.",
      args: {
        client_id: { type: 'string' },
        flow_id: { type: 'string' },
        artifact: { type: 'string' },
        source: { type: 'string' },
        hunt_id: { type: 'string' },
        start_row: { type: 'int' },
        count: { type: 'int' },
        notebook_id: { type: 'string' },
        notebook_cell_id: { type: 'string' },
        orgs: { type: 'strings' },
      },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'source')) return;
        const [artifact, fromName] = toText(a.artifact).split('/');
        const source = typeof a.source === 'string' && a.source ? a.source : (fromName ?? '');
        let rows: Row[] = [];
        if (a.hunt_id) {
          const hunt = huntOf(scope, a.hunt_id);
          if (hunt) rows = huntResults(scope.ctx.orgId, hunt, artifact ?? '', source);
        } else {
          const flow = flowOf(scope, a.client_id, a.flow_id);
          if (flow) rows = resultsOf(flow, artifact ?? '', source);
        }
        const start = typeof a.start_row === 'number' ? a.start_row : 0;
        for (const r of rows.slice(start, start + (typeof a.count === 'number' ? a.count : 1e9))) yield r;
      },
    }),
    plugin({
      name: 'flow_results',
      doc: 'Retrieve the results of a flow.',
      args: {
        client_id: { type: 'string', required: true },
        flow_id: { type: 'string', required: true },
        artifact: { type: 'string' },
        source: { type: 'string' },
      },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'flow_results')) return;
        const flow = flowOf(scope, a.client_id, a.flow_id);
        if (!flow) return;
        const [artifact, fromName] = toText(a.artifact).split('/');
        if (!artifact) {
          for (const rows of flow.results.values()) yield* rows;
          return;
        }
        yield* resultsOf(
          flow,
          artifact,
          typeof a.source === 'string' && a.source ? a.source : (fromName ?? ''),
        );
      },
    }),
    plugin({
      name: 'flow_logs',
      doc: 'Retrieve the logs of a flow.',
      args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'flow_logs')) return;
        yield* flowOf(scope, a.client_id, a.flow_id)?.logs ?? [];
      },
    }),
    plugin({
      name: 'uploads',
      doc: "Retrieve information about a flow's uploads.",
      args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'uploads')) return;
        for (const up of flowOf(scope, a.client_id, a.flow_id)?.uploads ?? []) {
          yield {
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
      },
    }),
    plugin({
      name: 'hunts',
      doc: 'Retrieve the list of hunts.',
      args: { hunt_id: { type: 'string' }, summary: { type: 'bool' } },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'hunts')) return;
        const orgId = org(scope);
        const list = [...world.org(orgId).hunts.values()]
          .filter((h) => !a.hunt_id || h.hunt_id === a.hunt_id)
          .sort((x, y) => y.createMs - x.createMs);
        for (const h of list) {
          const row = world.huntRow(orgId, h);
          yield a.summary
            ? {
                hunt_id: row.hunt_id,
                hunt_description: row.hunt_description,
                state: row.state,
                create_time: row.create_time,
                stats: row.stats,
              }
            : row;
        }
      },
    }),
    plugin({
      name: 'hunt_results',
      doc: 'Retrieve the results of a hunt.',
      args: {
        hunt_id: { type: 'string', required: true },
        artifact: { type: 'string' },
        source: { type: 'string' },
        brief: { type: 'bool' },
        orgs: { type: 'strings' },
      },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'hunt_results')) return;
        const hunt = huntOf(scope, a.hunt_id);
        if (!hunt) return;
        const [artifact, fromName] = (toText(a.artifact) || (hunt.artifacts[0] ?? '')).split('/');
        const def = findArtifact(artifact ?? '');
        const source =
          typeof a.source === 'string' && a.source
            ? a.source
            : (fromName ?? (def && def.sources.length === 1 ? (def.sources[0] ?? '') : ''));
        yield* huntResults(scope.ctx.orgId, hunt, artifact ?? '', source);
      },
    }),
    plugin({
      name: 'hunt_flows',
      doc: 'Retrieve the flows launched by a hunt.',
      args: {
        hunt_id: { type: 'string', required: true },
        start_row: { type: 'int' },
        limit: { type: 'int' },
      },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'hunt_flows')) return;
        const orgId = org(scope);
        const hunt = huntOf(scope, a.hunt_id);
        if (!hunt) return;
        const entries = [...hunt.flows.entries()];
        const start = typeof a.start_row === 'number' ? a.start_row : 0;
        for (const [clientId, flowId] of entries.slice(
          start,
          start + (typeof a.limit === 'number' ? a.limit : 1e9),
        )) {
          const flow = world.getFlow(orgId, clientId, flowId);
          if (flow)
            yield {
              HuntId: hunt.hunt_id,
              ClientId: clientId,
              FlowId: flowId,
              Flow: world.flowRow(orgId, flow),
            };
        }
      },
    }),
    plugin({
      name: 'artifact_definitions',
      doc: 'Dump artifact definitions.',
      args: { names: { type: 'strings' }, deps: { type: 'bool' }, sanitize: { type: 'bool' } },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'artifact_definitions')) return;
        const names = (a.names as string[] | undefined) ?? [];
        const wanted = new Set<string>(names.length ? names : ARTIFACTS.map((x) => x.name));
        if (a.deps) for (const n of [...wanted]) for (const d of findArtifact(n)?.deps ?? []) wanted.add(d);
        for (const def of ARTIFACTS) if (wanted.has(def.name)) yield definitionRow(def, a.sanitize === true);
      },
    }),
    plugin({
      name: 'watch_monitoring',
      doc: "Watch a monitoring artifact's events (an event query: it never ends until cancelled or timed out).",
      args: { artifact: { type: 'string', required: true }, client_id: { type: 'string' } },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'watch_monitoring')) return;
        const def = findArtifact(String(a.artifact));
        if (!def || (def.type !== 'INTERNAL' && def.type !== 'CLIENT_EVENT' && def.type !== 'SERVER_EVENT')) {
          scope.log(`watch_monitoring: Artifact ${String(a.artifact)} is not an event artifact`);
          return;
        }
        let seen = world.lastCompletionSeq();
        const signal = scope.ctx.signal;
        while (!signal.aborted) {
          if (def.name === 'System.Flow.Completion') {
            world.refresh(scope.ctx.orgId);
            for (const ev of world.completions) {
              if (ev.seq > seen && ev.orgId === scope.ctx.orgId) yield ev.row;
            }
            seen = world.lastCompletionSeq();
          }
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 200);
            signal.addEventListener(
              'abort',
              () => {
                clearTimeout(t);
                resolve();
              },
              { once: true },
            );
          });
        }
      },
    }),
    plugin({
      name: 'orgs',
      doc: 'Retrieve the list of orgs on this server.',
      args: {},
      async *run(_a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'orgs')) return;
        for (const o of world.orgs.values()) yield { Name: o.name, OrgId: o.id };
      },
    }),
    plugin({
      name: 'gui_users',
      doc: 'Retrieve the list of users on the server.',
      args: { all_orgs: { type: 'bool' } },
      async *run(a, scope): AsyncGenerator<PluginItem> {
        if (!scope.require('READ_RESULTS', 'gui_users')) return;
        for (const u of users.list()) {
          for (const [orgId, roles] of u.orgRoles) {
            if (!a.all_orgs && orgId !== scope.ctx.orgId) continue;
            const perms = new Set<Permission>();
            for (const r of roles) for (const p of ROLE_PERMISSIONS[r] ?? []) perms.add(p);
            yield {
              name: u.name,
              org_id: orgId,
              org_name: world.orgs.get(orgId)?.name ?? orgId,
              roles,
              _policy: { roles },
              effective_policy: Object.fromEntries([...perms].map((p) => [p.toLowerCase(), true])),
            };
          }
        }
      },
    }),
    plugin({
      name: 'help',
      doc: 'Keyword completions and documentation: every VQL plugin and function this server offers.',
      args: {},
      async *run(_a, scope): AsyncGenerator<PluginItem> {
        for (const p of [...scope.ctx.plugins.values()].sort((x, y) => x.name.localeCompare(y.name)))
          yield {
            name: p.name,
            type: 'Plugin',
            description: p.doc,
            args: Object.entries(p.args).map(([name, s]) => ({
              name,
              type: s.type,
              required: s.required === true,
            })),
          };
        for (const f of [...scope.ctx.functions.values()].sort((x, y) => x.name.localeCompare(y.name)))
          yield {
            name: f.name,
            type: 'Function',
            description: f.doc,
            args: Object.entries(f.args).map(([name, s]) => ({
              name,
              type: s.type,
              required: s.required === true,
            })),
          };
      },
    }),
    bulkRowsPlugin,
  ];

  function huntResults(orgId: string, hunt: HuntRecord, artifact: string, source: string): Row[] {
    const out: Row[] = [];
    world.refresh(orgId);
    for (const [clientId, flowId] of hunt.flows) {
      const flow = world.getFlow(orgId, clientId, flowId);
      if (!flow?.finalised) continue;
      const client = world.org(orgId).clients.get(clientId);
      for (const r of resultsOf(flow, artifact, source))
        out.push({ ...r, FlowId: flowId, ClientId: clientId, _OrgId: orgId, Fqdn: client?.fqdn ?? '' });
    }
    return out;
  }

  const functions: FunctionDef[] = [
    fn({
      name: 'client_info',
      doc: 'Returns client info (like the fqdn) for a client.',
      args: { client_id: { type: 'string', required: true } },
      call: (a, scope) => {
        if (!scope.require('READ_RESULTS', 'client_info')) return null;
        const c = world.org(org(scope)).clients.get(String(a.client_id));
        return c ? clientRow(world, c) : null;
      },
    }),
    fn({
      name: 'label',
      doc: "Add the labels to the client. If op is 'remove' then remove these labels.",
      args: {
        client_id: { type: 'string', required: true },
        labels: { type: 'strings', required: true },
        op: { type: 'string' },
      },
      call: (a, scope) => {
        if (!scope.require('LABEL_CLIENT', 'label')) return null;
        const c = world.org(org(scope)).clients.get(String(a.client_id));
        if (!c) throw new Error(`client ${String(a.client_id)} not known`);
        const labels = a.labels as string[];
        touch(scope.ctx.user, c.client_id);
        switch (a.op) {
          case 'set':
            for (const l of labels) if (!hasLabel(c, l)) c.labels.push(l);
            c.last_label_timestamp = Math.floor(scope.ctx.now() * 1000);
            return c.client_id;
          case 'remove':
            c.labels = c.labels.filter((l) => !labels.some((x) => x.toLowerCase() === l.toLowerCase()));
            c.last_label_timestamp = Math.floor(scope.ctx.now() * 1000);
            return c.client_id;
          case 'check':
            return labels.every((l) => hasLabel(c, l)) ? c.client_id : false;
          default:
            // As on the real server: without a known op nothing changes.
            return c.client_id;
        }
      },
    }),
    fn({
      name: 'collect_client',
      doc: 'Launch an artifact collection against a client.',
      args: {
        client_id: { type: 'string', required: true },
        artifacts: { type: 'strings', required: true },
        env: { type: 'dict' },
        spec: { type: 'dict' },
        timeout: { type: 'int' },
        ops_per_sec: { type: 'int' },
        cpu_limit: { type: 'float' },
        iops_limit: { type: 'float' },
        max_rows: { type: 'int' },
        max_bytes: { type: 'int' },
        urgent: { type: 'bool' },
        flow_id: { type: 'string' },
        org_id: { type: 'string' },
        request: { type: 'any' },
      },
      call: (a, scope) => {
        const clientId = String(a.client_id);
        const artifacts = a.artifacts as string[];
        const orgId = typeof a.org_id === 'string' && a.org_id ? normaliseOrg(a.org_id) : org(scope);
        if (clientId === 'server') {
          if (!scope.require('COLLECT_SERVER', 'collect_client')) return null;
        } else {
          const basicOnly = artifacts.every((n) => findArtifact(n)?.basic === true);
          if (
            !scope.ctx.hasPermission('COLLECT_CLIENT') &&
            !(basicOnly && scope.ctx.hasPermission('COLLECT_BASIC'))
          ) {
            scope.log(`collect_client: Permission denied: [COLLECT_CLIENT]`);
            return null;
          }
          if (!world.org(orgId).clients.has(clientId)) throw new Error(`client ${clientId} not known`);
        }
        for (const n of artifacts) {
          const def = findArtifact(n);
          if (!def) throw new Error(`Artifact ${n} not found`);
          if ((def.type === 'SERVER') !== (clientId === 'server'))
            throw new Error(
              `Artifact ${n} is a ${def.type} artifact and can not be collected on ${clientId === 'server' ? 'the server' : 'a client'}`,
            );
        }
        const flow = world.collect(orgId, scope.ctx.user, {
          clientId,
          artifacts,
          env: artifactEnv(artifacts, a.env, a.spec),
          timeout: typeof a.timeout === 'number' ? a.timeout : 600,
          maxRows: typeof a.max_rows === 'number' ? a.max_rows : 0,
          urgent: a.urgent === true,
          flowId: typeof a.flow_id === 'string' && a.flow_id ? a.flow_id : undefined,
        });
        if (clientId !== 'server') touch(scope.ctx.user, clientId);
        return { flow_id: flow.session_id, request: world.flowRequest(flow) };
      },
    }),
    fn({
      name: 'cancel_flow',
      doc: 'Cancels the flow.',
      args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
      call: (a, scope) => {
        if (!scope.require(a.client_id === 'server' ? 'COLLECT_SERVER' : 'COLLECT_CLIENT', 'cancel_flow'))
          return null;
        const flow = world.cancel(org(scope), String(a.client_id), String(a.flow_id), scope.ctx.user);
        return flow ? { flow_id: flow.session_id } : null;
      },
    }),
    fn({
      name: 'get_flow',
      doc: 'Gets flow details.',
      args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
      call: (a, scope) => {
        if (!scope.require('READ_RESULTS', 'get_flow')) return null;
        const flow = flowOf(scope, a.client_id, a.flow_id);
        return flow ? world.flowRow(scope.ctx.orgId, flow) : null;
      },
    }),
    fn({
      name: 'create_flow_download',
      doc: 'Creates a download pack for the flow.',
      args: {
        client_id: { type: 'string', required: true },
        flow_id: { type: 'string', required: true },
        wait: { type: 'bool' },
        type: { type: 'string' },
        name: { type: 'string' },
        password: { type: 'string' },
        expand_sparse: { type: 'bool' },
        format: { type: 'string' },
      },
      call: (a, scope) => {
        if (!scope.require('PREPARE_RESULTS', 'create_flow_download')) return null;
        const orgId = org(scope);
        const flow = flowOf(scope, a.client_id, a.flow_id);
        if (!flow) throw new Error(`flow ${String(a.flow_id)} not found`);
        if (typeof a.password === 'string' && a.password)
          scope.log('create_flow_download: the simulator does not encrypt download zips; password ignored');
        const name = `${typeof a.name === 'string' && a.name ? a.name : `${flow.client_id}-${flow.session_id}`}.zip`;
        const components = ['downloads', flow.client_id, flow.session_id, name];
        world.store.write(
          components,
          downloadZip(orgId, [flow], typeof a.format === 'string' && a.format ? a.format : 'json', ''),
        );
        return new VqlPath(components);
      },
    }),
    fn({
      name: 'create_hunt_download',
      doc: 'Creates a download pack for a hunt.',
      args: {
        hunt_id: { type: 'string', required: true },
        wait: { type: 'bool' },
        only_combined: { type: 'bool' },
        format: { type: 'string' },
        base: { type: 'string' },
        password: { type: 'string' },
        filename: { type: 'string' },
        expand_sparse: { type: 'bool' },
      },
      call: (a, scope) => {
        if (!scope.require('PREPARE_RESULTS', 'create_hunt_download')) return null;
        const orgId = org(scope);
        const hunt = huntOf(scope, a.hunt_id);
        if (!hunt) throw new Error(`hunt ${String(a.hunt_id)} not found`);
        const flows = [...hunt.flows]
          .map(([c, f]) => world.getFlow(orgId, c, f))
          .filter((f): f is FlowRecord => f !== undefined && f.finalised);
        const entries: Buffer = downloadZip(
          orgId,
          flows,
          typeof a.format === 'string' && a.format ? a.format : 'json',
          'clients/',
        );
        const name = `${typeof a.filename === 'string' && a.filename ? a.filename : hunt.hunt_id}.zip`;
        const components = ['downloads', 'hunts', hunt.hunt_id, name];
        world.store.write(components, entries);
        return new VqlPath(components);
      },
    }),
    fn({
      name: 'hunt',
      doc: 'Create and launch a hunt.',
      args: {
        description: { type: 'string', required: true },
        artifacts: { type: 'strings', required: true },
        spec: { type: 'dict' },
        env: { type: 'dict' },
        expires: { type: 'any' },
        include_labels: { type: 'strings' },
        exclude_labels: { type: 'strings' },
        os: { type: 'string' },
        pause: { type: 'bool' },
        timeout: { type: 'int' },
        ops_per_sec: { type: 'int' },
        cpu_limit: { type: 'float' },
        iops_limit: { type: 'float' },
        max_rows: { type: 'int' },
        max_bytes: { type: 'int' },
        tags: { type: 'strings' },
        org_id: { type: 'strings' },
      },
      call: (a, scope) => {
        if (!scope.require('START_HUNT', 'hunt')) return null;
        const orgIds = (a.org_id as string[] | undefined) ?? [];
        if (orgIds.length > 1 && !scope.require('ORG_ADMIN', 'hunt')) return null;
        const orgId = org(scope);
        const now = scope.ctx.now();
        const expiresMs =
          a.expires === undefined || a.expires === null
            ? now + 168 * 3_600_000
            : a.expires instanceof VqlTime
              ? a.expires.ms
              : typeof a.expires === 'number'
                ? a.expires * 1000
                : Date.parse(toText(a.expires));
        if (!(expiresMs > now)) {
          scope.log('hunt: expiry time is in the past');
          return null;
        }
        const artifacts = a.artifacts as string[];
        for (const n of artifacts) if (!findArtifact(n)) throw new Error(`Artifact ${n} not found`);
        const os =
          typeof a.os === 'string' && a.os ? (a.os.toLowerCase() as 'windows' | 'linux' | 'darwin') : null;
        const hunt: HuntRecord = {
          hunt_id: world.newHuntId(),
          description: String(a.description),
          creator: scope.ctx.user,
          artifacts,
          env: artifactEnv(artifacts, a.env, a.spec),
          createMs: now,
          startMs: a.pause === true ? null : now,
          stopMs: null,
          expiresMs,
          state: a.pause === true ? 'PAUSED' : 'RUNNING',
          os,
          includeLabels: os ? [] : ((a.include_labels as string[] | undefined) ?? []),
          excludeLabels: (a.exclude_labels as string[] | undefined) ?? [],
          tags: (a.tags as string[] | undefined) ?? [],
          timeout: typeof a.timeout === 'number' ? a.timeout : 600,
          max_rows: typeof a.max_rows === 'number' ? a.max_rows : 0,
          flows: new Map(),
        };
        world.org(orgId).hunts.set(hunt.hunt_id, hunt);
        return { HuntId: hunt.hunt_id, Request: world.huntRow(orgId, hunt) };
      },
    }),
    fn({
      name: 'hunt_update',
      doc: 'Update a hunt.',
      args: {
        hunt_id: { type: 'string', required: true },
        stop: { type: 'bool' },
        start: { type: 'bool' },
        description: { type: 'string' },
        expires: { type: 'any' },
        add_labels: { type: 'strings' },
        del_labels: { type: 'strings' },
      },
      call: (a, scope) => {
        if (!scope.require('START_HUNT', 'hunt_update')) return null;
        const hunt = huntOf(scope, a.hunt_id);
        if (!hunt) throw new Error(`hunt ${String(a.hunt_id)} not found`);
        const now = scope.ctx.now();
        if (a.start === true && hunt.state !== 'ARCHIVED') {
          hunt.state = 'RUNNING';
          hunt.startMs ??= now;
          hunt.stopMs = null;
        }
        if (a.stop === true) {
          hunt.state = 'STOPPED';
          hunt.stopMs = now;
        }
        if (typeof a.description === 'string' && a.description) hunt.description = a.description;
        if (a.expires !== undefined)
          hunt.expiresMs = a.expires instanceof VqlTime ? a.expires.ms : Number(a.expires) * 1000;
        for (const l of (a.add_labels as string[] | undefined) ?? [])
          if (!hunt.includeLabels.includes(l)) hunt.includeLabels.push(l);
        hunt.includeLabels = hunt.includeLabels.filter(
          (l) => !((a.del_labels as string[] | undefined) ?? []).includes(l),
        );
        return hunt.hunt_id;
      },
    }),
    fn({
      name: 'hunt_info',
      doc: 'Retrieve the hunt information.',
      args: { hunt_id: { type: 'string', required: true } },
      call: (a, scope) => {
        if (!scope.require('READ_RESULTS', 'hunt_info')) return null;
        const hunt = huntOf(scope, a.hunt_id);
        return hunt ? world.huntRow(scope.ctx.orgId, hunt) : null;
      },
    }),
    fn({
      name: 'user_create',
      doc: 'Creates a new user from the server, or updates their permissions or reset their password.',
      args: {
        user: { type: 'string', required: true },
        roles: { type: 'strings', required: true },
        password: { type: 'string' },
        orgs: { type: 'strings' },
      },
      call: (a, scope) => grantUser(a, scope, 'user_create'),
    }),
    fn({
      name: 'user_grant',
      doc: 'Grants the user the specified roles.',
      args: {
        user: { type: 'string', required: true },
        roles: { type: 'strings' },
        orgs: { type: 'strings' },
        policy: { type: 'dict' },
      },
      call: (a, scope) => grantUser(a, scope, 'user_grant'),
    }),
    fn({
      name: 'user_delete',
      doc: 'Deletes a user from the server.',
      args: {
        user: { type: 'string', required: true },
        really_do_it: { type: 'bool' },
        orgs: { type: 'strings' },
      },
      call: (a, scope) => {
        if (!scope.require('SERVER_ADMIN', 'user_delete')) return null;
        if (a.really_do_it !== true) return `Would delete ${String(a.user)} (call with really_do_it=TRUE)`;
        return users.delete(String(a.user)) ? String(a.user) : null;
      },
    }),
    fn({
      name: 'user',
      doc: 'Retrieves information about the user.',
      args: { user: { type: 'string' }, orgs: { type: 'strings' } },
      call: (a, scope) => {
        const name = typeof a.user === 'string' && a.user ? a.user : scope.ctx.user;
        if (name !== scope.ctx.user && !scope.require('SERVER_ADMIN', 'user')) return null;
        const u = users.get(name);
        return u
          ? {
              name: u.name,
              roles: users.rolesIn(u.name, scope.ctx.orgId),
              orgs: [...u.orgRoles.keys()].map((id) => ({ id, name: world.orgs.get(id)?.name ?? id })),
            }
          : null;
      },
    }),
  ];

  function grantUser(a: Row, scope: Scope, name: string): unknown {
    if (!scope.require('SERVER_ADMIN', name)) return null;
    const roles = (a.roles as string[] | undefined) ?? [];
    const bad = roles.find((r) => !isKnownRole(r));
    if (bad) throw new Error(`Invalid role ${bad}`);
    const orgs = (a.orgs as string[] | undefined)?.length ? (a.orgs as string[]) : [scope.ctx.orgId];
    for (const o of orgs) {
      if (!world.orgs.has(normaliseOrg(o))) throw new Error(`Org ${o} not found`);
      users.grant(
        String(a.user),
        roles,
        normaliseOrg(o),
        typeof a.password === 'string' && a.password ? hashPassword(a.password) : undefined,
      );
    }
    return String(a.user);
  }

  return { plugins, functions };
}

function toCsv(rows: Row[]): string {
  if (!rows.length) return '';
  const cols = Object.keys(rows[0] as Row);
  const cell = (v: unknown): string => {
    const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : toJson(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
