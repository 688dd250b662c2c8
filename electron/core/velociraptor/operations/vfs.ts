/**
 * Client files: directory listing through System.VFS.ListDirectory, a flow's uploads, downloads
 * through VFSGetBuffer (chunked, streamed to disk, sha256, progress) and zip exports of flows and
 * hunts (create_*_download, then the same download path).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import type { Row } from '../query/json';
import {
  bool,
  clientId as clientIdArg,
  flowId as flowIdArg,
  huntId as huntIdArg,
  vql,
  type BuiltQuery,
  type VqlFragment,
} from '../vql/builder';
import { optNum, queryTyped, rowsOptions, strList, type OpOptions } from './common';
import {
  collectAndWait,
  collectArtifacts,
  planCollect,
  type CollectInput,
  type LaunchedFlow,
  type WaitOptions,
} from './flows';

export const VFS_LIST_ARTIFACT = 'System.VFS.ListDirectory';
export const VFS_DOWNLOAD_ARTIFACT = 'System.VFS.DownloadFile';
/** The listing's own rows; the artifact's …/Stats source says only how many there were. */
export const VFS_LISTING_SOURCE = `${VFS_LIST_ARTIFACT}/Listing`;

/**
 * A client path as the list of its parts, as Velociraptor's VFS takes it (`Components`): `C:\Users`
 * → ["C:", "Users"], `/etc/ssh` → ["etc", "ssh"], `/` → []. A Windows device path keeps its device
 * as the first part (`\\.\C:\Windows` → ["\\.\C:", "Windows"]).
 */
export function pathComponents(path: string): string[] {
  const device = /^(\\\\[.?]\\[^\\/]+)(.*)$/.exec(path);
  const [head, rest] = device ? [[device[1] ?? ''], device[2] ?? ''] : [[], path];
  return [...head, ...rest.split(/[\\/]+/).filter((p) => p !== '' && p !== '.')];
}

export interface VfsPathInput {
  clientId: string;
  path: string;
  accessor?: string;
  depth?: number;
}

/**
 * The parameters the GUI sends (VR api/vfs.go): `Components` is what clients read (without it every
 * listing is of the accessor root and a download fetches nothing); `Path` is for clients too old to
 * have vfs_ls, and names the path in the flow's request.
 */
function vfsParams(input: VfsPathInput): Record<string, string> {
  if (input.path === '') throw new AppError('INVALID_ARGUMENT', 'Give a path.');
  return {
    Path: input.path,
    Components: JSON.stringify(pathComponents(input.path)),
    Accessor: input.accessor ?? 'auto',
  };
}

function listParams(input: VfsPathInput): Record<string, string> {
  const depth = input.depth ?? 0;
  if (!Number.isSafeInteger(depth) || depth < 0 || depth > 10)
    throw new AppError('INVALID_ARGUMENT', 'depth must be 0–10.');
  return { ...vfsParams(input), Depth: String(depth) };
}

/** The directory-listing collection a refresh or a list launches. */
function vfsCollect(input: VfsPathInput): CollectInput {
  return {
    clientId: input.clientId,
    artifacts: [VFS_LIST_ARTIFACT],
    parameters: { [VFS_LIST_ARTIFACT]: listParams(input) },
    urgent: true,
  };
}

/** The collection that uploads one client file to the server (the GUI's "collect from client"). */
export function vfsDownloadCollect(input: Omit<VfsPathInput, 'depth'>): CollectInput {
  return {
    clientId: input.clientId,
    artifacts: [VFS_DOWNLOAD_ARTIFACT],
    parameters: { [VFS_DOWNLOAD_ARTIFACT]: vfsParams(input) },
    urgent: true,
  };
}

/** The collect_client() query a refresh or list sends, built without running it (for approvals). */
export function planVfsRefresh(input: VfsPathInput): BuiltQuery {
  return planCollect(vfsCollect(input));
}

/** Starts a refresh of a client directory; returns the flow (results arrive when the client answers). */
export async function vfsRefresh(
  conn: VelociraptorConnection,
  input: VfsPathInput,
  opts?: OpOptions,
): Promise<LaunchedFlow> {
  return collectArtifacts(conn, vfsCollect(input), opts);
}

/** Starts the upload of one client file to the server; the file is then one of the flow's uploads. */
export async function vfsDownload(
  conn: VelociraptorConnection,
  input: Omit<VfsPathInput, 'depth'>,
  opts?: OpOptions,
): Promise<LaunchedFlow> {
  return collectArtifacts(conn, vfsDownloadCollect(input), opts);
}

/** Refreshes a directory and waits for its listing. */
export async function vfsList(
  conn: VelociraptorConnection,
  input: VfsPathInput,
  options: WaitOptions = {},
): Promise<{ flowId: string; entries: Row[] }> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const r = await collectAndWait(conn, vfsCollect(input), { ...options, timeoutMs });
  if (!r.finished)
    throw new AppError(
      'TIMEOUT',
      `The listing of ${input.path} (flow ${r.flowId}) did not finish within ${Math.round(timeoutMs / 1000)} s. It keeps running on the client; read it later.`,
      { details: { flowId: r.flowId } },
    );
  return { flowId: r.flowId, entries: r.results[VFS_LISTING_SOURCE] ?? [] };
}

export const UploadSchema = z
  .looseObject({
    vfs_path: z.string().optional(),
    client_path: z.string().optional(),
    file_size: optNum,
    uploaded_size: optNum,
    _Components: strList,
    Upload: z
      .looseObject({
        Components: strList,
        Size: optNum,
        Accessor: z.string().optional(),
        Path: z.string().optional(),
      })
      .nullable()
      .optional(),
  })
  .transform((u) => ({
    vfsPath: u.vfs_path ?? u.Upload?.Path ?? '',
    clientPath: u.client_path ?? '',
    size: u.file_size ?? u.Upload?.Size ?? 0,
    uploadedSize: u.uploaded_size ?? u.file_size ?? 0,
    accessor: u.Upload?.Accessor ?? '',
    components: u.Upload?.Components.length ? u.Upload.Components : u._Components,
  }));
export type UploadInfo = z.output<typeof UploadSchema>;

export async function listUploads(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  opts?: OpOptions,
): Promise<UploadInfo[]> {
  return queryTyped(
    conn,
    vql`SELECT * FROM uploads(client_id=${clientIdArg(clientId)}, flow_id=${flowIdArg(flowId)})`,
    UploadSchema,
    rowsOptions(opts, true),
  );
}

export interface DownloadOptions extends OpOptions {
  /** Bytes per VFSGetBuffer call (default 1 MiB). */
  chunkSize?: number;
  onProgress?: (p: { bytes: number; total?: number }) => void;
  /** Known size, for progress only. */
  total?: number;
  /** Refuse files larger than this (default 64 GiB). */
  maxBytes?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Streams a filestore file to `dest` chunk by chunk (never the whole file in memory), hashing
 * as it goes. Writes `dest.part` and renames on success, so a failed download leaves no file that
 * looks complete.
 */
export async function downloadFile(
  conn: VelociraptorConnection,
  source: { components: string[]; clientId?: string },
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  if (source.components.length === 0)
    throw new AppError('INVALID_ARGUMENT', 'The file has no path components.');
  const chunk = options.chunkSize ?? 1024 * 1024;
  if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > 8 * 1024 * 1024)
    throw new AppError('INVALID_ARGUMENT', 'chunkSize must be 1 B–8 MiB.');
  const max = options.maxBytes ?? 64 * 1024 ** 3;
  const part = `${dest}.part`;
  const hash = createHash('sha256');
  const fh = await open(part, 'w', 0o600);
  let offset = 0;
  try {
    for (;;) {
      const data = await conn.readBuffer(
        { components: source.components, clientId: source.clientId, offset, length: chunk },
        { signal: options.signal, deadlineMs: options.deadlineMs ?? 60_000 },
      );
      if (data.length === 0) break;
      await fh.write(data, 0, data.length);
      hash.update(data);
      offset += data.length;
      if (offset > max)
        throw new AppError('INVALID_ARGUMENT', `The file is larger than the ${max} byte limit.`);
      options.onProgress?.({ bytes: offset, total: options.total });
    }
    await fh.close();
    await rename(part, dest);
    return { path: dest, bytes: offset, sha256: hash.digest('hex') };
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(part, { force: true });
    throw e;
  }
}

/**
 * A safe local file or folder name for evidence, from a name a server or an endpoint chose: only
 * letters, digits, `.`, `_` and `-`, no leading dot (no hidden files, no `..`), at most 120 characters.
 */
export function evidenceFileName(raw: string, fallback = 'file'): string {
  return (
    raw
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 120) || fallback
  );
}

export interface SaveOptions extends DownloadOptions {
  /** Replace a file of that name (the app's own exports); by default existing evidence is never overwritten. */
  overwrite?: boolean;
}

/**
 * Downloads a filestore file into `folder` (created 0700) as `name` (made safe). Unless `overwrite`,
 * the name is claimed first, so a file already there is never replaced: CONFLICT says so.
 */
export async function downloadInto(
  conn: VelociraptorConnection,
  source: { components: string[]; clientId?: string },
  folder: string,
  name: string,
  options: SaveOptions = {},
): Promise<DownloadResult> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, evidenceFileName(name));
  if (options.overwrite) return downloadFile(conn, source, path, options);
  const fh = await open(path, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
    throw new AppError(
      e.code === 'EEXIST' ? 'CONFLICT' : 'INVALID_ARGUMENT',
      e.code === 'EEXIST'
        ? `${path} exists already; choose another folder.`
        : `Cannot write into ${folder}: ${e.message}`,
    );
  });
  await fh.close();
  try {
    return await downloadFile(conn, source, path, options);
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
}

/**
 * Fetches the upload of a flow that has `vfsPath` into `folder`, named after the uploaded file;
 * evidence already in the folder is never overwritten.
 */
export async function saveUpload(
  conn: VelociraptorConnection,
  ref: { clientId: string; flowId: string; vfsPath: string },
  folder: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const up = (await listUploads(conn, ref.clientId, ref.flowId, options)).find(
    (u) => u.vfsPath === ref.vfsPath,
  );
  if (!up)
    throw new AppError(
      'NOT_FOUND',
      `Flow ${ref.flowId} has no upload ${ref.vfsPath}. List the flow's uploads for the paths.`,
    );
  if (up.components.length === 0)
    throw new AppError('VQL_ERROR', 'The server did not give the file store path of this upload.');
  const name = basename(up.components[up.components.length - 1] ?? '');
  return downloadInto(conn, { components: up.components }, folder, evidenceFileName(name, 'upload'), {
    total: up.size,
    ...options,
  });
}

const PathSpecRowSchema = z.looseObject({ Components: strList });

/** Runs a create_*_download call and returns the file store components of the zip it made. */
async function prepareZip(
  conn: VelociraptorConnection,
  call: VqlFragment,
  what: string,
  options: OpOptions,
): Promise<string[]> {
  // The function returns a path spec; its Components are what VFSGetBuffer takes.
  const rows = await queryTyped(
    conn,
    vql`LET MrPath <= ${call} SELECT MrPath.Components AS Components FROM scope()`,
    PathSpecRowSchema,
    { ...rowsOptions(options, false), deadlineMs: options.deadlineMs ?? 600_000 },
  );
  const components = rows[0]?.Components ?? [];
  if (components.length === 0)
    throw new AppError('VQL_ERROR', `${conn.label}: ${what} returned no download path.`);
  return components;
}

async function exportZip(
  conn: VelociraptorConnection,
  call: VqlFragment,
  what: string,
  dest: string,
  options: DownloadOptions,
): Promise<DownloadResult & { components: string[] }> {
  const components = await prepareZip(conn, call, what, options);
  const r = await downloadFile(conn, { components }, dest, options);
  return { ...r, components };
}

const flowZipCall = (clientId: string, flowId: string): VqlFragment =>
  vql`create_flow_download(client_id=${clientIdArg(clientId)}, flow_id=${flowIdArg(flowId)}, wait=${bool(true)})`;

/** Builds the flow's zip on the server (waits for it) and downloads it to `dest`. */
export function exportFlowZip(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult & { components: string[] }> {
  return exportZip(conn, flowZipCall(clientId, flowId), 'create_flow_download()', dest, options);
}

/** Builds the flow's zip on the server and returns its components (for callers naming the file after it). */
export function prepareFlowZip(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  opts: OpOptions = {},
): Promise<string[]> {
  return prepareZip(conn, flowZipCall(clientId, flowId), 'create_flow_download()', opts);
}

/**
 * Builds the hunt's zip on the server and downloads it. create_hunt_download() answers components
 * whose last part lacks the `.zip` the file is stored with (VR vql/server/downloads): it is added.
 */
export async function exportHuntZip(
  conn: VelociraptorConnection,
  huntId: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult & { components: string[] }> {
  const components = await prepareHuntZip(conn, huntId, options);
  const r = await downloadFile(conn, { components }, dest, options);
  return { ...r, components };
}

/** Builds the hunt's zip on the server and returns its components, `.zip` included. */
export async function prepareHuntZip(
  conn: VelociraptorConnection,
  huntId: string,
  opts: OpOptions = {},
): Promise<string[]> {
  const given = await prepareZip(
    conn,
    vql`create_hunt_download(hunt_id=${huntIdArg(huntId)}, wait=${bool(true)})`,
    'create_hunt_download()',
    opts,
  );
  const last = given[given.length - 1] ?? '';
  return last.endsWith('.zip') ? given : [...given.slice(0, -1), `${last}.zip`];
}

/** The largest range one readRange call returns (what a hex view page needs, never a whole file). */
export const MAX_RANGE_BYTES = 64 * 1024;

/**
 * One range of a filestore file (VFSGetBuffer offset/length). Shorter than asked at the end of the
 * file; empty past it.
 */
export async function readRange(
  conn: VelociraptorConnection,
  source: { components: string[]; clientId?: string },
  offset: number,
  length: number,
  opts: OpOptions = {},
): Promise<Buffer> {
  if (source.components.length === 0)
    throw new AppError('INVALID_ARGUMENT', 'The file has no path components.');
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new AppError('INVALID_ARGUMENT', 'offset must be a whole number ≥ 0.');
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_RANGE_BYTES)
    throw new AppError('INVALID_ARGUMENT', `length must be 1–${MAX_RANGE_BYTES} bytes.`);
  const data = await conn.readBuffer(
    { components: source.components, clientId: source.clientId, offset, length },
    { signal: opts.signal, deadlineMs: opts.deadlineMs ?? 60_000 },
  );
  // A server may answer with more than asked; the caller's page size is the contract.
  return data.length > length ? data.subarray(0, length) : data;
}
