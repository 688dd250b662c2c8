/** The facts of docs/velociraptor/ (API config and TLS, query streaming, permissions), each checked over real gRPC + mTLS with a client built from proto/load.ts. */
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIClient } from '../../../proto/gen/proto/API';
import type { VFSFileBuffer__Output } from '../../../proto/gen/proto/VFSFileBuffer';
import { startSimulator, type RunningSimulator } from './index';
import { connect, query } from './test-client';

let sim: RunningSimulator;
let admin: APIClient;
let api: APIClient;
let analyst: APIClient;
let reader: APIClient;

beforeAll(async () => {
  sim = await startSimulator({ speed: 1000 });
  admin = connect(await sim.mintApiConfig('admin', ['administrator']));
  api = connect(await sim.mintApiConfig('apiuser', ['api']));
  analyst = connect(await sim.mintApiConfig('analyst1', ['analyst']));
  reader = connect(await sim.mintApiConfig('reader1', ['reader']));
});
afterAll(async () => {
  for (const c of [admin, api, analyst, reader]) c.close();
  await sim.stop();
});

function getBuffer(
  client: APIClient,
  req: { components?: string[]; client_id?: string; offset?: number; length?: number },
): Promise<{ err: grpc.ServiceError | null; res?: VFSFileBuffer__Output }> {
  return new Promise((resolve) => client.VFSGetBuffer(req, (err, res) => resolve({ err, res })));
}

describe('TLS and identity (api-client-config.md)', () => {
  it('minted API config has exactly the keys Velociraptor writes, in order', async () => {
    const yaml = await sim.mintApiConfig('keys-check', ['api']);
    expect(Object.keys(parse(yaml) as object)).toEqual([
      'ca_certificate',
      'client_cert',
      'client_private_key',
      'api_connection_string',
      'name',
    ]);
    expect(yaml).toContain('-----BEGIN RSA PRIVATE KEY-----');
  });

  it('refuses a client without a certificate', async () => {
    const noCert = connect(await sim.mintApiConfig('nocert', ['api']), false);
    const r = await query(noCert, 'SELECT * FROM scope()');
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    noCert.close();
  });

  it('Check answers SERVING without an ACL check', async () => {
    const status = await new Promise<string>((resolve, reject) =>
      reader.Check({ service: '' }, (e, r) => (e ? reject(e) : resolve(String(r?.status)))),
    );
    expect(status).toBe('SERVING');
  });

  it('a certificate whose user does not exist gets "User not found" (UNKNOWN)', async () => {
    const ghost = connect(await sim.mintApiConfig('ghost', null));
    const r = await query(ghost, 'SELECT * FROM scope()');
    expect(r.error?.code).toBe(grpc.status.UNKNOWN);
    expect(r.error?.details).toMatch(/User not found/);
    ghost.close();
  });

  it('an expired client certificate is refused by the TLS layer', async () => {
    const expired = connect(
      await sim.mintApiConfig('expired', ['api'], {
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        validityDays: 1,
      }),
    );
    const r = await query(expired, 'SELECT * FROM scope()');
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(sim.receivedQueries().some((q) => q.user === 'expired')).toBe(false);
    expired.close();
  });

  it('whoami() is the certificate CN', async () => {
    const r = await query(api, 'SELECT whoami() AS Me FROM scope()');
    expect(r.rows).toEqual([{ Me: 'apiuser' }]);
  });
});

describe('permissions (query-stream.md, vql.md, permissions.md)', () => {
  it('reader gets PermissionDenied for Query', async () => {
    const r = await query(reader, 'SELECT * FROM scope()');
    expect(r.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(r.error?.details).toBe(
      'Permission denied: User reader1 requires permission ANY_QUERY to run queries',
    );
  });

  it('grantRoles replaces roles; [] revokes everything', async () => {
    const yaml = await sim.mintApiConfig('temp', ['reader']);
    const c = connect(yaml);
    expect((await query(c, 'SELECT * FROM scope()')).error?.code).toBe(grpc.status.PERMISSION_DENIED);
    sim.grantRoles('temp', ['api']);
    expect((await query(c, 'SELECT * FROM scope()')).error).toBeNull();
    sim.grantRoles('temp', []);
    expect((await query(c, 'SELECT * FROM scope()')).error?.code).toBe(grpc.status.PERMISSION_DENIED);
    c.close();
  });

  it('info() needs MACHINE_STATE: api role gets the plugin log line and no rows, OK status', async () => {
    const r = await query(api, 'SELECT * FROM info()');
    expect(r.error).toBeNull();
    expect(r.logs).toContain('info: Permission denied: [MACHINE_STATE]\n');
    expect(r.rows).toEqual([]);
    const a = await query(admin, 'SELECT Hostname, Platform FROM info()');
    expect(String(a.rows[0]?.Platform)).toMatch(/simulator/i);
    expect(String(a.rows[0]?.Hostname)).toMatch(/simulator/i);
  });

  it.each([
    [
      'api',
      "SELECT collect_client(client_id=C, artifacts='Generic.Client.Info') AS F FROM scope()",
      'collect_client: Permission denied: [COLLECT_CLIENT]',
    ],
    [
      'api',
      "SELECT label(client_id=C, labels='x', op='set') AS L FROM scope()",
      'label: Permission denied: [LABEL_CLIENT]',
    ],
    [
      'analyst',
      "SELECT hunt(description='x', artifacts='Generic.Client.Info') AS H FROM scope()",
      'hunt: Permission denied: [START_HUNT]',
    ],
    [
      'api',
      "SELECT create_flow_download(client_id=C, flow_id='F.X') AS D FROM scope()",
      'create_flow_download: Permission denied: [PREPARE_RESULTS]',
    ],
    [
      'analyst',
      "SELECT collect_client(client_id='server', artifacts='Server.Utils.CreateMSI') AS F FROM scope()",
      'collect_client: Permission denied: [COLLECT_SERVER]',
    ],
    [
      'analyst',
      "SELECT user_create(user='x', roles='api') AS U FROM scope()",
      'user_create: Permission denied: [SERVER_ADMIN]',
    ],
  ])('%s: %s is denied with the plugin log line', async (role, vql, line) => {
    const client = role === 'api' ? api : analyst;
    const first = await query(admin, "SELECT client_id FROM clients(search='host:DC01')");
    const r = await query(client, vql, { env: [{ key: 'C', value: String(first.rows[0]?.client_id) }] });
    expect(r.error).toBeNull();
    expect(r.logs).toContain(`${line}\n`);
    expect(Object.values(r.rows[0] ?? {})).toEqual([null]);
  });

  it('unknown org is an error; "" and "root" are the root org', async () => {
    expect((await query(api, 'SELECT * FROM scope()', { org_id: 'root' })).error).toBeNull();
    expect((await query(api, 'SELECT * FROM scope()', { org_id: '' })).error).toBeNull();
    expect((await query(api, 'SELECT * FROM scope()', { org_id: 'O999' })).error).not.toBeNull();
    // Roles are per org: apiuser has none in O123.
    expect((await query(api, 'SELECT * FROM scope()', { org_id: 'O123' })).error?.code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
  });
});

describe('Query streaming (query-stream.md)', () => {
  it('empty Query list is an error', async () => {
    const r = await query(api, { Query: [], max_row: 10 });
    expect(r.error?.details).toBe('Query should be specified.');
  });

  it('log line formats, query_id counts LETs, part per statement, µs timestamps, LET yields no data', async () => {
    const before = Date.now() * 1000;
    const r = await query(api, {
      Query: [{ Name: 'Q', VQL: 'LET x = 1 SELECT * FROM range(end=5) SELECT x AS X FROM scope()' }],
      max_row: 2,
      max_wait: 10,
    });
    const after = Date.now() * 1000;
    expect(r.logs[0]).toBe('Starting query execution.\n');
    const sending = r.logs.filter((l) => l.includes('Sending response part'));
    expect(sending[0]).toMatch(/^Time \d+: Q: Sending response part 0 \d+ B \(2 rows\)\.\n$/);
    expect(
      r.data.map((d) => [Number(d.query_id), Number(d.part), (JSON.parse(d.Response) as unknown[]).length]),
    ).toEqual([
      [1, 0, 2],
      [1, 1, 2],
      [1, 2, 1],
      [2, 0, 1],
    ]);
    for (const m of r.messages) {
      expect(Number(m.timestamp)).toBeGreaterThanOrEqual(before - 1_000_000);
      expect(Number(m.timestamp)).toBeLessThanOrEqual(after + 1_000_000);
    }
    expect(r.data[0]?.Query?.Name).toBe('Q');
    expect(r.data[0]?.Columns).toEqual(['_value']);
    // Log messages carry nothing but timestamp and log.
    const logMsg = r.messages.find((m) => m.log !== '');
    expect(logMsg?.Response).toBe('');
    expect(logMsg?.Query).toBeNull();
  });

  it('a zero-row statement still ends with "[]" and no Columns', async () => {
    const r = await query(api, "SELECT * FROM clients(search='host:no-such-host')");
    expect(r.data).toHaveLength(1);
    expect(r.data[0]?.Response).toBe('[]');
    expect(r.data[0]?.Columns).toEqual([]);
    expect(r.logs).toContain('Time 0: test: Sending response part 0 2 B (0 rows).\n');
  });

  it('max_row = 0: an initial "[]" then one row per message', async () => {
    const r = await query(api, 'SELECT * FROM range(end=3)', { max_row: 0 });
    expect(r.data.map((d) => d.Response)).toEqual([
      '[]',
      '[{"_value":0}]',
      '[{"_value":1}]',
      '[{"_value":2}]',
    ]);
  });

  it('max_wait flushes buffered rows before the statement ends', async () => {
    const started = Date.now();
    const times: number[] = [];
    const r = await query(
      api,
      "SELECT * FROM chain(a={SELECT * FROM range(end=2)}, b={SELECT * FROM watch_monitoring(artifact='System.Flow.Completion')})",
      { max_row: 1000, max_wait: 1, timeout: 3 },
      (m) => {
        if (m.log === '' && m.Response !== '[]') times.push(Date.now() - started);
      },
    );
    expect(r.error).toBeNull();
    expect(r.rows.slice(0, 2)).toEqual([{ _value: 0 }, { _value: 1 }]);
    // Flushed by the 1 s ticker, long before the 3 s timeout ends the statement.
    expect(times[0]).toBeLessThan(2500);
  });

  it('timeout: the collect Timeout Error log line, then OK', async () => {
    const r = await query(api, "SELECT * FROM watch_monitoring(artifact='System.Flow.Completion')", {
      timeout: 1,
    });
    expect(r.error).toBeNull();
    expect(r.logs.at(-1)).toBe('collect: <red>Timeout Error:</> Collection timed out after 1s\n');
  });

  it('VQL errors are log lines with an OK status', async () => {
    const syntax = await query(api, 'SELECT FROM WHERE');
    expect(syntax.error).toBeNull();
    expect(syntax.logs.some((l) => /^VQL Error: .+\.\n$/.test(l))).toBe(true);
    const plugin = await query(api, 'SELECT * FROM no_such_plugin()');
    expect(plugin.error).toBeNull();
    expect(
      plugin.logs.some((l) => l.startsWith('ERROR:Plugin no_such_plugin not found. Current Scope is ')),
    ).toBe(true);
    const fn = await query(api, 'SELECT no_such_function() AS X FROM scope()');
    expect(
      fn.logs.some((l) => l.startsWith('ERROR:Symbol no_such_function not found. Current Scope is ')),
    ).toBe(true);
    expect(fn.rows).toEqual([{ X: null }]);
    const badArg = await query(admin, "SELECT hunt_update(hunt_id='H.X', state='PAUSED') AS U FROM scope()");
    expect(badArg.logs).toContain('hunt_update: Unexpected arg state\n');
    expect(badArg.rows).toEqual([{ U: null }]);
  });

  it('env values are strings in scope and are recorded with the request', async () => {
    const r = await query(api, 'SELECT Term, int(int=N) + 1 AS Next FROM scope()', {
      env: [
        { key: 'Term', value: "x' OR 1=1 --" },
        { key: 'N', value: '41' },
      ],
    });
    expect(r.rows).toEqual([{ Term: "x' OR 1=1 --", Next: 42 }]);
    const last = sim.receivedQueries().at(-1);
    expect(last?.user).toBe('apiuser');
    expect(last?.env).toEqual([
      { key: 'Term', value: "x' OR 1=1 --" },
      { key: 'N', value: '41' },
    ]);
    expect(last?.maxRow).toBe(1000);
  });

  it('cancellation stops server work', async () => {
    let seen = 0;
    await query(api, 'SELECT * FROM simulator_bulk_rows(rows=10000000)', { max_row: 1000 }, (m, call) => {
      if (m.log === '' && ++seen === 3) call.cancel();
    });
    // After the cancel the server stops producing: a fresh query is answered promptly.
    const t = Date.now();
    expect((await query(api, 'SELECT 1 AS One FROM scope()')).rows).toEqual([{ One: 1 }]);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(seen).toBeLessThan(1000);
  });

  it('bulk rows arrive in batches of 1000 with ~300-byte rows', async () => {
    const r = await query(api, 'SELECT * FROM simulator_bulk_rows(rows=5000)', { max_row: 1000 });
    expect(r.data.map((d) => (JSON.parse(d.Response) as unknown[]).length)).toEqual([
      1000, 1000, 1000, 1000, 1000,
    ]);
    const size = Buffer.byteLength(r.data[0]?.Response ?? '') / 1000;
    expect(size).toBeGreaterThan(250);
    expect(size).toBeLessThan(400);
  });
});

describe('VFSGetBuffer (api-service.md)', () => {
  it('reads uploads by components with offset/length; empty data is EOF; no pathspec is InvalidArgument', async () => {
    const host = await query(admin, "SELECT client_id FROM clients(search='host:WKS-FIN-002')");
    const clientId = String(host.rows[0]?.client_id);
    const flows = await query(
      admin,
      'SELECT session_id FROM flows(client_id=C) WHERE total_uploaded_files > 0',
      { env: [{ key: 'C', value: clientId }] },
    );
    const uploads = await query(admin, 'SELECT * FROM uploads(client_id=C, flow_id=F)', {
      env: [
        { key: 'C', value: clientId },
        { key: 'F', value: String(flows.rows[0]?.session_id) },
      ],
    });
    const up = uploads.rows[0] as { Upload: { Components: string[]; Size: number } };
    expect(up.Upload.Components[0]).toBe('clients');
    const whole = await getBuffer(api, { components: up.Upload.Components, offset: 0, length: 1 << 20 });
    expect(whole.err).toBeNull();
    expect(whole.res?.data.length).toBe(up.Upload.Size);
    const part = await getBuffer(api, { components: up.Upload.Components, offset: 5, length: 10 });
    expect(part.res?.data.toString()).toBe(whole.res?.data.subarray(5, 15).toString());
    const eof = await getBuffer(api, {
      components: up.Upload.Components,
      offset: up.Upload.Size,
      length: 10,
    });
    expect(eof.res?.data.length).toBe(0);
    const invalid = await getBuffer(api, { components: [] });
    expect(invalid.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(invalid.err?.details).toBe('Invalid pathspec');
    const denied = await getBuffer(connect(await sim.mintApiConfig('nobody', ['artifact_writer'])), {
      components: up.Upload.Components,
      length: 10,
    });
    expect(denied.err?.code).toBe(grpc.status.PERMISSION_DENIED);
  });
});
