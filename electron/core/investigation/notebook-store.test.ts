import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotebookStore } from './notebook-store';

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
