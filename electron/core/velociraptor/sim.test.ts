/**
 * Every typed operation against the in-process simulator over real mTLS on loopback.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError, type AppError, type ErrorCode } from '../../../shared/errors';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { loadApiConfig } from './config/api-config';
import { channelOptions } from './client';
import { grpcTarget } from './config/connection-string';
import { VelociraptorConnection } from './connection';
import { createStub } from './query/wire';
import { ConnectionRegistry } from './registry';
import { VelociraptorService } from './service';
import { testConnection } from './test-connection';
import { build, str, vql, userQuery } from './vql/builder';

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'no-error'> {
  try {
    await p;
    return 'no-error';
  } catch (e) {
    if (isAppError(e)) return e.code;
    throw e;
  }
}

let sim: RunningSimulator;
let registry: ConnectionRegistry;
let svc: VelociraptorService;
let adminYaml: string;
let tmp: string;

beforeAll(async () => {
  sim = await startSimulator({ speed: 40 });
  adminYaml = await sim.mintApiConfig('admin', ['administrator']);
  registry = new ConnectionRegistry();
  registry.add('lab', adminYaml);
  svc = new VelociraptorService(registry.connection('lab'));
  // Roles are per org: make admin an administrator of O123 too (through the server's own VQL).
  await svc.runVql("SELECT user_grant(user='admin', roles=['administrator'], orgs=['O123']) FROM scope()");
  tmp = mkdtempSync(join(tmpdir(), 'mr-velo-test-'));
});

afterAll(async () => {
  registry.close();
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('connection and identity', () => {
  it('testConnection reports four passing steps with the user and roles', async () => {
    const report = await testConnection(loadApiConfig(adminYaml), { timeoutMs: 10_000 });
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['reachable', 'ok'],
      ['tls', 'ok'],
      ['identity', 'ok'],
      ['permissions', 'ok'],
    ]);
    expect(report.ok).toBe(true);
    expect(report.user).toBe('admin');
    expect(report.roles).toContain('administrator');
    for (const s of report.steps) expect(s.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('testConnection stops at the first failing step with an actionable message', async () => {
    const cfg = loadApiConfig(
      adminYaml.replace(/api_connection_string: .*/, 'api_connection_string: 127.0.0.1:1'),
    );
    const report = await testConnection(cfg, { timeoutMs: 5_000 });
    expect(report.ok).toBe(false);
    expect(report.steps[0]).toMatchObject({
      id: 'reachable',
      status: 'failed',
      errorCode: 'SERVER_UNREACHABLE',
    });
    expect(report.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
  });

  it('reuses one channel per endpoint + identity', async () => {
    await svc.whoami();
    await svc.whoami();
    const again = new VelociraptorService(registry.connection('lab', 'O123'));
    await again.whoami();
    expect(registry.openChannels()).toBe(1);
    registry.add('lab-copy', adminYaml);
    await new VelociraptorService(registry.connection('lab-copy')).whoami();
    expect(registry.openChannels()).toBe(1);
    registry.remove('lab-copy');
    expect(registry.openChannels()).toBe(1);
  });

  it('whoami, currentUser, serverInfo, orgs, users, help and completions', async () => {
    expect(await svc.whoami()).toBe('admin');
    expect((await svc.currentUser()).roles).toContain('administrator');
    const info = await svc.serverInfo();
    expect(info.hostname).toContain('simulator');
    const orgs = await svc.listOrgs();
    expect(orgs.map((o) => o.id)).toContain('O123');
    const users = await svc.listUsers({ allOrgs: true });
    expect(users.some((u) => u.name === 'admin' && u.roles.includes('administrator'))).toBe(true);
    const help = await svc.vqlHelp();
    expect(help.find((h) => h.name === 'clients')?.kind).toBe('plugin');
    expect(help.find((h) => h.name === 'whoami')?.kind).toBe('function');
    const c = await svc.completions('coll');
    expect(c.functions).toContain('collect_client');
    const a = await svc.completions('Windows.Sys');
    expect(a.artifacts.every((n) => n.startsWith('Windows.Sys'))).toBe(true);
    expect(a.artifacts.length).toBeGreaterThan(0);
  });

  it('a client without a certificate is refused', async () => {
    const cfg = loadApiConfig(adminYaml);
    const stub = createStub(
      grpcTarget(cfg.endpoint),
      credentials.createSsl(Buffer.from(cfg.caCertificatePem)),
      channelOptions(cfg),
    );
    const conn = new VelociraptorConnection('nocert', '', stub, cfg);
    try {
      const code = await codeOf(
        conn.queryRows(userQuery('SELECT whoami() FROM scope()'), { deadlineMs: 5_000 }),
      );
      expect(['TLS_HANDSHAKE_FAILED', 'SERVER_UNREACHABLE']).toContain(code);
      const e = await conn
        .queryRows(userQuery('SELECT 1 FROM scope()'), { deadlineMs: 5_000 })
        .catch((x: unknown) => x);
      expect((e as AppError).message).toMatch(/certificate/i);
    } finally {
      stub.close();
    }
  });

  it('a reader user gets PermissionDenied, and testConnection says so', async () => {
    registry.add('reader', await sim.mintApiConfig('reader1', ['reader']));
    const r = new VelociraptorService(registry.connection('reader'));
    const err = await r.whoami().catch((e: unknown) => e);
    expect(isAppError(err, 'PERMISSION_DENIED')).toBe(true);
    expect((err as AppError).message).toContain('ANY_QUERY');
    const report = await testConnection(loadApiConfig(await sim.mintApiConfig('reader2', ['reader'])));
    expect(report.steps.find((s) => s.id === 'identity')).toMatchObject({
      status: 'failed',
      errorCode: 'PERMISSION_DENIED',
    });
  });

  it('an unknown user is USER_UNKNOWN', async () => {
    registry.add('ghost', await sim.mintApiConfig('ghost', null));
    expect(await codeOf(new VelociraptorService(registry.connection('ghost')).whoami())).toBe('USER_UNKNOWN');
  });

  it('an expired client certificate is rejected at load with both dates', async () => {
    const yaml = await sim.mintApiConfig('old', ['api'], {
      notBefore: new Date('2021-03-01T00:00:00Z'),
      validityDays: 10,
    });
    let e: unknown;
    try {
      registry.add('old', yaml);
    } catch (x) {
      e = x;
    }
    expect(isAppError(e, 'CERT_EXPIRED')).toBe(true);
    expect((e as AppError).message).toContain('2021-03-01T00:00:00.000Z');
    expect((e as AppError).message).toContain('2021-03-11T00:00:00.000Z');
    expect(registry.has('old')).toBe(false);
  });
});

describe('queries', () => {
  it('VQL errors reported as log lines become typed errors; streaming callers see the log', async () => {
    expect(await codeOf(svc.runVql('SELECT * FROM no_such_plugin()'))).toBe('VQL_ERROR');
    expect(await codeOf(svc.runVql('SELEKT nonsense'))).toBe('VQL_ERROR');
    const events = [];
    for await (const ev of svc.streamVql('SELECT * FROM no_such_plugin()')) events.push(ev);
    expect(events.some((e) => e.type === 'log' && e.problem === 'VQL_ERROR')).toBe(true);
  });

  it('a permission error inside VQL becomes PERMISSION_DENIED', async () => {
    registry.add('api-only', await sim.mintApiConfig('apionly', ['api']));
    const s = new VelociraptorService(registry.connection('api-only'));
    expect(await codeOf(s.serverInfo())).toBe('PERMISSION_DENIED');
  });

  it('max_row is always sent and env carries user values, never the query text', async () => {
    const hostile = "x') FROM scope() SELECT * FROM info() --";
    const found = await svc.searchClients({ search: hostile });
    expect(found).toEqual([]);
    const q = sim.receivedQueries().at(-1);
    expect(q?.maxRow).toBe(1000);
    expect(q?.queries[0]?.VQL).not.toContain(hostile);
    expect(q?.env.map((e) => e.value)).toContain(hostile);
  });

  it('a query cancelled midway stops on the server', async () => {
    const clients = await svc.searchClients({ search: 'all', limit: 1 });
    const cid = clients[0]!.clientId;
    const ac = new AbortController();
    const q = build(
      vql`SELECT label(client_id=${str(cid)}, labels=[format(format='cancel-%d', args=_value)], op='set') AS L FROM range(start=0, end=5000000)`,
    );
    let batches = 0;
    const err = await (async () => {
      for await (const ev of registry.connection('lab').query(q, { signal: ac.signal, maxRow: 1 })) {
        if (ev.type === 'rows' && ev.rows.length > 0 && ++batches === 3) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(isAppError(err, 'CANCELLED')).toBe(true);
    const count = async (): Promise<number> =>
      (await svc.getClient(cid)).labels.filter((l) => l.startsWith('cancel-')).length;
    await new Promise((r) => setTimeout(r, 300));
    const a = await count();
    await new Promise((r) => setTimeout(r, 700));
    const b = await count();
    expect(b).toBe(a);
    expect(a).toBeLessThan(5_000_000);
    // Breaking out of the loop also ends the call.
    for await (const ev of svc.streamVql('SELECT * FROM range(start=0, end=5000000)', {}, { maxRow: 10 })) {
      if (ev.type === 'rows') break;
    }
  });

  it('the server dying midway gives a typed error, not a hang', async () => {
    const sim2 = await startSimulator({ speed: 40 });
    const reg = new ConnectionRegistry();
    try {
      reg.add('dying', await sim2.mintApiConfig('admin', ['administrator']));
      const conn = reg.connection('dying');
      const started = Date.now();
      const err = await (async () => {
        for await (const ev of conn.query(
          userQuery("SELECT * FROM watch_monitoring(artifact='System.Flow.Completion')"),
          { deadlineMs: 20_000 },
        )) {
          if (ev.type === 'log') sim2.kill();
        }
      })().catch((e: unknown) => e);
      expect(isAppError(err)).toBe(true);
      expect(['SERVER_UNREACHABLE', 'INTERNAL']).toContain((err as AppError).code);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      reg.close();
      sim2.kill();
    }
  });

  it('an idempotent read retries a bounded number of times when the server is down', async () => {
    const cfg = loadApiConfig(
      adminYaml.replace(/api_connection_string: .*/, 'api_connection_string: 127.0.0.1:1'),
    );
    const reg = new ConnectionRegistry();
    reg.addConfig('down', cfg);
    const t = Date.now();
    const code = await codeOf(
      reg
        .connection('down')
        .queryRows(userQuery('SELECT 1 FROM scope()'), { idempotent: true, attempts: 3, deadlineMs: 2_000 }),
    );
    reg.close();
    expect(code).toBe('SERVER_UNREACHABLE');
    expect(Date.now() - t).toBeGreaterThanOrEqual(700); // 250 + 500 ms of backoff
  });
});

describe('clients', () => {
  it('searches with label:/host:/all and computes online status from last_seen_at (µs)', async () => {
    const all = await svc.searchClients({ search: 'all', limit: 500 });
    expect(all.length).toBe(56);
    expect(all.some((c) => c.online)).toBe(true);
    expect(all.some((c) => !c.online)).toBe(true);
    for (const c of all) {
      expect(c.clientId).toMatch(/^C\.[0-9a-f]+$/);
      expect(Date.parse(c.firstSeen ?? '')).toBeLessThan(Date.now());
      if (c.online) expect(Date.now() - Date.parse(c.lastSeen ?? '')).toBeLessThan(15 * 60_000);
    }
    const servers = await svc.searchClients({ search: 'label:Servers' });
    expect(servers.length).toBeGreaterThan(0);
    expect(servers.every((c) => c.labels.some((l) => l.toLowerCase() === 'servers'))).toBe(true);
    const one = all[0]!;
    const byHost = await svc.searchClients({ search: `host:${one.hostname}` });
    expect(byHost.map((c) => c.clientId)).toContain(one.clientId);
    expect((await svc.searchClients({ search: 'all', onlineOnly: true })).every((c) => c.online)).toBe(true);
    expect((await svc.getClient(one.clientId)).hostname).toBe(one.hostname);
    expect(await codeOf(svc.getClient('C.ffffffffffffffff'))).toBe('NOT_FOUND');
    expect(await codeOf(svc.getClient("C.1' OR 1"))).toBe('INVALID_ARGUMENT');
  });

  it('adds and removes labels with an explicit op', async () => {
    const c = (await svc.searchClients({ search: 'all', limit: 3 }))[2]!;
    expect(await svc.setLabels(c.clientId, ['Case-42'], 'set')).toContain('Case-42');
    expect(await svc.setLabels(c.clientId, ['Case-42'], 'remove')).not.toContain('Case-42');
    const q = sim
      .receivedQueries()
      .filter((r) => r.queries[0]?.VQL.includes('label('))
      .at(-1);
    expect(q?.env.map((e) => e.value)).toContain('remove');
  });

  it('quarantines with the artifact for the client OS, and releases', async () => {
    const win = (await svc.searchClients({ search: 'all', onlineOnly: true, limit: 100 })).find(
      (c) => c.os === 'windows',
    )!;
    const r = await svc.quarantine({ clientId: win.clientId, message: 'IR in progress' });
    expect(r.artifact).toBe('Windows.Remediation.Quarantine');
    const sent = sim
      .receivedQueries()
      .filter((q) => q.queries[0]?.VQL.includes('collect_client'))
      .at(-1);
    const values = sent?.env.map((e) => e.value).join(' ') ?? '';
    expect(values).toContain('Windows.Remediation.Quarantine');
    expect(values).toContain('MessageBox');
    expect(values).toContain('IR in progress');
    expect(values).not.toContain('RemovePolicy');
    const status = await svc.waitForFlow(win.clientId, r.flowId, { timeoutMs: 30_000, pollMs: 200 });
    expect(status.state).toBe('FINISHED');
    expect(status.artifacts).toEqual(['Windows.Remediation.Quarantine']);
    const rows = await svc.flowResults({
      clientId: win.clientId,
      flowId: r.flowId,
      artifact: 'Windows.Remediation.Quarantine',
    });
    expect(rows.map((x) => x.Result)).toContain('VelociraptorQuarantine IPSec policy applied.');
    expect(rows.at(-1)?.Result).toBe('VelociraptorQuarantine connection test successful. MessageBox sent.');

    const off = await svc.quarantine({ clientId: win.clientId, remove: true });
    const sentOff = sim
      .receivedQueries()
      .filter((q) => q.queries[0]?.VQL.includes('collect_client'))
      .at(-1);
    expect(sentOff?.env.map((e) => e.value).join(' ')).toContain('RemovePolicy');
    expect((await svc.waitForFlow(win.clientId, off.flowId, { timeoutMs: 30_000, pollMs: 200 })).state).toBe(
      'FINISHED',
    );
    const offRows = await svc.flowResults({
      clientId: win.clientId,
      flowId: off.flowId,
      artifact: 'Windows.Remediation.Quarantine',
    });
    expect(offRows.map((x) => x.Result)).toEqual(['VelociraptorQuarantine IPSec policy removed.']);
  });

  it('quarantines Linux and macOS clients with their own artifacts', async () => {
    const all = await svc.searchClients({ search: 'all', onlineOnly: true, limit: 200 });
    for (const [os, artifact, last] of [
      ['linux', 'Linux.Remediation.Quarantine', 'vrr_quarantine_table connection test successful.'],
      [
        'darwin',
        'MacOS.Remediation.Quarantine',
        'com.apple/velociraptor.quarantine connection test successful.',
      ],
    ] as const) {
      const c = all.find((x) => x.os.toLowerCase() === os);
      expect(c, `an online ${os} client in the simulator`).toBeDefined();
      const r = await svc.quarantine({ clientId: c!.clientId });
      expect(r.artifact).toBe(artifact);
      expect((await svc.waitForFlow(c!.clientId, r.flowId, { timeoutMs: 30_000, pollMs: 200 })).state).toBe(
        'FINISHED',
      );
      const rows = await svc.flowResults({ clientId: c!.clientId, flowId: r.flowId, artifact });
      expect(rows.at(-1)?.Result).toBe(last);
    }
  });
});

describe('artifacts, flows, files', () => {
  it('lists, searches and defines artifacts', async () => {
    const all = await svc.listArtifacts();
    expect(all.length).toBeGreaterThan(20);
    const found = await svc.listArtifacts({ search: 'pslist' });
    expect(found.map((a) => a.name)).toContain('Windows.System.Pslist');
    expect(found.every((a) => /pslist/i.test(a.name))).toBe(true);
    expect(await svc.listArtifacts({ search: '.*(' })).toEqual([]); // taken literally
    const [def] = await svc.getArtifacts(['Generic.Client.Info']);
    expect(def?.sources.length).toBeGreaterThan(0);
    expect(await codeOf(svc.getArtifacts(['No.Such.Artifact']))).toBe('NOT_FOUND');
  });

  it('collects with parameters and limits, waits, reads status, logs, results and flow list', async () => {
    const c = (await svc.searchClients({ search: 'all', onlineOnly: true, limit: 100 })).find(
      (x) => x.os === 'windows',
    )!;
    const r = await svc.collectAndWait(
      {
        clientId: c.clientId,
        artifacts: ['Windows.System.Pslist'],
        parameters: { 'Windows.System.Pslist': { ProcessRegex: 'svc' } },
        timeoutSeconds: 300,
        cpuLimit: 50,
        maxRows: 10_000,
        urgent: true,
      },
      { timeoutMs: 30_000, pollMs: 500 },
    );
    expect(r.flow?.state).toBe('FINISHED');
    expect(r.finished).toBe(true);
    expect(Object.keys(r.results).length).toBeGreaterThan(0);
    const sent = sim
      .receivedQueries()
      .find(
        (q) =>
          q.queries[0]?.VQL.includes('collect_client') && q.env.some((e) => e.value.includes('ProcessRegex')),
      );
    expect(sent?.queries[0]?.VQL).toMatch(/timeout=300.*cpu_limit=50.*max_rows=10000.*urgent=TRUE/);
    const status = await svc.flowStatus(c.clientId, r.flowId);
    expect(status.done).toBe(true);
    expect(status.artifacts).toContain('Windows.System.Pslist');
    const source = r.flow!.artifactsWithResults[0]!;
    const rows = await svc.flowResults({
      clientId: c.clientId,
      flowId: r.flowId,
      artifact: source,
      limit: 5,
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(5);
    const logs = await svc.flowLogs(c.clientId, r.flowId);
    expect(logs.length).toBeGreaterThan(0);
    const flows = await svc.listFlows(c.clientId);
    expect(flows.map((f) => f.flowId)).toContain(r.flowId);
  });

  it('collects server artifacts and cancels flows', async () => {
    const launched = await svc.collect({ clientId: 'server', artifacts: ['Server.Utils.CreateMSI'] });
    expect(launched.flowId).toMatch(/^F\./);
    const c = (await svc.searchClients({ search: 'all', onlineOnly: true, limit: 100 }))[0]!;
    const f = await svc.collect({ clientId: c.clientId, artifacts: ['Generic.Client.Info'] });
    await svc.cancelFlow(c.clientId, f.flowId);
    const st = await svc.flowStatus(c.clientId, f.flowId);
    expect(st.state).toBe('ERROR');
  });

  it('waiting for a flow times out with TIMEOUT on an offline client', async () => {
    const off = (await svc.searchClients({ search: 'all', limit: 100 })).find((c) => !c.online)!;
    const f = await svc.collect({ clientId: off.clientId, artifacts: ['Generic.Client.Info'] });
    expect(await codeOf(svc.waitForFlow(off.clientId, f.flowId, { timeoutMs: 800, pollMs: 200 }))).toBe(
      'TIMEOUT',
    );
  });

  it('refreshes and lists a client directory through System.VFS.ListDirectory', async () => {
    const c = (await svc.searchClients({ search: 'all', onlineOnly: true, limit: 100 })).find(
      (x) => x.os === 'windows',
    )!;
    const launched = await svc.vfsRefresh({ clientId: c.clientId, path: 'C:\\Users' });
    expect(launched.artifacts).toEqual(['System.VFS.ListDirectory']);
    const listing = await svc.vfsList(
      { clientId: c.clientId, path: 'C:\\Users' },
      { timeoutMs: 30_000, pollMs: 300 },
    );
    expect(listing.flowId).toMatch(/^F\./);
    expect(Array.isArray(listing.entries)).toBe(true);
  });

  it('lists uploads and downloads one through VFSGetBuffer with progress and sha256', async () => {
    const server = await svc.collectAndWait(
      { clientId: 'server', artifacts: ['Server.Utils.CreateMSI'] },
      { timeoutMs: 30_000, pollMs: 300 },
    );
    const uploads = await svc.listUploads('server', server.flowId);
    expect(uploads.length).toBeGreaterThan(0);
    const up = uploads[0]!;
    const progress: number[] = [];
    const dest = join(tmp, 'upload.bin');
    const r = await svc.downloadFile({ components: up.components }, dest, {
      chunkSize: 7,
      onProgress: (p) => progress.push(p.bytes),
    });
    const data = readFileSync(dest);
    expect(r.bytes).toBe(data.length);
    expect(r.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(data.length);
    expect(data.toString()).toContain('STAND-IN');
  });

  it('exports flow and hunt zips', async () => {
    const c = (await svc.searchClients({ search: 'all', limit: 1 }))[0]!;
    const flows = await svc.listFlows(c.clientId);
    const done = flows.find((f) => f.state === 'FINISHED')!;
    const z = await svc.exportFlowZip(c.clientId, done.flowId, join(tmp, 'flow.zip'));
    expect(readFileSync(z.path).subarray(0, 2).toString()).toBe('PK');
    const hunt = (await svc.listHunts()).find((h) => h.state !== 'PAUSED')!;
    const hz = await svc.exportHuntZip(hunt.huntId, join(tmp, 'hunt.zip'));
    expect(hz.bytes).toBeGreaterThan(22);
    expect(readFileSync(hz.path).subarray(0, 2).toString()).toBe('PK');
  });
});

describe('hunts and orgs', () => {
  it('creates a paused hunt, starts and stops it with hunt_update, lists it with stats, flows and results', async () => {
    const { huntId } = await svc.createHunt({
      description: 'IR \'42\' "quoted"',
      artifacts: ['Generic.Client.Info'],
      includeLabels: ['Servers'],
      expiresInSeconds: 3600,
    });
    expect(huntId).toMatch(/^H\./);
    expect((await svc.huntStatus(huntId)).state).toBe('PAUSED');
    expect((await svc.startHunt(huntId)).state).toBe('RUNNING');
    await new Promise((r) => setTimeout(r, 400));
    const running = await svc.huntStatus(huntId);
    expect(running.description).toBe('IR \'42\' "quoted"');
    expect(running.stats.scheduled).toBeGreaterThanOrEqual(0);
    expect((await svc.listHunts()).map((h) => h.huntId)).toContain(huntId);
    expect((await svc.stopHunt(huntId)).state).toBe('STOPPED');
    const sent = sim
      .receivedQueries()
      .filter((q) => q.queries[0]?.VQL.includes('hunt_update'))
      .map((q) => q.queries[0]?.VQL ?? '');
    expect(sent.some((v) => v.includes('start=TRUE'))).toBe(true);
    expect(sent.some((v) => v.includes('stop=TRUE'))).toBe(true);

    const finished = (await svc.listHunts()).find((h) => h.stats.withResults > 0)!;
    const hf = await svc.huntFlows(finished.huntId);
    expect(hf.length).toBeGreaterThan(0);
    const rows = await svc.huntResults(finished.huntId, finished.sources[0]!, { limit: 10 });
    expect(Array.isArray(rows)).toBe(true);
  });

  it('refuses os together with labels the server would drop, unless told to accept it', async () => {
    expect(
      await codeOf(
        svc.createHunt({
          description: 'x',
          artifacts: ['Generic.Client.Info'],
          os: 'windows',
          includeLabels: ['a'],
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('works in another org through the same channel', async () => {
    const before = registry.openChannels();
    const o = svc.inOrg('O123');
    const clients = await o.searchClients({ search: 'all' });
    expect(clients.length).toBe(3);
    expect(registry.openChannels()).toBe(before);
    expect(sim.receivedQueries().at(-1)?.orgId).toBe('O123');
  });
});
