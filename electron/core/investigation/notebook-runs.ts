/**
 * A notebook cell's run, recorded with the notebook: the events of `vql:run` pass through unchanged;
 * when the query ends (done, or failed after its rows) the first rows and what ran — when, on which
 * server and org, as which API user — are saved by the notebook store, and the `done` event carries
 * that record so the cell shows it at once.
 */
import type { Target } from '../../../shared/contracts/connections';
import type { CellRun } from '../../../shared/contracts/notebooks';
import type { RunEvent } from '../../../shared/contracts/vql';
import { describeError } from '../../../shared/errors';
import type { NotebookStore } from './notebook-store';
import type { ResultStore } from './result-store';

export interface RunPlace {
  notebookId: string;
  cellId: string;
  target: Target;
  vql: string;
  /** The connection's endpoint and API user, as the registry knows them. */
  endpoint: string;
  identity: string;
}

export async function* recordRun(
  events: AsyncGenerator<RunEvent>,
  place: RunPlace,
  notebooks: NotebookStore,
  results: ResultStore,
  now: () => Date = () => new Date(),
): AsyncGenerator<RunEvent> {
  const ranAt = now().toISOString();
  let resultId: string | undefined;
  let done: Extract<RunEvent, { type: 'done' }> | undefined;
  const record = (error?: string): Promise<CellRun> => {
    const set = results.get(resultId ?? '');
    return notebooks.recordRun(place.notebookId, place.cellId, set, {
      ranAt,
      server: place.target.server,
      endpoint: place.endpoint,
      org: place.target.org,
      identity: place.identity,
      vql: place.vql,
      elapsedMs: done?.elapsedMs ?? 0,
      ...(error ? { error } : {}),
    });
  };
  try {
    for await (const ev of events) {
      if (ev.type === 'started') resultId = ev.resultId;
      if (ev.type === 'done') {
        // Held back: a query that logs an error throws after `done`, and the record says so.
        done = ev;
        continue;
      }
      yield ev;
    }
  } catch (e) {
    if (done) yield resultId ? { ...done, run: await record(describeError(e)) } : done;
    throw e;
  }
  if (done) yield resultId ? { ...done, run: await record() } : done;
}
