/**
 * What the MCP layer needs from the rest of the core, as narrow interfaces. The tools call these and
 * nothing else: the Velociraptor operations are implemented once, in `core/velociraptor` (typed
 * operations over the one safe VQL builder), and bound to this port by `velociraptor-port.ts`, which
 * only picks the connection and maps paging. The shapes are the operations' own types.
 * Keeping the port here lets every tool be tested on its own and keeps a second client from growing
 * inside the MCP code.
 */
import type {
  ArtifactDefinition,
  ArtifactSummary,
  ClientSummary,
  FlowLog,
  FlowSummary,
  HelpEntry,
  HuntSummary,
  LaunchedFlow,
  Org,
  UploadInfo,
} from '../velociraptor';

export type {
  ArtifactDefinition,
  ArtifactSummary,
  ClientSummary,
  FlowLog,
  FlowSummary,
  HelpEntry,
  HuntSummary,
  LaunchedFlow,
  Org,
  UploadInfo,
};

/** One result row exactly as the server sent it. Endpoint data: hostile until proven otherwise. */
export type Row = Record<string, unknown>;

/** Which server (connection name) and org a call goes to. Both optional: defaults apply. */
export interface Target {
  server?: string | undefined;
  org?: string | undefined;
}

export interface Page {
  /** Rows to skip (the cursor's offset). */
  offset: number;
  /** Rows wanted; implementations may return one more so the caller can tell there are more. */
  limit: number;
}

export interface ConnectionSummary {
  name: string;
  /** host:port the connection dials. */
  address: string;
  /** The API user (certificate common name), never key material. */
  user: string;
  isDefault: boolean;
  /** Roles known for that identity, when the app minted or probed it. */
  roles?: string[] | undefined;
}

export type ClientOs = 'windows' | 'linux' | 'darwin' | 'unknown';

export interface CollectRequest {
  clientId: string;
  artifacts: string[];
  /** Per-artifact parameters: `{ArtifactName: {Param: value}}`. Values go to the server as strings. */
  parameters?: Record<string, Record<string, string>> | undefined;
  timeoutSeconds?: number | undefined;
  urgent?: boolean | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
  cpuLimit?: number | undefined;
}

export interface FlowRef {
  clientId: string;
  flowId: string;
}

export interface CollectAndWaitResult {
  flowId: string;
  /** FINISHED, ERROR, RUNNING (wait ran out), ... */
  state: string;
  /** The flow record when the wait ended (absent if it could not be read). */
  flow?: FlowSummary | undefined;
  /** One entry per artifact source that produced rows, named `Artifact` or `Artifact/Source`. */
  sources: Array<{ source: string; rows: Row[] }>;
  /** Log lines of the flow that carry ERROR/WARN (the server reports VQL failures only as logs). */
  errors: string[];
}

export interface HuntSpec {
  description: string;
  artifacts: string[];
  parameters?: Record<string, Record<string, string>> | undefined;
  includeLabels?: string[] | undefined;
  excludeLabels?: string[] | undefined;
  os?: 'windows' | 'linux' | 'darwin' | undefined;
  expiresHours?: number | undefined;
  timeoutSeconds?: number | undefined;
  maxRows?: number | undefined;
  cpuLimit?: number | undefined;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  size: number;
}

/** A query an operation will send, built by that operation's own builder without running it. */
export interface PlannedQuery {
  vql: string;
  env: Record<string, string>;
}

export interface QuarantinePlan {
  os: ClientOs;
  artifact: string;
  parameters: Record<string, string>;
  query: PlannedQuery;
}

export interface QueryOptions {
  /** Query timeout on the server, seconds. */
  timeoutSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface QueryResult {
  rows: Row[];
  /** Log lines that carry an error (VQL reports many failures only as logs). */
  errors: string[];
}

/** The Velociraptor operations the tools use. Every user value goes to the server through env. */
export interface VelociraptorPort {
  connections(): Promise<ConnectionSummary[]>;
  /** whoami() plus info() (info() needs MACHINE_STATE; without it the answer says so). */
  serverInfo(t: Target): Promise<Row>;
  orgs(t: Target): Promise<Org[]>;

  searchClients(t: Target, search: string, page: Page): Promise<ClientSummary[]>;
  clientInfo(t: Target, clientId: string): Promise<ClientSummary | null>;
  clientOs(t: Target, clientId: string): Promise<ClientOs>;
  label(t: Target, clientId: string, labels: string[], op: 'set' | 'remove'): Promise<string[]>;
  /** The label() query label() sends, without running it. */
  planLabel(t: Target, clientId: string, labels: string[], op: 'set' | 'remove'): PlannedQuery;
  /** Starts the quarantine (or un-quarantine) artifact for the client's OS; returns its flow id. */
  quarantine(
    t: Target,
    clientId: string,
    quarantine: boolean,
    message?: string,
  ): Promise<{ flowId: string; artifact: string }>;
  /** What quarantine() with the same arguments will launch (artifact, parameters, query), without running it. */
  planQuarantine(t: Target, clientId: string, quarantine: boolean, message?: string): Promise<QuarantinePlan>;

  /** `search` is a case-insensitive substring of the name. */
  listArtifacts(
    t: Target,
    filter: { search?: string | undefined; type?: 'CLIENT' | 'SERVER' | 'NOTEBOOK' | undefined },
    page: Page,
  ): Promise<ArtifactSummary[]>;
  artifactDefinition(t: Target, name: string): Promise<ArtifactDefinition | null>;

  collect(t: Target, req: CollectRequest): Promise<{ flowId: string }>;
  /** The collect_client() query collect() and collectAndWait() send for `req`, without running it. */
  planCollect(t: Target, req: CollectRequest): PlannedQuery;
  collectAndWait(
    t: Target,
    req: CollectRequest,
    wait: { waitSeconds: number; signal?: AbortSignal | undefined },
  ): Promise<CollectAndWaitResult>;
  flows(t: Target, clientId: string, page: Page): Promise<FlowSummary[]>;
  flowStatus(t: Target, flow: FlowRef): Promise<FlowSummary | null>;
  flowLogs(t: Target, flow: FlowRef, page: Page): Promise<FlowLog[]>;
  flowResults(t: Target, flow: FlowRef, source: string, page: Page): Promise<Row[]>;
  cancelFlow(t: Target, flow: FlowRef): Promise<void>;
  uploads(t: Target, flow: FlowRef, page: Page): Promise<UploadInfo[]>;
  /** Fetches an uploaded file (VFSGetBuffer) into `folder`; returns where it went and its sha256. */
  downloadUpload(t: Target, flow: FlowRef, vfsPath: string, folder: string): Promise<DownloadResult>;

  /** Lists a client directory now: runs System.VFS.ListDirectory on the client and waits for it. */
  vfsList(
    t: Target,
    clientId: string,
    path: string,
    opts: { accessor?: string | undefined; waitSeconds: number; signal?: AbortSignal | undefined },
  ): Promise<{ flowId: string; entries: Row[] }>;
  vfsRefresh(
    t: Target,
    clientId: string,
    path: string,
    opts: { depth: number; accessor?: string | undefined },
  ): Promise<{ flowId: string }>;
  /** The collect_client() query vfsList() and vfsRefresh() send, without running it. */
  planVfsRefresh(
    t: Target,
    clientId: string,
    path: string,
    opts: { depth: number; accessor?: string | undefined },
  ): PlannedQuery;

  createHunt(t: Target, spec: HuntSpec): Promise<{ huntId: string }>;
  /** Clients a hunt with this scope would reach now (label / OS conditions). */
  previewHuntScope(
    t: Target,
    scope: Pick<HuntSpec, 'includeLabels' | 'excludeLabels' | 'os'>,
    page: Page,
  ): Promise<{ total: number; clients: ClientSummary[] }>;
  startHunt(t: Target, huntId: string): Promise<HuntSummary>;
  stopHunt(t: Target, huntId: string): Promise<HuntSummary>;
  /** The hunt_update() query startHunt() / stopHunt() send, without running it. */
  planHuntUpdate(t: Target, huntId: string, action: 'start' | 'stop'): PlannedQuery;
  hunts(t: Target, filter: { state?: string | undefined }, page: Page): Promise<HuntSummary[]>;
  hunt(t: Target, huntId: string): Promise<HuntSummary | null>;
  huntResults(t: Target, huntId: string, source: string, page: Page): Promise<Row[]>;

  /** Runs VQL the assistant wrote; env values are bound as VQLEnv, never spliced. */
  query(t: Target, vql: string, env: Record<string, string>, opts: QueryOptions): Promise<QueryResult>;
  /** The server's own VQL reference (plugins, functions, their args and descriptions). */
  vqlReference(t: Target): Promise<HelpEntry[]>;
}
