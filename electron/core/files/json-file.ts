/**
 * One JSON document in a file of the data folder: checked against its zod schema when read and
 * before it is written, and replaced atomically (atomic-file.ts), so a reader never sees half a
 * file and two writers never share a temp file. The one way the core keeps a small JSON file.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file';

/** Why a file could not be read as its document. */
export type Damage = 'not-json' | 'invalid';

export interface JsonFileOptions {
  /** The STORE_CORRUPT message for a damaged file (what happened and what to do). */
  damaged?: (damage: Damage, path: string) => string;
}

const defaultDamaged = (damage: Damage, path: string): string =>
  `The file ${path} ${damage === 'not-json' ? 'is not JSON' : 'does not match its format'}. Fix or delete it.`;

export class JsonFile<S extends z.ZodType> {
  constructor(
    readonly path: string,
    private readonly schema: S,
    private readonly options: JsonFileOptions = {},
  ) {}

  /** The document, or undefined when the file does not exist. STORE_CORRUPT when it is damaged. */
  async read(): Promise<z.output<S> | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return this.parse(text);
  }

  /** `read`, blocking. */
  readSync(): z.output<S> | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return this.parse(text);
  }

  /** Checks `value` against the schema (throws before touching the file), then replaces the file. */
  async write(value: z.input<S>): Promise<z.output<S>> {
    const checked = this.schema.parse(value);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, serialize(checked));
    return checked;
  }

  /** `write`, blocking: for a write that must finish before the process exits. */
  writeSync(value: z.input<S>): z.output<S> {
    const checked = this.schema.parse(value);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileAtomicSync(this.path, serialize(checked));
    return checked;
  }

  private parse(text: string): z.output<S> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new AppError('STORE_CORRUPT', this.damaged('not-json'), { cause });
    }
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success) throw new AppError('STORE_CORRUPT', this.damaged('invalid'));
    return parsed.data;
  }

  private damaged(damage: Damage): string {
    return (this.options.damaged ?? defaultDamaged)(damage, this.path);
  }
}

function serialize(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
