/**
 * Pre-flight decisions from what an engine reports. The engine here is a stub answering GET /info and
 * /version with the fields an engine sends (a Windows-containers engine cannot run on this machine);
 * the real engine is checked in docker-deploy.int.test.ts.
 */
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../profiles';
import { dockerPreflight, type DockerPreflightInput } from './preflight';

const GiB = 1024 ** 3;

function engine(
  info: Record<string, unknown>,
  version: Record<string, unknown> = { ApiVersion: '1.41' },
  networks: string[] = ['bridge', 'host', 'none'],
): Docker {
  const notFound = () => Promise.reject(Object.assign(new Error('no such object'), { statusCode: 404 }));
  return {
    info: () => Promise.resolve(info),
    version: () => Promise.resolve(version),
    getNetwork: (name: string) => ({
      inspect: () => (networks.includes(name) ? Promise.resolve({ Name: name }) : notFound()),
    }),
    getContainer: () => ({ inspect: notFound }),
    getVolume: () => ({ inspect: notFound }),
  } as unknown as Docker;
}

const input = (over: Partial<DockerPreflightInput> = {}): DockerPreflightInput => ({
  // A remote engine: no local port or disk probing in a unit test.
  engine: {
    kind: 'tcp',
    host: 'docker.example',
    port: 2376,
    tls: { caPath: 'ca', certPath: 'c', keyPath: 'k' },
  },
  profile: resolveProfile('standard'),
  deploymentId: 'dtest01',
  network: 'bridge',
  ports: {
    frontend: { bindAddress: '0.0.0.0', port: 8000 },
    api: { bindAddress: '127.0.0.1', port: null },
    gui: { bindAddress: '127.0.0.1', port: 8889 },
  },
  connectionName: 'ir',
  connectionExists: () => Promise.resolve(false),
  ...over,
});

const linux = { OSType: 'linux', Architecture: 'x86_64', NCPU: 8, MemTotal: 32 * GiB, ServerVersion: '27.0' };

describe('Docker pre-flight', () => {
  it('passes a Linux amd64 engine with room for the profile', async () => {
    const checks = await dockerPreflight(engine(linux), input());
    expect(checks.filter((c) => c.status === 'failed')).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'engine',
        'os',
        'arch',
        'api-version',
        'cpu',
        'memory',
        'disk',
        'names',
        'connection-name',
      ]),
    );
  });

  it('refuses Windows containers clearly', async () => {
    const checks = await dockerPreflight(engine({ ...linux, OSType: 'windows' }), input());
    expect(checks.find((c) => c.id === 'os')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/runs Windows containers.*Switch Docker Desktop to Linux containers/),
    });
  });

  it('refuses an arm64 engine, an old API, too few CPUs and a CPU limit above the engine', async () => {
    const checks = await dockerPreflight(
      engine({ ...linux, Architecture: 'aarch64', NCPU: 1, MemTotal: 2 * GiB }, { ApiVersion: '1.39' }),
      input(),
    );
    const failed = Object.fromEntries(
      checks.filter((c) => c.status === 'failed').map((c) => [c.id, c.message]),
    );
    expect(Object.keys(failed).sort()).toEqual(['api-version', 'arch', 'cpu', 'cpu-limit', 'memory']);
    expect(failed['cpu-limit']).toMatch(/more than the engine has \(1\)/);
  });

  it('reports an engine that does not answer as the one failed check', async () => {
    const down = {
      info: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      version: () => Promise.resolve({}),
    } as unknown as Docker;
    const checks = await dockerPreflight(down, input());
    expect(checks).toEqual([
      expect.objectContaining({
        id: 'engine',
        status: 'failed',
        message: expect.stringMatching(/does not answer \(ECONNREFUSED\)/),
      }),
    ]);
  });

  it('refuses published ports on an engine without a bridge and accepts its host network', async () => {
    const noBridge = engine(linux, undefined, ['host', 'none']);
    const bridged = await dockerPreflight(noBridge, input());
    expect(bridged.find((c) => c.id === 'network')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/no bridge network \(dockerd --bridge=none\).*host network/),
    });
    const host = await dockerPreflight(noBridge, input({ network: 'host' }));
    expect(host.find((c) => c.id === 'network')).toBeUndefined();
    expect((await dockerPreflight(engine(linux), input())).find((c) => c.id === 'network')?.status).toBe(
      'ok',
    );
  });

  it('refuses a connection name in use', async () => {
    const checks = await dockerPreflight(
      engine(linux),
      input({ connectionExists: () => Promise.resolve(true) }),
    );
    expect(checks.find((c) => c.id === 'connection-name')?.status).toBe('failed');
  });
});
