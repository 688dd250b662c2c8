/**
 * Offline collection kits against the simulator: tools preloaded into the server's inventory from the
 * app's verified release cache (a local HTTPS release server answering like GitHub, assets signed by
 * a key gpg made for this test) and its tool cache, then the collector built, "run" (the simulator's
 * stand-in collector writes a collection ZIP in the real layout: plain, or upstream's password
 * container when built with a ZIP password), copied to the server through the API and imported with
 * Server.Utils.ImportCollection, and the rows read back. The password comes from the keychain (a
 * memory store here; the same SecretStore interface as the OS keychain).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, asError, isAppError } from '../../../../shared/errors';
import { MemorySecretStore } from '../../credentials/index';
import { runStandInCollector, startSimulator, type RunningSimulator } from '../../sim/index';
import { buildZip } from '../../files/index';
import { ConnectionRegistry, VelociraptorService, loadApiConfig } from '../../velociraptor/index';
import { sha256File } from '../releases/cache';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { inspectCollectionZip } from './collection-zip';
import { COLLECTOR_KEY_REF } from './collector-key';
import { copyToServer, removeServerFile, serverSha256, CHUNK_BYTES } from './server-files';
import { importCollection } from './collection-import';
import type { AgentService } from './service';
import { testAgentService } from './testing/agent-service';

const MUSL = 'velociraptor-v0.77.2-linux-amd64-musl';

let sim: RunningSimulator;
let server: VelociraptorService;
let signer: TestSigner;
let releases: ReleaseServer;
let linuxBinary: Buffer;
let dir: string;
let agents: AgentService;
const keychain = new MemorySecretStore();
const target = { server: 'sim', org: '' };
/** What the agent service listed in the credential index. */
const listed: Array<{ id: string; name: string; kind: string }> = [];

beforeAll(async () => {
  signer = await makeTestSigner();
  linuxBinary = randomBytes(2 * CHUNK_BYTES + 4321);
  releases = await startReleaseServer([
    {
      tag: 'v0.77.2',
      publishedAt: '2026-05-31T00:00:00Z',
      assets: { [MUSL]: linuxBinary, [`${MUSL}.sig`]: await signer.sign(linuxBinary) },
    },
  ]);
  sim = await startSimulator({ speed: 100 });
  const registry = new ConnectionRegistry();
  registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('kits-test', ['administrator'])));
  server = new VelociraptorService(registry.connection('sim'));
  dir = await mkdtemp(join(tmpdir(), 'mr-kits-'));
  agents = testAgentService(dir, () => server, {
    source: { kind: 'github', apiBase: releases.url, caCertificates: releases.caPem },
    trustedKey: signer.key,
    secrets: keychain,
    keyRecord: {
      register: (input) => {
        listed.push(input);
        return Promise.resolve({ ...input, owner: {}, createdAt: '', expiresAt: null, fingerprint: null });
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await releases?.close();
  await signer?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('files onto the server through the API', () => {
  it('copies binary data in chunks, checks the hash there, and removes it', async () => {
    const local = join(dir, 'blob.bin');
    const data = randomBytes(CHUNK_BYTES + 99);
    await writeFile(local, data);
    const seen: number[] = [];
    const copied = await copyToServer(
      server,
      local,
      { prefix: 't', extension: '.bin' },
      {
        onProgress: (sent) => seen.push(sent),
      },
    );
    expect(copied.sha256).toBe(await sha256File(local));
    expect(copied.bytes).toBe(data.length);
    expect(seen).toEqual([CHUNK_BYTES, data.length]);
    expect(await readFile(copied.path)).toEqual(data);
    expect(await serverSha256(server, copied.path)).toEqual({ sha256: copied.sha256, bytes: data.length });
    expect(await removeServerFile(server, copied.path)).toBe(true);
    expect(await serverSha256(server, copied.path)).toBeNull();
  });
});

describe('offline collector for an isolated network', () => {
  it('a build without the tools fails as the server cannot download them', async () => {
    const err: unknown = await server
      .collectAndWait(
        {
          clientId: 'server',
          artifacts: ['Server.Utils.CreateCollector'],
          parameters: {
            'Server.Utils.CreateCollector': { OS: 'Windows', artifacts: '["Generic.Client.Info"]' },
          },
        },
        { timeoutMs: 30_000 },
      )
      .then((r) => r.errors.join('\n'));
    expect(err).toMatch(/client_repack: Get "https:\/\/github\.com\/.*windows-amd64\.exe": .*no such host/);
  });

  it('plans every tool with its source and hash, and refuses while one has no file', async () => {
    const spec = {
      os: 'Windows' as const,
      artifacts: ['Windows.Sysinternals.Autoruns', 'Generic.Client.Info'],
    };
    const plan = await agents.planCollector(target, { spec });
    expect(plan.preload.serverVersion).toBe('0.77.2');
    expect(plan.preload.tools.map((t) => [t.name, t.source])).toEqual([
      ['VelociraptorWindows', 'missing'],
      ['Autorun_386', 'missing'],
      ['Autorun_amd64', 'missing'],
    ]);
    expect(plan.preload.missing).toEqual(['VelociraptorWindows', 'Autorun_386', 'Autorun_amd64']);
    expect(plan.parameters).toMatchObject({ OS: 'Windows', encryption_scheme: 'X509' });
    const err: unknown = await agents.buildCollector(target, { spec, folder: dir }).catch((e: unknown) => e);
    expect(isAppError(err, 'DEPLOY_FAILED')).toBe(true);
    expect((err as Error).message).toContain('No file for VelociraptorWindows, Autorun_386, Autorun_amd64');
  });

  it('refuses a tool file whose hash is not the one the artifact declares', async () => {
    // Autoruns declares no hash: a wrong file is caught only where a hash is declared (below, by the server's check).
    const f = join(dir, 'not-autoruns.exe');
    await writeFile(f, 'MZ not autoruns');
    const plan = await agents.planCollector(target, {
      spec: { os: 'Windows', artifacts: ['Windows.Sysinternals.Autoruns'] },
      toolFiles: { Autorun_386: f },
    });
    const t = plan.preload.tools.find((x) => x.name === 'Autorun_386');
    expect(t).toMatchObject({ source: 'file', file: f, sha256: await sha256File(f) });
    expect(t?.note).toContain('declares no hash');
  });

  let collectorPath = '';

  it('preloads the release binary (signature verified) and builds; nothing downloaded', async () => {
    const steps: string[] = [];
    const built = await agents.buildCollector(
      target,
      {
        spec: {
          os: 'Linux',
          artifacts: ['Generic.Client.Info', 'Linux.Sys.Users'],
          fileName: 'mr-linux-collector',
        },
        folder: dir,
      },
      { onProgress: (p) => steps.push(p.step) },
    );
    const tool = built.plan.preload.tools[0];
    expect(tool).toMatchObject({
      name: 'VelociraptorLinux',
      source: 'release',
      version: '0.77.2',
      sha256: await sha256File(join(dir, 'releases', 'v0.77.2', MUSL)),
      bytes: linuxBinary.length,
    });
    expect(tool?.note).toContain('signature verified');
    expect(built.preloaded).toEqual([
      { name: 'VelociraptorLinux', version: '0.77.2', sha256: tool?.sha256, bytes: linuxBinary.length },
    ]);
    expect(steps).toContain('preload VelociraptorLinux');
    expect(steps.indexOf('build')).toBeGreaterThan(steps.indexOf('preload VelociraptorLinux'));
    const content = await readFile(built.collector.file.path, 'utf8');
    expect(content).toContain(`Tool: VelociraptorLinux 0.77.2 sha256 ${tool?.sha256 ?? ''}`);
    // Only the release listing and the asset: the server fetched nothing (it cannot, in the simulator).
    expect(
      releases.requests
        .map((r) => r.path)
        .filter((p) => !p.includes('/releases?') && !p.endsWith('/releases')),
    ).toEqual(expect.arrayContaining([expect.stringContaining(MUSL)]));
    const inventory = await server.runVql(
      "SELECT name, version, hash FROM inventory() WHERE name = 'VelociraptorLinux'",
    );
    expect(inventory.rows).toEqual([{ name: 'VelociraptorLinux', version: '0.77.2', hash: tool?.sha256 }]);
    // A second plan finds it on the server.
    const again = await agents.planCollector(target, {
      spec: { os: 'Linux', artifacts: ['Generic.Client.Info'] },
    });
    expect(again.preload.tools[0]).toMatchObject({ source: 'server', sha256: tool?.sha256 });
    collectorPath = built.collector.file.path;
  });

  it('preloads third-party tools from the tool cache', async () => {
    await mkdir(join(dir, 'tool-cache', 'Autorun_386'), { recursive: true });
    await mkdir(join(dir, 'tool-cache', 'Autorun_amd64'), { recursive: true });
    await mkdir(join(dir, 'tool-cache', 'VelociraptorWindows'), { recursive: true });
    await writeFile(join(dir, 'tool-cache', 'Autorun_386', 'autorunsc.exe'), 'MZ autoruns 32');
    await writeFile(join(dir, 'tool-cache', 'Autorun_amd64', 'autorunsc64.exe'), 'MZ autoruns 64');
    await writeFile(
      join(dir, 'tool-cache', 'VelociraptorWindows', 'velociraptor-v0.77.2-windows-amd64.exe'),
      'MZ vr',
    );
    const built = await agents.buildCollector(target, {
      spec: { os: 'Windows', artifacts: ['Windows.Sysinternals.Autoruns'] },
      folder: dir,
    });
    expect(built.preloaded.map((t) => t.name)).toEqual([
      'VelociraptorWindows',
      'Autorun_386',
      'Autorun_amd64',
    ]);
    const content = await readFile(built.collector.file.path, 'utf8');
    for (const t of built.preloaded) expect(content).toContain(`Tool: ${t.name} `);
    expect(content).toContain(
      `sha256 ${await sha256File(join(dir, 'tool-cache', 'Autorun_amd64', 'autorunsc64.exe'))}`,
    );
  });

  it('round trip: run the collector, import the collection, rows visible for its client', async () => {
    expect(collectorPath).not.toBe('');
    const outDir = join(dir, 'endpoint');
    await mkdir(outDir);
    const zip = await runStandInCollector(collectorPath, {
      outDir,
      hostname: 'isolated-web01',
      hostId: '5e1f00d1-aaaa-bbbb-cccc-000000000001',
    });
    expect(zip).toMatch(/Collection-isolated-web01-.*\.zip$/);
    const imported = await agents.importCollection(target, { file: zip, hostname: 'ignored-when-inside' });
    expect(imported.clientId).toBe('C.5e1f00d1');
    expect(imported.sha256).toBe(await sha256File(zip));
    expect(imported.totalRows).toBeGreaterThan(0);
    expect(imported.artifacts.map((a) => a.name)).toEqual(
      expect.arrayContaining(['Generic.Client.Info/BasicInformation', 'Linux.Sys.Users']),
    );
    expect(imported.artifacts.reduce((n, a) => n + a.rows, 0)).toBe(imported.totalRows);
    expect(imported.logs.join('\n')).toContain("Using client id 'C.5e1f00d1' and hostname 'isolated-web01'");
    // The flow is listed for the client, and the client is known by its host name.
    const flows = await server.listFlows(imported.clientId);
    expect(flows.map((f) => f.flowId)).toContain(imported.flowId);
    const [status] = await agents.checkEnrollment(target, ['isolated-web01']);
    expect(status?.clients.map((c) => c.clientId)).toEqual(['C.5e1f00d1']);
    // Imported again: same client, a new flow id.
    const second = await agents.importCollection(target, { file: zip });
    expect(second.clientId).toBe('C.5e1f00d1');
    expect(second.flowId).not.toBe(imported.flowId);
  });

  it('a server copy that cannot be removed is a warning in the import’s log, not silence', async () => {
    const outDir = join(dir, 'endpoint-rm');
    await mkdir(outDir);
    const zip = await runStandInCollector(collectorPath, { outDir, hostname: 'isolated-web02' });
    // The same server, except that its rm() fails (as on a read-only or locked file).
    const conn = new Proxy(server.conn, {
      get(t, k) {
        const v = Reflect.get(t, k, t) as unknown;
        if (typeof v !== 'function') return v;
        const f = v as (...a: unknown[]) => unknown;
        if (k !== 'queryRows') return f.bind(t);
        return (q: unknown, ...rest: unknown[]) =>
          JSON.stringify(q).includes('rm(filename=')
            ? Promise.reject(new Error('permission denied'))
            : f.call(t, q, ...rest);
      },
    });
    const stuck = Object.create(server, { conn: { value: conn } }) as VelociraptorService;
    const r = await importCollection(stuck, { file: zip });
    expect(r.totalRows).toBeGreaterThan(0);
    expect(r.logs.at(-1)).toMatch(
      /^warning: the server copy \S+megaraptor-import\S*\.zip was not removed \(permission denied\); delete it on the server\.$/,
    );
    // Removed as usual when rm() works: no warning.
    const ok = await importCollection(server, { file: zip });
    expect(ok.logs.join('\n')).not.toMatch(/warning: the server copy/);
  });

  it('says what is wrong with a file that is not a collection', async () => {
    const notZip = join(dir, 'notes.txt');
    await writeFile(notZip, 'hello');
    const e1: unknown = await agents.importCollection(target, { file: notZip }).catch((e: unknown) => e);
    expect(isAppError(e1, 'INVALID_ARGUMENT')).toBe(true);
    expect((e1 as Error).message).toContain('is not a ZIP');
    const emptyZip = join(dir, 'other.zip');
    await writeFile(emptyZip, buildZip([{ name: 'readme.txt', data: Buffer.from('not a collection') }]));
    const e2: unknown = await agents.importCollection(target, { file: emptyZip }).catch((e: unknown) => e);
    // Told before the server is asked (it would only log "unable to load collection_context").
    expect(isAppError(e2, 'INVALID_ARGUMENT')).toBe(true);
    expect((e2 as Error).message).toContain('is a ZIP but not a Velociraptor collection');
  });

  it('round trip with a ZIP password from the keychain: build, run, import, rows visible', async () => {
    await keychain.set('collector-zip', 'Tr0ub4dor&3 zip');
    const built = await agents.buildCollector(target, {
      spec: {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        fileName: 'mr-linux-pw-collector',
        encryption: { scheme: 'password', passwordRef: 'collector-zip' },
      },
      folder: dir,
    });
    expect(built.plan.parameters).toMatchObject({ encryption_scheme: 'Password' });
    const outDir = join(dir, 'endpoint-pw');
    await mkdir(outDir);
    const zip = await runStandInCollector(built.collector.file.path, {
      outDir,
      hostname: 'isolated-pw01',
      hostId: '7a11ce00-aaaa-bbbb-cccc-000000000002',
    });
    expect(await inspectCollectionZip(zip)).toMatchObject({ encryption: 'password', entries: 1 });
    const steps: string[] = [];
    const imported = await agents.importCollection(
      target,
      { file: zip, passwordRef: 'collector-zip' },
      { onProgress: (p) => steps.push(p.step) },
    );
    expect(imported.clientId).toBe('C.7a11ce00');
    expect(imported.totalRows).toBeGreaterThan(0);
    expect(imported.artifacts.map((a) => a.name)).toContain('Generic.Client.Info/BasicInformation');
    expect(imported.artifacts.reduce((n, a) => n + a.rows, 0)).toBe(imported.totalRows);
    expect(steps).toEqual(expect.arrayContaining(['upload', 'import', 'read']));
    const rows = await server.flowResults({
      clientId: imported.clientId,
      flowId: imported.flowId,
      artifact: 'Generic.Client.Info/BasicInformation',
      limit: 10,
    });
    expect(rows[0]).toMatchObject({ Hostname: 'isolated-pw01' });
    // The server got the plain collection (decrypted here), not the file the responder gave.
    expect(imported.sha256).not.toBe(await sha256File(zip));
    pwZip = zip;
  });

  let pwZip = '';

  it('a password collection without a password, or with the wrong one: a specific error, nothing lost', async () => {
    expect(pwZip).not.toBe('');
    const before = await sha256File(pwZip);
    const flowsBefore = (await server.listFlows('server')).length;
    const none = await failure(agents.importCollection(target, { file: pwZip, name: 'Collection-pw01.zip' }));
    expect(none.code).toBe('INVALID_ARGUMENT');
    expect(none.details).toMatchObject({ reason: 'password-needed' });
    expect(none.message).toBe(
      "Collection-pw01.zip is protected with the collector's ZIP password: choose the keychain entry the collector was built with and import again.",
    );
    await keychain.set('other-zip', 'not the one');
    const wrong = await failure(
      agents.importCollection(target, { file: pwZip, name: 'Collection-pw01.zip', passwordRef: 'other-zip' }),
    );
    expect(wrong.details).toMatchObject({ reason: 'wrong-password' });
    expect(wrong.message).toContain('The password does not open Collection-pw01.zip');
    expect(wrong.message).not.toContain('not the one');
    const missing = await failure(agents.importCollection(target, { file: pwZip, passwordRef: 'gone-zip' }));
    expect(missing.code).toBe('SECRET_MISSING');
    // Nothing was copied to or imported on the server, and the responder's file is as it was.
    expect((await server.listFlows('server')).length).toBe(flowsBefore);
    expect(await sha256File(pwZip)).toBe(before);
  });

  it('the simulator’s ImportCollection cannot open it either, with the real server’s log line', async () => {
    expect(pwZip).not.toBe('');
    const copied = await copyToServer(server, pwZip, { prefix: 't', extension: '.zip' });
    try {
      const run = await server.collectAndWait(
        {
          clientId: 'server',
          artifacts: ['Server.Utils.ImportCollection'],
          parameters: { 'Server.Utils.ImportCollection': { ClientId: 'auto', Path: copied.path } },
        },
        { timeoutMs: 60_000 },
      );
      expect(run.results['Server.Utils.ImportCollection'] ?? []).toEqual([]);
      const logs = (await server.flowLogs('server', run.flowId, { limit: 50 })).map((l) => l.message);
      expect(logs.join('\n')).toContain(
        'import_collection: unable to load collection_context: Zip: NotFoundError',
      );
    } finally {
      await removeServerFile(server, copied.path);
    }
  });

  it('round trip with the app’s own X509 key: built to it, decrypted here, imported', async () => {
    const built = await agents.buildCollector(target, {
      spec: {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        fileName: 'mr-linux-appkey-collector',
        encryption: { scheme: 'app-key' },
      },
      folder: dir,
    });
    expect(built.plan.parameters).toMatchObject({ encryption_scheme: 'X509' });
    expect(keychain.data.get(COLLECTOR_KEY_REF)).toMatch(/PRIVATE KEY/);
    // Listed on the Credentials page: imports of these collections need it.
    expect(listed).toEqual([
      expect.objectContaining({
        id: COLLECTOR_KEY_REF,
        kind: 'private-key',
        name: expect.stringMatching(/collector key/),
      }),
    ]);
    const outDir = join(dir, 'endpoint-appkey');
    await mkdir(outDir);
    const zip = await runStandInCollector(built.collector.file.path, {
      outDir,
      hostname: 'isolated-key01',
      hostId: '0ddba11a-aaaa-bbbb-cccc-000000000003',
    });
    const info = await inspectCollectionZip(zip);
    expect(info).toMatchObject({ encryption: 'x509', entries: 2 });
    expect(info.x509?.publicKey).toContain('-----BEGIN CERTIFICATE-----');
    const imported = await agents.importCollection(target, { file: zip });
    expect(imported.clientId).toBe('C.0ddba11a');
    expect(imported.totalRows).toBeGreaterThan(0);
    expect(imported.artifacts.map((a) => a.name)).toContain('Generic.Client.Info/BasicInformation');
    // Without the app's key (another machine, or the key removed) it goes to the server, which cannot
    // open a container encrypted to a key it does not hold.
    const key = keychain.data.get(COLLECTOR_KEY_REF) ?? '';
    keychain.data.delete(COLLECTOR_KEY_REF);
    try {
      const e = await failure(agents.importCollection(target, { file: zip }));
      expect(e.code).toBe('DEPLOY_FAILED');
      expect(e.message).toContain('The server could not import the collection');
      expect(e.message).toContain('Unable to extract zip password: crypto/rsa: decryption error');
    } finally {
      keychain.data.set(COLLECTOR_KEY_REF, key);
    }
  });
});

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e: unknown = await p.then(
    () => new Error('it succeeded'),
    (x: unknown) => x,
  );
  if (!(e instanceof AppError)) throw asError(e);
  return e;
}
