/**
 * The simulated server state: orgs, clients, flows and hunts, with progress over time driven by an
 * injectable clock. State is derived from the clock when read (refresh()), so a fake clock moves a
 * collection WAITING → IN_PROGRESS → FINISHED and grows a hunt's stats without timers; `speed`
 * divides every delay.
 */
import { matchesHuntScope } from '../../../shared/hunt-scope';
import { ARTIFACTS, findArtifact, type ArtifactDefinition } from './dataset/artifacts';
import { AGENT_VERSION, seedClients, type ClientOs, type ClientRecord } from './dataset/clients';
import { Rng } from './dataset/prng';
import { generateArtifactResults, type GeneratedResults } from './dataset/triage-rows';
import { readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { parseCollection } from './collections';
import type { FileStore } from './filestore';
import { SIM_SERVER_FS_ROOT } from './server/filesystem';
import { seedInventory, type InventoryTool } from './server/inventory';
import { completionRow, logRow } from './server/rows';
import { versionProfile, type VersionProfile } from './version';
import type { Row } from './vql/values';

export const ONLINE_WINDOW_MS = 15 * 60_000;
const WAITING_MS = 1_500;
const RUNNING_MS = 4_000;
const HUNT_SCHEDULE_GAP_MS = 400;
const SERVER_FLOW_MIN_MS = 150;

export type FlowState = 'RUNNING' | 'WAITING' | 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'UNRESPONSIVE';

export interface UploadRecord {
  vfs_path: string;
  client_path: string;
  accessor: string;
  components: string[];
  size: number;
  timestampMs: number;
}

export interface FlowRecord {
  client_id: string;
  session_id: string;
  creator: string;
  artifacts: string[];
  env: Record<string, Record<string, string>>;
  timeout: number;
  max_rows: number;
  max_bytes: number;
  cpu_limit: number;
  urgent: boolean;
  createMs: number;
  startMs: number;
  finishMs: number;
  /** A seeded flow frozen in this state (ERROR, UNRESPONSIVE, RUNNING). */
  fixedState?: FlowState;
  status: string;
  cancelled?: { atMs: number; by: string };
  /** The artifact's query failed (the flow is in ERROR). */
  failed?: boolean;
  finalised: boolean;
  results: Map<string, Row[]>;
  logs: Row[];
  uploads: UploadRecord[];
  huntId?: string;
}

export type HuntState = 'PAUSED' | 'RUNNING' | 'STOPPED' | 'ARCHIVED';

export interface HuntRecord {
  hunt_id: string;
  description: string;
  creator: string;
  artifacts: string[];
  env: Record<string, Record<string, string>>;
  createMs: number;
  startMs: number | null;
  stopMs: number | null;
  expiresMs: number;
  state: HuntState;
  os: ClientOs | null;
  includeLabels: string[];
  excludeLabels: string[];
  tags: string[];
  /** hunt() was called without spec or env: its answer's start_request then has no specs. */
  withoutSpecs?: true;
  timeout: number;
  max_rows: number;
  max_bytes: number;
  cpu_limit: number;
  /** client id → flow id */
  flows: Map<string, string>;
}

export interface OrgData {
  id: string;
  name: string;
  clients: Map<string, ClientRecord>;
  flows: Map<string, FlowRecord>;
  hunts: Map<string, HuntRecord>;
}

export interface CompletionEvent {
  seq: number;
  orgId: string;
  row: Row;
}

export interface CollectRequest {
  clientId: string;
  artifacts: string[];
  env: Record<string, Record<string, string>>;
  timeout: number;
  maxRows: number;
  /** Upload limit; the release's default when absent. */
  maxBytes?: number;
  cpuLimit?: number;
  urgent: boolean;
  flowId?: string;
}

/** What a hunt's stats are made of (hunt rows format them per release). */
export interface HuntCounts {
  scheduled: number;
  finished: number;
  withResults: number;
  errors: number;
  rows: number;
  bytes: number;
}

export class World {
  readonly orgs = new Map<string, OrgData>();
  readonly completions: CompletionEvent[] = [];
  /** Server.Internal.FrontendMetrics reports (minions.ts), in the root org's queue. */
  readonly frontendMetrics: CompletionEvent[] = [];
  private seq = 0;
  private readonly rng: Rng;
  readonly startMs: number;
  /**
   * When true, a server collection finishes inside collect_client() and its completion event is
   * published at once, before the caller can start watching for it (a real server does this with
   * short server artifacts now and then).
   */
  instantServerFlows = false;
  /** The tool inventory (server/inventory.ts): tools without a file cannot be fetched (no internet). */
  readonly inventory: Map<string, InventoryTool>;

  constructor(
    readonly now: () => number,
    readonly speed: number,
    readonly store: FileStore,
    seed = 'megaraptor-sim',
    readonly profile: VersionProfile = versionProfile(),
  ) {
    this.rng = new Rng(`${seed}/ids`);
    this.startMs = now();
    this.inventory = seedInventory(profile.version);
    const root: OrgData = {
      id: 'root',
      name: '<root>',
      clients: new Map(),
      flows: new Map(),
      hunts: new Map(),
    };
    for (const c of seedClients(this.startMs, seed)) root.clients.set(c.client_id, c);
    const lab: OrgData = {
      id: 'O123',
      name: 'Test Org (simulator)',
      clients: new Map(),
      flows: new Map(),
      hunts: new Map(),
    };
    for (const c of seedClients(this.startMs, `${seed}/O123`, 'lab.example').slice(0, 3))
      lab.clients.set(c.client_id, c);
    this.orgs.set(root.id, root);
    this.orgs.set(lab.id, lab);
    this.seedHistory(root);
    this.refresh('root');
  }

  /** An artifact of the release this world plays. */
  artifact(name: string): ArtifactDefinition | undefined {
    return findArtifact(name, this.profile.line);
  }

  org(orgId: string): OrgData {
    const org = this.orgs.get(orgId);
    if (!org) throw new Error(`Org ${orgId} not found`);
    return org;
  }

  private delay(ms: number): number {
    return ms / (this.speed > 0 ? this.speed : 1);
  }

  newFlowId(): string {
    return `F.${this.rng.base32()}`;
  }

  newHuntId(): string {
    return `H.${this.rng.base32()}`;
  }

  lastSeenUs(c: ClientRecord): number {
    if (c.offline_last_seen_us !== null) return c.offline_last_seen_us;
    // Online agents poll continuously: report a contact a few seconds ago.
    return Math.floor((this.now() - (parseInt(c.client_id.slice(2, 4), 16) % 20) * 1000) * 1000);
  }

  isOnline(c: ClientRecord): boolean {
    return this.now() - this.lastSeenUs(c) / 1000 < ONLINE_WINDOW_MS;
  }

  // ---------------------------------------------------------------- flows

  collect(orgId: string, creator: string, req: CollectRequest, createMs = this.now()): FlowRecord {
    const org = this.org(orgId);
    const flow: FlowRecord = {
      client_id: req.clientId,
      session_id: req.flowId ?? this.newFlowId(),
      creator,
      artifacts: req.artifacts,
      env: req.env,
      timeout: req.timeout,
      max_rows: req.maxRows,
      max_bytes: req.maxBytes ?? this.profile.defaultMaxUploadBytes,
      cpu_limit: req.cpuLimit ?? 0,
      urgent: req.urgent,
      createMs,
      startMs: createMs + this.delay(req.clientId === 'server' ? 200 : WAITING_MS),
      // A server collection takes at least a moment, as on the real server: a caller that starts
      // watching for its completion right after launching it sees the event.
      finishMs:
        createMs +
        (req.clientId === 'server'
          ? Math.max(this.delay(1_200), SERVER_FLOW_MIN_MS)
          : this.delay(WAITING_MS + RUNNING_MS)),
      status: '',
      finalised: false,
      results: new Map(),
      logs: [],
      uploads: [],
    };
    org.flows.set(flowKey(req.clientId, flow.session_id), flow);
    // The real server then lists a pseudo-client "server" in clients() (never seen, no OS).
    if (req.clientId === 'server' && !org.clients.has('server'))
      org.clients.set('server', serverPseudoClient());
    if (req.clientId === 'server' && this.instantServerFlows) {
      flow.startMs = flow.finishMs = createMs;
      this.finalise(org, flow);
    }
    return flow;
  }

  getFlow(orgId: string, clientId: string, flowId: string): FlowRecord | undefined {
    return this.org(orgId).flows.get(flowKey(clientId, flowId));
  }

  cancel(orgId: string, clientId: string, flowId: string, by: string): FlowRecord | undefined {
    const flow = this.getFlow(orgId, clientId, flowId);
    if (!flow) return undefined;
    if (this.flowState(orgId, flow) === 'FINISHED') return flow;
    flow.cancelled = { atMs: this.now(), by };
    flow.status = `Cancelled by ${by}`;
    flow.logs.push(logRow(flow, this.now(), 'DEFAULT', `Cancelled by ${by}`));
    this.emitCompletion(orgId, flow);
    return flow;
  }

  flowState(orgId: string, flow: FlowRecord): FlowState {
    if (flow.cancelled || flow.failed) return 'ERROR';
    if (flow.fixedState) return flow.fixedState;
    if (flow.finalised) return 'FINISHED';
    const now = this.now();
    const client = flow.client_id === 'server' ? null : this.orgs.get(orgId)?.clients.get(flow.client_id);
    if (client && !this.isOnline(client)) return 'WAITING';
    if (now < flow.startMs) return 'WAITING';
    if (now < flow.finishMs) return 'IN_PROGRESS';
    return 'FINISHED';
  }

  /** Finalises every flow whose time has come and schedules hunt flows. Cheap enough to call per query. */
  refresh(orgId: string): void {
    const org = this.orgs.get(orgId);
    if (!org) return;
    for (const hunt of org.hunts.values()) this.scheduleHunt(org, hunt);
    for (const flow of org.flows.values()) {
      if (
        !flow.finalised &&
        !flow.cancelled &&
        !flow.fixedState &&
        this.flowState(orgId, flow) === 'FINISHED'
      )
        this.finalise(org, flow);
    }
  }

  private finalise(org: OrgData, flow: FlowRecord): void {
    flow.finalised = true;
    // Client artifacts collected on the server run on the server's own host.
    const client = flow.client_id === 'server' ? SERVER_HOST : (org.clients.get(flow.client_id) ?? null);
    flow.logs.push(logRow(flow, flow.startMs, 'INFO', `Starting collection of ${flow.artifacts.join(', ')}`));
    for (const name of flow.artifacts) {
      const def = this.artifact(name);
      if (!def) continue;
      const env = flow.env[name] ?? {};
      const gen =
        def.name === IMPORT_COLLECTION
          ? this.importCollection(org, env, flow.finishMs)
          : (this.collectorTools(def, env) ??
            generateArtifactResults(def, client, env, flow.session_id, flow.finishMs, this.profile));
      for (const [key, rows] of gen.results)
        flow.results.set(key, flow.max_rows > 0 ? rows.slice(0, flow.max_rows) : rows);
      for (const line of gen.logs) flow.logs.push(logRow(flow, flow.finishMs, 'INFO', line));
      if (gen.failure) {
        flow.failed = true;
        flow.status = gen.failure;
        flow.logs.push(logRow(flow, flow.finishMs, 'ERROR', gen.failure));
      }
      for (const up of gen.uploads) {
        const components = [
          'clients',
          flow.client_id,
          'collections',
          flow.session_id,
          'uploads',
          up.accessor,
          ...up.components,
        ];
        this.store.write(components, up.content);
        const clientPath =
          client?.os === 'windows' ? up.components.join('\\') : '/' + up.components.join('/');
        flow.uploads.push({
          vfs_path: `/clients/${flow.client_id}/collections/${flow.session_id}/uploads/${up.accessor}/${up.components.join('/')}`,
          client_path: clientPath,
          accessor: up.accessor,
          components,
          size: up.content.length,
          timestampMs: flow.finishMs,
        });
      }
    }
    flow.logs.push(
      logRow(
        flow,
        flow.finishMs,
        'DEFAULT',
        'Collection is done after ' + ((flow.finishMs - flow.startMs) / 1000).toFixed(3) + 's',
      ),
    );
    this.emitCompletion(org.id, flow);
  }

  private emitCompletion(orgId: string, flow: FlowRecord): void {
    this.completions.push({
      seq: ++this.seq,
      orgId,
      row: completionRow(this, orgId, flow),
    });
    if (this.completions.length > 10_000) this.completions.splice(0, this.completions.length - 10_000);
  }

  /** Queues one frontend's metrics report (the master's and the minions', every 10 s). */
  emitFrontendMetrics(row: Row): void {
    this.frontendMetrics.push({ seq: ++this.seq, orgId: 'root', row });
    if (this.frontendMetrics.length > 1000)
      this.frontendMetrics.splice(0, this.frontendMetrics.length - 1000);
  }

  lastCompletionSeq(): number {
    return this.seq;
  }

  // ---------------------------------------------------------------- hunts

  matchesHunt(hunt: HuntRecord, c: ClientRecord): boolean {
    return matchesHuntScope(
      { os: hunt.os ?? undefined, includeLabels: hunt.includeLabels, excludeLabels: hunt.excludeLabels },
      c,
    );
  }

  private scheduleHunt(org: OrgData, hunt: HuntRecord): void {
    if (hunt.startMs === null || hunt.state === 'PAUSED') return;
    const until = Math.min(this.now(), hunt.stopMs ?? Infinity, hunt.expiresMs);
    const eligible = [...org.clients.values()]
      .filter((c) => this.matchesHunt(hunt, c) && c.offline_last_seen_us === null)
      .sort((a, b) => a.client_id.localeCompare(b.client_id));
    eligible.forEach((c, i) => {
      if (hunt.flows.has(c.client_id)) return;
      const at = (hunt.startMs ?? 0) + this.delay(i * HUNT_SCHEDULE_GAP_MS);
      if (at > until) return;
      const flow = this.collect(
        org.id,
        hunt.creator,
        {
          clientId: c.client_id,
          artifacts: hunt.artifacts,
          env: hunt.env,
          timeout: hunt.timeout,
          maxRows: hunt.max_rows,
          urgent: false,
          flowId: `F.${hunt.hunt_id.slice(2)}.${c.client_id.slice(2, 8).toUpperCase()}`,
        },
        at,
      );
      flow.huntId = hunt.hunt_id;
      hunt.flows.set(c.client_id, flow.session_id);
    });
  }

  huntCounts(orgId: string, hunt: HuntRecord): HuntCounts {
    const c: HuntCounts = {
      scheduled: hunt.flows.size,
      finished: 0,
      withResults: 0,
      errors: 0,
      rows: 0,
      bytes: 0,
    };
    for (const [clientId, flowId] of hunt.flows) {
      const flow = this.getFlow(orgId, clientId, flowId);
      if (!flow) continue;
      const state = this.flowState(orgId, flow);
      if (state === 'FINISHED') c.finished++;
      if (state === 'ERROR') c.errors++;
      const n = [...flow.results.values()].reduce((s, r) => s + r.length, 0);
      if (n > 0) c.withResults++;
      c.rows += n;
      c.bytes += flow.uploads.reduce((s, u) => s + u.size, 0);
    }
    return c;
  }

  // ---------------------------------------------------------------- offline collectors

  /**
   * CreateCollector on an isolated server: every tool it repacks or embeds must be in the inventory
   * with its file, otherwise the build fails as the real server's does (it tries to download the
   * tool). When all are there, the stand-in collector lists the tools it carries.
   */
  private collectorTools(def: ArtifactDefinition, env: Record<string, string>): GeneratedResults | null {
    if (def.name !== 'Server.Utils.CreateCollector') return null;
    const os = env.OS ?? 'Windows';
    const binary = COLLECTOR_BINARY[os] ?? 'VelociraptorWindows';
    let wanted: unknown;
    try {
      wanted = JSON.parse(env.artifacts ?? '["Generic.Client.Info"]');
    } catch {
      wanted = [];
    }
    const list: unknown[] = Array.isArray(wanted) ? wanted : [];
    // An unknown artifact fails the build before anything is repacked (generateArtifactResults says so).
    if (list.some((a) => typeof a !== 'string' || !this.artifact(a))) return null;
    const names = [binary];
    for (const a of list)
      for (const t of (typeof a === 'string' ? this.artifact(a)?.tools : undefined) ?? [])
        if (!names.includes(t.name)) names.push(t.name);
    const results: GeneratedResults = { results: new Map(), uploads: [], logs: [] };
    for (const n of names) {
      const tool = this.inventory.get(n);
      if (tool?.hash) continue;
      const url = tool?.url ?? this.artifactToolUrl(n);
      const host = /^https?:\/\/([^/]+)/.exec(url)?.[1] ?? 'github.com';
      results.failure = `client_repack: Get "${url}": dial tcp: lookup ${host}: no such host`;
      return results;
    }
    const gen = generateArtifactResults(def, null, env, '', this.now(), this.profile);
    const carried = names
      .map((n) => this.inventory.get(n))
      .map((t) => `Tool: ${t?.name ?? ''} ${t?.version || '-'} sha256 ${t?.hash ?? ''}\n`)
      .join('');
    for (const up of gen.uploads) up.content = Buffer.concat([up.content, Buffer.from(carried)]);
    return gen;
  }

  private artifactToolUrl(name: string): string {
    for (const a of ARTIFACTS) for (const t of a.tools ?? []) if (t.name === name) return t.url;
    return '';
  }

  /**
   * Server.Utils.ImportCollection (VR vql/tools/collector/import.go): reads the ZIP at Path on the
   * server's disk, picks the client (ClientId; else one with the collection's host name; else
   * C.<HostID up to its first "-">; else a new id), creates it when unknown, stores the flow under the
   * collection's session id (a new one when that client has it already) and answers one row.
   */
  private importCollection(org: OrgData, env: Record<string, string>, nowMs: number): GeneratedResults {
    const out: GeneratedResults = { results: new Map(), uploads: [], logs: [] };
    const path = resolve(env.Path ?? '');
    if (!path.startsWith(SIM_SERVER_FS_ROOT + sep)) {
      out.logs.push(`import_collection: the simulator only reads files below ${SIM_SERVER_FS_ROOT}`);
      return out;
    }
    let parsed;
    try {
      parsed = parseCollection(readFileSync(path));
    } catch (e) {
      out.logs.push(`import_collection: ${e instanceof Error ? e.message : String(e)}`);
      return out;
    }
    const hostname = parsed.hostname || env.Hostname || '';
    let clientId = env.ClientId && env.ClientId !== 'auto' ? env.ClientId : '';
    if (!clientId && hostname) {
      out.logs.push(`Searching for a client id with hostname '${hostname}'`);
      const same = [...org.clients.values()].find((c) => c.hostname.toLowerCase() === hostname.toLowerCase());
      if (same) {
        clientId = same.client_id;
        out.logs.push(`client id found '${clientId}'`);
      }
    }
    if (!clientId && parsed.hostId) clientId = `C.${parsed.hostId.replace(/^C\./, '').split('-')[0] ?? ''}`;
    if (!clientId) clientId = parsed.clientId.split('-')[0] ?? '';
    if (clientId)
      out.logs.push(
        `Found client_info.json file in collection: Using client id '${clientId}' and hostname '${hostname}'`,
      );
    else {
      clientId = `C.${this.rng.hex(16)}`;
      out.logs.push(`Creating a new client id '${clientId}'`);
    }
    if (!org.clients.has(clientId))
      org.clients.set(clientId, {
        client_id: clientId,
        hostname,
        fqdn: parsed.fqdn || hostname,
        os: (['windows', 'linux', 'darwin'].includes(parsed.os) ? parsed.os : 'linux') as ClientOs,
        release: '',
        machine: '',
        mac_addresses: [],
        first_seen_at: Math.floor(nowMs / 1000),
        offline_last_seen_us: nowMs * 1000,
        last_ip: '',
        labels: [],
        last_label_timestamp: 0,
        last_interrogate_flow_id: '',
        agent_version: '',
      });
    let sessionId = parsed.sessionId || this.newFlowId();
    if (org.flows.has(flowKey(clientId, sessionId))) sessionId = this.newFlowId();
    const createMs = parsed.createUs ? parsed.createUs / 1000 : nowMs;
    const flow: FlowRecord = {
      client_id: clientId,
      session_id: sessionId,
      creator: '',
      artifacts: parsed.artifacts,
      env: {},
      timeout: 0,
      max_rows: 0,
      max_bytes: 0,
      cpu_limit: 0,
      urgent: false,
      createMs,
      startMs: createMs,
      finishMs: nowMs,
      status: '',
      finalised: true,
      results: parsed.results,
      logs: parsed.logs,
      uploads: [],
    };
    org.flows.set(flowKey(clientId, sessionId), flow);
    this.emitCompletion(org.id, flow);
    const total = [...parsed.results.values()].reduce((n, r) => n + r.length, 0);
    out.results.set(IMPORT_COLLECTION, [
      {
        ClientId: clientId,
        FlowId: sessionId,
        TotalRows: total,
        UploadedFiles: parsed.uploadedFiles,
        UploadedBytes: parsed.uploadedBytes,
        Artifacts: [...parsed.results.keys()],
      },
    ]);
    return out;
  }

  // ---------------------------------------------------------------- enrolment (stand-in agents)

  enrol(
    orgId: string,
    info: {
      client_id?: string;
      labels?: string[];
      hostname: string;
      os: ClientOs;
      release: string;
      machine: string;
      fqdn: string;
      mac: string;
      ip: string;
    },
  ): ClientRecord {
    const org = this.org(orgId);
    const existing = info.client_id ? org.clients.get(info.client_id) : undefined;
    const record: ClientRecord = existing ?? {
      client_id:
        info.client_id && /^C\.[0-9a-f]{16}$/.test(info.client_id)
          ? info.client_id
          : `C.${new Rng(`${info.hostname}/${this.now()}/${org.clients.size}`).hex(16)}`,
      hostname: info.hostname,
      fqdn: info.fqdn,
      os: info.os,
      release: info.release,
      machine: info.machine,
      mac_addresses: info.mac ? [info.mac] : [],
      first_seen_at: Math.floor(this.now() / 1000),
      offline_last_seen_us: null,
      last_ip: info.ip,
      labels: [],
      last_label_timestamp: 0,
      last_interrogate_flow_id: '',
      agent_version: AGENT_VERSION,
      enrolled: true,
    };
    record.offline_last_seen_us = null;
    record.last_ip = info.ip;
    // Client.labels come with the client's information and are applied at enrolment.
    for (const l of info.labels ?? []) if (!record.labels.includes(l)) record.labels.push(l);
    org.clients.set(record.client_id, record);
    if (!existing) {
      const flow = this.collect(orgId, 'VelociraptorServer', {
        clientId: record.client_id,
        artifacts: ['Generic.Client.Info'],
        env: {},
        timeout: 600,
        maxRows: 0,
        urgent: true,
      });
      record.last_interrogate_flow_id = flow.session_id;
    }
    return record;
  }

  // ---------------------------------------------------------------- seed

  private seedHistory(org: OrgData): void {
    const clients = [...org.clients.values()];
    const day = 86_400_000;
    for (const c of clients) {
      const created = c.first_seen_at * 1000 + 60_000;
      const flow = this.collect(
        org.id,
        'VelociraptorServer',
        {
          clientId: c.client_id,
          artifacts: ['Generic.Client.Info'],
          env: {},
          timeout: 600,
          maxRows: 0,
          urgent: true,
          flowId: c.last_interrogate_flow_id,
        },
        created,
      );
      flow.startMs = created + 1_000;
      flow.finishMs = created + 3_000;
      if (c.offline_last_seen_us === null || c.offline_last_seen_us / 1000 > flow.finishMs)
        this.finalise(org, flow);
    }
    const byName = new Map(clients.map((c) => [c.hostname, c]));
    const at = (name: string): ClientRecord => byName.get(name) as ClientRecord;
    const past = (
      client: ClientRecord,
      artifacts: string[],
      daysAgo: number,
      env: Record<string, Record<string, string>> = {},
      creator = 'admin',
    ): FlowRecord => {
      const created = this.startMs - daysAgo * day;
      const flow = this.collect(
        org.id,
        creator,
        { clientId: client.client_id, artifacts, env, timeout: 600, maxRows: 0, urgent: false },
        created,
      );
      flow.startMs = created + 2_000;
      flow.finishMs = created + 9_000;
      return flow;
    };
    this.finalise(org, past(at('WKS-FIN-002'), ['Windows.System.Pslist', 'Windows.Network.Netstat'], 1.5));
    this.finalise(
      org,
      past(at('WKS-FIN-002'), ['Windows.Search.FileFinder'], 1.2, {
        'Windows.Search.FileFinder': {
          Glob: 'C:\\Users\\**\\*.dll',
          Upload_File: 'Y',
          Calculate_Hash: 'Y',
        },
      }),
    );
    this.finalise(org, past(at('web-prod-02'), ['Linux.Sys.Pslist', 'Linux.Sys.Crontab'], 1.1));
    this.finalise(
      org,
      past(at('MBP-MALLORY'), ['MacOS.Detection.Autoruns', 'MacOS.Applications.Chrome.History'], 0.9),
    );
    this.finalise(
      org,
      past(at('SQL01'), ['System.VFS.ListDirectory'], 0.5, {
        'System.VFS.ListDirectory': { Path: 'C:\\', Accessor: 'auto', Depth: '0' },
      }),
    );
    const errored = past(at('DC01'), ['Windows.EventLogs.RDPAuth'], 0.7);
    errored.fixedState = 'ERROR';
    errored.status = 'Windows.EventLogs.RDPAuth: query timed out after 600s';
    errored.logs.push(logRow(errored, errored.finishMs, 'ERROR', errored.status));
    const unresponsive = past(at('FS01'), ['Generic.Detection.Yara.Glob'], 0.3);
    unresponsive.fixedState = 'UNRESPONSIVE';
    unresponsive.status = 'The client did not respond in time';
    const legacy = past(at('JUMP01'), ['Windows.System.Services'], 0.2);
    legacy.fixedState = 'RUNNING';
    // A long collection that is still in progress when the simulator starts.
    const long = this.collect(
      org.id,
      'alice',
      {
        clientId: at('WKS-ENG-001').client_id,
        artifacts: ['Windows.Search.FileFinder'],
        env: {},
        timeout: 3600,
        maxRows: 0,
        urgent: false,
      },
      this.startMs - 60_000,
    );
    long.startMs = this.startMs - 55_000;
    long.finishMs = this.startMs + this.delay(10 * 60_000);
    // Offline clients with queued work stay WAITING.
    for (const c of clients.filter((x) => x.offline_last_seen_us !== null).slice(0, 3))
      past(
        c,
        [
          c.os === 'windows'
            ? 'Windows.System.Pslist'
            : c.os === 'linux'
              ? 'Linux.Sys.Pslist'
              : 'MacOS.Network.Netstat',
        ],
        0.05,
      );
    const server = this.collect(
      org.id,
      'admin',
      {
        clientId: 'server',
        artifacts: ['Server.Utils.CreateMSI'],
        env: { 'Server.Utils.CreateMSI': { AlsoBuild_x86: 'Y' } },
        timeout: 600,
        maxRows: 0,
        urgent: false,
      },
      this.startMs - 3 * day,
    );
    server.startMs = server.createMs + 1_000;
    server.finishMs = server.createMs + 20_000;
    this.finalise(org, server);

    const hunt = (h: Partial<HuntRecord> & { description: string; artifacts: string[] }): HuntRecord => {
      const rec: HuntRecord = {
        hunt_id: this.newHuntId(),
        creator: 'admin',
        env: {},
        createMs: this.startMs,
        startMs: null,
        stopMs: null,
        expiresMs: this.startMs + 7 * day,
        state: 'PAUSED',
        os: null,
        includeLabels: [],
        excludeLabels: [],
        tags: [],
        timeout: 600,
        max_rows: 0,
        max_bytes: 0,
        cpu_limit: 0,
        flows: new Map(),
        ...h,
      };
      org.hunts.set(rec.hunt_id, rec);
      return rec;
    };
    hunt({
      description: 'Incident-2024-117: process listing on affected Windows hosts',
      artifacts: ['Windows.System.Pslist'],
      includeLabels: ['Incident-2024-117'],
      createMs: this.startMs - 2 * day,
      startMs: this.startMs - 2 * day + 60_000,
      stopMs: this.startMs - day,
      state: 'STOPPED',
      tags: ['incident'],
    });
    hunt({
      description: 'Fleet inventory (Generic.Client.Info)',
      artifacts: ['Generic.Client.Info'],
      createMs: this.startMs - 5 * 60_000,
      startMs: this.startMs,
      state: 'RUNNING',
      tags: ['inventory'],
    });
    hunt({
      description: 'YARA sweep for Cobalt Strike beacons on Windows',
      artifacts: ['Windows.Detection.Yara.Process'],
      os: 'windows',
      createMs: this.startMs - 3_600_000,
      state: 'PAUSED',
      env: {
        'Windows.Detection.Yara.Process': { YaraRule: 'rule x { strings: $a = "beacon" condition: $a }' },
      },
    });
    hunt({
      description: 'Old hunt: Linux cron persistence',
      artifacts: ['Linux.Sys.Crontab'],
      os: 'linux',
      createMs: this.startMs - 30 * day,
      startMs: this.startMs - 30 * day,
      stopMs: this.startMs - 29 * day,
      state: 'ARCHIVED',
      expiresMs: this.startMs - 23 * day,
    });
  }
}

/** The server's own host, for client artifacts collected with client_id 'server'. */
const SERVER_HOST: ClientRecord = {
  client_id: 'server',
  hostname: 'server',
  fqdn: 'server',
  os: 'linux',
  release: 'debian 12',
  machine: 'x86_64',
  mac_addresses: [],
  first_seen_at: 0,
  offline_last_seen_us: 0,
  last_ip: '',
  labels: [],
  last_label_timestamp: 0,
  last_interrogate_flow_id: '',
  agent_version: AGENT_VERSION,
};

/** The record clients() shows for "server" once a server collection ran (real 0.75.7 and 0.77.2). */
function serverPseudoClient(): ClientRecord {
  return {
    ...SERVER_HOST,
    os: '' as ClientRecord['os'],
    release: '',
    machine: '',
    agent_version: '',
  };
}

export const IMPORT_COLLECTION = 'Server.Utils.ImportCollection';

/** The inventory tool CreateCollector repacks per OS (its artifact's own table). */
const COLLECTOR_BINARY: Record<string, string> = {
  Windows: 'VelociraptorWindows',
  Windows_x86: 'VelociraptorWindows_x86',
  Linux: 'VelociraptorLinux',
  MacOS: 'VelociraptorCollector',
  MacOSArm: 'VelociraptorCollector',
  Generic: 'VelociraptorCollector',
};

export function flowKey(clientId: string, flowId: string): string {
  return `${clientId}/${flowId}`;
}

export function hasLabel(c: ClientRecord, label: string): boolean {
  return c.labels.some((l) => l.toLowerCase() === label.toLowerCase());
}

export { ARTIFACTS, type ArtifactDefinition };
