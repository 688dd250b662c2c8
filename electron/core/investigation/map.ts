/**
 * Server rows → contract shapes. Units are Velociraptor's and differ per field (velociraptor-api.md
 * §5): client last_seen_at is µs, first_seen_at is seconds, flow/hunt times are µs.
 */
import type { ClientSummary, FlowSummary, VfsEntry } from '../../../shared/contracts/clients';
import type { ArtifactSummary } from '../../../shared/contracts/collections';
import type { HuntFlow, HuntSummary } from '../../../shared/contracts/hunts';
import type { CompletionItem } from '../../../shared/contracts/vql';
import type { Row } from './ops';

export const ONLINE_WINDOW_MS = 15 * 60_000;

const s = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : '');
/** A scalar as text; objects and null become ''. */
export const text = (v: unknown): string => s(v);
const n = (v: unknown): number => {
  const x = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(x) ? x : 0;
};
const obj = (v: unknown): Row => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {});
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(s) : []);

export const usToMs = (us: unknown): number => Math.floor(n(us) / 1000);
export const secToMs = (sec: unknown): number => n(sec) * 1000;

export function toClient(r: Row, nowMs: number): ClientSummary {
  const os = obj(r.os_info);
  const agent = obj(r.agent_information);
  const lastSeenMs = usToMs(r.last_seen_at);
  return {
    clientId: s(r.client_id),
    hostname: s(os.hostname),
    fqdn: s(os.fqdn),
    os: s(os.system),
    release: s(os.release),
    labels: strs(r.labels),
    lastSeenMs,
    firstSeenMs: secToMs(r.first_seen_at),
    lastIp: s(r.last_ip),
    online: lastSeenMs > 0 && nowMs - lastSeenMs < ONLINE_WINDOW_MS,
    agentVersion: s(agent.version),
  };
}

export function toFlow(r: Row): FlowSummary {
  const req = obj(r.request);
  return {
    flowId: s(r.session_id),
    clientId: s(r.client_id),
    state: s(r.state),
    artifacts: strs(req.artifacts),
    withResults: strs(r.artifacts_with_results),
    createdMs: usToMs(r.create_time),
    creator: s(req.creator),
    rows: n(r.total_collected_rows),
    uploads: n(r.total_uploaded_files),
    status: s(r.status),
  };
}

/** Parameters of a flow's request for one artifact (used to find cached VFS listings). */
export function flowParams(r: Row, artifact: string): Record<string, string> {
  const specs = obj(r.request).specs;
  if (!Array.isArray(specs)) return {};
  for (const sp of specs) {
    const o = obj(sp);
    if (o.artifact !== artifact) continue;
    const env = obj(o.parameters).env;
    return Object.fromEntries((Array.isArray(env) ? env : []).map((e) => [s(obj(e).key), s(obj(e).value)]));
  }
  return {};
}

export function toVfsEntry(r: Row, downloaded: Set<string>): VfsEntry {
  const path = s(r.OSPath);
  return { name: s(r.Name), path, isDir: r.IsDir === true, size: n(r.Size), mode: s(r.Mode), mtime: s(r.mtime), downloaded: downloaded.has(path) };
}

export function toArtifact(r: Row): ArtifactSummary {
  const params = Array.isArray(r.parameters) ? r.parameters.map(obj) : [];
  const sources = Array.isArray(r.sources) ? r.sources.map((x) => (typeof x === 'string' ? x : s(obj(x).name))) : [];
  return {
    name: s(r.name),
    description: s(r.description),
    type: s(r.type).toUpperCase() || 'CLIENT',
    parameters: params.map((p) => {
      const choices = strs(p.choices);
      return { name: s(p.name), type: s(p.type) || 'string', default: s(p.default), description: s(p.description), ...(choices.length ? { choices } : {}) };
    }),
    sources,
  };
}

/** `Artifact` or `Artifact/Source` for each named source. */
export function sourceKeys(a: ArtifactSummary): string[] {
  const named = a.sources.filter((x) => x !== '');
  return named.length ? named.map((x) => `${a.name}/${x}`) : [a.name];
}

export function toHunt(r: Row): HuntSummary {
  const st = obj(r.stats);
  const cond = obj(r.condition);
  const scheduled = n(st.total_clients_scheduled);
  const withResults = n(st.total_clients_with_results);
  const errors = n(st.total_clients_with_errors);
  const completed = withResults + n(st.total_clients_without_results) + errors;
  return {
    huntId: s(r.hunt_id),
    description: s(r.hunt_description),
    state: s(r.state),
    artifacts: strs(r.artifacts ?? obj(r.start_request).artifacts),
    createdMs: usToMs(r.create_time),
    startedMs: usToMs(r.start_time),
    expiresMs: usToMs(r.expires),
    creator: s(r.creator),
    stats: { scheduled, completed, withResults, errors },
    includeLabels: strs(obj(cond.labels).label),
    excludeLabels: strs(obj(r.excluded_labels).label),
    os: s(obj(cond.os).os).toLowerCase(),
  };
}

export function toHuntFlow(r: Row, hostnames: Map<string, string>): HuntFlow {
  const f = obj(r.Flow);
  return {
    clientId: s(r.ClientId),
    hostname: hostnames.get(s(r.ClientId)) ?? '',
    flowId: s(r.FlowId),
    state: s(f.state),
    rows: n(f.total_collected_rows),
    startedMs: usToMs(f.start_time),
  };
}

export function toCompletion(r: Row): CompletionItem | null {
  const type = s(r.type).toLowerCase();
  if (type !== 'plugin' && type !== 'function') return null;
  const args = Array.isArray(r.args) ? r.args.map(obj) : [];
  return {
    name: s(r.name),
    kind: type,
    description: s(r.description),
    args: args.map((a) => ({ name: s(a.name), type: s(a.type), required: a.required === true, description: s(a.description ?? a.doc) })),
  };
}
