/**
 * Offline collectors with a REAL Velociraptor server — run by hand (docs/real-server-conformance.md,
 * "Offline collectors" and "Agent kits"), skipped without:
 *   MEGARAPTOR_COLLECTOR_REAL_API_CONFIG  an administrator API config of a server on this machine with
 *                                         no internet (its inventory cannot download anything)
 *   MEGARAPTOR_COLLECTOR_REAL_BINARY      the Velociraptor Linux binary at the server's version (the
 *                                         product preloads it as VelociraptorLinux)
 * The product preloads the tool (copied through the API, hashes checked), the server builds a Linux
 * collector (X509 with its frontend certificate), it runs here, and the product copies the ZIP it
 * wrote to the server and imports it with Server.Utils.ImportCollection; the rows are read back. The
 * same with a ZIP-password collector, which the app decrypts before the import.
 * CI has no real server; collection-import.test.ts covers the same path against the simulator.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../credentials/index';
import { ConnectionRegistry, loadApiConfig, VelociraptorService } from '../../velociraptor/index';
import { inspectCollectionZip } from './collection-zip';
import type { AgentService } from './service';
import { testAgentService } from './testing/agent-service';

const apiConfig = process.env.MEGARAPTOR_COLLECTOR_REAL_API_CONFIG;
const binary = process.env.MEGARAPTOR_COLLECTOR_REAL_BINARY;
const run = promisify(execFile);

describe.runIf(apiConfig && binary)('offline collector with a real server', () => {
  let server: VelociraptorService;
  let agents: AgentService;
  let dir: string;
  const target = { server: 'real', org: '' };
  // The keychain's interface; the OS keychain itself is covered by the credentials tests.
  const keychain = new MemorySecretStore();

  beforeAll(async () => {
    const registry = new ConnectionRegistry();
    registry.addConfig('real', loadApiConfig(await readFile(apiConfig ?? '', 'utf8')));
    server = new VelociraptorService(registry.connection('real'));
    dir = await mkdtemp(join(tmpdir(), 'mr-collector-real-'));
    // No release source is reachable here: the binary comes as a named tool file.
    agents = testAgentService(dir, () => server, { source: { kind: 'github' }, secrets: keychain });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a Windows build without its tool is refused before the server is asked', async () => {
    const plan = await agents.planCollector(target, {
      spec: { os: 'Windows', artifacts: ['Generic.Client.Info'] },
    });
    expect(plan.preload.missing).toEqual(['VelociraptorWindows']);
    await expect(
      agents.buildCollector(target, {
        spec: { os: 'Windows', artifacts: ['Generic.Client.Info'] },
        folder: dir,
      }),
    ).rejects.toThrow(/No file for VelociraptorWindows/);
  }, 120_000);

  it('preloads, builds, runs, imports (decrypting with the server key) and shows the rows', async () => {
    const built = await agents.buildCollector(target, {
      spec: {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        fileName: 'mr-collector-linux',
        requireAdmin: false,
      },
      toolFiles: { VelociraptorLinux: binary ?? '' },
      folder: dir,
    });
    const tool = built.plan.preload.tools.find((t) => t.name === 'VelociraptorLinux');
    console.log('plan', JSON.stringify(built.plan.preload), 'preloaded', JSON.stringify(built.preloaded));
    expect(tool?.source).toBe('file');
    expect(built.preloaded[0]?.sha256).toBe(tool?.sha256);
    expect(built.collector.file.bytes).toBeGreaterThan(10_000_000);
    expect((await readFile(built.collector.file.path)).subarray(0, 4).toString('latin1')).toBe('\x7fELF');

    const runDir = join(dir, 'endpoint');
    await mkdir(runDir);
    await chmod(built.collector.file.path, 0o700);
    await run(built.collector.file.path, [], { cwd: runDir, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    const zip = (await readdir(runDir)).find((f) => /^Collection-.*\.zip$/.test(f));
    expect(zip).toBeDefined();

    const imported = await agents.importCollection(target, {
      file: join(runDir, zip ?? ''),
      hostname: 'mr-offline-1',
    });
    console.log('imported', JSON.stringify(imported));
    expect(imported.totalRows).toBeGreaterThan(0);
    expect(imported.artifacts.map((a) => a.name)).toContain('Generic.Client.Info/BasicInformation');
    expect(imported.artifacts.reduce((n, a) => n + a.rows, 0)).toBe(imported.totalRows);
    const flows = await server.listFlows(imported.clientId);
    expect(flows.map((f) => f.flowId)).toContain(imported.flowId);
  }, 600_000);

  it('a ZIP-password collector: built, run, imported through the app with the keychain password', async () => {
    await keychain.set('real-collector-zip', 'real pw ✓ 0.77.2');
    const built = await agents.buildCollector(target, {
      spec: {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        fileName: 'mr-collector-linux-pw',
        requireAdmin: false,
        encryption: { scheme: 'password', passwordRef: 'real-collector-zip' },
      },
      toolFiles: { VelociraptorLinux: binary ?? '' },
      folder: dir,
    });
    const runDir = join(dir, 'endpoint-pw');
    await mkdir(runDir);
    await chmod(built.collector.file.path, 0o700);
    await run(built.collector.file.path, [], { cwd: runDir, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    const zip = join(runDir, (await readdir(runDir)).find((f) => /^Collection-.*\.zip$/.test(f)) ?? '');
    expect(await inspectCollectionZip(zip)).toMatchObject({ encryption: 'password', entries: 1 });
    await keychain.set('real-wrong-zip', 'not it');
    await expect(
      agents.importCollection(target, { file: zip, passwordRef: 'real-wrong-zip' }),
    ).rejects.toThrow(/The password does not open/);
    const imported = await agents.importCollection(target, {
      file: zip,
      hostname: 'mr-offline-pw',
      passwordRef: 'real-collector-zip',
    });
    console.log('imported (password)', JSON.stringify(imported));
    expect(imported.totalRows).toBeGreaterThan(0);
    expect(imported.artifacts.map((a) => a.name)).toContain('Generic.Client.Info/BasicInformation');
  }, 600_000);

  it('an app-key collector: built to the app’s certificate, run, decrypted here and imported', async () => {
    const built = await agents.buildCollector(target, {
      spec: {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        fileName: 'mr-collector-linux-appkey',
        requireAdmin: false,
        encryption: { scheme: 'app-key' },
      },
      toolFiles: { VelociraptorLinux: binary ?? '' },
      folder: dir,
    });
    const runDir = join(dir, 'endpoint-appkey');
    await mkdir(runDir);
    await chmod(built.collector.file.path, 0o700);
    await run(built.collector.file.path, [], { cwd: runDir, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    const zip = join(runDir, (await readdir(runDir)).find((f) => /^Collection-.*\.zip$/.test(f)) ?? '');
    const info = await inspectCollectionZip(zip);
    console.log('app-key container', JSON.stringify({ ...info, x509: info.x509 ? 'present' : 'absent' }));
    expect(info.encryption).toBe('x509');
    const imported = await agents.importCollection(target, { file: zip, hostname: 'mr-offline-appkey' });
    console.log('imported (app key)', JSON.stringify(imported));
    expect(imported.totalRows).toBeGreaterThan(0);
    // What the server got was the plain collection, not the container.
    expect(imported.bytes).toBeLessThan((await readFile(zip)).length);
  }, 600_000);
});
