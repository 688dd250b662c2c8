/**
 * Notebooks as one JSON file each under <dataDir>/notebooks (JsonFile: atomic, so a crash never
 * leaves half a notebook), and beside each a folder of its cells' saved results, `<id>/<cell>.json`
 * (the first rows of the last run as a JSON array, exactly as the server sent them). Ids are
 * generated here and validated on every path use. Writes of one notebook are serialized: a run being
 * recorded and an edit being saved never undo each other.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Notebook, type Cell, type CellRun, type NotebookSummary } from '../../../shared/contracts/notebooks';
import { AppError } from '../../../shared/errors';
import { JsonFile, writeFileAtomic } from '../files/index';
import { parseRowRange, scanRows, type Row } from '../velociraptor/index';
import { notebookReport, REPORT_ROWS } from './notebook-report';
import type { ResultSet } from './result-store';

/** Rows of a run saved with the notebook, and their bytes at most: a bigger result keeps its first rows. */
export const MAX_SAVED_ROWS = 10_000;
export const MAX_SAVED_BYTES = 16 * 1024 * 1024;

const ID = /^[A-Za-z0-9_-]{1,40}$/;

export class NotebookStore {
  private readonly dir: string;
  constructor(dataDir: string) {
    this.dir = join(dataDir, 'notebooks');
  }

  private readonly queue = new Map<string, Promise<unknown>>();

  private file(id: string): string {
    if (!ID.test(id)) throw new AppError('INVALID_ARGUMENT', 'Not a notebook id.');
    return join(this.dir, `${id}.json`);
  }

  /** The folder of a notebook's saved results. */
  private resultsDir(id: string): string {
    if (!ID.test(id)) throw new AppError('INVALID_ARGUMENT', 'Not a notebook id.');
    return join(this.dir, id);
  }

  private resultFile(id: string, cellId: string): string {
    if (!ID.test(cellId)) throw new AppError('INVALID_ARGUMENT', 'Not a cell id.');
    return join(this.resultsDir(id), `${cellId}.json`);
  }

  /** Runs `f` after every earlier write of notebook `id` (one at a time per notebook). */
  private serialized<T>(id: string, f: () => Promise<T>): Promise<T> {
    const before = this.queue.get(id) ?? Promise.resolve();
    const next = before.then(f, f);
    const settled = next.catch(() => undefined);
    this.queue.set(id, settled);
    void settled.then(() => {
      if (this.queue.get(id) === settled) this.queue.delete(id);
    });
    return next;
  }

  private json(id: string): JsonFile<typeof Notebook> {
    return new JsonFile(this.file(id), Notebook, {
      damaged: () => `The notebook file ${id}.json is damaged; restore it from a backup or delete it.`,
    });
  }

  async list(): Promise<NotebookSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: NotebookSummary[] = [];
    for (const f of names.filter((x) => x.endsWith('.json'))) {
      try {
        const nb = await this.get(f.slice(0, -5));
        out.push({ id: nb.id, title: nb.title, updatedAt: nb.updatedAt, cells: nb.cells.length });
      } catch {
        // A damaged file is skipped in the list; opening it reports STORE_CORRUPT with its name.
      }
    }
    return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  async get(id: string): Promise<Notebook> {
    const nb = await this.json(id).read();
    if (!nb) throw new AppError('NOT_FOUND', `Notebook ${id} does not exist.`);
    return nb;
  }

  async create(title: string, now = new Date()): Promise<Notebook> {
    const nb: Notebook = {
      id: newId(),
      title,
      cells: [
        {
          id: 'c1',
          kind: 'markdown',
          source: `# ${title}\n\nNotes for this investigation. VQL cells below run on the selected server.`,
        },
        { id: 'c2', kind: 'vql', source: 'SELECT * FROM info()' },
      ],
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.write(nb);
    return nb;
  }

  /** Title and cells as the responder edited them; each cell keeps the run the core recorded. */
  save(input: { id: string; title: string; cells: Cell[] }, now = new Date()): Promise<Notebook> {
    return this.serialized(input.id, async () => {
      const old = await this.get(input.id);
      const runs = new Map(old.cells.map((c) => [c.id, c.run]));
      const cells = input.cells.map(({ run: _sent, ...c }) => {
        const run = runs.get(c.id);
        return run ? { ...c, run } : c;
      });
      const nb: Notebook = { ...old, title: input.title, cells, updatedAt: now.toISOString() };
      await this.write(nb);
      await this.pruneResults(nb);
      return nb;
    });
  }

  rename(id: string, title: string, now = new Date()): Promise<Notebook> {
    return this.serialized(id, async () => {
      const nb: Notebook = { ...(await this.get(id)), title, updatedAt: now.toISOString() };
      await this.write(nb);
      return nb;
    });
  }

  /** A copy of the notebook and its saved results under a new id. */
  duplicate(id: string, title?: string, now = new Date()): Promise<Notebook> {
    return this.serialized(id, async () => {
      const old = await this.get(id);
      const nb: Notebook = {
        ...old,
        id: newId(),
        title: title ?? `Copy of ${old.title}`.slice(0, 200),
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      await cp(this.resultsDir(id), this.resultsDir(nb.id), { recursive: true, errorOnExist: true }).catch(
        (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        },
      );
      await this.write(nb);
      return nb;
    });
  }

  /**
   * Records a VQL cell's run: its first rows (MAX_SAVED_ROWS, MAX_SAVED_BYTES) beside the notebook and
   * what ran, where, as whom in the cell. Nothing is kept when the cell was deleted meanwhile.
   */
  recordRun(
    id: string,
    cellId: string,
    set: ResultSet,
    meta: Omit<CellRun, 'saved' | 'columns' | 'total'>,
  ): Promise<CellRun> {
    return this.serialized(id, async () => {
      const nb = await this.get(id);
      const rows = set.rowsJson(MAX_SAVED_ROWS, MAX_SAVED_BYTES);
      const run: CellRun = { ...meta, total: set.size, saved: rows.length, columns: [...set.columns] };
      const cell = nb.cells.find((c) => c.id === cellId);
      if (!cell) return run;
      await mkdir(this.resultsDir(id), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.resultFile(id, cellId), `[\n${rows.join(',\n')}\n]\n`);
      cell.run = run;
      await this.write(nb);
      return run;
    });
  }

  /** A cell's saved rows (the JSON array as written), or null when it has none. */
  async savedRows(id: string, cellId: string): Promise<Buffer | null> {
    try {
      return await readFile(this.resultFile(id, cellId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Saved results of cells no longer in the notebook (or no longer run) go with them. */
  private async pruneResults(nb: Notebook): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.resultsDir(nb.id));
    } catch {
      return;
    }
    const kept = new Set(nb.cells.filter((c) => c.run).map((c) => `${c.id}.json`));
    for (const f of names) if (!kept.has(f)) await rm(join(this.resultsDir(nb.id), f), { force: true });
  }

  /** The first saved rows of a cell, parsed (at most `n`). */
  private async firstRows(id: string, cellId: string, n: number): Promise<Row[]> {
    const bytes = await this.savedRows(id, cellId);
    if (!bytes) return [];
    const b = scanRows(bytes);
    return parseRowRange(bytes, b.delims, 0, Math.min(n, b.count), 'string');
  }

  delete(id: string): Promise<boolean> {
    return this.serialized(id, async () => {
      await rm(this.resultsDir(id), { recursive: true, force: true });
      try {
        await rm(this.file(id));
        return true;
      } catch {
        return false;
      }
    });
  }

  async export(
    id: string,
    format: 'markdown' | 'json',
    now = new Date(),
  ): Promise<{ fileName: string; text: string }> {
    const nb = await this.get(id);
    const base = nb.title.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || nb.id;
    if (format === 'json') return { fileName: `${base}.json`, text: JSON.stringify(nb, null, 2) };
    const rows = new Map<string, Row[]>();
    for (const c of nb.cells) if (c.run) rows.set(c.id, await this.firstRows(id, c.id, REPORT_ROWS));
    return { fileName: `${base}.md`, text: notebookReport(nb, (cellId) => rows.get(cellId) ?? [], now) };
  }

  private async write(nb: Notebook): Promise<void> {
    await this.json(nb.id).write(nb);
  }
}

function newId(): string {
  return `nb-${randomBytes(6).toString('hex')}`;
}
