/**
 * The credential metadata index: one JSON file in the app-data folder listing what is in the keychain
 * (never the secrets). Two processes write it (the app and `megaraptor mcp`), so every change is a
 * read-modify-write under a lock file, and every write is atomic (temp + fsync + rename + dir fsync).
 * A SHA-256 over the canonical content detects damage; a damaged file is moved aside, never
 * overwritten, and the entries that still parse are offered for recovery.
 *
 * Layout: one entry per line, so a truncated file still yields its complete lines.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CredentialMeta } from '../../../shared/contracts/credentials';
import { AppError, messageOf } from '../../../shared/errors';
import { writeFileAtomic } from '../files/index';
import { withFileLock, type LockOptions } from './file-lock';

export const INDEX_FORMAT = 'megaraptor-credential-index';
export const INDEX_VERSION = 1;

export interface QuarantinedIndex {
  path: string;
  /** Entries that still parse and validate, one per intact line. */
  recoverable: CredentialMeta[];
}

/** JSON with object keys sorted at every level: the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function indexChecksum(entries: CredentialMeta[]): string {
  return createHash('sha256')
    .update(canonicalJson({ format: INDEX_FORMAT, version: INDEX_VERSION, entries }))
    .digest('hex');
}

export function serializeIndex(entries: CredentialMeta[]): string {
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const head = `{"format":"${INDEX_FORMAT}","version":${INDEX_VERSION},"checksum":"${indexChecksum(sorted)}","entries":[`;
  return `${head}\n${sorted.map((e) => canonicalJson(e)).join(',\n')}\n]}\n`;
}

type ParseResult = { ok: true; entries: CredentialMeta[] } | { ok: false; reason: string };

export function parseIndex(text: string): ParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not valid JSON (${messageOf(e)})` };
  }
  if (doc === null || typeof doc !== 'object') return { ok: false, reason: 'not a JSON object' };
  const d = doc as { format?: unknown; version?: unknown; checksum?: unknown; entries?: unknown };
  if (d.format !== INDEX_FORMAT || d.version !== INDEX_VERSION)
    return { ok: false, reason: 'unknown format or version' };
  if (!Array.isArray(d.entries)) return { ok: false, reason: 'entries missing' };
  const entries: CredentialMeta[] = [];
  for (const raw of d.entries) {
    const parsed = CredentialMeta.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: 'an entry does not match the schema' };
    entries.push(parsed.data);
  }
  if (d.checksum !== indexChecksum(entries)) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, entries };
}

/** Salvages every intact entry line of a damaged index (each entry is written on its own line). */
export function recoverEntries(text: string): CredentialMeta[] {
  const found = new Map<string, CredentialMeta>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim().replace(/,$/, '');
    if (!trimmed.startsWith('{') || trimmed.startsWith('{"format"')) continue;
    try {
      const parsed = CredentialMeta.safeParse(JSON.parse(trimmed));
      if (parsed.success) found.set(parsed.data.id, parsed.data);
    } catch {
      // a damaged line: nothing to recover from it
    }
  }
  return [...found.values()];
}

export interface IndexOptions {
  lock?: LockOptions;
}

export class CredentialIndex {
  readonly path: string;
  private readonly lockPath: string;
  private readonly lockOptions: LockOptions;

  constructor(path: string, options: IndexOptions = {}) {
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.lockOptions = options.lock ?? {};
  }

  /** The current entries. Lock-free: writes are atomic renames. STORE_CORRUPT when damaged. */
  async read(): Promise<CredentialMeta[]> {
    const text = await this.readText();
    if (text === undefined) return [];
    const parsed = parseIndex(text);
    if (parsed.ok) return parsed.entries;
    // Confirm and quarantine under the lock, so a writer never sees a half-moved file.
    return withFileLock(this.lockPath, () => this.readLocked(), this.lockOptions);
  }

  /**
   * Read-modify-write under the lock. `fn` gets the current entries and returns the new list and a
   * result. A damaged index is quarantined and STORE_CORRUPT thrown: nothing is written over it.
   */
  async update<T>(
    fn: (
      entries: CredentialMeta[],
    ) => Promise<{ entries: CredentialMeta[]; result: T }> | { entries: CredentialMeta[]; result: T },
  ): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    return withFileLock(
      this.lockPath,
      async () => {
        await this.removeOrphanTemps();
        const current = await this.readLocked();
        const { entries, result } = await fn(current);
        const ids = new Set<string>();
        for (const e of entries) {
          const ok = CredentialMeta.parse(e);
          if (ids.has(ok.id)) throw new AppError('CONFLICT', `Two index entries share the id ${ok.id}.`);
          ids.add(ok.id);
        }
        await writeFileAtomic(this.path, serializeIndex(entries));
        return result;
      },
      this.lockOptions,
    );
  }

  /** Damaged index files kept aside next to the index, with what can be recovered from each. */
  async quarantined(): Promise<QuarantinedIndex[]> {
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}.corrupt-`;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.startsWith(prefix)).sort();
    } catch {
      return [];
    }
    const out: QuarantinedIndex[] = [];
    for (const name of names) {
      const path = join(dir, name);
      out.push({ path, recoverable: recoverEntries(await readFile(path, 'utf8')) });
    }
    return out;
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Must run under the lock. */
  private async readLocked(): Promise<CredentialMeta[]> {
    const text = await this.readText();
    if (text === undefined) return [];
    const parsed = parseIndex(text);
    if (parsed.ok) return parsed.entries;
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    await rename(this.path, aside);
    const recoverable = recoverEntries(text);
    throw new AppError(
      'STORE_CORRUPT',
      `The credential index is damaged (${parsed.reason}). It was moved to ${aside} and a fresh index will be started; ` +
        `${recoverable.length} entr${recoverable.length === 1 ? 'y' : 'ies'} can be recovered with "Repair".`,
      {
        details: {
          reason: parsed.reason,
          quarantinedPath: aside,
          recoverable: recoverable.map((e) => ({ id: e.id, name: e.name, kind: e.kind })),
        },
      },
    );
  }

  /** Under the lock, any temp file of ours belongs to a writer that died mid-write. */
  private async removeOrphanTemps(): Promise<void> {
    const dir = dirname(this.path);
    const prefix = `.${basename(this.path)}.`;
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    await Promise.all(
      names
        .filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'))
        .map((n) => unlink(join(dir, n)).catch(() => undefined)),
    );
  }
}
