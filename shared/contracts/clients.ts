/**
 * Clients (endpoints) of a server: search with Velociraptor's search syntax, one client's
 * overview, labels, recent flows and the VFS browser with downloads.
 */
import { z } from 'zod';
import { call, stream } from '../contract';
import { Target } from './connections';

export const ClientSummary = z.object({
  clientId: z.string(),
  hostname: z.string(),
  fqdn: z.string(),
  os: z.string(),
  release: z.string(),
  labels: z.array(z.string()),
  /** Milliseconds since the epoch (converted from the server's µs). 0 = never. */
  lastSeenMs: z.number(),
  /** Milliseconds since the epoch (converted from the server's seconds). */
  firstSeenMs: z.number(),
  lastIp: z.string(),
  online: z.boolean(),
  agentVersion: z.string(),
});
export type ClientSummary = z.infer<typeof ClientSummary>;

export const FlowSummary = z.object({
  flowId: z.string(),
  clientId: z.string(),
  state: z.string(),
  artifacts: z.array(z.string()),
  /** Artifact sources that produced rows (`Artifact` or `Artifact/Source`). */
  withResults: z.array(z.string()),
  createdMs: z.number(),
  creator: z.string(),
  rows: z.number(),
  uploads: z.number(),
  status: z.string(),
});
export type FlowSummary = z.infer<typeof FlowSummary>;

/**
 * How the client reads a path: auto (the file API, falling back to raw NTFS for locked files), file,
 * ntfs (raw NTFS: locked files, alternate streams) or registry (Windows hives as folders).
 */
export const VfsAccessor = z.enum(['auto', 'file', 'ntfs', 'registry']).default('auto');
export type VfsAccessor = z.infer<typeof VfsAccessor>;

export const VfsEntry = z.object({
  name: z.string(),
  path: z.string(),
  isDir: z.boolean(),
  size: z.number(),
  mode: z.string(),
  mtime: z.string(),
  /** Last access, inode change and birth (creation) times, as the client reported them ('' = none). */
  atime: z.string(),
  ctime: z.string(),
  btime: z.string(),
  /** Components to fetch the file from the server's file store, when it was downloaded. */
  downloaded: z.boolean(),
});
export type VfsEntry = z.infer<typeof VfsEntry>;

export const DownloadProgress = z.object({
  received: z.number(),
  total: z.number(),
  done: z.boolean(),
  sha256: z.string().optional(),
  savedTo: z.string().optional(),
});
export type DownloadProgress = z.infer<typeof DownloadProgress>;

/** Velociraptor label text as the VQL builder accepts it (letters, digits, space and _ . : @ # + -). */
export const LabelName = z
  .string()
  .trim()
  .regex(/^[\p{L}\p{N}_.:@#+\- ]{1,128}$/u, 'A label is 1–128 letters, digits, spaces or _ . : @ # + -.');

/** How many clients one bulk action (collect, label) takes; beyond it a hunt is the tool. */
export const BULK_MAX_CLIENTS = 1000;

export const ClientRef = z.object({ clientId: z.string(), hostname: z.string() });
export type ClientRef = z.infer<typeof ClientRef>;

export const LabelOutcome = z.object({
  clientId: z.string(),
  ok: z.boolean(),
  /** The client's labels after the change (empty when it failed). */
  labels: z.array(z.string()),
  message: z.string().optional(),
});
export type LabelOutcome = z.infer<typeof LabelOutcome>;

export const FileRange = z.object({
  offset: z.number(),
  /** The bytes of the range, base64. Shorter than asked at the end of the file. */
  data: z.string(),
  /** Size of the downloaded file on the server. */
  size: z.number(),
  /** The download collection the bytes come from. */
  flowId: z.string(),
});
export type FileRange = z.infer<typeof FileRange>;

export const QuarantineInput = z.object({
  target: Target,
  clientId: z.string(),
  /** true lifts the quarantine. */
  remove: z.boolean(),
  /** Shown to the logged-in users when applied; the artifacts cut it to 256 characters. */
  message: z.string().max(256).optional(),
});
export const QuarantinePlan = z.object({
  os: z.string(),
  artifact: z.string(),
  parameters: z.record(z.string(), z.string()),
  label: z.object({ op: z.enum(['set', 'remove']), label: z.string() }),
  /** The queries in the order they run, each with its env (user values travel only there). */
  queries: z.array(z.object({ vql: z.string(), env: z.record(z.string(), z.string()) })),
});
export type QuarantinePlan = z.infer<typeof QuarantinePlan>;
export const Deleted = z.object({ removed: z.number(), failed: z.array(z.string()) });
export type Deleted = z.infer<typeof Deleted>;

export const clientsContract = {
  'clients:search': call(
    z.object({
      target: Target,
      query: z.string().max(512),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    z.object({ clients: z.array(ClientSummary), more: z.boolean() }),
  ),
  'clients:get': call(z.object({ target: Target, clientId: z.string() }), ClientSummary),
  'clients:setLabels': call(
    z.object({
      target: Target,
      clientId: z.string(),
      add: z.array(z.string().min(1).max(128)),
      remove: z.array(z.string().min(1).max(128)),
    }),
    z.object({ labels: z.array(z.string()) }),
  ),
  'clients:flows': call(
    z.object({ target: Target, clientId: z.string(), limit: z.number().int().min(1).max(500).default(50) }),
    z.array(FlowSummary),
  ),
  /** The server's cached listing of a directory (from the last refresh). */
  'clients:vfsList': call(
    z.object({ target: Target, clientId: z.string(), path: z.string().max(4096), accessor: VfsAccessor }),
    z.object({ entries: z.array(VfsEntry), refreshedMs: z.number().nullable() }),
  ),
  /** Asks the client to list the directory again; resolves when the listing flow finished. */
  'clients:vfsRefresh': call(
    z.object({ target: Target, clientId: z.string(), path: z.string().max(4096), accessor: VfsAccessor }),
    z.object({ flowId: z.string(), state: z.string() }),
  ),
  /** Fetches a file from the client into the server, then into the data dir, with progress. */
  'clients:download': stream(
    z.object({ target: Target, clientId: z.string(), path: z.string().max(4096), accessor: VfsAccessor }),
    DownloadProgress,
  ),
  /**
   * A file the app saved in its data folder (a download or an export: `savedTo`), read back in
   * chunks so browser mode can hand it to the browser as a download. Nothing outside the folder's
   * downloads/ and exports/ is readable.
   */
  'files:read': stream(
    z.object({ path: z.string().min(1).max(4096) }),
    z.object({ base64: z.string(), offset: z.number(), size: z.number() }),
  ),
  /** Ids and host names of every client a search matches (for "select all matching"). */
  'clients:matching': call(
    z.object({
      target: Target,
      query: z.string().max(512),
      limit: z.number().int().min(1).max(10_000).default(10_000),
    }),
    z.object({ clients: z.array(ClientRef), more: z.boolean() }),
  ),
  /** Adds or removes labels on many clients (bounded concurrency); one outcome per client. */
  'clients:labelMany': call(
    z.object({
      target: Target,
      clientIds: z.array(z.string()).min(1).max(BULK_MAX_CLIENTS),
      labels: z.array(LabelName).min(1).max(20),
      op: z.enum(['add', 'remove']),
    }),
    z.object({ results: z.array(LabelOutcome) }),
  ),
  /** Collects Generic.Client.Info at once (the server's Interrogate). */
  'clients:interrogate': call(
    z.object({ target: Target, clientId: z.string() }),
    z.object({ flowId: z.string() }),
  ),
  /**
   * What quarantining (or releasing) the client does, before it is done: the artifact for its OS,
   * the parameters, the label and the exact queries.
   */
  'clients:quarantinePlan': call(QuarantineInput, QuarantinePlan),
  /** Does what quarantinePlan showed for the same input. */
  'clients:quarantine': call(QuarantineInput, z.object({ flowId: z.string(), artifact: z.string() })),
  /** Deletes the client and everything stored for it (needs SERVER_ADMIN). */
  'clients:delete': call(z.object({ target: Target, clientId: z.string() }), Deleted),
  /** Deletes one collection's results, logs and uploads (needs DELETE_RESULTS). */
  'clients:deleteFlow': call(z.object({ target: Target, clientId: z.string(), flowId: z.string() }), Deleted),
  /** One range of a file downloaded from the client (VFSGetBuffer on the server's copy); for the hex view. */
  'clients:vfsReadRange': call(
    z.object({
      target: Target,
      clientId: z.string(),
      path: z.string().max(4096),
      offset: z.number().int().min(0),
      length: z.number().int().min(1).max(65_536).default(4096),
    }),
    FileRange,
  ),
};
