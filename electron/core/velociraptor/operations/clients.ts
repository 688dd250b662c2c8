/** Clients: search (Velociraptor's search syntax), details with online status, labels, quarantine. */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import {
  clientId as clientIdArg,
  flowId as flowIdArg,
  int,
  labels as labelsArg,
  str,
  validateId,
  vql,
  type BuiltQuery,
} from '../vql/builder';
import {
  callBuiltFunction,
  functionQuery,
  limitOf,
  optNum,
  queryTyped,
  rowsOptions,
  secondsToIso,
  strList,
  usToIso,
  type OpOptions,
} from './common';
import { collectArtifacts, planCollect, type CollectInput, type LaunchedFlow } from './flows';
import { artifactCatalog, pickParameter, requireArtifact, type Declarations } from './catalog';

/** A client counts as online when it was seen within this window (Velociraptor's GUI uses 15 min). */
export const ONLINE_WINDOW_MS = 15 * 60_000;

export const ClientRowSchema = z.looseObject({
  client_id: z.string(),
  os_info: z
    .looseObject({
      system: z.string().optional(),
      hostname: z.string().optional(),
      release: z.string().optional(),
      machine: z.string().optional(),
      fqdn: z.string().optional(),
      mac_addresses: strList,
    })
    .nullable()
    .optional(),
  agent_information: z.looseObject({ version: z.string().optional() }).nullable().optional(),
  first_seen_at: optNum,
  last_seen_at: optNum,
  last_ip: z.string().nullable().optional(),
  labels: strList,
});

export interface ClientSummary {
  clientId: string;
  hostname: string;
  fqdn: string;
  os: string;
  release: string;
  machine: string;
  macAddresses: string[];
  agentVersion: string;
  labels: string[];
  lastIp: string;
  /** ISO time; first_seen_at is in seconds on the wire. */
  firstSeen: string | undefined;
  /** ISO time; last_seen_at is in microseconds on the wire. */
  lastSeen: string | undefined;
  online: boolean;
}

export function toClientSummary(row: z.output<typeof ClientRowSchema>, nowMs: number): ClientSummary {
  const lastSeenUs = row.last_seen_at;
  return {
    clientId: row.client_id,
    hostname: row.os_info?.hostname ?? '',
    fqdn: row.os_info?.fqdn ?? '',
    os: row.os_info?.system ?? '',
    release: row.os_info?.release ?? '',
    machine: row.os_info?.machine ?? '',
    macAddresses: row.os_info?.mac_addresses ?? [],
    agentVersion: row.agent_information?.version ?? '',
    labels: row.labels,
    lastIp: row.last_ip ?? '',
    firstSeen: secondsToIso(row.first_seen_at),
    lastSeen: usToIso(lastSeenUs),
    online: lastSeenUs !== undefined && nowMs - lastSeenUs / 1000 < ONLINE_WINDOW_MS,
  };
}

export interface SearchClientsInput {
  /** Velociraptor search syntax: bare term (= host:), label:, label:none, host:, mac:, client:, ip:, recent, all; '*' wildcards. */
  search?: string;
  limit?: number;
  /** Only clients seen within the online window. */
  onlineOnly?: boolean;
  /**
   * Only clients that reported this OS (os_info.system). Velociraptor's search has no `os:` operator
   * (it refuses one), so this is a condition on the rows the search found.
   */
  os?: 'windows' | 'linux' | 'darwin';
}

export async function searchClients(
  conn: VelociraptorConnection,
  input: SearchClientsInput = {},
  opts?: OpOptions & { now?: () => number },
): Promise<ClientSummary[]> {
  const limit = limitOf(input.limit, 100);
  const search = (input.search ?? '').trim();
  const rows = await queryTyped(
    conn,
    input.os
      ? vql`SELECT * FROM clients(search=${str(search)}) WHERE os_info.system = ${str(input.os)} LIMIT ${int(limit)}`
      : vql`SELECT * FROM clients(search=${str(search)}) LIMIT ${int(limit)}`,
    ClientRowSchema,
    rowsOptions(opts, true),
  );
  const now = opts?.now?.() ?? Date.now();
  // Once server collections ran, clients() also lists a pseudo-client "server": not an endpoint.
  const out = rows.filter((r) => r.client_id !== 'server').map((r) => toClientSummary(r, now));
  return input.onlineOnly ? out.filter((c) => c.online) : out;
}

export async function getClient(
  conn: VelociraptorConnection,
  clientId: string,
  opts?: OpOptions & { now?: () => number },
): Promise<ClientSummary> {
  const rows = await queryTyped(
    conn,
    vql`SELECT * FROM clients(client_id=${clientIdArg(clientId)})`,
    ClientRowSchema,
    rowsOptions(opts, true),
  );
  const row = rows[0];
  if (!row) throw new AppError('NOT_FOUND', `${conn.label} has no client ${clientId}.`);
  return toClientSummary(row, opts?.now?.() ?? Date.now());
}

/** A client's OS as the artifact catalogues name it; 'unknown' when the client never reported one. */
export type ClientOs = 'windows' | 'linux' | 'darwin' | 'unknown';

export function osOf(c: Pick<ClientSummary, 'os'>): ClientOs {
  const s = c.os.toLowerCase();
  return s === 'windows' || s === 'linux' || s === 'darwin' ? s : 'unknown';
}

export async function clientOs(
  conn: VelociraptorConnection,
  clientId: string,
  opts?: OpOptions,
): Promise<ClientOs> {
  return osOf(await getClient(conn, clientId, opts));
}

export type LabelOp = 'set' | 'remove';

/** The label() query setLabels sends, built without running it (approvals show exactly this). */
export function planLabels(clientId: string, labels: string[], op: LabelOp): BuiltQuery {
  if (op !== 'set' && op !== 'remove')
    throw new AppError('INVALID_ARGUMENT', "op must be 'set' or 'remove'.");
  if (labels.length === 0) throw new AppError('INVALID_ARGUMENT', 'Give at least one label.');
  return functionQuery(
    vql`label(client_id=${clientIdArg(clientId)}, labels=${labelsArg(labels)}, op=${str(op)})`,
  );
}

/**
 * Adds or removes labels. `op` is always sent: Velociraptor's label() does nothing without it. The
 * client is checked first: label() on an id the server does not know creates a ghost client.
 */
export async function setLabels(
  conn: VelociraptorConnection,
  clientId: string,
  labels: string[],
  op: LabelOp,
  opts?: OpOptions,
): Promise<string[]> {
  const query = planLabels(clientId, labels, op);
  await getClient(conn, clientId, opts);
  await callBuiltFunction(conn, query, z.unknown(), rowsOptions(opts, false), `label(op=${op})`);
  return (await getClient(conn, clientId, opts)).labels;
}

/** Quarantine artifacts by client OS; all take RemovePolicy=Y to lift the quarantine. */
export const QUARANTINE_ARTIFACTS: Record<string, string> = {
  windows: 'Windows.Remediation.Quarantine',
  linux: 'Linux.Remediation.Quarantine',
  darwin: 'MacOS.Remediation.Quarantine',
};

export interface QuarantineInput {
  clientId: string;
  /** true lifts the quarantine (RemovePolicy). */
  remove?: boolean;
  /**
   * Message for the logged-in users when the quarantine is applied: every OS's artifact takes it as
   * MessageBox (Windows message box, Linux `wall`, macOS Notification Center) and cuts it to 256 characters.
   */
  message?: string;
  urgent?: boolean;
}

export interface QuarantinePlan {
  artifact: string;
  parameters: Record<string, string>;
  /** The collection quarantine() launches. */
  request: CollectInput;
  /** The collect_client() query it sends, as collectArtifacts() builds it. */
  query: BuiltQuery;
  /**
   * The label it sets (or removes when lifting): as Velociraptor's own Quarantine button does, the
   * client is labelled `Quarantine` so hunts and searches (label:Quarantine) can tell.
   */
  label: { op: LabelOp; label: typeof QUARANTINE_LABEL; query: BuiltQuery };
}

export const QUARANTINE_LABEL = 'Quarantine';

/** The quarantine artifact for a client of OS `os` (as clients() reports it). */
export function quarantineArtifact(os: string, clientId: string): string {
  const artifact = QUARANTINE_ARTIFACTS[os.toLowerCase()];
  if (!artifact)
    throw new AppError('INVALID_ARGUMENT', `No quarantine artifact for OS "${os}" of ${clientId}.`);
  return artifact;
}

/**
 * The quarantine collection for a client of OS `os`, built without running it, in the form the
 * server declares (`d` holds its quarantine artifact's declaration): an artifact the server lacks
 * (MacOS.Remediation.Quarantine before 0.77.2) is refused with the reason.
 */
export function planQuarantine(d: Declarations, os: string, input: QuarantineInput): QuarantinePlan {
  validateId('clientId', input.clientId);
  const artifact = quarantineArtifact(os, input.clientId);
  requireArtifact(d, artifact);
  const parameters: Record<string, string> = {};
  if (input.remove) parameters[pickParameter(d, artifact, ['RemovePolicy'], 'a removal switch')] = 'Y';
  else if (input.message) parameters[pickParameter(d, artifact, ['MessageBox'], 'a message')] = input.message;
  const request: CollectInput = {
    clientId: input.clientId,
    artifacts: [artifact],
    parameters: { [artifact]: parameters },
    urgent: input.urgent ?? true,
  };
  const op: LabelOp = input.remove ? 'remove' : 'set';
  return {
    artifact,
    parameters,
    request,
    query: planCollect(request),
    label: { op, label: QUARANTINE_LABEL, query: planLabels(input.clientId, [QUARANTINE_LABEL], op) },
  };
}

export async function quarantine(
  conn: VelociraptorConnection,
  input: QuarantineInput,
  opts?: OpOptions,
): Promise<LaunchedFlow & { artifact: string }> {
  validateId('clientId', input.clientId);
  const client = await getClient(conn, input.clientId, opts);
  const d = await artifactCatalog.declarations(conn, [quarantineArtifact(client.os, input.clientId)], opts);
  const planned = planQuarantine(d, client.os, input);
  const flow = await collectArtifacts(conn, planned.request, opts);
  await setLabels(conn, input.clientId, [QUARANTINE_LABEL], planned.label.op, opts);
  return { ...flow, artifact: planned.artifact };
}

export interface ClientRef {
  clientId: string;
  hostname: string;
}

const ClientRefRowSchema = z.looseObject({
  client_id: z.string(),
  Hostname: z.string().nullable().optional(),
});

/**
 * Only the ids (and host names) of the clients a search matches: what "select all matching" needs,
 * without every client's full record.
 */
export async function searchClientIds(
  conn: VelociraptorConnection,
  search: string,
  limit: number,
  opts?: OpOptions & { os?: 'windows' | 'linux' | 'darwin' | undefined },
): Promise<ClientRef[]> {
  const n = limitOf(limit, 1000);
  const s = str(search.trim());
  const rows = await queryTyped(
    conn,
    opts?.os
      ? vql`SELECT client_id, os_info.hostname AS Hostname FROM clients(search=${s}) WHERE os_info.system = ${str(opts.os)} LIMIT ${int(n)}`
      : vql`SELECT client_id, os_info.hostname AS Hostname FROM clients(search=${s}) LIMIT ${int(n)}`,
    ClientRefRowSchema,
    rowsOptions(opts, true),
  );
  return rows
    .filter((r) => r.client_id !== 'server')
    .map((r) => ({ clientId: r.client_id, hostname: r.Hostname ?? '' }));
}

/** One item deleting a client or flow removed (VR client_delete / delete_flow rows). */
const DeletedRowSchema = z.looseObject({
  type: z.string().nullable().optional(),
  /** client_delete names the item here; delete_flow inside `data`. */
  vfs_path: z.string().nullable().optional(),
  data: z.looseObject({ vfs_path: z.string().optional() }).nullable().optional(),
  error: z.string().nullable().optional(),
});

export interface Deleted {
  /** How many stored items went. */
  removed: number;
  /** Items the server could not remove, with its reason. */
  failed: string[];
}

function deletedOf(rows: Array<z.output<typeof DeletedRowSchema>>): Deleted {
  const failed = rows
    .filter((r) => r.error)
    .map((r) => `${r.vfs_path ?? r.data?.vfs_path ?? r.type ?? ''}: ${r.error ?? ''}`);
  return { removed: rows.length - failed.length, failed };
}

/**
 * Deletes a client and everything stored for it (needs SERVER_ADMIN; the server logs a refusal,
 * which arrives as PERMISSION_DENIED). An unknown client removes nothing: NOT_FOUND.
 */
export async function deleteClient(
  conn: VelociraptorConnection,
  clientId: string,
  opts?: OpOptions,
): Promise<Deleted> {
  await getClient(conn, clientId, opts);
  const rows = await queryTyped(
    conn,
    vql`SELECT * FROM client_delete(client_id=${clientIdArg(clientId)}, really_do_it=TRUE)`,
    DeletedRowSchema,
    rowsOptions(opts, false),
  );
  return deletedOf(rows);
}

/** Deletes one flow's results, logs and uploads (needs DELETE_RESULTS). */
export async function deleteFlow(
  conn: VelociraptorConnection,
  clientId: string,
  flowId: string,
  opts?: OpOptions,
): Promise<Deleted> {
  const rows = await queryTyped(
    conn,
    vql`SELECT * FROM delete_flow(client_id=${clientIdArg(clientId)}, flow_id=${flowIdArg(flowId)}, really_do_it=TRUE, sync=TRUE)`,
    DeletedRowSchema,
    rowsOptions(opts, false),
  );
  if (rows.length === 0)
    throw new AppError('NOT_FOUND', `${conn.label}: flow ${flowId} of ${clientId} has nothing to delete.`);
  return deletedOf(rows);
}

/** Interrogate: collect Generic.Client.Info at once, as the server's own Interrogate button does. */
export function interrogate(
  conn: VelociraptorConnection,
  clientId: string,
  opts?: OpOptions,
): Promise<LaunchedFlow> {
  return collectArtifacts(conn, { clientId, artifacts: ['Generic.Client.Info'], urgent: true }, opts);
}
