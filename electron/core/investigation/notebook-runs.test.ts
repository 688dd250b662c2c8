import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../shared/contracts/vql';
import { AppError } from '../../../shared/errors';
import { NotebookStore } from './notebook-store';
import { recordRun } from './notebook-runs';
import { ResultStore } from './result-store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-nbruns-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A run as InvestigationService.run yields it: rows into a set, done, then maybe a VQL error. */
async function* run(results: ResultStore, fail: boolean): AsyncGenerator<RunEvent> {
  const set = results.create('w');
  yield { type: 'started', resultId: set.id };
  set.push([{ Name: 'a' }, { Name: 'b' }], ['Name']);
  yield { type: 'rows', total: 2, columns: ['Name'] };
  yield { type: 'done', total: 2, elapsedMs: 42, firstRowsMs: 1 };
  if (fail) throw new AppError('VQL_ERROR', 'Symbol foo not found');
}

describe('recordRun', () => {
  for (const fail of [false, true]) {
    it(`records the run with the notebook and hands it to the cell${fail ? ', with the error' : ''}`, async () => {
      const store = new NotebookStore(dir);
      const results = new ResultStore();
      const nb = await store.create('case');
      const cellId = nb.cells.find((c) => c.kind === 'vql')!.id;
      const place = {
        notebookId: nb.id,
        cellId,
        target: { server: 'lab', org: '' },
        vql: 'SELECT * FROM x()',
        endpoint: '127.0.0.1:8001',
        identity: 'alice',
      };
      const seen: RunEvent[] = [];
      const go = async () => {
        for await (const ev of recordRun(
          run(results, fail),
          place,
          store,
          results,
          () => new Date('2026-12-06T11:30:25Z'),
        ))
          seen.push(ev);
      };
      if (fail) await expect(go()).rejects.toMatchObject({ code: 'VQL_ERROR' });
      else await go();
      const done = seen.at(-1);
      expect(done).toMatchObject({
        type: 'done',
        run: {
          ranAt: '2026-12-06T11:30:25.000Z',
          server: 'lab',
          identity: 'alice',
          vql: 'SELECT * FROM x()',
          total: 2,
          saved: 2,
          elapsedMs: 42,
          ...(fail ? { error: 'Symbol foo not found (VQL_ERROR)' } : {}),
        },
      });
      expect((await store.get(nb.id)).cells.find((c) => c.id === cellId)?.run).toEqual(
        (done as Extract<RunEvent, { type: 'done' }>).run,
      );
    });
  }
});
