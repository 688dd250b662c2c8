/**
 * An offline collector round trip with a REAL Velociraptor server — run by hand
 * (docs/real-server-conformance.md, "Offline collectors"), skipped without:
 *   MEGARAPTOR_COLLECTOR_REAL_API_CONFIG  an administrator API config of a server on this machine whose
 *                                         tool inventory holds VelociraptorLinux at the server's version
 * The server builds a Linux collector (X509 with its frontend certificate), it runs here, and the ZIP
 * it wrote is imported by Server.Utils.ImportCollection (the server reads it from this machine's disk,
 * so the server must run here) and its rows are read back. CI has no real server; the build path is
 * covered there by offline-collector.test.ts against the simulator.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRegistry, loadApiConfig, VelociraptorService } from '../../velociraptor/index';
import { buildOfflineCollector } from './offline-collector';

const apiConfig = process.env.MEGARAPTOR_COLLECTOR_REAL_API_CONFIG;
const run = promisify(execFile);

describe.runIf(apiConfig)('offline collector with a real server', () => {
  let server: VelociraptorService;
  let dir: string;

  beforeAll(async () => {
    const registry = new ConnectionRegistry();
    registry.addConfig('real', loadApiConfig(await readFile(apiConfig ?? '', 'utf8')));
    server = new VelociraptorService(registry.connection('real'));
    dir = await mkdtemp(join(tmpdir(), 'mr-collector-real-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds, runs, imports (decrypting with the server key) and shows the rows', async () => {
    const built = await buildOfflineCollector(
      server,
      { get: () => Promise.resolve(undefined) },
      {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        fileName: 'mr-collector-linux',
        requireAdmin: false,
      },
      dir,
    );
    expect(built.name).toBe('mr-collector-linux');
    expect(built.file.bytes).toBeGreaterThan(10_000_000);
    const head = (await readFile(built.file.path)).subarray(0, 4);
    expect(head.toString('latin1')).toBe('\x7fELF');

    const runDir = join(dir, 'endpoint');
    await run('mkdir', ['-p', runDir]);
    await chmod(built.file.path, 0o700);
    await run(built.file.path, [], { cwd: runDir, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    const zip = (await readdir(runDir)).find((f) => /^Collection-.*\.zip$/.test(f));
    expect(zip).toBeDefined();

    const imported = await server.collectAndWait(
      {
        clientId: 'server',
        artifacts: ['Server.Utils.ImportCollection'],
        parameters: {
          'Server.Utils.ImportCollection': { Hostname: 'mr-offline-1', Path: join(runDir, zip ?? '') },
        },
      },
      { timeoutMs: 120_000 },
    );
    expect(imported.state).toBe('FINISHED');
    const row = imported.results['Server.Utils.ImportCollection']?.[0] as
      { ClientId: string; FlowId: string; TotalRows: number; Artifacts: string[] } | undefined;
    expect(row?.TotalRows).toBeGreaterThan(0);
    expect(row?.Artifacts).toContain('Generic.Client.Info/BasicInformation');
    const rows = await server.flowResults({
      clientId: row?.ClientId ?? '',
      flowId: row?.FlowId ?? '',
      artifact: 'Generic.Client.Info/BasicInformation',
    });
    expect(rows.length).toBeGreaterThan(0);
  }, 600_000);

  // Needs a server without VelociraptorWindows in its inventory and no internet (as here).
  it('a tool the server cannot fetch fails with what to preload', async () => {
    const err: unknown = await buildOfflineCollector(
      server,
      { get: () => Promise.resolve(undefined) },
      { os: 'Windows', artifacts: ['Generic.Client.Info'] },
      dir,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEPLOY_FAILED' });
    expect((err as Error).message).toContain('could not fetch the VelociraptorWindows binary');
    expect((err as Error).message).toContain('tools upload --name VelociraptorWindows');
  }, 120_000);
});
