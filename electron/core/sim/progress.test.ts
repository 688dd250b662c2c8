/** Progress over time with a fake clock, collect → wait → results → download, hunts, GUI auth and stand-in agents. */
import { request } from 'node:https';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIClient } from '../../../proto/gen/proto/API';
import type { VFSFileBuffer__Output } from '../../../proto/gen/proto/VFSFileBuffer';
import { hashPassword } from '../pki/password-hash';
import { runAgent } from './agent';
import { startSimulator, type RunningSimulator } from './index';
import { connect, query } from './test-client';
import { readZipEntries } from '../files/index';

let clock = Date.UTC(2026, 5, 1, 12, 0, 0);
let sim: RunningSimulator;
let inv: APIClient;
let admin: APIClient;

beforeAll(async () => {
  sim = await startSimulator({ now: () => clock, speed: 1 });
  inv = connect(await sim.mintApiConfig('investigator1', ['investigator', 'api']));
  admin = connect(await sim.mintApiConfig('admin', ['administrator']));
});
afterAll(async () => {
  inv.close();
  admin.close();
  await sim.stop();
});

async function one(
  client: APIClient,
  vql: string,
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const r = await query(client, vql, { env: Object.entries(env).map(([key, value]) => ({ key, value })) });
  expect(r.error).toBeNull();
  return r.rows[0] ?? {};
}

async function readAll(client: APIClient, components: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = 0, i = 0; i < 100; i++) {
    const res = await new Promise<VFSFileBuffer__Output>((resolve, reject) =>
      client.VFSGetBuffer({ components, offset, length: 4096 }, (e, r) =>
        e || !r ? reject(e ?? new Error('no response')) : resolve(r),
      ),
    );
    if (res.data.length === 0) break;
    parts.push(res.data);
    offset += res.data.length;
  }
  return Buffer.concat(parts);
}

describe('a collection moves WAITING → IN_PROGRESS → FINISHED on the injected clock', () => {
  it('collect, watch state, read results by Artifact/Source, download a real zip', async () => {
    const c = await one(inv, "SELECT client_id FROM clients(search='host:WKS-FIN-001')");
    const clientId = String(c.client_id);
    const online = await one(
      inv,
      'SELECT now() - last_seen_at / 1000000 < 900 AS Online FROM clients(client_id=C)',
      { C: clientId },
    );
    expect(online.Online).toBe(true);
    const started = await one(
      inv,
      "SELECT collect_client(client_id=C, artifacts=['Generic.Client.Info', 'Windows.System.Pslist'], env=dict(ProcessRegex='.')) AS Flow FROM scope()",
      { C: clientId },
    );
    const flow = started.Flow as {
      flow_id: string;
      request: { client_id: string; artifacts: string[]; creator: string };
    };
    expect(flow.flow_id).toMatch(/^F\.[A-Z2-7]{13}$/);
    expect(flow.request).toMatchObject({
      client_id: clientId,
      artifacts: ['Generic.Client.Info', 'Windows.System.Pslist'],
      creator: 'investigator1',
    });
    const state = async (): Promise<string> =>
      String(
        (await one(inv, 'SELECT state FROM flows(client_id=C, flow_id=F)', { C: clientId, F: flow.flow_id }))
          .state,
      );
    expect(await state()).toBe('WAITING');
    clock += 2_000;
    expect(await state()).toBe('IN_PROGRESS');
    clock += 5_000;
    expect(await state()).toBe('FINISHED');

    const basic = await query(
      inv,
      "SELECT * FROM source(client_id=C, flow_id=F, artifact='Generic.Client.Info/BasicInformation')",
      {
        env: [
          { key: 'C', value: clientId },
          { key: 'F', value: flow.flow_id },
        ],
      },
    );
    expect(basic.rows[0]).toMatchObject({ Hostname: 'WKS-FIN-001', OS: 'windows' });
    const procs = await query(
      inv,
      "SELECT Name, CommandLine FROM source(client_id=C, flow_id=F, artifact='Windows.System.Pslist')",
      {
        env: [
          { key: 'C', value: clientId },
          { key: 'F', value: flow.flow_id },
        ],
      },
    );
    expect(procs.rows.map((r) => r.Name)).toContain('lsass.exe');
    const logs = await query(inv, 'SELECT message FROM flow_logs(client_id=C, flow_id=F)', {
      env: [
        { key: 'C', value: clientId },
        { key: 'F', value: flow.flow_id },
      ],
    });
    expect(logs.rows.length).toBeGreaterThan(1);

    const dl = await one(
      inv,
      'SELECT create_flow_download(client_id=C, flow_id=F, wait=TRUE).Components AS C2 FROM scope()',
      { C: clientId, F: flow.flow_id },
    );
    const components = dl.C2 as string[];
    expect(components.slice(0, 3)).toEqual(['downloads', clientId, flow.flow_id]);
    const zip = readZipEntries(await readAll(inv, components));
    const pslist =
      zip.get(`${clientId}/${flow.flow_id}/results/Windows.System.Pslist.json`)?.toString() ?? '';
    expect(pslist.trim().split('\n')).toHaveLength(procs.rows.length);
    expect(zip.has(`${clientId}/${flow.flow_id}/results/Generic.Client.Info/BasicInformation.json`)).toBe(
      true,
    );
  });

  it('watch_monitoring(System.Flow.Completion) delivers the completion; cancel_flow ends a collection in ERROR', async () => {
    const c = await one(inv, "SELECT client_id FROM clients(search='host:web-prod-01')");
    const clientId = String(c.client_id);
    const f = await one(
      inv,
      "SELECT collect_client(client_id=C, artifacts='Linux.Sys.Pslist').flow_id AS F FROM scope()",
      { C: clientId },
    );
    const watching = query(
      inv,
      "SELECT FlowId, ClientId, Flow.state AS State FROM watch_monitoring(artifact='System.Flow.Completion') WHERE FlowId = F LIMIT 1",
      { env: [{ key: 'F', value: String(f.F) }], timeout: 20, max_wait: 1 },
    );
    await new Promise((r) => setTimeout(r, 300));
    clock += 10_000;
    const w = await watching;
    // The event's Flow is proto-JSON: the state is its enum number (2 = FINISHED).
    expect(w.rows).toEqual([{ FlowId: f.F, ClientId: clientId, State: 2 }]);

    const g = await one(
      inv,
      "SELECT collect_client(client_id=C, artifacts='Linux.Sys.Pslist').flow_id AS F FROM scope()",
      { C: clientId },
    );
    await one(inv, 'SELECT cancel_flow(client_id=C, flow_id=F) AS X FROM scope()', {
      C: clientId,
      F: String(g.F),
    });
    const st = await one(inv, 'SELECT state, status FROM flows(client_id=C, flow_id=F)', {
      C: clientId,
      F: String(g.F),
    });
    expect(st).toEqual({ state: 'ERROR', status: 'Cancelled by investigator1' });
  });

  it('seeded flows exist in every state', async () => {
    const r = await query(
      admin,
      'SELECT * FROM foreach(row={SELECT client_id FROM clients()}, query={SELECT state FROM flows(client_id=client_id)})',
    );
    expect(new Set(r.rows.map((x) => x.state))).toEqual(
      new Set(['FINISHED', 'WAITING', 'IN_PROGRESS', 'ERROR', 'UNRESPONSIVE', 'RUNNING']),
    );
  });

  it('a hunt grows its stats over time; os= wins over include_labels; a past expiry gives NULL; hunt_update stops it', async () => {
    const past = await one(
      inv,
      "SELECT hunt(description='x', artifacts='Generic.Client.Info', expires=now() - 10) AS H FROM scope()",
    );
    expect(past.H).toBeNull();
    const h = await one(
      inv,
      "SELECT hunt(description='Linux processes', artifacts='Linux.Sys.Pslist', os='linux', include_labels='Finance', expires=now() + 3600) AS H FROM scope()",
    );
    const hunt = h.H as { HuntId: string; Request: { state: string; condition: unknown } };
    expect(hunt.Request.state).toBe('RUNNING');
    // As the real server: the OS replaces the condition (the include label is dropped); hunt()
    // answers in proto-JSON (only the set fields), hunts() rows carry every field.
    expect(hunt.Request.condition).toEqual({ os: { os: 'LINUX' } });
    expect((await one(inv, 'SELECT condition FROM hunts(hunt_id=H)', { H: hunt.HuntId })).condition).toEqual({
      excluded_labels: { label: [] },
      labels: { label: [] },
      os: { os: 'LINUX' },
    });
    const stats = async (): Promise<{ total_clients_scheduled: number; total_finished_clients: number }> =>
      (await one(inv, 'SELECT stats FROM hunts(hunt_id=H)', { H: hunt.HuntId })).stats as {
        total_clients_scheduled: number;
        total_finished_clients: number;
      };
    const s0 = await stats();
    clock += 2_000;
    const s1 = await stats();
    clock += 30_000;
    const s2 = await stats();
    expect(s1.total_clients_scheduled).toBeGreaterThan(s0.total_clients_scheduled);
    expect(s2.total_finished_clients).toBeGreaterThan(s1.total_finished_clients);
    expect(s2.total_finished_clients).toBe(s2.total_clients_scheduled);
    const results = await query(
      inv,
      "SELECT ClientId, FlowId, Fqdn, Name FROM hunt_results(hunt_id=H, artifact='Linux.Sys.Pslist')",
      { env: [{ key: 'H', value: hunt.HuntId }] },
    );
    expect(results.rows.length).toBeGreaterThan(0);
    expect(results.rows.every((r) => String(r.Fqdn).endsWith('.corp.example'))).toBe(true);
    const flows = await query(inv, 'SELECT FlowId FROM hunt_flows(hunt_id=H)', {
      env: [{ key: 'H', value: hunt.HuntId }],
    });
    expect(flows.rows).toHaveLength(s2.total_clients_scheduled);
    await one(inv, 'SELECT hunt_update(hunt_id=H, stop=TRUE, description="done") AS U FROM scope()', {
      H: hunt.HuntId,
    });
    expect(
      await one(inv, 'SELECT state, hunt_description FROM hunts(hunt_id=H)', { H: hunt.HuntId }),
    ).toEqual({ state: 'STOPPED', hunt_description: 'done' });
    const dl = await one(
      inv,
      'SELECT create_hunt_download(hunt_id=H, wait=TRUE).Components AS C FROM scope()',
      { H: hunt.HuntId },
    );
    // As on the real server, the components name the zip without its `.zip` (issue 12 item 8).
    const given = dl.C as string[];
    expect(given.at(-1)).toBe(hunt.HuntId);
    const zip = readZipEntries(await readAll(inv, [...given.slice(0, -1), `${hunt.HuntId}.zip`]));
    expect([...zip.keys()].filter((k) => k.endsWith('Linux.Sys.Pslist.json'))).toHaveLength(
      s2.total_clients_scheduled,
    );
  });

  it('server artifacts produce stand-in files in the flow uploads', async () => {
    const f = await one(
      admin,
      "SELECT collect_client(client_id='server', artifacts='Server.Utils.CreateMSI', env=dict(AlsoBuild_x86='Y')).flow_id AS F FROM scope()",
    );
    clock += 5_000;
    const ups = await query(
      admin,
      "SELECT Upload.Components AS C, client_path FROM uploads(client_id='server', flow_id=F)",
      { env: [{ key: 'F', value: String(f.F) }] },
    );
    expect(ups.rows.map((r) => r.client_path)).toEqual([
      '/server_artifacts/Server.Utils.CreateMSI/velociraptor-v0.77.2-windows-amd64.STAND-IN.msi',
      '/server_artifacts/Server.Utils.CreateMSI/velociraptor-v0.77.2-windows-386.STAND-IN.msi',
    ]);
    expect((await readAll(admin, ups.rows[0]?.C as string[])).toString()).toMatch(
      /^STAND-IN FILE produced by the Megaraptor Velociraptor simulator/,
    );
  });

  it('label set / check / remove, and an empty op changes nothing', async () => {
    const c = String((await one(inv, "SELECT client_id FROM clients(search='host:MBP-BOB')")).client_id);
    await one(inv, "SELECT label(client_id=C, labels='Triage', op='set') FROM scope()", { C: c });
    expect(
      (await one(inv, "SELECT label(client_id=C, labels='Triage', op='check') AS X FROM scope()", { C: c }))
        .X,
    ).toEqual({ ClientId: c, Labels: ['Triage'], Op: 'check' });
    await one(inv, "SELECT label(client_id=C, labels='Triage') FROM scope()", { C: c });
    expect((await query(inv, "SELECT client_id FROM clients(search='label:triage')")).rows).toEqual([
      { client_id: c },
    ]);
    await one(inv, "SELECT label(client_id=C, labels='Triage', op='remove') FROM scope()", { C: c });
    expect((await query(inv, "SELECT client_id FROM clients(search='label:triage')")).rows).toEqual([]);
  });
});

function httpsGet(
  port: number,
  ca: string,
  auth?: string,
): Promise<{ status: number; body: string; wwwAuth?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/whoami',
        ca,
        servername: 'VelociraptorServer',
        checkServerIdentity: () => undefined,
        headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, wwwAuth: res.headers['www-authenticate'] }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('GUI port and stand-in agents', () => {
  it('GUI Basic auth against GUI.initial_users; enrolment of two stand-in agents', async () => {
    const hash = hashPassword('correct horse');
    const { createCertificateAuthority } = await import('../pki/certificates');
    const ca = await createCertificateAuthority();
    const config = stringify({
      Client: { ca_certificate: ca.certificatePem, nonce: 'N0nce', server_urls: ['https://127.0.0.1:1/'] },
      CA: { private_key: ca.privateKeyPem },
      GUI: { initial_users: [{ name: 'admin', ...hash }] },
    });
    const s = await startSimulator({ serverConfig: config });
    try {
      expect(s.caCertificatePem).toBe(ca.certificatePem);
      const bad = await httpsGet(s.guiPort, s.caCertificatePem, 'admin:wrong');
      expect(bad.status).toBe(401);
      expect(bad.wwwAuth).toMatch(/^Basic /);
      expect((await httpsGet(s.guiPort, s.caCertificatePem)).status).toBe(401);
      const good = await httpsGet(s.guiPort, s.caCertificatePem, 'admin:correct horse');
      expect(good.status).toBe(200);
      expect(JSON.parse(good.body)).toMatchObject({ simulator: true, user: 'admin' });

      const agentConfig = {
        serverUrls: [`https://127.0.0.1:${s.frontendPort}/`],
        caCertificatePem: ca.certificatePem,
        nonce: 'N0nce',
        labels: [],
        writeback: {},
      };
      const a1 = await runAgent(
        agentConfig,
        {
          hostname: 'agent-one',
          os: 'linux',
          release: 'debian 12',
          machine: 'x86_64',
          fqdn: 'agent-one.lab',
          mac: '02:00:00:00:00:01',
        },
        60_000,
      );
      const a2 = await runAgent(
        agentConfig,
        {
          hostname: 'AGENT-TWO',
          os: 'windows',
          release: 'Windows 11',
          machine: 'x86_64',
          fqdn: 'agent-two.lab',
          mac: '02:00:00:00:00:02',
        },
        60_000,
      );
      a1.stop();
      a2.stop();
      await expect(
        runAgent(
          { ...agentConfig, nonce: 'wrong' },
          { hostname: 'x', os: 'linux', release: '', machine: '', fqdn: 'x', mac: '' },
        ),
      ).rejects.toThrow(/nonce/);
      const c = connect(await s.mintApiConfig('admin', ['administrator']));
      const r = await query(
        c,
        "SELECT client_id, os_info.hostname AS H, os_info.system AS OS FROM clients(search='host:agent*') ORDER BY H",
      );
      expect(r.rows).toEqual([
        { client_id: a2.clientId, H: 'AGENT-TWO', OS: 'windows' },
        { client_id: a1.clientId, H: 'agent-one', OS: 'linux' },
      ]);
      c.close();
    } finally {
      await s.stop();
    }
  });
});
