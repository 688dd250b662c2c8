/**
 * The typed Velociraptor operations' shapes → the UI contract's shapes. Units were already
 * converted by the operations (docs/velociraptor/vql.md); the contract carries times as epoch ms.
 */
import type { ClientSummary, FlowSummary, VfsEntry } from '../../../shared/contracts/clients';
import type { ArtifactSummary } from '../../../shared/contracts/collections';
import type { HuntFlow, HuntSummary } from '../../../shared/contracts/hunts';
import type { CompletionItem } from '../../../shared/contracts/vql';
import type * as vr from '../velociraptor/index';

type Row = Record<string, unknown>;

const s = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? String(v)
      : '';
/** A scalar as text; objects and null become ''. */
export const text = (v: unknown): string => s(v);
const n = (v: unknown): number => {
  const x =
    typeof v === 'number' || typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(x) ? x : 0;
};
/** ISO time from an operation → epoch ms (0 when unknown). */
export const isoToMs = (iso: string | undefined): number => (iso ? Date.parse(iso) || 0 : 0);

export function toClient(c: vr.ClientSummary): ClientSummary {
  return {
    clientId: c.clientId,
    hostname: c.hostname,
    fqdn: c.fqdn,
    os: c.os,
    release: c.release,
    labels: c.labels,
    lastSeenMs: isoToMs(c.lastSeen),
    firstSeenMs: isoToMs(c.firstSeen),
    lastIp: c.lastIp,
    online: c.online,
    agentVersion: c.agentVersion,
  };
}

export function toFlow(f: vr.FlowSummary): FlowSummary {
  return {
    flowId: f.flowId,
    clientId: f.clientId,
    state: f.state,
    artifacts: f.artifacts,
    withResults: f.artifactsWithResults,
    createdMs: isoToMs(f.createTime),
    creator: f.creator,
    rows: f.totalRows,
    uploads: f.totalUploadedFiles,
    status: f.status,
  };
}

/**
 * A System.VFS.ListDirectory/Listing row: `_OSPath`, `Name`, `Size`, `Mode` (a string like
 * `drwxr-xr-x`: a directory starts with `d`, a symlink with `L`), times. There is no OSPath and no
 * IsDir column.
 */
export function toVfsEntry(r: Row, downloaded: Set<string>): VfsEntry {
  const path = s(r._OSPath);
  return {
    name: s(r.Name),
    path,
    isDir: s(r.Mode).startsWith('d'),
    size: n(r.Size),
    mode: s(r.Mode),
    mtime: s(r.mtime),
    atime: s(r.atime),
    ctime: s(r.ctime),
    btime: s(r.btime),
    downloaded: downloaded.has(path),
  };
}

export function toArtifact(a: vr.ArtifactSummary): ArtifactSummary {
  return {
    name: a.name,
    description: a.description,
    type: a.type,
    parameters: a.parameters.map((p) => ({
      name: p.name,
      type: p.type,
      default: p.default,
      description: p.description,
      ...(p.choices?.length ? { choices: p.choices } : {}),
    })),
    sources: a.sources,
  };
}

export function toHunt(h: vr.HuntSummary): HuntSummary {
  const st = h.stats;
  return {
    huntId: h.huntId,
    description: h.description,
    state: h.state,
    artifacts: h.artifacts,
    sources: h.sources.length ? h.sources : h.artifacts,
    createdMs: isoToMs(h.createTime),
    startedMs: isoToMs(h.startTime),
    expiresMs: isoToMs(h.expires),
    creator: h.creator,
    stats: {
      scheduled: st.scheduled,
      completed: st.withResults + st.withoutResults + st.withErrors,
      withResults: st.withResults,
      errors: st.withErrors,
    },
    includeLabels: h.includeLabels,
    excludeLabels: h.excludeLabels,
    os: h.os,
  };
}

export function toHuntFlow(f: vr.HuntFlow, hostnames: Map<string, string>): HuntFlow {
  return {
    clientId: f.clientId,
    hostname: hostnames.get(f.clientId) ?? '',
    flowId: f.flowId,
    state: f.state,
    rows: f.totalRows,
    startedMs: isoToMs(f.startTime),
    finishedMs: f.endTime ? isoToMs(f.endTime) : 0,
  };
}

export function toCompletion(h: vr.HelpEntry): CompletionItem {
  return {
    name: h.name,
    kind: h.kind === 'plugin' ? 'plugin' : 'function',
    description: h.description,
    args: h.args.map((a) => ({
      name: a.name,
      type: a.type,
      required: a.required,
      description: a.description,
    })),
  };
}
