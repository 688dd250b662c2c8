/**
 * What a push did, for the responder's records and the next shift: the run summary the Agents page and
 * the contracts show (no resources, no settings), and a CSV of every host (state, attempts, client id,
 * platform, error, times). Host names and error texts may come from the hosts themselves, so the CSV
 * neutralises spreadsheet formulas (shared/csv.ts).
 */
import { z } from 'zod';
import type { AgentRunSummary, HostStatus } from '../../../../shared/agents';
import { toCsv } from '../../../../shared/csv';
import { countsOf, isInterruptedRun, type AgentRunDoc } from './run-journal';

/**
 * Both pushers' settings name the server as `server: { connection, org }` (ssh-push's ServerTarget,
 * not imported: this module stays light enough for the e2e specs that read SUMMARY_COLUMNS).
 */
const RunServer = z.object({ server: z.object({ connection: z.string(), org: z.string().default('') }) });

export function runSummary(doc: AgentRunDoc, now = Date.now()): AgentRunSummary {
  return {
    id: doc.id,
    name: doc.name,
    channel: doc.channel,
    state: doc.state,
    interrupted: isInterruptedRun(doc, now),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    concurrency: doc.concurrency,
    server: serverOf(doc),
    counts: countsOf(doc.hosts),
    hosts: doc.hosts.map(({ resources: _r, os: _o, ...status }): HostStatus => status),
  };
}

function serverOf(doc: AgentRunDoc): AgentRunSummary['server'] {
  const s = RunServer.safeParse(doc.settings);
  return s.success ? { server: s.data.server.connection, org: s.data.server.org } : null;
}

export const SUMMARY_COLUMNS = [
  'host',
  'port',
  'channel',
  'state',
  'attempts',
  'client_id',
  'platform',
  'error_code',
  'error',
  'started_at',
  'ended_at',
  'seconds',
] as const;

export function summaryCsv(doc: AgentRunDoc): string {
  const rows = doc.hosts.map((h) => {
    const seconds =
      h.startedAt && h.endedAt ? (Date.parse(h.endedAt) - Date.parse(h.startedAt)) / 1000 : undefined;
    return {
      host: h.host,
      port: String(h.port),
      channel: doc.channel,
      state: h.state,
      attempts: String(h.attempts),
      client_id: h.clientId ?? '',
      platform: h.platform ?? '',
      error_code: h.error?.code ?? '',
      error: h.error?.message ?? '',
      started_at: h.startedAt ?? '',
      ended_at: h.endedAt ?? '',
      seconds: seconds === undefined ? '' : seconds.toFixed(1),
    };
  });
  return toCsv(rows, { columns: SUMMARY_COLUMNS, neutralise: true });
}
