/**
 * Notebooks as one JSON file each under <dataDir>/notebooks (JsonFile: atomic, so a crash never
 * leaves half a notebook). Ids are generated here and validated on every path use.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Notebook, type Cell, type NotebookSummary } from '../../../shared/contracts/notebooks';
import { AppError } from '../../../shared/errors';
import { JsonFile } from '../files/index';

const ID = /^[A-Za-z0-9_-]{1,40}$/;

export class NotebookStore {
  private readonly dir: string;
  constructor(dataDir: string) {
    this.dir = join(dataDir, 'notebooks');
  }

  private file(id: string): string {
    if (!ID.test(id)) throw new AppError('INVALID_ARGUMENT', 'Not a notebook id.');
    return join(this.dir, `${id}.json`);
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
      id: `nb-${randomBytes(6).toString('hex')}`,
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

  async save(input: { id: string; title: string; cells: Cell[] }, now = new Date()): Promise<Notebook> {
    const old = await this.get(input.id);
    const nb: Notebook = { ...old, title: input.title, cells: input.cells, updatedAt: now.toISOString() };
    await this.write(nb);
    return nb;
  }

  async delete(id: string): Promise<boolean> {
    try {
      await rm(this.file(id));
      return true;
    } catch {
      return false;
    }
  }

  async export(id: string, format: 'markdown' | 'json'): Promise<{ fileName: string; text: string }> {
    const nb = await this.get(id);
    const base = nb.title.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || nb.id;
    if (format === 'json') return { fileName: `${base}.json`, text: JSON.stringify(nb, null, 2) };
    const body = nb.cells
      .map((c) => (c.kind === 'markdown' ? c.source : '```vql\n' + c.source + '\n```'))
      .join('\n\n');
    return { fileName: `${base}.md`, text: body + '\n' };
  }

  private async write(nb: Notebook): Promise<void> {
    await this.json(nb.id).write(nb);
  }
}
