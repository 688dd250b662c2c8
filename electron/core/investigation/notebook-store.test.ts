import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanRows } from '../velociraptor/index';
import { MAX_SAVED_ROWS, NotebookStore } from './notebook-store';
import { ResultSet } from './result-store';

let dir: string;
let store: NotebookStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-notebooks-'));
  store = new NotebookStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('NotebookStore', () => {
  it('creates, saves, lists newest first and deletes notebooks, one file each', async () => {
    const a = await store.create('First', new Date('2026-01-01T00:00:00Z'));
    const b = await store.create('Second', new Date('2026-01-02T00:00:00Z'));
    const saved = await store.save(
      {
        id: a.id,
        title: 'First, renamed',
        cells: [{ id: 'c1', kind: 'vql', source: 'SELECT 1 FROM scope()' }],
      },
      new Date('2026-01-03T00:00:00Z'),
    );
    expect(await store.get(a.id)).toEqual(saved);
    expect((await store.list()).map((n) => [n.title, n.cells])).toEqual([
      ['First, renamed', 1],
      ['Second', 2],
    ]);
    expect(readdirSync(join(dir, 'notebooks')).sort()).toEqual([`${a.id}.json`, `${b.id}.json`].sort());
    expect(await store.delete(b.id)).toBe(true);
    expect(await store.delete(b.id)).toBe(false);
    await expect(store.get(b.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('names a damaged notebook when it is opened and leaves it out of the list', async () => {
    const nb = await store.create('Kept');
    writeFileSync(join(dir, 'notebooks', 'nb-broken.json'), '{"id": "nb-broken"');
    writeFileSync(join(dir, 'notebooks', 'nb-shape.json'), JSON.stringify({ id: 'nb-shape' }));
    for (const id of ['nb-broken', 'nb-shape'])
      await expect(store.get(id)).rejects.toMatchObject({
        code: 'STORE_CORRUPT',
        message: `The notebook file ${id}.json is damaged; restore it from a backup or delete it.`,
      });
    expect((await store.list()).map((n) => n.id)).toEqual([nb.id]);
    await expect(store.get('../escape')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

/** A result set holding `rows` as a raw batch, as a VQL cell's run fills it. */
function resultOf(
  rows: Array<Record<string, unknown>>,
  text = JSON.stringify(rows),
  columns = Object.keys(rows[0] ?? {}),
): ResultSet {
  const set = new ResultSet('r', 'owner');
  const bytes = Buffer.from(text);
  set.pushRaw({ bytes, ...scanRows(bytes) }, columns);
  set.complete = true;
  return set;
}

const META = {
  ranAt: '2026-12-06T11:30:25.000Z',
  server: 'lab',
  endpoint: '127.0.0.1:8001',
  org: '',
  identity: 'alice',
  vql: 'SELECT * FROM pslist()',
  elapsedMs: 520,
};

describe('NotebookStore: a case', () => {
  async function withRun() {
    const nb = await store.create('INC-2041');
    const cell = nb.cells.find((c) => c.kind === 'vql')!;
    // A big integer stays exact: the saved rows are the server's own bytes.
    const text = '[{"Pid":4,"Name":"System","Id":18446744073709551615},{"Pid":88,"Name":"smss.exe","Id":2}]';
    const run = await store.recordRun(nb.id, cell.id, resultOf([], text, ['Pid', 'Name', 'Id']), META);
    return { nb, cell, run, text };
  }

  it('records a run in the cell and saves its rows beside the notebook, exactly as they came', async () => {
    const { nb, cell, run } = await withRun();
    expect(run).toMatchObject({ ...META, total: 2, saved: 2, columns: ['Pid', 'Name', 'Id'] });
    expect((await store.get(nb.id)).cells.find((c) => c.id === cell.id)?.run).toEqual(run);
    const bytes = (await store.savedRows(nb.id, cell.id))!.toString();
    expect(bytes).toContain('"Id":18446744073709551615');
    expect(JSON.parse(bytes.replace('18446744073709551615', '0'))).toHaveLength(2);
  });

  it('keeps the first rows of a big result and says how many there were', async () => {
    const nb = await store.create('big');
    const cell = nb.cells.find((c) => c.kind === 'vql')!;
    const rows = Array.from({ length: MAX_SAVED_ROWS + 5 }, (_, i) => ({ i }));
    const run = await store.recordRun(nb.id, cell.id, resultOf(rows), META);
    expect(run).toMatchObject({ total: MAX_SAVED_ROWS + 5, saved: MAX_SAVED_ROWS });
  });

  it('an edit saved later keeps the recorded run; removing the cell removes its rows', async () => {
    const { nb, cell } = await withRun();
    const edited = nb.cells.map((c) => (c.id === cell.id ? { ...c, source: 'SELECT 2 FROM scope()' } : c));
    // What the renderer sends never replaces the core's record.
    const forged = edited.map((c) =>
      c.id === cell.id ? { ...c, run: { ...META, total: 99, saved: 99, columns: [] } } : c,
    );
    const saved = await store.save({ id: nb.id, title: nb.title, cells: forged });
    expect(saved.cells.find((c) => c.id === cell.id)?.run?.total).toBe(2);
    await store.save({ id: nb.id, title: nb.title, cells: nb.cells.filter((c) => c.id !== cell.id) });
    expect(await store.savedRows(nb.id, cell.id)).toBeNull();
  });

  it('records and saves of one notebook run one after another, losing neither', async () => {
    const nb = await store.create('race');
    const cell = nb.cells.find((c) => c.kind === 'vql')!;
    await Promise.all([
      store.recordRun(nb.id, cell.id, resultOf([{ a: 1 }]), META),
      store.save({ id: nb.id, title: 'race, renamed', cells: nb.cells }),
    ]);
    const after = await store.get(nb.id);
    expect(after.title).toBe('race, renamed');
    expect(after.cells.find((c) => c.id === cell.id)?.run?.total).toBe(1);
  });

  it('renames, duplicates with the saved rows, and deletes with them', async () => {
    const { nb, cell } = await withRun();
    expect((await store.rename(nb.id, 'INC-2041 final')).title).toBe('INC-2041 final');
    const copy = await store.duplicate(nb.id);
    expect(copy.id).not.toBe(nb.id);
    expect(copy.title).toBe('Copy of INC-2041 final');
    expect((await store.savedRows(copy.id, cell.id))?.toString()).toBe(
      (await store.savedRows(nb.id, cell.id))?.toString(),
    );
    expect(await store.delete(nb.id)).toBe(true);
    expect(await store.savedRows(nb.id, cell.id)).toBeNull();
    expect(await store.savedRows(copy.id, cell.id)).not.toBeNull();
    await expect(store.savedRows(nb.id, '../x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('exports a report with each query, when, where and as whom it ran, and its first rows', async () => {
    const { nb } = await withRun();
    const r = await store.export(nb.id, 'markdown', new Date('2026-12-07T08:00:00Z'));
    expect(r.fileName).toBe('INC-2041.md');
    expect(r.text).toContain('# INC\\-2041');
    expect(r.text).toContain('SELECT * FROM pslist()');
    expect(r.text).toContain(
      'Ran 2026-12-06 11:30:25 UTC on **lab** (`127.0.0.1:8001`) as `alice`: 2 rows in 0.52 s.',
    );
    expect(r.text).toContain('| Pid | Name | Id |');
    expect(r.text).toContain('| 88 | smss.exe | 2 |');
    expect(r.text).toContain('18446744073709551615');
  });
});
