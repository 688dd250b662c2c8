/**
 * The plan* builders return the exact query the operation then sends (the approval dialog shows
 * it), and the quarantine collection passes MessageBox to every OS's artifact.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { findArtifact } from '../../sim/dataset/artifacts';
import { definitionRow } from '../../sim/server/rows';
import type { VelociraptorConnection } from '../connection';
import type { BuiltQuery } from '../vql/builder';
import { ArtifactSummarySchema } from './artifacts';
import { artifactCatalog, type Declarations } from './catalog';
import { planQuarantine, quarantine } from './clients';
import { collectArtifacts, planCollect } from './flows';
import { createHunt, planCreateHunt, planHuntUpdate, startHunt } from './hunts';

/**
 * A connection that records each query and answers with canned rows per VQL function. It answers
 * the catalog's own reads (version, artifact_definitions) from the simulator's 0.77 catalogue and
 * leaves them out of `sent`: these tests are about the query each operation then sends.
 */
function recordingConn(answer: (q: BuiltQuery) => Array<Record<string, unknown>>): {
  conn: VelociraptorConnection;
  sent: BuiltQuery[];
} {
  const sent: BuiltQuery[] = [];
  const conn = {
    label: 'fake',
    server: 'fake',
    orgId: '',
    config: { connectionString: 'fake:1' },
    async queryRows(q: BuiltQuery) {
      if (q.vql.includes('config.version')) return { rows: [{ Version: '0.77.2' }], logs: [] };
      if (q.vql.includes('artifact_definitions(')) {
        const names = JSON.parse(Object.values(q.env)[0] ?? '[]') as string[];
        const defs = names.flatMap((n) => findArtifact(n) ?? []);
        return { rows: defs.map((d) => definitionRow(d, false)), logs: [] };
      }
      sent.push(q);
      return { rows: answer(q), logs: [] };
    },
  } as unknown as VelociraptorConnection;
  return { conn, sent };
}

/** What a 0.77 server declares for `names` (the simulator's catalogue, as the client parses it). */
function declared(names: string[]): Declarations {
  const summary = (n: string) => {
    const def = findArtifact(n);
    return def && ArtifactSummarySchema.parse(definitionRow(def, false));
  };
  return {
    version: '0.77.2',
    server: 'fake (Velociraptor 0.77.2)',
    artifacts: new Map(names.map((n) => [n, summary(n)])),
  };
}

beforeEach(() => artifactCatalog.clear());

const HOSTILE = "x') FROM scope() SELECT collect_client(client_id='C.0') --";

describe('plans are the queries that run', () => {
  it('collectArtifacts sends planCollect(input), hostile values only in env', async () => {
    const input = {
      clientId: 'C.1234abcd',
      artifacts: ['Linux.Sys.BashHistory'],
      parameters: { 'Linux.Sys.BashHistory': { SearchRegex: HOSTILE } },
      urgent: true,
      timeoutSeconds: 60,
      maxRows: 10,
    };
    const planned = planCollect(input);
    const { conn, sent } = recordingConn(() => [
      {
        Result: {
          flow_id: 'F.1',
          request: { client_id: 'C.1234abcd', artifacts: ['Linux.Sys.BashHistory'] },
        },
      },
    ]);
    await collectArtifacts(conn, input);
    expect(sent).toEqual([planned]);
    expect(planned.vql).toMatch(
      /^SELECT collect_client\(client_id=MrArg0, artifacts=parse_json_array\(data=MrArg1\), spec=parse_json\(data=MrArg2\), timeout=60, max_rows=10, urgent=TRUE\) AS Result FROM scope\(\)$/,
    );
    expect(planned.vql).not.toContain(HOSTILE);
    expect(JSON.parse(planned.env.MrArg2!)).toEqual({ 'Linux.Sys.BashHistory': { SearchRegex: HOSTILE } });
  });

  it('createHunt and startHunt send planCreateHunt / planHuntUpdate', async () => {
    const input = {
      description: HOSTILE,
      artifacts: ['Generic.Client.Info'],
      os: 'linux' as const,
      expiresInSeconds: 3600,
    };
    const { conn, sent } = recordingConn((q) =>
      q.vql.includes('hunt(') && !q.vql.includes('hunt_update')
        ? [{ Result: { HuntId: 'H.1' } }]
        : q.vql.includes('hunt_update')
          ? [{ Result: true }]
          : [{ hunt_id: 'H.1', state: 'RUNNING' }],
    );
    await createHunt(conn, input);
    expect(sent[0]).toEqual(planCreateHunt(input));
    await startHunt(conn, 'H.1');
    expect(sent[1]).toEqual(planHuntUpdate('H.1', 'start'));
    expect(planHuntUpdate('H.1', 'stop').vql).toBe(
      'SELECT hunt_update(hunt_id=MrArg0, stop=TRUE) AS Result FROM scope()',
    );
  });
});

describe('quarantine per OS', () => {
  it.each([
    ['windows', 'Windows.Remediation.Quarantine'],
    ['linux', 'Linux.Remediation.Quarantine'],
    ['darwin', 'MacOS.Remediation.Quarantine'],
  ])(
    '%s: the artifact of the OS with MessageBox when applying, RemovePolicy only when lifting',
    (os, artifact) => {
      const d = declared([artifact]);
      const on = planQuarantine(d, os, { clientId: 'C.1', message: 'IR 42: stay off the network' });
      expect(on.artifact).toBe(artifact);
      expect(on.parameters).toEqual({ MessageBox: 'IR 42: stay off the network' });
      expect(JSON.parse(on.query.env.MrArg2!)).toEqual({
        [artifact]: { MessageBox: 'IR 42: stay off the network' },
      });
      const off = planQuarantine(d, os.toUpperCase(), { clientId: 'C.1', remove: true, message: 'ignored' });
      expect(off.parameters).toEqual({ RemovePolicy: 'Y' });
      expect(planQuarantine(d, os, { clientId: 'C.1' }).parameters).toEqual({});
    },
  );

  it('refuses an OS without a quarantine artifact', () => {
    expect(() => planQuarantine(declared([]), 'freebsd', { clientId: 'C.1' })).toThrow(
      /No quarantine artifact/,
    );
  });

  it('quarantine() sends the planned collection for the OS the server reports', async () => {
    const { conn, sent } = recordingConn((q) =>
      q.vql.includes('clients(')
        ? [{ client_id: 'C.1', os_info: { system: 'linux' }, labels: [] }]
        : [
            {
              Result: {
                flow_id: 'F.Q',
                request: { client_id: 'C.1', artifacts: ['Linux.Remediation.Quarantine'] },
              },
            },
          ],
    );
    const r = await quarantine(conn, { clientId: 'C.1', message: 'hello' });
    expect(r).toMatchObject({ artifact: 'Linux.Remediation.Quarantine', flowId: 'F.Q' });
    const d = declared(['Linux.Remediation.Quarantine']);
    const plan = planQuarantine(d, 'linux', { clientId: 'C.1', message: 'hello' });
    expect(sent[1]).toEqual(plan.query);
    // Labelled as Velociraptor's own button does, so label:Quarantine finds it: after the collection.
    const labelled = sent.findIndex((q) => JSON.stringify(q) === JSON.stringify(plan.label.query));
    expect(labelled).toBeGreaterThan(1);
    expect(plan.label).toMatchObject({ op: 'set', label: 'Quarantine' });
    expect(planQuarantine(d, 'linux', { clientId: 'C.1', remove: true }).label.op).toBe('remove');
  });
});
