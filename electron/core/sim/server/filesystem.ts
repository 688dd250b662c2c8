/**
 * The server's own file system as VQL reaches it (VR vql/filesystem: tempfile, copy, rm, hash, stat),
 * what the app uses to put a returned collection or a tool file onto the server before a server
 * artifact reads it. Faithful: `copy(accessor='data')` writes the literal bytes (binary-safe with
 * base64decode), `append`, `create_directories`; `hash()` gives MD5/SHA1/SHA256; a missing file logs
 * and gives NULL. Simulator-only limit: files are read and written only below this machine's temp
 * folder (a test double on loopback must not write anywhere a caller names).
 */
import { createHash, randomInt } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { messageOf } from '../../../../shared/errors';
import type { Scope } from '../vql/scope';
import { isNull, toText } from '../vql/values';
import { fn, type PluginGroup } from './context';

/** The only folder the simulator's server file functions touch. */
export const SIM_SERVER_FS_ROOT = resolve(tmpdir());

/** A path the simulator may touch, or null (logged) when it is outside SIM_SERVER_FS_ROOT. */
export function serverPath(scope: Scope, name: string, value: unknown): string | null {
  const text = toText(value);
  const full = resolve(text);
  if (text === '' || !full.startsWith(SIM_SERVER_FS_ROOT + sep)) {
    scope.log(`${name}: the simulator only touches files below ${SIM_SERVER_FS_ROOT}, not ${text}`);
    return null;
  }
  return full;
}

/** The bytes of a VQL value: a Buffer as it is, anything else as UTF-8 text (Go strings are bytes). */
export function bytesOf(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(toText(value), 'utf8');
}

function readSource(scope: Scope, name: string, filename: unknown, accessor: unknown): Buffer | null {
  if (toText(accessor) === 'data') return bytesOf(filename);
  const path = serverPath(scope, name, filename);
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch (e) {
    scope.log(`${name}: ${messageOf(e)}`);
    return null;
  }
}

export function filesystemPlugins(): PluginGroup {
  return {
    plugins: [],
    functions: [
      fn({
        name: 'tempfile',
        doc: 'Create a temporary file and write some data into it. The file is removed when the query ends.',
        args: { data: { type: 'strings' }, extension: { type: 'string' } },
        call: (a) => {
          // Created and removed within the query on the real server: only its name outlives it.
          return join(SIM_SERVER_FS_ROOT, `tmp${randomInt(1e9, 1e10 - 1)}${toText(a.extension ?? '')}`);
        },
      }),
      fn({
        name: 'copy',
        doc: 'Copy a file.',
        args: {
          filename: { type: 'any', required: true },
          accessor: { type: 'string' },
          dest: { type: 'string', required: true },
          permissions: { type: 'string' },
          append: { type: 'bool' },
          create_directories: { type: 'bool' },
        },
        call: (a, scope) => {
          if (!scope.require('FILESYSTEM_WRITE', 'copy')) return null;
          const data = readSource(scope, 'copy', a.filename, a.accessor);
          const dest = serverPath(scope, 'copy', a.dest);
          if (!data || !dest) return null;
          try {
            if (a.create_directories === true) mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
            if (a.append === true) appendFileSync(dest, data, { mode: 0o600 });
            else writeFileSync(dest, data, { mode: 0o600 });
            return toText(a.dest);
          } catch (e) {
            scope.log(`copy: ${messageOf(e)}`);
            return null;
          }
        },
      }),
      fn({
        name: 'rm',
        doc: 'Remove a file from the filesystem using the API.',
        args: { filename: { type: 'string', required: true } },
        call: (a, scope) => {
          if (!scope.require('FILESYSTEM_WRITE', 'rm')) return null;
          const path = serverPath(scope, 'rm', a.filename);
          if (!path) return false;
          try {
            rmSync(path);
            return true;
          } catch (e) {
            scope.log(`rm: ${messageOf(e)}`);
            return false;
          }
        },
      }),
      fn({
        name: 'hash',
        doc: 'Calculate the hash of a file.',
        args: { path: { type: 'any', required: true }, accessor: { type: 'string' } },
        call: (a, scope) => {
          if (!scope.require('FILESYSTEM_READ', 'hash')) return null;
          if (isNull(a.path)) return null;
          const data = readSource(scope, 'hash', a.path, a.accessor);
          if (!data) return null;
          return {
            MD5: createHash('md5').update(data).digest('hex'),
            SHA1: createHash('sha1').update(data).digest('hex'),
            SHA256: createHash('sha256').update(data).digest('hex'),
          };
        },
      }),
      fn({
        name: 'stat',
        doc: 'Get file information. Unlike glob() this does not support wildcards.',
        args: { filename: { type: 'string', required: true }, accessor: { type: 'string' } },
        call: (a, scope) => {
          if (!scope.require('FILESYSTEM_READ', 'stat')) return null;
          const path = serverPath(scope, 'stat', a.filename);
          if (!path) return null;
          try {
            const s = statSync(path);
            return {
              Name: path.split(sep).pop() ?? '',
              Size: s.size,
              Mode: s.mode,
              IsDir: s.isDirectory(),
              OSPath: path,
              Mtime: s.mtime.toISOString(),
            };
          } catch (e) {
            scope.log(`stat: ${messageOf(e)}`);
            return null;
          }
        },
      }),
    ],
  };
}
