import { describe, expect, it } from 'vitest';
import {
  addMinion,
  applyFrontends,
  CLIENT_INFO_WRITE_SECONDS,
  frontendUrl,
  minionArgs,
  minionsOf,
  nodeName,
} from './frontends';

function config(): Record<string, unknown> {
  return {
    Client: { server_urls: ['https://203.0.113.10:8000/'] },
    API: { hostname: 'localhost', bind_address: '127.0.0.1', bind_port: 8001 },
    Frontend: { hostname: '203.0.113.10', bind_address: '0.0.0.0', bind_port: 8000 },
    Datastore: { implementation: 'FileBaseDataStore', location: '/data' },
  };
}

describe('applyFrontends', () => {
  it('writes master and minions as `config frontend` does', () => {
    const c = config();
    applyFrontends(c, {
      minions: [
        { hostname: '203.0.113.11', port: 8000, bindAddress: '0.0.0.0' },
        { hostname: '203.0.113.10', port: 8100, bindAddress: '0.0.0.0' },
      ],
      apiHostname: '10.0.0.5',
      apiBindAddress: '0.0.0.0',
    });
    expect(c).toMatchObject({
      ExtraFrontends: [
        { hostname: '203.0.113.11', bind_address: '0.0.0.0', bind_port: 8000 },
        { hostname: '203.0.113.10', bind_address: '0.0.0.0', bind_port: 8100 },
      ],
      API: { hostname: '10.0.0.5', bind_address: '0.0.0.0', bind_port: 8001 },
      Datastore: {
        implementation: '',
        master_implementation: 'MemcacheFileDataStore',
        minion_implementation: 'RemoteFileDataStore',
        location: '/data',
      },
      Client: {
        server_urls: [
          'https://203.0.113.10:8000/',
          'https://203.0.113.11:8000/',
          'https://203.0.113.10:8100/',
        ],
      },
    });
    expect(minionsOf(c)).toEqual([
      { hostname: '203.0.113.11', port: 8000, bindAddress: '0.0.0.0' },
      { hostname: '203.0.113.10', port: 8100, bindAddress: '0.0.0.0' },
    ]);
  });

  it('has the master write its client records snapshot every 15 s, so minions learn new clients', () => {
    // Measured on the real 0.77.2: with Velociraptor's 300 s a client enrolled through a minion got
    // its first task after 4.5 min; with 15 s, after 29 s (docs/real-server-conformance.md).
    const c = config();
    applyFrontends(c, {
      minions: [{ hostname: '203.0.113.11', port: 8000, bindAddress: '0.0.0.0' }],
      apiHostname: '10.0.0.5',
    });
    expect(CLIENT_INFO_WRITE_SECONDS).toBe(15);
    expect((c.Frontend as { resources?: unknown }).resources).toEqual({ client_info_write_time: 15 });
    // Above 11 s: the master's write loop sleeps a minute when its jittered (±10 %) timer fired less
    // than 10 s after the last round.
    expect(CLIENT_INFO_WRITE_SECONDS * 0.9).toBeGreaterThan(10);
  });

  it('keeps the other resource limits and a longer period the config already sets', () => {
    const c = config();
    (c.Frontend as Record<string, unknown>).resources = { connections_per_second: 100 };
    applyFrontends(c, {
      minions: [{ hostname: '203.0.113.11', port: 8000, bindAddress: '0.0.0.0' }],
      apiHostname: '10.0.0.5',
    });
    expect((c.Frontend as { resources?: unknown }).resources).toEqual({
      connections_per_second: 100,
      client_info_write_time: 15,
    });
    const own = config();
    (own.Frontend as Record<string, unknown>).resources = { client_info_write_time: 60 };
    applyFrontends(own, {
      minions: [{ hostname: '203.0.113.11', port: 8000, bindAddress: '0.0.0.0' }],
      apiHostname: '10.0.0.5',
    });
    expect((own.Frontend as { resources?: unknown }).resources).toEqual({ client_info_write_time: 60 });
    // A period the master would skip rounds with (under 9 s it never writes) is replaced.
    const broken = config();
    (broken.Frontend as Record<string, unknown>).resources = { client_info_write_time: 5 };
    applyFrontends(broken, {
      minions: [{ hostname: '203.0.113.11', port: 8000, bindAddress: '0.0.0.0' }],
      apiHostname: '10.0.0.5',
    });
    expect((broken.Frontend as { resources?: unknown }).resources).toEqual({ client_info_write_time: 15 });
  });

  it("keeps the master's published URL (a container binds 8000 and is published elsewhere)", () => {
    const c = config();
    (c.Client as { server_urls: string[] }).server_urls = ['https://localhost:18000/'];
    (c.Frontend as { hostname: string }).hostname = 'localhost';
    applyFrontends(c, {
      minions: [{ hostname: 'localhost', port: 18001, bindAddress: '0.0.0.0' }],
      apiHostname: 'megaraptor-x-server',
    });
    expect((c.Client as { server_urls: string[] }).server_urls).toEqual([
      'https://localhost:18000/',
      'https://localhost:18001/',
    ]);
  });

  it('adds a minion for scale-out, refusing a taken node and a one-server config', () => {
    const c = config();
    applyFrontends(c, {
      minions: [{ hostname: '203.0.113.10', port: 8100, bindAddress: '0.0.0.0' }],
      apiHostname: '10.0.0.5',
    });
    addMinion(c, { hostname: '203.0.113.10', port: 8101, bindAddress: '0.0.0.0' });
    expect(minionsOf(c).map(nodeName)).toEqual(['203.0.113.10-8100', '203.0.113.10-8101']);
    expect((c.Client as { server_urls: string[] }).server_urls.at(-1)).toBe('https://203.0.113.10:8101/');
    expect(() => addMinion(c, { hostname: '203.0.113.10', port: 8000, bindAddress: '0.0.0.0' })).toThrow(
      /node "203\.0\.113\.10-8000" already exists/,
    );
    expect(() => addMinion(config(), { hostname: 'a', port: 1, bindAddress: '0.0.0.0' })).toThrow(
      /runs without minions/,
    );
  });

  it('gives a multi-frontend config made before the snapshot period the period at scale-out', () => {
    const c = config();
    applyFrontends(c, {
      minions: [{ hostname: '203.0.113.10', port: 8100, bindAddress: '0.0.0.0' }],
      apiHostname: '10.0.0.5',
    });
    delete (c.Frontend as Record<string, unknown>).resources;
    addMinion(c, { hostname: '203.0.113.10', port: 8101, bindAddress: '0.0.0.0' });
    expect((c.Frontend as { resources?: unknown }).resources).toEqual({ client_info_write_time: 15 });
  });

  it('leaves a one-server config as it is', () => {
    const c = config();
    applyFrontends(c, { minions: [], apiHostname: 'x' });
    expect(c).toEqual(config());
    expect(minionsOf(c)).toEqual([]);
  });

  it('refuses two frontends with one node name (Velociraptor could not tell them apart)', () => {
    expect(() =>
      applyFrontends(config(), {
        minions: [{ hostname: '203.0.113.10', port: 8000, bindAddress: '0.0.0.0' }],
        apiHostname: '10.0.0.5',
      }),
    ).toThrow(/Two frontends would be the node "203\.0\.113\.10-8000"/);
  });

  it('names nodes and starts minions as the binary expects', () => {
    const node = { hostname: 'fe1.example.org', port: 8000, bindAddress: '0.0.0.0' };
    expect(nodeName(node)).toBe('fe1.example.org-8000');
    expect(frontendUrl({ hostname: '2001:db8::5', port: 8000 })).toBe('https://[2001:db8::5]:8000/');
    expect(minionArgs('/etc/velociraptor/server.config.yaml', node)).toEqual([
      '--config',
      '/etc/velociraptor/server.config.yaml',
      'frontend',
      '--minion',
      '--node',
      'fe1.example.org-8000',
      '-v',
    ]);
  });
});
