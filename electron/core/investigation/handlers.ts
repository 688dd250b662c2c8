/** Contract channels of the investigation domain → its service, notebooks and bulk actions. */
import type { clientsContract } from '../../../shared/contracts/clients';
import type { collectionsContract } from '../../../shared/contracts/collections';
import type { huntsContract } from '../../../shared/contracts/hunts';
import type { notebooksContract } from '../../../shared/contracts/notebooks';
import type { vqlContract } from '../../../shared/contracts/vql';
import { OWNER_RELEASED, type Handlers } from '../rpc/index';
import { BulkActions } from './bulk';
import type { ConnectionManager } from '../connections/index';
import { evidenceFileName, scanRows } from '../velociraptor/index';
import { AppError } from '../../../shared/errors';
import type { NotebookStore } from './notebook-store';
import { recordRun } from './notebook-runs';
import type { InvestigationService } from './service';

type InvestigationContract = typeof clientsContract &
  typeof collectionsContract &
  typeof notebooksContract &
  typeof vqlContract &
  typeof huntsContract;

export function investigationHandlers(
  conn: ConnectionManager,
  svc: InvestigationService,
  notebooks: NotebookStore,
): Handlers<InvestigationContract> {
  const bulk = new BulkActions(conn);
  return {
    'clients:search': (i) => svc.searchClients(i.target, i.query, i.limit),
    'clients:get': (i) => svc.client(i.target, i.clientId),
    'clients:setLabels': (i) => svc.setLabels(i.target, i.clientId, i.add, i.remove),
    'clients:flows': (i) => svc.flows(i.target, i.clientId, i.limit),
    'clients:vfsList': (i) => svc.vfsList(i.target, i.clientId, i.path, i.accessor),
    'clients:vfsRefresh': (i) => svc.vfsRefresh(i.target, i.clientId, i.path, i.accessor),
    'clients:download': (i, ctx) => svc.download(i.target, i.clientId, i.path, ctx.signal, i.accessor),
    'files:read': (i, ctx) => svc.readSaved(i.path, ctx.signal),
    'clients:interrogate': (i) => svc.interrogate(i.target, i.clientId),
    'clients:quarantinePlan': (i) => svc.quarantinePlan(i.target, i.clientId, i.remove, i.message),
    'clients:quarantine': (i) => svc.quarantine(i.target, i.clientId, i.remove, i.message),
    'clients:delete': (i) => svc.deleteClient(i.target, i.clientId),
    'clients:deleteFlow': (i) => svc.deleteFlow(i.target, i.clientId, i.flowId),

    'artifacts:list': (i) => svc.artifacts(i.target, i.search, i.kind),
    'collections:launch': (i) => svc.launch(i.target, i.clientIds, i.artifacts, i.parameters, i.resources),
    'collections:flow': (i) => svc.flow(i.target, i.clientId, i.flowId),
    'collections:logs': (i) => svc.logs(i.target, i.clientId, i.flowId),
    'collections:results': (i, ctx) => svc.flowResults(i.target, i.clientId, i.flowId, i.source, ctx.owner),
    'collections:uploads': (i) => svc.uploads(i.target, i.clientId, i.flowId),
    'collections:cancel': async (i) => ({ cancelled: await svc.cancel(i.target, i.clientId, i.flowId) }),
    'collections:export': (i, ctx) => svc.exportFlow(i.target, i.clientId, i.flowId, ctx.signal),
    'hunts:export': (i, ctx) => svc.exportHunt(i.target, i.huntId, ctx.signal),

    'notebooks:list': () => notebooks.list(),
    'notebooks:get': (i) => notebooks.get(i.id),
    'notebooks:create': (i) => notebooks.create(i.title),
    'notebooks:save': (i) => notebooks.save(i),
    'notebooks:rename': (i) => notebooks.rename(i.id, i.title),
    'notebooks:duplicate': (i) => notebooks.duplicate(i.id, i.title),
    'notebooks:delete': async (i) => ({ deleted: await notebooks.delete(i.id) }),
    'notebooks:results': async (i, ctx) => {
      const nb = await notebooks.get(i.id);
      const run = nb.cells.find((c) => c.id === i.cellId)?.run;
      const bytes = run ? await notebooks.savedRows(i.id, i.cellId) : null;
      if (!run || !bytes)
        throw new AppError('NOT_FOUND', 'This cell has no saved results: run it to see rows.');
      const set = svc.results.create(ctx.owner);
      set.pushRaw({ bytes, ...scanRows(bytes) }, run.columns);
      set.complete = true;
      return { resultId: set.id, saved: set.size, total: run.total, columns: [...set.columns] };
    },
    'notebooks:export': (i) => notebooks.export(i.id, i.format),

    'vql:run': (i, ctx) => {
      const events = svc.run(i.target, i.vql, i.timeoutSeconds, ctx.owner, ctx.signal);
      if (!i.notebook) return events;
      const who = conn.summary(i.target.server);
      return recordRun(
        events,
        {
          notebookId: i.notebook.id,
          cellId: i.notebook.cellId,
          target: i.target,
          vql: i.vql,
          endpoint: who.connectionString,
          identity: who.user,
        },
        notebooks,
        svc.results,
      );
    },
    'vql:completions': async (i) => ({ items: await svc.completions(i.target) }),
    'results:window': (i) => {
      const set = svc.results.get(i.resultId);
      const w = set.window(i.offset, i.limit, i.view);
      return {
        total: set.size,
        matched: w.matched,
        columns: [...set.columns],
        offset: i.offset,
        rows: w.rows,
        complete: set.complete,
      };
    },
    'results:export': (i) => {
      const set = svc.results.get(i.resultId);
      const r = set.exportText(i.format, i.columns, i.view);
      const base = i.name
        ? evidenceFileName(i.name)
        : `results-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      return {
        fileName: `${base}.${i.format === 'csv' ? 'csv' : 'jsonl'}`,
        text: r.text,
        rows: r.rows,
      };
    },
    'results:release': (i) => ({ released: svc.results.release(i.resultId) }),
    // A closed window or socket takes its result sets with it (they can hold millions of rows).
    [OWNER_RELEASED]: (owner) => void svc.results.releaseOwner(owner),

    'hunts:list': (i) => svc.hunts(i.target),
    'hunts:get': (i) => svc.hunt(i.target, i.huntId),
    'hunts:estimate': (i) => svc.estimate(i.target, i.scope),
    'hunts:create': (i) => svc.createHunt(i.target, i),
    'hunts:start': (i) => svc.updateHunt(i.target, i.huntId, 'start'),
    'hunts:stop': (i) => svc.updateHunt(i.target, i.huntId, 'stop'),
    'hunts:flows': (i) => svc.huntFlows(i.target, i.huntId),
    'hunts:results': (i, ctx) => svc.huntResults(i.target, i.huntId, i.source, ctx.owner),

    'clients:matching': (i) => bulk.matching(i.target, i.query, i.limit),
    'clients:labelMany': (i) => bulk.labelMany(i.target, i.clientIds, i.labels, i.op),
    'clients:vfsReadRange': (i) => bulk.readFileRange(i.target, i.clientId, i.path, i.offset, i.length),
    'collections:flowStates': (i) => bulk.flowStates(i.target, i.flows),
  };
}
