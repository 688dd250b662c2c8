/**
 * A small POSIX ustar writer, streamed: the Docker API takes files as tar archives (PUT
 * /containers/{id}/archive for a config, POST /images/create?fromSrc=- for a root filesystem). Entries
 * carry explicit owner and mode (the config must belong to the server's user, 0600) and a fixed mtime,
 * so the same content makes the same image layer. File contents are streamed from disk.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface TarEntry {
  /** Path inside the archive, without a leading slash ("etc/velociraptor/server.config.yaml"). */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid?: number;
  gid?: number;
  /** File content in memory… */
  data?: Buffer | string;
  /** …or read from this file when the archive is streamed. */
  source?: string;
  linkname?: string;
}

const BLOCK = 512;
/** 2000-01-01: a fixed time keeps archives (and image layers) identical across builds. */
const MTIME = 946_684_800;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  // ustar: up to 155 bytes of directory in `prefix`, the rest (≤ 100) in `name`.
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { name, prefix };
  }
  throw new Error(`The path ${path} is too long for a tar archive.`);
}

export function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK, 0);
  const path = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitPath(path.replace(/^\/+/, ''));
  header.write(name, 0, 100, 'utf8');
  header.write(octal(entry.mode & 0o7777, 8), 100, 8, 'ascii');
  header.write(octal(entry.uid ?? 0, 8), 108, 8, 'ascii');
  header.write(octal(entry.gid ?? 0, 8), 116, 8, 'ascii');
  header.write(octal(entry.type === 'file' ? size : 0, 12), 124, 12, 'ascii');
  header.write(octal(MTIME, 12), 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii'); // checksum field counts as spaces
  header.write(entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2', 156, 1, 'ascii');
  if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return header;
}

async function* chunks(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    if (entry.type !== 'file') {
      yield tarHeader(entry, 0);
      continue;
    }
    if (entry.data !== undefined) {
      const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data, 'utf8');
      yield tarHeader(entry, data.length);
      yield data;
      if (data.length % BLOCK) yield Buffer.alloc(BLOCK - (data.length % BLOCK));
      continue;
    }
    if (!entry.source) throw new Error(`The tar entry ${entry.path} has neither data nor a source file.`);
    const size = (await stat(entry.source)).size;
    yield tarHeader(entry, size);
    let sent = 0;
    for await (const chunk of createReadStream(entry.source)) {
      sent += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    // A file that changed while being archived would corrupt every entry after it.
    if (sent !== size) throw new Error(`${entry.source} changed size while it was archived.`);
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** The archive as a stream (for an upload); `onBytes` counts what has been produced. */
export function tarStream(entries: TarEntry[], onBytes?: (n: number) => void): Readable {
  let total = 0;
  const gen = async function* (): AsyncGenerator<Buffer> {
    for await (const c of chunks(entries)) {
      total += c.length;
      onBytes?.(total);
      yield c;
    }
  };
  return Readable.from(gen(), { objectMode: false });
}

/** The archive in memory (small archives: a config file). */
export async function tarBuffer(entries: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks(entries)) parts.push(c);
  return Buffer.concat(parts);
}

/** The archive's size before streaming it (for progress). */
export async function tarSize(entries: TarEntry[]): Promise<number> {
  let size = BLOCK * 2;
  for (const e of entries) {
    size += BLOCK;
    if (e.type !== 'file') continue;
    const n = e.data !== undefined ? Buffer.byteLength(e.data) : e.source ? (await stat(e.source)).size : 0;
    size += Math.ceil(n / BLOCK) * BLOCK;
  }
  return size;
}
