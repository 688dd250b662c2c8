/**
 * Download packs (VR vql/server/downloads): create_flow_download() and create_hunt_download()
 * write a real zip into the file store and return its path spec (read with VFSGetBuffer).
 */
import { toCsv } from '../../../../shared/csv';
import { buildZip } from '../../files/index';
import { toJson, VqlPath } from '../vql/values';
import type { FlowRecord, World } from '../world';
import { fn, type PluginGroup, type ServerContext } from './context';
import { flowRow } from './rows';

/** A download pack of flows: results (JSON lines and/or CSV by `format`), logs, context, uploads. */
function downloadZip(
  world: World,
  orgId: string,
  flows: FlowRecord[],
  format: string,
  prefix: string,
): Buffer {
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
        entries.push({
          name: `${base}results/${key}.csv`,
          data: Buffer.from(toCsv(rows, { cellText: toJson })),
        });
    }
    entries.push({
      name: `${base}logs.json`,
      data: Buffer.from(flow.logs.map((r) => toJson(r)).join('\n') + '\n'),
    });
    entries.push({
      name: `${base}collection_context.json`,
      data: Buffer.from(toJson(flowRow(world, orgId, flow))),
    });
    for (const up of flow.uploads) {
      const data = world.store.readAll(up.components);
      if (data)
        entries.push({ name: `${base}uploads/${up.accessor}/${up.components.slice(6).join('/')}`, data });
    }
  }
  return buildZip(entries, new Date(world.now()));
}

export function downloadPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [],
    functions: [
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
          const orgId = ctx.org(scope);
          const flow = ctx.flowOf(scope, a.client_id, a.flow_id);
          if (!flow) throw new Error(`flow ${String(a.flow_id)} not found`);
          if (typeof a.password === 'string' && a.password)
            scope.log('create_flow_download: the simulator does not encrypt download zips; password ignored');
          const host = world.org(orgId).clients.get(flow.client_id)?.hostname ?? flow.client_id;
          const name = `${typeof a.name === 'string' && a.name ? a.name : `${host}-${flow.client_id}-${flow.session_id}`}.zip`;
          const components = ['downloads', flow.client_id, flow.session_id, name];
          world.store.write(
            components,
            downloadZip(
              world,
              orgId,
              [flow],
              typeof a.format === 'string' && a.format ? a.format : 'json',
              '',
            ),
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
          const orgId = ctx.org(scope);
          const hunt = ctx.huntOf(scope, a.hunt_id);
          if (!hunt) throw new Error(`hunt ${String(a.hunt_id)} not found`);
          const flows = [...hunt.flows]
            .map(([c, f]) => world.getFlow(orgId, c, f))
            .filter((f): f is FlowRecord => f !== undefined && f.finalised);
          const zip = downloadZip(
            world,
            orgId,
            flows,
            typeof a.format === 'string' && a.format ? a.format : 'json',
            'clients/',
          );
          const base = typeof a.filename === 'string' && a.filename ? a.filename : hunt.hunt_id;
          world.store.write(['downloads', 'hunts', hunt.hunt_id, `${base}.zip`], zip);
          // As the real function does (it does not convert the path type): the name lacks `.zip`.
          return new VqlPath(['downloads', 'hunts', hunt.hunt_id, base]);
        },
      }),
    ],
  };
}
