/**
 * Files onto the server's own disk through the API, for the server artifacts that read a path there
 * (Server.Utils.ImportCollection) and for `inventory_add(file=…)`. No SSH to the server is needed:
 * the file goes in chunks through `copy(accessor='data', filename=base64decode(…), append=…)`,
 * each chunk far below the API's 4 MB message limit, and the server's `hash()` of the result must
 * equal the local sha256 before anything uses it (checked on a real 0.77.2 server: binary-safe).
 * Needs FILESYSTEM_WRITE / FILESYSTEM_READ (administrators).
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { AppError } from '../../../../shared/errors';
import { vqlBuilder, type VelociraptorService } from '../../velociraptor/index';

const { build, vql, str, bool } = vqlBuilder;

/** Raw bytes per query (1.37 MB as base64): far below the gRPC 4 MB default. */
export const CHUNK_BYTES = 1024 * 1024;

export interface ServerFile {
  /** The path on the server. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface CopyOptions {
  signal?: AbortSignal;
  onProgress?: (sent: number, total: number) => void;
}

/** The server's temp folder and path separator (from where its own `tempfile()` lands). */
export async function serverTempDir(
  velociraptor: VelociraptorService,
  signal?: AbortSignal,
): Promise<{ dir: string; sep: '/' | '\\' }> {
  const { rows } = await velociraptor.conn.queryRows(build(vql`SELECT tempfile() AS Path FROM scope()`), {
    idempotent: true,
    ...(signal ? { signal } : {}),
  });
  const path = rows[0]?.Path;
  if (typeof path !== 'string' || path === '')
    throw new AppError(
      'VQL_ERROR',
      'The server did not say where its temp folder is (tempfile() gave nothing). Is this identity an administrator?',
    );
  const sep = path.includes('\\') && !path.startsWith('/') ? '\\' : '/';
  return { dir: path.slice(0, path.lastIndexOf(sep)), sep };
}

/** The hash the server computes of a file on its disk; null when it has no such file. */
export async function serverSha256(
  velociraptor: VelociraptorService,
  path: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; bytes: number } | null> {
  const { rows } = await velociraptor.conn.queryRows(
    build(
      vql`SELECT hash(path=${str(path)}).SHA256 AS SHA256, stat(filename=${str(path)}).Size AS Size FROM scope()`,
    ),
    { idempotent: true, ...(signal ? { signal } : {}) },
  );
  const sha = rows[0]?.SHA256;
  const size = rows[0]?.Size;
  return typeof sha === 'string' && sha !== ''
    ? { sha256: sha, bytes: typeof size === 'number' ? size : 0 }
    : null;
}

/**
 * Copies a local file to a fresh path in the server's temp folder (`<prefix>-<uuid><ext>`) and checks
 * the server's hash of it. The caller removes it with `removeServerFile` when done.
 */
export async function copyToServer(
  velociraptor: VelociraptorService,
  localPath: string,
  naming: { prefix: string; extension: string },
  options: CopyOptions = {},
): Promise<ServerFile> {
  const total = (await stat(localPath)).size;
  const { dir, sep } = await serverTempDir(velociraptor, options.signal);
  const dest = `${dir}${sep}${naming.prefix}-${randomUUID()}${naming.extension}`;
  const hash = createHash('sha256');
  const fh = await open(localPath, 'r');
  let sent = 0;
  try {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      options.signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buffer, 0, CHUNK_BYTES, sent);
      if (bytesRead === 0 && sent > 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      const { rows, logs } = await velociraptor.conn.queryRows(
        build(
          vql`SELECT copy(accessor='data', filename=base64decode(string=${str(chunk.toString('base64'))}), dest=${str(dest)}, append=${bool(sent > 0)}, create_directories=TRUE) AS Written FROM scope()`,
        ),
        options.signal ? { signal: options.signal } : {},
      );
      if (rows[0]?.Written !== dest)
        throw new AppError(
          'DEPLOY_FAILED',
          `The server did not write ${dest}: ${logs.map((l) => l.message.trim()).join('; ') || 'no reason given'}. The identity needs the administrator role (FILESYSTEM_WRITE).`,
          { details: { dest } },
        );
      sent += bytesRead;
      options.onProgress?.(sent, total);
      if (bytesRead < CHUNK_BYTES) break;
    }
  } finally {
    await fh.close();
  }
  const sha256 = hash.digest('hex');
  const onServer = await serverSha256(velociraptor, dest, options.signal);
  if (onServer?.sha256 !== sha256) {
    await removeServerFile(velociraptor, dest).catch(() => undefined);
    throw new AppError(
      'DEPLOY_FAILED',
      `The copy on the server has SHA-256 ${onServer?.sha256 ?? '(none)'}, not ${sha256}: it was removed. Try again.`,
      { details: { dest } },
    );
  }
  return { path: dest, sha256, bytes: sent };
}

/** Removes a file this app put on the server; true when the server removed it. */
export async function removeServerFile(velociraptor: VelociraptorService, path: string): Promise<boolean> {
  const { rows } = await velociraptor.conn.queryRows(
    build(vql`SELECT rm(filename=${str(path)}) AS Removed FROM scope()`),
  );
  return rows[0]?.Removed === true;
}
