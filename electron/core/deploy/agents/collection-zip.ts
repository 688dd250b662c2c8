/**
 * What a returned offline collection is, read from its ZIP before the server is asked to import it, so
 * a wrong file gets a specific answer: not a ZIP; a ZIP but not a Velociraptor collection; a hunt
 * export; a collection whose own entries are encrypted (someone re-zipped it with a password: not what
 * the collector writes); a PGP container (upstream's collector accessor decrypts X509 only). Two
 * encrypted containers are fine (docs/velociraptor/offline-collector-encryption.md): X509
 * (`metadata.json` with Scheme x509 + `data.zip`), which the server decrypts with its own key, and a
 * password container (only `data.zip`, WinZip AES), which the app decrypts before the import.
 *
 * Only the central directory and two small JSON entries are read (bounded reads, ZIP64 understood), so
 * a collection of gigabytes is checked without reading it whole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { AppError } from '../../../../shared/errors';

export interface CollectionZipInfo {
  entries: number;
  /**
   * x509: an encrypted container the server opens with its frontend key; password: a `data.zip`
   * encrypted with the collector's ZIP password (the app decrypts it, collection-decrypt.ts).
   */
  encryption: 'none' | 'x509' | 'password';
  /** From client_info.json when the collection is not encrypted ('' when absent). */
  hostname: string;
  /** An X509 container's certificate and encrypted session password (metadata.json). */
  x509?: { publicKey: string; encryptedPass: string };
}

export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  /** ZIP64 sizes and offset already resolved from the extra field. */
  compressedSize: number;
  localOffset: number;
  extra: Buffer;
}

export const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A central directory larger than this is not a collection's (it would list millions of files). */
const MAX_DIRECTORY = 64 * 1024 * 1024;
/** metadata.json and client_info.json are a few hundred bytes. */
const MAX_SMALL_ENTRY = 1024 * 1024;
const inflate = promisify(inflateRaw);

const notZip = (label: string) =>
  new AppError(
    'INVALID_ARGUMENT',
    `${label} is not a ZIP: give the Collection-<host>-<time>.zip the offline collector wrote.`,
    { details: { reason: 'not-zip' } },
  );

/** A problem with the first bytes of a collection upload (null when they start a ZIP). */
export function collectionHeadProblem(first: Buffer): string | null {
  return first.subarray(0, 4).equals(ZIP_MAGIC)
    ? null
    : 'is not a ZIP: give the Collection-<host>-<time>.zip the offline collector wrote.';
}

export async function inspectCollectionZip(path: string, label = path): Promise<CollectionZipInfo> {
  const fh = await open(path, 'r').catch((cause: unknown) => {
    throw new AppError('NOT_FOUND', `There is no file at ${label}.`, { cause });
  });
  try {
    const size = (await fh.stat()).size;
    if (size < 22 || !(await read(fh, 0, 4)).equals(ZIP_MAGIC)) throw notZip(label);
    const entries = await centralDirectory(fh, size, label);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const meta = byName.get('metadata.json');
    const data = byName.get('data.zip');
    // Upstream's password container: data.zip alone, encrypted (reporting/container.go).
    if (!meta && data && data.flags & 1 && !byName.has('collection_context.json'))
      return { entries: entries.length, encryption: 'password', hostname: '' };
    if (meta && data) {
      const row = containerRow(await small(fh, meta, label));
      const scheme = row.Scheme.toLowerCase();
      if (scheme !== 'x509')
        throw new AppError(
          'INVALID_ARGUMENT',
          `${label} is a collection encrypted with ${scheme || 'an unknown scheme'}: the server can only open X509 containers (encrypted to its own certificate). Decrypt it where its key is, then import the plain ZIP.`,
          { details: { reason: 'encrypted', scheme } },
        );
      return {
        entries: entries.length,
        encryption: 'x509',
        hostname: '',
        x509: { publicKey: row.PublicKey, encryptedPass: row.EncryptedPass },
      };
    }
    if (!byName.has('collection_context.json')) {
      if (byName.has('hunt_info.json'))
        throw new AppError(
          'INVALID_ARGUMENT',
          `${label} is a hunt export, not an offline collection: import it from the server's Hunts page.`,
          { details: { reason: 'hunt-export' } },
        );
      throw new AppError(
        'INVALID_ARGUMENT',
        `${label} is a ZIP but not a Velociraptor collection (it has no collection_context.json): give the Collection-<host>-<time>.zip the offline collector wrote.`,
        { details: { reason: 'not-collection' } },
      );
    }
    if (entries.some((e) => e.flags & 1))
      throw new AppError(
        'INVALID_ARGUMENT',
        `${label} has its files encrypted one by one, which Velociraptor's collector never does (its password collections hold one encrypted data.zip). Extract it with its password (7-Zip, unzip -P) and ZIP the files again without one.`,
        { details: { reason: 'encrypted', scheme: 'zip-entries' } },
      );
    const info = byName.get('client_info.json');
    const hostname = info ? hostOf(await small(fh, info, label)) : '';
    return { entries: entries.length, encryption: 'none', hostname };
  } finally {
    await fh.close();
  }
}

async function read(fh: FileHandle, at: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fh.read(b, 0, length, at);
  return b.subarray(0, bytesRead);
}

/** The entries of a ZIP's central directory (bounded read). */
export async function readZipDirectory(path: string, label = path): Promise<ZipEntry[]> {
  const fh = await open(path, 'r').catch((cause: unknown) => {
    throw new AppError('NOT_FOUND', `There is no file at ${label}.`, { cause });
  });
  try {
    const size = (await fh.stat()).size;
    if (size < 22 || !(await read(fh, 0, 4)).equals(ZIP_MAGIC)) throw notZip(label);
    return await centralDirectory(fh, size, label);
  } finally {
    await fh.close();
  }
}

/** Where an entry's data starts (after its local header). */
export async function entryDataOffset(fh: FileHandle, e: ZipEntry): Promise<number | null> {
  const local = await read(fh, e.localOffset, 30);
  if (local.length !== 30 || local.readUInt32LE(0) !== LOCAL) return null;
  return e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
}

async function centralDirectory(fh: FileHandle, size: number, label: string): Promise<ZipEntry[]> {
  // The end record is within the last 22 + 65535 (comment) bytes.
  const tailAt = Math.max(0, size - (22 + 65_535));
  const tail = await read(fh, tailAt, size - tailAt);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  if (at < 0) throw notZip(label);
  let count = tail.readUInt16LE(at + 10);
  let dirSize = tail.readUInt32LE(at + 12);
  let dirAt = tail.readUInt32LE(at + 16);
  if (count === 0xffff || dirSize === 0xffffffff || dirAt === 0xffffffff) {
    const loc = at >= 20 ? tail.subarray(at - 20, at) : await read(fh, tailAt + at - 20, 20);
    if (loc.length !== 20 || loc.readUInt32LE(0) !== ZIP64_LOCATOR) throw notZip(label);
    const rec = await read(fh, Number(loc.readBigUInt64LE(8)), 56);
    if (rec.length !== 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw notZip(label);
    count = Number(rec.readBigUInt64LE(32));
    dirSize = Number(rec.readBigUInt64LE(40));
    dirAt = Number(rec.readBigUInt64LE(48));
  }
  if (dirSize > MAX_DIRECTORY || dirAt + dirSize > size)
    throw new AppError(
      'INVALID_ARGUMENT',
      `${label} is a damaged or unusual ZIP (its file list does not fit).`,
      {
        details: { reason: 'damaged' },
      },
    );
  const dir = await read(fh, dirAt, dirSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL)
      throw new AppError('INVALID_ARGUMENT', `${label} is a damaged ZIP (its file list ends early).`, {
        details: { reason: 'damaged' },
      });
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    const extra = dir.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    const wide = zip64(extra, dir.readUInt32LE(p + 24), dir.readUInt32LE(p + 20), dir.readUInt32LE(p + 42));
    entries.push({
      flags: dir.readUInt16LE(p + 8),
      method: dir.readUInt16LE(p + 10),
      compressedSize: wide.compressed,
      localOffset: wide.offset,
      name: dir.subarray(p + 46, p + 46 + nameLen).toString('utf8'),
      extra: Buffer.from(extra),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * ZIP64 extra (0x0001): the 64-bit values, in this order, of only the fields whose 32-bit slot is
 * 0xffffffff (APPNOTE 4.5.3).
 */
function zip64(extra: Buffer, size: number, compressed: number, offset: number) {
  const out = { compressed, offset };
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 1) {
      let q = p + 4;
      const next = () => {
        const v = q + 8 <= p + 4 + len && q + 8 <= extra.length ? Number(extra.readBigUInt64LE(q)) : -1;
        q += 8;
        return v;
      };
      if (size === 0xffffffff) next();
      if (compressed === 0xffffffff) out.compressed = next();
      if (offset === 0xffffffff) out.offset = next();
      break;
    }
    p += 4 + len;
  }
  return out;
}

/** A small, unencrypted entry's bytes. */
async function small(fh: FileHandle, e: ZipEntry, label: string): Promise<Buffer> {
  const damaged = () =>
    new AppError('INVALID_ARGUMENT', `${label} is a damaged ZIP (${e.name} cannot be read).`, {
      details: { reason: 'damaged' },
    });
  if (e.compressedSize > MAX_SMALL_ENTRY || e.flags & 1 || (e.method !== 0 && e.method !== 8))
    throw damaged();
  const dataAt = await entryDataOffset(fh, e);
  if (dataAt === null) throw damaged();
  const raw = await read(fh, dataAt, e.compressedSize);
  try {
    return e.method === 8 ? await inflate(raw, { maxOutputLength: 16 * MAX_SMALL_ENTRY }) : raw;
  } catch {
    throw damaged();
  }
}

function parse(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return null;
  }
}

/** metadata.json: a list of rows, the one with Scheme (upstream writes a single row). */
function containerRow(b: Buffer): { Scheme: string; PublicKey: string; EncryptedPass: string } {
  const v = parse(b);
  const rows: unknown[] = Array.isArray(v) ? v : [v];
  const str = (x: unknown) => (typeof x === 'string' ? x : '');
  for (const r of rows)
    if (r && typeof r === 'object' && typeof (r as { Scheme?: unknown }).Scheme === 'string') {
      const o = r as Record<string, unknown>;
      return { Scheme: str(o.Scheme), PublicKey: str(o.PublicKey), EncryptedPass: str(o.EncryptedPass) };
    }
  return { Scheme: '', PublicKey: '', EncryptedPass: '' };
}

function hostOf(b: Buffer): string {
  const v = parse(b);
  if (!v || typeof v !== 'object') return '';
  const key = Object.keys(v).find((k) => k.toLowerCase() === 'hostname');
  const h = key ? (v as Record<string, unknown>)[key] : undefined;
  return typeof h === 'string' ? h : '';
}
