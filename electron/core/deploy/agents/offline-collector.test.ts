/**
 * Offline collectors: the spec's checks, the exact Server.Utils.CreateCollector parameters (checked by
 * hand against a real 0.77.2 server, docs/real-server-conformance.md), and the build through the
 * simulator, which declares the real artifact's parameters but writes a STAND-IN file, not a binary.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import { ConnectionRegistry, VelociraptorService, loadApiConfig } from '../../velociraptor/index';
import { OfflineCollectorSpec, buildOfflineCollector, collectorParameters } from './offline-collector';

const noSecrets = {
  get: (): Promise<string | undefined> => Promise.resolve(undefined),
  set: (): Promise<void> => Promise.reject(new Error('this test stores nothing')),
};

describe('OfflineCollectorSpec', () => {
  it('fills upstream defaults and X509 with the server certificate', () => {
    const spec = OfflineCollectorSpec.parse({ os: 'Linux', artifacts: ['Generic.Client.Info'] });
    expect(spec).toMatchObject({
      encryption: { scheme: 'x509' },
      format: 'jsonl',
      requireAdmin: true,
      prompt: false,
      parameters: {},
    });
  });

  it.each([
    ['an unknown OS', { os: 'Solaris', artifacts: ['Generic.Client.Info'] }],
    ['no artifacts', { os: 'Linux', artifacts: [] }],
    ['a VQL-looking artifact name', { os: 'Linux', artifacts: ["Generic.Client.Info') OR 1"] }],
    [
      'parameters of an artifact not collected',
      { os: 'Linux', artifacts: ['Generic.Client.Info'], parameters: { 'Linux.Sys.Users': { X: '1' } } },
    ],
    ['a file name with a slash', { os: 'Linux', artifacts: ['Generic.Client.Info'], fileName: '../x' }],
    [
      'a certificate that is not PEM',
      {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        encryption: { scheme: 'x509', certificatePem: 'abc' },
      },
    ],
    [
      'a password that is not a keychain reference',
      {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        encryption: { scheme: 'password', passwordRef: 'hunter2 !' },
      },
    ],
  ])('refuses %s', (_, input) => {
    expect(OfflineCollectorSpec.safeParse(input).success).toBe(false);
  });
});

describe('collectorParameters', () => {
  it('gives the parameters the real server takes, every value a string', () => {
    const spec = OfflineCollectorSpec.parse({
      os: 'Windows',
      artifacts: ['Windows.KapeFiles.Targets', 'Generic.Client.Info'],
      parameters: { 'Windows.KapeFiles.Targets': { _SANS_Triage: 'Y' } },
      fileName: 'triage.exe',
      timeoutSeconds: 3600,
      cpuLimit: 50,
    });
    expect(collectorParameters(spec)).toEqual({
      OS: 'Windows',
      artifacts: '["Windows.KapeFiles.Targets","Generic.Client.Info"]',
      parameters: '{"Windows.KapeFiles.Targets":{"_SANS_Triage":"Y"}}',
      encryption_scheme: 'X509',
      encryption_args: '{}',
      target: 'ZIP',
      target_args: '{}',
      opt_format: 'jsonl',
      opt_admin: 'Y',
      opt_prompt: 'N',
      opt_timeout: '3600',
      opt_cpu_limit: '50',
      opt_output_directory: '',
      opt_collector_filename: 'triage.exe',
    });
  });

  it('passes a given certificate, a password, or no encryption', () => {
    const base = { os: 'Linux', artifacts: ['Generic.Client.Info'] } as const;
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const x509 = collectorParameters(
      OfflineCollectorSpec.parse({ ...base, encryption: { scheme: 'x509', certificatePem: pem } }),
    );
    expect(JSON.parse(x509.encryption_args ?? '')).toEqual({ public_key: pem });
    const pw = collectorParameters(
      OfflineCollectorSpec.parse({
        ...base,
        encryption: { scheme: 'password', passwordRef: 'collector:pw' },
      }),
      's3cret',
    );
    expect(pw).toMatchObject({ encryption_scheme: 'Password', encryption_args: '{"password":"s3cret"}' });
    expect(() =>
      collectorParameters(
        OfflineCollectorSpec.parse({
          ...base,
          encryption: { scheme: 'password', passwordRef: 'collector:pw' },
        }),
      ),
    ).toThrow(/password that is not empty/);
    expect(
      collectorParameters(OfflineCollectorSpec.parse({ ...base, encryption: { scheme: 'none' } })),
    ).toMatchObject({
      encryption_scheme: '',
      encryption_args: '{}',
    });
  });
});

describe('buildOfflineCollector (simulator)', () => {
  let sim: RunningSimulator;
  let service: VelociraptorService;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({ speed: 100 });
    const registry = new ConnectionRegistry();
    registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('collector-test', ['administrator'])));
    service = new VelociraptorService(registry.connection('sim'));
    dir = await mkdtemp(join(tmpdir(), 'mr-collector-'));
    // The simulated server is isolated (it cannot download): its binaries are preloaded, as
    // collection-import.test.ts does through the product.
    for (const tool of ['VelociraptorLinux', 'VelociraptorWindows'])
      await service.runVql(
        `SELECT inventory_add(tool='${tool}', version='0.77.2', accessor='data', file='stand-in ${tool}') FROM scope()`,
      );
  });
  afterAll(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('has the server build it and saves the file it uploaded, with its checksum', async () => {
    const built = await buildOfflineCollector(
      service,
      noSecrets,
      { os: 'Linux', artifacts: ['Generic.Client.Info'], fileName: 'mr-collector-linux' },
      dir,
    );
    expect(built.name).toBe('mr-collector-linux');
    expect(built.file.path).toBe(join(dir, 'mr-collector-linux'));
    const content = await readFile(built.file.path, 'utf8');
    // The simulator's stand-in records the parameters the server received.
    expect(content).toContain('STAND-IN FILE');
    expect(content).toContain('"encryption_scheme":"X509"');
    expect(content).toContain('"OS":"Linux"');
    expect(built.file.bytes).toBe(Buffer.byteLength(content));
    expect(built.file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fails with the server's reason when the build fails", async () => {
    const err: unknown = await buildOfflineCollector(
      service,
      noSecrets,
      { os: 'Linux', artifacts: ['Custom.Does.Not.Exist'] },
      dir,
    ).catch((e: unknown) => e);
    expect(isAppError(err, 'DEPLOY_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/could not build the Linux collector: .*Custom\.Does\.Not\.Exist/);
  });

  it('reads a collector password from the keychain and says when it is missing', async () => {
    const err: unknown = await buildOfflineCollector(
      service,
      noSecrets,
      {
        os: 'Linux',
        artifacts: ['Generic.Client.Info'],
        encryption: { scheme: 'password', passwordRef: 'collector:pw' },
      },
      dir,
    ).catch((e: unknown) => e);
    expect(isAppError(err, 'SECRET_MISSING')).toBe(true);
    const built = await buildOfflineCollector(
      service,
      { ...noSecrets, get: () => Promise.resolve('zip-pass-1') },
      {
        os: 'Windows',
        artifacts: ['Generic.Client.Info'],
        encryption: { scheme: 'password', passwordRef: 'collector:pw' },
        fileName: 'pw.exe',
      },
      dir,
    );
    expect(await readFile(built.file.path, 'utf8')).toContain('"encryption_scheme":"Password"');
  });
});
