import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadApiConfig } from '../velociraptor/config/api-config';
import { parseServerConfig } from '../sim/server-config';
import {
  API_CLIENT_KEYS,
  apiConnectionString,
  writeApiClientConfig,
  writeClientConfig,
  writeServerConfig,
  type ServerConfigInput,
} from './config-files';
import { verifyPassword } from './password-hash';
import { testChain } from './testing/fixtures';

async function input(extra: Partial<ServerConfigInput> = {}): Promise<ServerConfigInput> {
  const { ca, frontend, gateway } = await testChain(2048);
  return {
    caCertificatePem: ca.certificatePem,
    frontend,
    gateway,
    frontendHostname: 'vr.example.org',
    placement: 'host',
    datastoreDir: '/var/lib/velociraptor',
    ...extra,
  };
}

type Doc = Record<string, Record<string, unknown>>;

describe('server.config.yaml', () => {
  it('has the sections Velociraptor writes, ports 8000/8001/8889, API and GUI on 127.0.0.1 on a host', async () => {
    const out = writeServerConfig(
      await input({ admins: [{ name: 'admin', password: 'a long admin password' }] }),
    );
    const doc = parse(out.yaml) as Doc;
    expect(Object.keys(doc)).toEqual([
      'version',
      'Client',
      'API',
      'GUI',
      'Frontend',
      'Datastore',
      'Logging',
      'Monitoring',
      'obfuscation_nonce',
      'defaults',
    ]);
    expect(doc.API).toMatchObject({
      bind_address: '127.0.0.1',
      bind_port: 8001,
      bind_scheme: 'tcp',
      pinned_gw_name: 'GRPC_GW',
    });
    expect(doc.GUI).toMatchObject({
      bind_address: '127.0.0.1',
      bind_port: 8889,
      authenticator: { type: 'Basic' },
    });
    expect(doc.Frontend).toMatchObject({
      bind_address: '0.0.0.0',
      bind_port: 8000,
      hostname: 'vr.example.org',
    });
    expect(doc.Client).toMatchObject({
      server_urls: ['https://vr.example.org:8000/'],
      use_self_signed_ssl: true,
    });
    expect(String(doc.Client!.ca_certificate)).toMatch(/BEGIN CERTIFICATE/);
    expect(Buffer.from(String(doc.Client!.nonce), 'base64')).toHaveLength(8);
    expect(out.warnings).toEqual([]);
    // The deployed server does not need the CA key: it is absent unless asked for.
    expect(doc.CA).toBeUndefined();
    expect(out.yaml).not.toMatch(/CA:\n\s+private_key/);
    // A real password hash: the admin can log in with the password, not with another.
    const users = doc.GUI!.initial_users as Array<{
      name: string;
      password_hash: string;
      password_salt: string;
    }>;
    expect(users).toHaveLength(1);
    expect(verifyPassword('a long admin password', users[0]!)).toBe(true);
    expect(verifyPassword('wrong', users[0]!)).toBe(false);
    expect(out.yaml).not.toContain('a long admin password');
  });

  it('is readable by the simulator’s config reader (same sections it serves with)', async () => {
    const { ca, frontend } = await testChain(2048);
    const sim = parseServerConfig(
      writeServerConfig(
        await input({
          caPrivateKeyPem: ca.privateKeyPem,
          admins: [{ name: 'admin', password: 'a long admin password' }],
        }),
      ).yaml,
    );
    expect(sim).toMatchObject({
      caCertificatePem: ca.certificatePem,
      caPrivateKeyPem: ca.privateKeyPem,
      frontendCertificatePem: frontend.certificatePem,
      apiPort: 8001,
      guiPort: 8889,
      frontendPort: 8000,
    });
    expect(sim.initialUsers.map((u) => u.name)).toEqual(['admin']);
  });

  it('warns when asked to expose API or GUI on a host, and when the CA key is included', async () => {
    const { ca } = await testChain(2048);
    const out = writeServerConfig(
      await input({ exposeApi: true, exposeGui: true, caPrivateKeyPem: ca.privateKeyPem }),
    );
    const doc = parse(out.yaml) as Doc;
    expect(doc.API!.bind_address).toBe('0.0.0.0');
    expect(doc.GUI!.bind_address).toBe('0.0.0.0');
    expect(doc.CA).toEqual({ private_key: ca.privateKeyPem });
    expect(out.warnings).toHaveLength(3);
    expect(out.warnings.filter((w) => w.includes('all interfaces'))).toHaveLength(2);
    expect(out.warnings.filter((w) => w.includes('CA private key'))).toHaveLength(1);
  });

  it('binds 0.0.0.0 inside a container and says to publish on 127.0.0.1', async () => {
    const out = writeServerConfig(await input({ placement: 'container' }));
    const doc = parse(out.yaml) as Doc;
    expect([doc.API!.bind_address, doc.GUI!.bind_address]).toEqual(['0.0.0.0', '0.0.0.0']);
    expect(out.warnings.join()).toMatch(/127\.0\.0\.1/);
    expect(apiConnectionString(out.config, 18001)).toBe('127.0.0.1:18001');
  });

  it('refuses pairs that would not work: a key of another certificate, a leaf of another CA', async () => {
    const base = await input();
    const { apiClient } = await testChain(2048);
    expect(() =>
      writeServerConfig({ ...base, frontend: { ...base.frontend, privateKeyPem: apiClient.privateKeyPem } }),
    ).toThrow(expect.objectContaining({ code: 'CERT_KEY_MISMATCH' }));
    expect(() => writeServerConfig({ ...base, ports: { api: 8000 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => writeServerConfig({ ...base, admins: [{ name: 'admin', password: 'short' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('client.config.yaml', () => {
  it('holds only version and Client', async () => {
    const server = writeServerConfig(await input());
    const doc = parse(writeClientConfig(server.config)) as Doc;
    expect(Object.keys(doc)).toEqual(['version', 'Client']);
    expect(doc.Client).toEqual(server.config.Client);
    expect(JSON.stringify(doc)).not.toMatch(/PRIVATE KEY/);
  });
});

describe('API client config', () => {
  it('has exactly the keys of `config api_client`, in its order, and loads in our strict loader', async () => {
    const { ca, apiClient } = await testChain(2048);
    const server = writeServerConfig(await input());
    const yaml = writeApiClientConfig({
      caCertificatePem: ca.certificatePem,
      client: apiClient,
      name: 'responder',
      apiConnectionString: apiConnectionString(server.config),
    });
    const doc = parse(yaml) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      'ca_certificate',
      'client_cert',
      'client_private_key',
      'api_connection_string',
      'name',
    ]);
    expect(Object.keys(doc).every((k) => (API_CLIENT_KEYS as readonly string[]).includes(k))).toBe(true);
    expect(doc.api_connection_string).toBe('127.0.0.1:8001');
    const loaded = loadApiConfig(yaml);
    expect(loaded).toMatchObject({
      commonName: 'responder',
      serverName: 'VelociraptorServer',
      connectionString: '127.0.0.1:8001',
    });
  });

  it('writes pinned_server_name only when pinned, and refuses bad names and connection strings', async () => {
    const { ca, apiClient } = await testChain(2048);
    const base = {
      caCertificatePem: ca.certificatePem,
      client: apiClient,
      name: 'responder',
      apiConnectionString: '127.0.0.1:8001',
    };
    expect(parse(writeApiClientConfig({ ...base, pinnedServerName: 'MyServer' }))).toMatchObject({
      pinned_server_name: 'MyServer',
    });
    expect(() => writeApiClientConfig({ ...base, name: 'GRPC_GW' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => writeApiClientConfig({ ...base, apiConnectionString: 'https://x:1' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_BAD_CONNECTION_STRING' }),
    );
  });
});
