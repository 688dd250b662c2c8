/** Results and uploads (VR vql/server/results, flows/uploads): source(), flow_results(), uploads(). */
import type { PluginItem } from '../vql/scope';
import { toText, type Row } from '../vql/values';
import type { HuntRecord, World } from '../world';
import { plugin, resultsOf, splitSource, window, type PluginGroup, type ServerContext } from './context';
import { huntResultRow, uploadRow } from './rows';

/** The rows of one source over every finished flow of a hunt, each marked with its client. */
export function huntResults(
  world: World,
  orgId: string,
  hunt: HuntRecord,
  artifact: string,
  source: string,
): Row[] {
  const out: Row[] = [];
  world.refresh(orgId);
  for (const [clientId, flowId] of hunt.flows) {
    const flow = world.getFlow(orgId, clientId, flowId);
    if (!flow?.finalised) continue;
    const fqdn = world.org(orgId).clients.get(clientId)?.fqdn ?? '';
    for (const r of resultsOf(flow, artifact, source))
      out.push(huntResultRow(r, flowId, clientId, orgId, fqdn));
  }
  return out;
}

export function resultPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
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
          const [artifact, fromName] = splitSource(toText(a.artifact));
          const source = typeof a.source === 'string' && a.source ? a.source : (fromName ?? '');
          let rows: Row[] = [];
          if (a.hunt_id) {
            const hunt = ctx.huntOf(scope, a.hunt_id);
            if (hunt) rows = huntResults(world, scope.ctx.orgId, hunt, artifact, source);
          } else {
            const flow = ctx.flowOf(scope, a.client_id, a.flow_id);
            if (flow) rows = resultsOf(flow, artifact, source);
          }
          for (const r of window(rows, a.start_row, a.count)) yield r;
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
          const flow = ctx.flowOf(scope, a.client_id, a.flow_id);
          if (!flow) return;
          const [artifact, fromName] = splitSource(toText(a.artifact));
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
        name: 'uploads',
        doc: "Retrieve information about a flow's uploads.",
        args: { client_id: { type: 'string', required: true }, flow_id: { type: 'string', required: true } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'uploads')) return;
          for (const up of ctx.flowOf(scope, a.client_id, a.flow_id)?.uploads ?? []) yield uploadRow(up);
        },
      }),
    ],
    functions: [],
  };
}
