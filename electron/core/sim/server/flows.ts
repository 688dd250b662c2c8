/** Flows (VR vql/server/flows): collect_client(), flows(), get_flow(), flow_logs(), cancel_flow(). */
import { normaliseOrg } from '../users';
import type { PluginItem } from '../vql/scope';
import { isRow, toJson, VqlTime } from '../vql/values';
import type { World } from '../world';
import { fn, plugin, window, type PluginGroup, type ServerContext } from './context';
import { flowRequest, flowRow } from './rows';
import { flowKey } from '../world';

/**
 * Parses collect_client / hunt env= and spec= into per-artifact string parameters. As the server
 * does (VR vql/tools/collector AddSpecProtobuf), a parameter the artifact does not declare is
 * dropped without a word: the artifact then runs with its default.
 */
export function artifactEnv(
  world: World,
  artifacts: string[],
  env: unknown,
  spec: unknown,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const a of artifacts) {
    const declared = new Set(world.artifact(a)?.parameters.map((p) => p.name) ?? []);
    const asStrings = (d: unknown): Record<string, string> => {
      const r: Record<string, string> = {};
      if (isRow(d))
        for (const [k, v] of Object.entries(d))
          if (declared.has(k))
            r[k] = typeof v === 'string' ? v : v instanceof VqlTime ? v.toJSON() : toJson(v);
      return r;
    };
    out[a] = { ...asStrings(env), ...(isRow(spec) ? asStrings(spec[a]) : {}) };
  }
  return out;
}

export function flowPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
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
          const orgId = ctx.org(scope);
          // As the real flow index: in the order flows were added, oldest first (no sorting).
          const flows = [...world.org(orgId).flows.values()].filter(
            (f) => f.client_id === a.client_id && (!a.flow_id || f.session_id === a.flow_id),
          );
          // Only a single flow (flow_id given) carries its AvailableDownloads.
          for (const f of window(flows, a.start, a.count))
            yield flowRow(world, orgId, f, typeof a.flow_id === 'string' && a.flow_id !== '');
        },
      }),
      plugin({
        name: 'delete_flow',
        doc: 'Delete all the files that make up a flow.',
        args: {
          flow_id: { type: 'string', required: true },
          client_id: { type: 'string', required: true },
          really_do_it: { type: 'bool' },
          sync: { type: 'bool' },
        },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('DELETE_RESULTS', 'delete_flow')) return;
          const org = world.org(ctx.org(scope));
          const key = flowKey(String(a.client_id), String(a.flow_id));
          const flow = org.flows.get(key);
          if (!flow) return;
          // As the real server: one row per stored item; without really_do_it nothing is removed.
          const base = `/clients/${flow.client_id}/collections/${flow.session_id}`;
          const items = [
            { type: 'CollectionContext', path: `${base}.json` },
            { type: 'Logs', path: `${base}/logs.json` },
            ...[...flow.results.keys()].map((k) => ({ type: 'Result', path: `${base}/${k}.json` })),
            ...flow.uploads.map((u) => ({ type: 'Upload', path: u.vfs_path })),
          ];
          if (a.really_do_it === true) org.flows.delete(key);
          for (const i of items) yield { type: i.type, data: { vfs_path: i.path }, error: '' };
        },
      }),
      plugin({
        name: 'flow_logs',
        doc: 'Retrieve the logs of a flow.',
        args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'flow_logs')) return;
          yield* ctx.flowOf(scope, a.client_id, a.flow_id)?.logs ?? [];
        },
      }),
    ],
    functions: [
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
          const orgId = typeof a.org_id === 'string' && a.org_id ? normaliseOrg(a.org_id) : ctx.org(scope);
          if (clientId === 'server') {
            if (!scope.require('COLLECT_SERVER', 'collect_client')) return null;
          } else {
            const basicOnly = artifacts.every((n) => world.artifact(n)?.basic === true);
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
            const def = world.artifact(n);
            if (!def) throw new Error(`Artifact ${n} not found`);
            // The server runs client artifacts too when asked to (client_id 'server'); a client never
            // runs a server artifact.
            if (def.type === 'SERVER' && clientId !== 'server')
              throw new Error(`Artifact ${n} is a SERVER artifact and can not be collected on a client`);
          }
          const flow = world.collect(orgId, scope.ctx.user, {
            clientId,
            artifacts,
            env: artifactEnv(world, artifacts, a.env, a.spec),
            timeout: typeof a.timeout === 'number' ? a.timeout : 0,
            maxRows: typeof a.max_rows === 'number' ? a.max_rows : 0,
            ...(typeof a.max_bytes === 'number' ? { maxBytes: a.max_bytes } : {}),
            ...(typeof a.cpu_limit === 'number' ? { cpuLimit: a.cpu_limit } : {}),
            urgent: a.urgent === true,
            flowId: typeof a.flow_id === 'string' && a.flow_id ? a.flow_id : undefined,
          });
          if (clientId !== 'server') ctx.touch(scope.ctx.user, clientId);
          return { flow_id: flow.session_id, request: flowRequest(world.profile, flow) };
        },
      }),
      fn({
        name: 'cancel_flow',
        doc: 'Cancels the flow.',
        args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
        call: (a, scope) => {
          if (!scope.require(a.client_id === 'server' ? 'COLLECT_SERVER' : 'COLLECT_CLIENT', 'cancel_flow'))
            return null;
          const flow = world.cancel(ctx.org(scope), String(a.client_id), String(a.flow_id), scope.ctx.user);
          return flow ? { flow_id: flow.session_id } : null;
        },
      }),
      fn({
        name: 'get_flow',
        doc: 'Gets flow details.',
        args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
        call: (a, scope) => {
          if (!scope.require('READ_RESULTS', 'get_flow')) return null;
          const flow = ctx.flowOf(scope, a.client_id, a.flow_id);
          return flow ? flowRow(world, scope.ctx.orgId, flow) : null;
        },
      }),
    ],
  };
}
