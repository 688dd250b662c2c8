/**
 * Velociraptor's multi-frontend architecture in the simulator: a master and minions started from ONE
 * server config (`frontend` and `frontend --minion --node <hostname>-<port>`), sharing the datastore
 * folder.
 *
 * As the real server does (services/frontend/frontend.go, checked by hand against 0.77.2): a minion
 * serves agents on its own `ExtraFrontends` entry (no API, no GUI); every frontend reports its metrics
 * about every 10 s, and the master's API streams them from the internal queue
 * `Server.Internal.FrontendMetrics`, one row `{Node, Metrics}` per report, `Node` = `master` for the
 * master and `<hostname>-<port>` for a minion.
 *
 * SIMULATOR-ONLY TRANSPORT: a real minion reaches the master over its gRPC API (RemoteFileDataStore,
 * replication). Here minions and master meet in the shared datastore folder instead, under
 * `megaraptor-sim-frontends/`: each minion keeps `<node>.json` (its latest metrics, rewritten every
 * report) and appends the agents it enrolled to `<node>.enrolments.jsonl`; the master relays fresh
 * reports to its metrics queue and enrols those agents in its own world. A minion whose report is
 * older than three periods is not relayed (it stopped, as a real minion stops reporting).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Server } from 'node:https';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { writeFileAtomicSync } from '../files/index';
import { startFrontendServer, type EnrolRequest, type Enroller } from './frontend';
import type { SimServerConfig } from './server-config';
import type { SimPki } from './sim-pki';
import type { Row } from './vql/values';

export const FRONTEND_METRICS = 'Server.Internal.FrontendMetrics';
export const FRONTENDS_DIR = 'megaraptor-sim-frontends';
/** Velociraptor pushes metrics every 10 s (jittered). */
export const METRICS_INTERVAL_MS = 10_000;
const NODE = /^[A-Za-z0-9._:[\]-]{1,300}$/;

export interface Enrolment {
  orgId: string;
  request: EnrolRequest & { client_id: string };
  ip: string;
}

/** Velociraptor's node name of a frontend (services.GetNodeName). */
export function nodeNameOf(hostname: string, port: number): string {
  return `${hostname}-${port}`;
}

/** One FrontendMetrics row as the real master's watch_monitoring gives it. */
export function metricsRow(node: string, connections: Record<string, number>, nowMs: number): Row {
  const usage = process.cpuUsage();
  return {
    Node: node,
    Metrics: {
      Timestamp: new Date(nowMs).toISOString(),
      ProcessCpuNanoSecondsTotal: (usage.user + usage.system) * 1000,
      CpuLoadPercent: 0,
      ClientCommsCurrentConnections: connections,
      ProcessResidentMemoryBytes: process.memoryUsage().rss,
      NodeName: node,
    },
  };
}

function dir(datastoreDir: string): string {
  const d = join(datastoreDir, FRONTENDS_DIR);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

/** The reports of minions that reported within `maxAgeMs`. */
export function freshReports(datastoreDir: string, nowMs: number, maxAgeMs: number): Row[] {
  const d = dir(datastoreDir);
  const out: Row[] = [];
  for (const f of readdirSync(d)) {
    if (!f.endsWith('.json')) continue;
    try {
      const r = JSON.parse(readFileSync(join(d, f), 'utf8')) as { at?: unknown; row?: unknown };
      if (typeof r.at === 'number' && nowMs - r.at <= maxAgeMs && typeof r.row === 'object' && r.row)
        out.push(r.row as Row);
    } catch {
      // A report being rewritten (rename is atomic, so rare): the next round reads it.
    }
  }
  return out;
}

/** Reads the enrolments minions appended since the last call (per-file offsets; whole lines only). */
export class EnrolmentTail {
  private readonly offsets = new Map<string, number>();

  constructor(private readonly datastoreDir: string) {}

  async read(): Promise<Enrolment[]> {
    const d = dir(this.datastoreDir);
    const out: Enrolment[] = [];
    for (const f of readdirSync(d)) {
      if (!f.endsWith('.enrolments.jsonl')) continue;
      const from = this.offsets.get(f) ?? 0;
      const handle = await open(join(d, f), 'r');
      try {
        const { size } = await handle.stat();
        if (size <= from) continue;
        const buf = Buffer.alloc(size - from);
        await handle.read(buf, 0, buf.length, from);
        const text = buf.toString('utf8');
        const end = text.lastIndexOf('\n') + 1;
        this.offsets.set(f, from + Buffer.byteLength(text.slice(0, end)));
        for (const line of text.slice(0, end).split('\n')) {
          if (!line) continue;
          try {
            out.push(JSON.parse(line) as Enrolment);
          } catch {
            // A line we cannot read is skipped; the agent's next poll enrols it again.
          }
        }
      } finally {
        await handle.close();
      }
    }
    return out;
  }
}

export interface RunningMinion {
  node: string;
  host: string;
  frontendPort: number;
  stop(): Promise<void>;
}

/**
 * Starts a minion from the server config: its `ExtraFrontends` entry named `node` gives where it
 * listens. Fails as Velociraptor does when no entry has that name.
 */
export async function startMinion(o: {
  config: SimServerConfig;
  pki: SimPki;
  node: string;
  datastoreDir: string;
  intervalMs?: number;
  now?: () => number;
}): Promise<RunningMinion> {
  if (!NODE.test(o.node))
    throw new AppError('INVALID_ARGUMENT', `"${o.node}" is not a frontend node name (<hostname>-<port>).`);
  const entry = o.config.extraFrontends.find((f) => nodeNameOf(f.hostname, f.port) === o.node);
  if (!entry)
    throw new AppError(
      'CONFIG_MISSING_KEY',
      `Frontend ${o.node} not found! (available frontends: ${o.config.extraFrontends.map((f) => `${f.hostname}:${f.port}`).join(', ') || 'none'})`,
    );
  const now = o.now ?? Date.now;
  const intervalMs = o.intervalMs ?? METRICS_INTERVAL_MS;
  const d = dir(o.datastoreDir);
  const journal = join(d, `${o.node}.enrolments.jsonl`);
  const seen = new Set<string>();
  const connected = new Map<string, number>();
  const enroller: Enroller = {
    // Orgs live on the master; the minion accepts the ids agents carry and the master checks them.
    hasOrg: (orgId) => /^[A-Za-z0-9]{1,64}$/.test(orgId),
    enrol(orgId, request, ip) {
      const client_id =
        request.client_id && /^C\.[0-9a-f]{16}$/.test(request.client_id)
          ? request.client_id
          : `C.${randomBytes(8).toString('hex')}`;
      if (!seen.has(client_id)) {
        seen.add(client_id);
        connected.set(orgId, (connected.get(orgId) ?? 0) + 1);
        const line: Enrolment = { orgId, request: { ...request, client_id }, ip };
        appendFileSync(journal, `${JSON.stringify(line)}\n`, { mode: 0o600 });
      }
      return { client_id };
    },
  };
  const server: Server = await startFrontendServer(
    entry.bindAddress,
    entry.port,
    o.pki,
    enroller,
    o.config.clientNonce,
  );
  const report = (): void => {
    const file = join(d, `${o.node}.json`);
    const row = metricsRow(
      o.node,
      { root: connected.get('root') ?? 0, ...Object.fromEntries(connected) },
      now(),
    );
    writeFileAtomicSync(file, JSON.stringify({ at: now(), row }));
  };
  report();
  const timer = setInterval(report, intervalMs);
  timer.unref();
  const address = server.address();
  return {
    node: o.node,
    host: entry.bindAddress,
    frontendPort: typeof address === 'object' && address ? address.port : entry.port,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
