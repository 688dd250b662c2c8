import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isAppError } from '../../../../shared/errors';
import { checkServerUrl, createCertificateAuthority, serverUrl, webUrl } from '../../pki/index';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import { ConnectionRegistry, VelociraptorService, loadApiConfig } from '../../velociraptor/index';
import { agentConfig, checkLabel, clientConfigOfServerConfig, DEFAULT_WRITEBACK } from './client-config';

let caPem = '';

beforeAll(async () => {
  caPem = (await createCertificateAuthority()).certificatePem;
});

function clientYaml(client: Record<string, unknown>): string {
  return `version:\n  name: velociraptor\n  version: 0.77.2\nClient:\n${Object.entries(client)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
    .join('\n')}\n`;
}

describe('server URLs on every path', () => {
  it.each([
    ['frontend.example.org', 8000, 'https', 'https://frontend.example.org:8000/'],
    ['10.1.2.3', 8000, 'https', 'https://10.1.2.3:8000/'],
    ['::1', 8443, 'https', 'https://[::1]:8443/'],
    ['[fd00::5]', 8000, 'wss', 'wss://[fd00::5]:8000/'],
    ['Host-1.lab.', 443, 'wss', 'wss://host-1.lab:443/'],
  ] as const)('%s:%d (%s) → %s', (host, port, scheme, want) => {
    const url = serverUrl(host, port, scheme);
    expect(url).toBe(want);
    expect(checkServerUrl(url)).toBe(url);
  });

  it.each([
    ['host name with a space', () => serverUrl('bad host', 8000)],
    ['scheme in the host', () => serverUrl('https://x', 8000)],
    ['port in the host', () => serverUrl('x:8000', 8000)],
    ['port 0', () => serverUrl('x', 0)],
    ['port 70000', () => serverUrl('x', 70000)],
    ['label starting with a hyphen', () => serverUrl('-x.lab', 8000)],
    ['web path without a slash', () => webUrl('x', 1, 'app')],
  ])('refuses %s', (_, make) => {
    expect(make).toThrow();
  });

  it.each([
    'http://x:8000/',
    'https://x:8000',
    'https://user:pw@x:8000/',
    'https://x:8000/?q=1',
    'x:8000/',
    'https://x:8000/#f',
  ])('refuses the server URL %s', (u) => {
    expect(() => checkServerUrl(u)).toThrow(/cannot be used|not a URL/);
  });
});

describe('agentConfig', () => {
  it('keeps the server URLs, CA and nonce; adds labels and upstream writeback defaults', () => {
    const cfg = agentConfig(
      clientYaml({ server_urls: ['https://vr.lab:8000/'], ca_certificate: caPem, nonce: 'abc' }),
      { labels: ['Incident-42', 'Servers'] },
    );
    const doc = parse(cfg.yaml) as { version: unknown; Client: Record<string, unknown> };
    expect(Object.keys(doc)).toEqual(['version', 'Client']);
    expect(doc.Client.server_urls).toEqual(['https://vr.lab:8000/']);
    expect(doc.Client.nonce).toBe('abc');
    expect(doc.Client.ca_certificate).toBe(caPem);
    expect(doc.Client.labels).toEqual(['Incident-42', 'Servers']);
    expect(doc.Client.writeback_linux).toBe(DEFAULT_WRITEBACK.linux);
    expect(doc.Client.writeback_windows).toBe('$ProgramFiles\\Velociraptor\\velociraptor.writeback.yaml');
    expect(doc.Client.darwin_installer).toEqual({
      service_name: 'com.velocidex.velociraptor',
      install_path: '/usr/local/bin/velociraptor',
    });
    expect(cfg.caFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('replaces the URLs with the frontends agents reach, IPv6 included', () => {
    const cfg = agentConfig(
      clientYaml({ server_urls: ['https://localhost:8000/'], ca_certificate: caPem, nonce: 'n' }),
      {
        frontends: [
          { host: 'fd00::10', port: 8000 },
          { host: 'vr.example.org', port: 443, scheme: 'wss' },
        ],
      },
    );
    expect(cfg.serverUrls).toEqual(['https://[fd00::10]:8000/', 'wss://vr.example.org:443/']);
    for (const u of cfg.serverUrls) expect(new URL(u).pathname).toBe('/');
  });

  it('per-OS writeback paths; refuses relative or traversing ones', () => {
    const cfg = agentConfig(
      clientYaml({ server_urls: ['https://vr:8000/'], ca_certificate: caPem, nonce: 'n' }),
      { writeback: { linux: '/tmp/h1/etc/velociraptor.writeback.yaml', windows: 'C:\\VR\\wb.yaml' } },
    );
    expect(cfg.writeback.linux).toBe('/tmp/h1/etc/velociraptor.writeback.yaml');
    expect(cfg.writeback.windows).toBe('C:\\VR\\wb.yaml');
    for (const bad of ['etc/wb.yaml', '/etc/../wb.yaml', '/etc/'])
      expect(() =>
        agentConfig(clientYaml({ server_urls: ['https://vr:8000/'], ca_certificate: caPem, nonce: 'n' }), {
          writeback: { linux: bad },
        }),
      ).toThrow(/writeback/);
  });

  it('refuses a server config whose URL an agent could not dial, and configs without CA or nonce', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ server_urls: ['https://vr:8000'], ca_certificate: caPem, nonce: 'n' }, /end with/],
      [{ server_urls: ['http://vr:8000/'], ca_certificate: caPem, nonce: 'n' }, /https or wss/],
      [{ server_urls: [], ca_certificate: caPem, nonce: 'n' }, /no server URL/],
      [{ server_urls: ['https://vr:8000/'], nonce: 'n' }, /CA certificate/],
      [{ server_urls: ['https://vr:8000/'], ca_certificate: caPem }, /nonce/],
    ];
    for (const [client, why] of cases) expect(() => agentConfig(clientYaml(client))).toThrow(why);
  });

  it('labels: checked, merged with the config’s own without duplicates', () => {
    expect(() => checkLabel('bad\nlabel')).toThrow();
    expect(() => checkLabel('')).toThrow();
    const cfg = agentConfig(
      clientYaml({ server_urls: ['https://vr:8000/'], ca_certificate: caPem, nonce: 'n', labels: ['A'] }),
      { labels: ['A', 'B'] },
    );
    expect(cfg.labels).toEqual(['A', 'B']);
  });

  it('takes the Client section of a server config, and only that', () => {
    const server = `version:\n  name: velociraptor\nClient:\n  server_urls: ["https://vr:8000/"]\n  ca_certificate: ${JSON.stringify(caPem)}\n  nonce: n\nFrontend:\n  private_key: SECRET\nCA:\n  private_key: SECRET\n`;
    const cfg = agentConfig(clientConfigOfServerConfig(server));
    expect(cfg.yaml).not.toContain('SECRET');
    expect(cfg.yaml).not.toContain('Frontend');
  });
});

describe('the client config of a connected server (orgs()._client_config)', () => {
  let sim: RunningSimulator;
  let service: VelociraptorService;

  beforeAll(async () => {
    sim = await startSimulator({ speed: 100 });
    const registry = new ConnectionRegistry();
    registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('agents-test', ['investigator', 'api'])));
    service = new VelociraptorService(registry.connection('sim'));
  });
  afterAll(() => sim.stop());

  it('root and another org each hand out their own nonce, with a dialable frontend URL', async () => {
    const root = agentConfig(await service.orgClientConfig());
    expect(root.serverUrls).toEqual([`https://127.0.0.1:${sim.frontendPort}/`]);
    const org = agentConfig(await service.orgClientConfig({ orgId: 'O123' }));
    const nonceOf = (y: string): unknown => (parse(y) as { Client: { nonce: unknown } }).Client.nonce;
    expect(nonceOf(org.yaml)).not.toEqual(nonceOf(root.yaml));
  });

  it('an org the user cannot see is a clear error', async () => {
    const err: unknown = await service.orgClientConfig({ orgId: 'Onope' }).catch((e: unknown) => e);
    expect(isAppError(err, 'PERMISSION_DENIED')).toBe(true);
  });
});
