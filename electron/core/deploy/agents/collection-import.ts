/**
 * The way back of an offline collection: the returned ZIP (as the collector wrote it, X509-encrypted
 * or not) is copied to the server's disk, checked there by hash, imported with upstream's
 * `Server.Utils.ImportCollection` (parameters ClientId, Hostname, Path — the same in 0.75.7 and
 * 0.77.2), and the server copy removed. The server decrypts an X509 collection with its own frontend
 * key itself. A password collection is decrypted here first (collection-decrypt.ts: the server would
 * need the password as a flow parameter, which it stores unredacted) into a private temporary folder,
 * removed afterwards; the responder's file is never changed. So is an X509 collection built with the
 * app's own key (collector-key.ts), whose session password the app decrypts. The import lands as a flow of the client the server picks (an existing client with the
 * collection's host name, or a new client id derived from the collection's HostID); every source's
 * rows are then read back so the result says what is visible.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportedCollection } from '../../../../shared/agent-kits';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorService } from '../../velociraptor/index';
import { decryptPasswordCollection } from './collection-decrypt';
import type { X509Metadata } from './collector-key';
import { inspectCollectionZip } from './collection-zip';
import { copyToServer, removeServerFile, type CopyOptions } from './server-files';

export const IMPORT_ARTIFACT = 'Server.Utils.ImportCollection';

export interface ImportCollectionInput {
  /** The returned collection ZIP on this machine. */
  file: string;
  /** What messages call the file (an uploaded file's own name, not its temp path); default `file`. */
  name?: string;
  /** When the server creates a client for it: its host name (the collection's own wins if it has one). */
  hostname?: string;
  /** `auto` (default): the server decides; or an existing client id to import into. */
  clientId?: string;
  /** The collector's ZIP password (from the keychain), for a password-protected collection. */
  password?: string;
}

export interface ImportOptions extends CopyOptions {
  /** How long the server may take to import (default 10 min). */
  waitMs?: number;
  /** After the copy: the server imports, then the rows are read back. */
  onStep?: (step: 'import' | 'read') => void;
  /**
   * The session password of an X509 collection when the app holds its key (collector-key.ts); null:
   * not the app's key, the server opens it.
   */
  x509Password?: (meta: X509Metadata, label: string) => Promise<string | null>;
}

export async function importCollection(
  velociraptor: VelociraptorService,
  input: ImportCollectionInput,
  options: ImportOptions = {},
): Promise<ImportedCollection> {
  const clientId = input.clientId ?? 'auto';
  if (clientId !== 'auto' && !/^C\.[0-9a-f]{1,32}$/.test(clientId))
    throw new AppError('INVALID_ARGUMENT', `"${clientId}" is not a client id (C.<hex>) or "auto".`);
  if (input.hostname !== undefined && !/^[A-Za-z0-9._-]{1,253}$/.test(input.hostname))
    throw new AppError('INVALID_ARGUMENT', 'The host name may hold letters, digits, ".", "_" and "-" only.');
  const label = input.name ?? input.file;
  // A wrong file gets a specific answer here, not the server's log line.
  const info = await inspectCollectionZip(input.file, label);
  let password: string | undefined;
  if (info.encryption === 'x509' && info.x509 && options.x509Password)
    password = (await options.x509Password(info.x509, label)) ?? undefined;
  else if (info.encryption === 'password') {
    if (!input.password)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${label} is protected with the collector's ZIP password: choose the keychain entry the collector was built with and import again.`,
        { details: { reason: 'password-needed' } },
      );
    password = input.password;
  }
  if (password === undefined) return importPlain(velociraptor, input.file, input, options);
  const scratch = await mkdtemp(join(tmpdir(), 'megaraptor-collection-'));
  try {
    const plain = join(scratch, 'collection.zip');
    await decryptPasswordCollection(input.file, password, plain, label);
    await inspectCollectionZip(plain, `${label} (decrypted)`);
    return await importPlain(velociraptor, plain, input, options);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function importPlain(
  velociraptor: VelociraptorService,
  file: string,
  input: ImportCollectionInput,
  options: ImportOptions,
): Promise<ImportedCollection> {
  const clientId = input.clientId ?? 'auto';
  const copied = await copyToServer(
    velociraptor,
    file,
    { prefix: 'megaraptor-import', extension: '.zip' },
    options,
  );
  try {
    options.onStep?.('import');
    const run = await velociraptor.collectAndWait(
      {
        clientId: 'server',
        artifacts: [IMPORT_ARTIFACT],
        parameters: {
          [IMPORT_ARTIFACT]: {
            ClientId: clientId,
            Hostname: input.hostname ?? '',
            Path: copied.path,
          },
        },
      },
      { timeoutMs: options.waitMs ?? 600_000, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (!run.finished)
      throw new AppError(
        'TIMEOUT',
        `The server is still importing (flow ${run.flowId} on "server"); look at it later.`,
        { details: { flowId: run.flowId } },
      );
    const logs = (await velociraptor.flowLogs('server', run.flowId, { limit: 200 })).map((l) =>
      l.message.trim(),
    );
    const row = run.results[IMPORT_ARTIFACT]?.[0] as Record<string, unknown> | undefined;
    if (run.state !== 'FINISHED' || !row || typeof row.FlowId !== 'string' || row.FlowId === '')
      throw new AppError(
        'DEPLOY_FAILED',
        `The server could not import the collection: ${importFailure(logs, run.errors)}`,
        { details: { flowId: run.flowId, logs } },
      );
    const imported = {
      clientId: String(row.ClientId),
      flowId: row.FlowId,
      names: Array.isArray(row.Artifacts) ? row.Artifacts.map(String) : [],
    };
    options.onStep?.('read');
    const artifacts: ImportedCollection['artifacts'] = [];
    for (const name of imported.names) {
      const rows = await velociraptor.flowResults(
        { clientId: imported.clientId, flowId: imported.flowId, artifact: name, limit: 1_000_000 },
        options.signal ? { signal: options.signal } : {},
      );
      artifacts.push({ name, rows: rows.length });
    }
    return {
      clientId: imported.clientId,
      flowId: imported.flowId,
      importFlowId: run.flowId,
      totalRows: num(row.TotalRows),
      uploadedFiles: num(row.UploadedFiles),
      uploadedBytes: num(row.UploadedBytes),
      artifacts,
      sha256: copied.sha256,
      bytes: copied.bytes,
      logs,
    };
  } finally {
    await removeServerFile(velociraptor, copied.path).catch(() => undefined);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.trunc(v)) : 0;
}

/** The server logs the reason (import_collection: …) and answers no row. */
function importFailure(logs: string[], errors: string[]): string {
  const reason = [...logs.filter((l) => /import_collection|import_flow|ERROR/i.test(l)), ...errors];
  const text = reason.join('; ') || 'no reason given';
  const hint = /decrypt|private key|x509|password/i.test(text)
    ? ' The collection is encrypted to another key: import it on the server whose certificate built the collector.'
    : '';
  return `${text}.${hint}`;
}
