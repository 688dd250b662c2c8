/** A corpus of responder-style VQL, run through the real parser + evaluator (in-process query runner). */
import { describe, expect, it } from 'vitest';
import { FileStore } from '../filestore';
import { runQuery, type QueryResponseMessage } from '../query-stream';
import { serverPlugins } from '../server/index';
import { UserStore } from '../users';
import { World } from '../world';
import { builtinFunctions, builtinPlugins } from './builtins';
import { parseVql } from './parser';
import { VqlSyntaxError } from '../../../../shared/vql/lexer';
import { build, labels, vql } from '../../velociraptor/vql/builder';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const world = new World(() => NOW, 1000, new FileStore(mkdtempSync(join(tmpdir(), 'sim-corpus-'))));
const users = new UserStore();
users.grant('alice', ['administrator']);
const server = serverPlugins({ world, users, startMs: NOW, clientConfig: () => 'Client: {}\n' });
const plugins = new Map([...builtinPlugins, ...server.plugins].map((p) => [p.name, p]));
const functions = new Map([...builtinFunctions, ...server.functions].map((f) => [f.name, f]));

async function run(
  vql: string,
  env: Record<string, string> = {},
): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  const messages: QueryResponseMessage[] = [];
  await runQuery(
    {
      Query: [{ Name: '', VQL: vql }],
      env: Object.entries(env).map(([key, value]) => ({ key, value })),
      max_row: 10_000,
      max_wait: 10,
      timeout: 0,
      org_id: 'root',
    },
    { write: (m) => void messages.push(m) },
    {
      user: 'alice',
      orgId: 'root',
      now: () => NOW,
      signal: new AbortController().signal,
      hasPermission: (p) => users.has('alice', 'root', p),
      profile: world.profile,
      plugins,
      functions,
    },
  );
  return {
    rows: messages
      .filter((m) => m.log === '')
      .flatMap((m) => JSON.parse(m.Response) as Array<Record<string, unknown>>),
    logs: messages.filter((m) => m.log !== '').map((m) => m.log),
  };
}

describe('parser', () => {
  it('parses statements and reports syntax errors with a position', () => {
    expect(
      parseVql(
        "LET x = SELECT * FROM info() SELECT a.b[0] AS c FROM x WHERE c =~ 'y' ORDER BY c DESC LIMIT 3",
      ).map((s) => s.kind),
    ).toEqual(['let', 'select']);
    expect(() => parseVql('SELECT FROM')).toThrow(VqlSyntaxError);
    expect(() => parseVql("SELECT 'unterminated FROM scope()")).toThrow(/1:8: lexer: invalid input text/);
    expect(() => parseVql('SELECT * FROM scope() WHERE')).toThrow(/1:\d+: unexpected end of input/);
  });
});

describe('evaluator corpus', () => {
  const cases: Array<
    [string, string, (r: { rows: Array<Record<string, unknown>>; logs: string[] }) => void]
  > = [
    [
      'literals',
      "SELECT 1 AS I, 1.5 AS F, 'a\\'b' AS S, \"dq\" AS D, TRUE AS T, NULL AS N, [1, 'x'] AS L FROM scope()",
      (r) => expect(r.rows).toEqual([{ I: 1, F: 1.5, S: "a'b", D: 'dq', T: true, N: null, L: [1, 'x'] }]),
    ],
    [
      'arithmetic and precedence',
      'SELECT 1 + 2 * 3 AS A, (1 + 2) * 3 AS B, 10 / 4 AS C, 7 - 10 AS D, -3 AS E FROM scope()',
      (r) => expect(r.rows).toEqual([{ A: 7, B: 9, C: 2.5, D: -3, E: -3 }]),
    ],
    ['string concat', "SELECT 'a' + 'b' AS X FROM scope()", (r) => expect(r.rows[0]).toEqual({ X: 'ab' })],
    [
      'comparisons',
      "SELECT 1 < 2 AS A, 2 <= 2 AS B, 3 > 4 AS C, 'a' != 'b' AS D, 4 >= 5 AS E, 'x' = 'x' AS F FROM scope()",
      (r) => expect(r.rows[0]).toEqual({ A: true, B: true, C: false, D: true, E: false, F: true }),
    ],
    [
      'boolean logic',
      'SELECT TRUE AND FALSE AS A, TRUE OR FALSE AS B, NOT TRUE AS C, NOT (1 = 2) AS D FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ A: false, B: true, C: false, D: true }),
    ],
    [
      'regex is case-insensitive',
      "SELECT 'PowerShell.exe' =~ 'powershell' AS A, 'cmd' =~ '^pow' AS B FROM scope()",
      (r) => expect(r.rows[0]).toEqual({ A: true, B: false }),
    ],
    [
      'IN membership',
      "SELECT 'b' IN ('a', 'b') AS A, 3 IN [1, 2] AS B FROM scope()",
      (r) => expect(r.rows[0]).toEqual({ A: true, B: false }),
    ],
    [
      'dict and member access',
      "SELECT dict(a=1, b=dict(c='deep')).b.c AS X, [10, 20, 30][1] AS Y, [10, 20, 30][-1] AS Z FROM scope()",
      (r) => expect(r.rows[0]).toEqual({ X: 'deep', Y: 20, Z: 30 }),
    ],
    [
      'functions',
      "SELECT upcase(string='ab') AS U, lowcase(string='CD') AS L, len(list=[1,2,3]) AS N, int(int='42') AS I, str(str=5) AS S, format(format='%v-%05d-%s', args=['x', 42, 'y']) AS F FROM scope()",
      (r) => expect(r.rows[0]).toEqual({ U: 'AB', L: 'cd', N: 3, I: 42, S: '5', F: 'x-00042-y' }),
    ],
    [
      'parse_json and timestamp',
      'SELECT parse_json(data=\'{"a": [1, 2]}\').a[1] AS A, timestamp(epoch=1700000000) AS T, timestamp(epoch=1700000000123456) AS TU FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ A: 2, T: '2023-11-14T22:13:20Z', TU: '2023-11-14T22:13:20.123Z' }),
    ],
    [
      'now() is the injected clock in seconds',
      'SELECT now() AS N FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ N: NOW / 1000 }),
    ],
    ['whoami', 'SELECT whoami() FROM scope()', (r) => expect(r.rows[0]).toEqual({ 'whoami()': 'alice' })],
    [
      'WHERE over a plugin',
      "SELECT os_info.hostname AS H FROM clients() WHERE os_info.system = 'linux' AND H =~ '^web'",
      (r) => expect(r.rows.map((x) => x.H)).toEqual(['web-prod-01', 'web-prod-02', 'web-prod-03']),
    ],
    [
      'ORDER BY DESC and LIMIT',
      "SELECT os_info.hostname AS H FROM clients() WHERE os_info.system = 'darwin' ORDER BY H DESC LIMIT 2",
      (r) => expect(r.rows.map((x) => x.H)).toEqual(['MBP-MALLORY', 'MBP-IVAN']),
    ],
    [
      'GROUP BY with count()',
      'SELECT os_info.system AS OS, count() AS Count FROM clients() GROUP BY OS ORDER BY OS',
      (r) =>
        expect(r.rows).toEqual([
          // The pseudo-client "server" (the seeded history has server collections), no OS, as on
          // the real server.
          { OS: '', Count: 1 },
          { OS: 'darwin', Count: 12 },
          { OS: 'linux', Count: 16 },
          { OS: 'windows', Count: 28 },
        ]),
    ],
    [
      'count() without GROUP BY is a running count',
      'SELECT count() AS N FROM range(end=3)',
      (r) => expect(r.rows.map((x) => x.N)).toEqual([1, 2, 3]),
    ],
    [
      'LET lazy and materialised',
      'LET a = SELECT * FROM range(end=2) LET b <= SELECT * FROM range(end=3) SELECT len(list=a) AS A, len(list=b) AS B FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ A: 2, B: 3 }),
    ],
    [
      'FROM a LET variable',
      "LET hosts = SELECT os_info.hostname AS H FROM clients() WHERE H =~ 'DC0' SELECT * FROM hosts",
      (r) => expect(r.rows).toEqual([{ H: 'DC01' }, { H: 'DC02' }]),
    ],
    [
      'LET expression and stored function',
      'LET x = 40 LET add(a, b) = a + b SELECT add(a=x, b=2) AS S FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ S: 42 }),
    ],
    [
      'foreach over a query',
      'SELECT * FROM foreach(row={SELECT * FROM range(end=2)}, query={SELECT _value * 10 AS V FROM scope()})',
      (r) => expect(r.rows).toEqual([{ V: 0 }, { V: 10 }]),
    ],
    [
      'subquery as a value',
      'SELECT {SELECT * FROM range(end=2)} AS Q FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ Q: [{ _value: 0 }, { _value: 1 }] }),
    ],
    [
      'env values are strings',
      'SELECT Host, Host + "!" AS H2 FROM scope()',
      (r) => expect(r.rows[0]).toEqual({ Host: 'DC01', H2: 'DC01!' }),
    ],
    [
      'clients(search=) label',
      "SELECT count() AS N FROM clients(search='label:DomainControllers') GROUP BY 1",
      (r) => expect(r.rows[0]).toEqual({ N: 2 }),
    ],
    [
      'clients(search=) bare term means host:',
      "SELECT os_info.hostname AS H FROM clients(search='sql*')",
      (r) => expect(r.rows.map((x) => x.H)).toEqual(['SQL01', 'SQL02']),
    ],
    [
      'clients(search=) label:none',
      "SELECT labels FROM clients(search='label:none')",
      (r) => {
        expect(r.rows.length).toBeGreaterThan(0);
        expect(r.rows.every((x) => (x.labels as unknown[]).length === 0)).toBe(true);
      },
    ],
    [
      'first_seen_at seconds, last_seen_at microseconds',
      'SELECT first_seen_at, last_seen_at FROM clients() LIMIT 1',
      (r) => {
        expect(String(r.rows[0]?.first_seen_at)).toHaveLength(10);
        expect(String(r.rows[0]?.last_seen_at)).toHaveLength(16);
      },
    ],
    [
      'online ≈ seen in the last 15 minutes: some online, some offline',
      'SELECT now() - last_seen_at / 1000000 < 900 AS Online, count() AS N FROM clients() GROUP BY Online ORDER BY Online',
      (r) => {
        expect(r.rows).toHaveLength(2);
      },
    ],
    [
      'artifact_definitions names and sources',
      "SELECT name, sources.name AS Sources, parameters.name AS Params FROM artifact_definitions(names='Generic.Client.Info')",
      (r) =>
        expect(r.rows).toEqual([
          {
            name: 'Generic.Client.Info',
            Sources: ['BasicInformation', 'DetailedInfo', 'LinuxInfo', 'WindowsInfo', 'Users'],
            Params: [],
          },
        ]),
    ],
    [
      'artifact_definitions deps',
      "SELECT name FROM artifact_definitions(names='Generic.System.Pstree', deps=TRUE) ORDER BY name",
      (r) => expect(r.rows.map((x) => x.name)).toEqual(['Generic.System.Pslist', 'Generic.System.Pstree']),
    ],
    [
      'hunts have stats and states',
      'SELECT state, count() AS N FROM hunts() GROUP BY state ORDER BY state',
      (r) => expect(r.rows.map((x) => x.state)).toEqual(['ARCHIVED', 'PAUSED', 'RUNNING', 'STOPPED']),
    ],
    ['orgs', 'SELECT OrgId FROM orgs()', (r) => expect(r.rows.map((x) => x.OrgId)).toEqual(['root', 'O123'])],
    [
      'help lists real plugin names',
      "SELECT name FROM help() WHERE name IN ('clients', 'collect_client', 'source', 'hunt')",
      (r) =>
        expect(r.rows.map((x) => x.name).sort()).toEqual(['clients', 'collect_client', 'hunt', 'source']),
    ],
    [
      'symbol not found',
      'SELECT Missing FROM scope()',
      (r) => {
        expect(r.rows).toEqual([{ Missing: null }]);
        expect(
          r.logs.some((l) => l.startsWith('ERROR:Symbol Missing not found. Current Scope is [NULL, Host]')),
        ).toBe(true);
      },
    ],
    [
      'plugin not found suggests similar names',
      'SELECT * FROM client()',
      (r) =>
        // vfilter lists every plugin whose name contains the word, sorted (scope/dispatcher.go).
        expect(
          r.logs.some((l) =>
            l.startsWith('ERROR:Plugin client not found. Did you mean client_delete clients'),
          ),
        ).toBe(true),
    ],
    [
      'calling a function as a plugin',
      'SELECT * FROM whoami()',
      (r) =>
        expect(
          r.logs.some((l) =>
            l.includes(
              'There is a VQL function called "whoami" - did you mean to call this function instead?',
            ),
          ),
        ).toBe(true),
    ],
    [
      'arg type errors',
      "SELECT int(int='x') AS A, len() AS B FROM scope()",
      (r) => {
        expect(r.logs).toContain('len: Field list is required\n');
        expect(r.rows[0]).toEqual({ A: 0, B: null });
      },
    ],
    [
      'comments are ignored',
      '-- a comment\nSELECT 1 AS X /* inline */ FROM scope() // trailing',
      (r) => expect(r.rows).toEqual([{ X: 1 }]),
    ],
  ];
  it.each(cases)('%s', async (_name, vql, check) => {
    check(await run(vql, { Host: 'DC01' }));
  });

  it("decodes the VQL builder's lists with parse_json_array, as Velociraptor does", async () => {
    const q = build(vql`SELECT ${labels(['Case 42', 'x'])} AS L FROM scope()`);
    expect(q.vql).toBe('SELECT parse_json_array(data=MrArg0) AS L FROM scope()');
    expect((await run(q.vql, q.env)).rows).toEqual([{ L: ['Case 42', 'x'] }]);
    const notList = await run('SELECT parse_json_array(data=\'{"v": 1}\') AS L FROM scope()');
    expect(notList.rows).toEqual([{ L: null }]);
    expect(notList.logs.some((l) => l.includes('parse_json_array: the data is not a JSON array'))).toBe(true);
  });

  it('hostile strings appear in generated triage rows (for inertness tests)', async () => {
    const r = await run(
      "SELECT * FROM source(client_id=C, flow_id=F, artifact='Linux.Sys.Crontab/CronTabs')",
      await (async () => {
        const c = await run("SELECT client_id FROM clients(search='host:web-prod-02')");
        const clientId = String(c.rows[0]?.client_id);
        const f = await run(
          "SELECT session_id FROM flows(client_id=C) WHERE 'Linux.Sys.Crontab' IN request.artifacts",
          { C: clientId },
        );
        return { C: clientId, F: String(f.rows[0]?.session_id) };
      })(),
    );
    expect(JSON.stringify(r.rows)).toMatch(/=cmd\|/);
  });
});
