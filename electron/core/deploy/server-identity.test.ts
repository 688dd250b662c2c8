import { X509Certificate } from 'node:crypto';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../pki/password-hash';
import { loadApiConfig } from '../velociraptor/config/api-config';
import {
  apiClientConfig,
  assertNoCaKey,
  identitySecrets,
  loadAdminPassword,
  loadServerConfig,
  mintIdentities,
  randomPassword,
  registerApiUserArgv,
  type IdentitySettings,
} from './server-identity';
import { recordingContext } from './testing/step-context';

const settings: IdentitySettings = {
  frontendHostname: 'ir.example.org',
  ports: { frontend: 8000, api: 8001, gui: 8889 },
  placement: 'container',
  datastoreDir: '/data',
  adminUser: 'admin',
  apiUser: 'megaraptor-app',
  certificates: { caDays: 30, serverDays: 7, apiDays: 7 },
  logRetentionDays: 7,
  version: '0.77.2',
};

describe('deployment identities', () => {
  it('mints the CA, server and API identities into the keychain, journaled as secrets', async () => {
    const ctx = recordingContext('dabc123');
    await mintIdentities(ctx, settings);
    const refs = identitySecrets('dabc123');
    expect(ctx.made.map((r) => r.id)).toEqual([
      refs.ca.id,
      refs.serverConfig.id,
      refs.apiIdentity.id,
      refs.adminPassword.id,
    ]);
    expect([...ctx.secrets.data.keys()].sort()).toEqual(ctx.made.map((r) => r.id).sort());
    expect(ctx.outputs).toMatchObject({
      apiUser: 'megaraptor-app',
      adminUser: 'admin',
      caFingerprint: expect.stringMatching(/^[0-9A-F:]+$/i),
    });
    // Outputs are journaled: none of them is secret.
    expect(JSON.stringify(ctx.outputs)).not.toMatch(/PRIVATE KEY|BEGIN CERT/);

    const yaml = await loadServerConfig(ctx.secrets, 'dabc123');
    const config = parse(yaml) as Record<string, Record<string, unknown>>;
    expect(config.CA).toBeUndefined();
    expect(yaml).not.toMatch(/CA PRIVATE|BEGIN RSA PRIVATE KEY[\s\S]*CA:/);
    // Only the admin is an initial user, with Velociraptor's salted hash of the keychain password.
    const initial = config.GUI!.initial_users as Array<{
      name: string;
      password_hash: string;
      password_salt: string;
    }>;
    expect(initial.map((u) => u.name)).toEqual(['admin']);
    const pw = await loadAdminPassword(ctx.secrets, 'dabc123');
    expect(verifyPassword(pw, initial[0]!)).toBe(true);
    expect(yaml).not.toContain(pw);
    expect(config.API).toMatchObject({ bind_address: '0.0.0.0', bind_port: 8001 });
    expect(config.Logging).toMatchObject({ max_age: 7 * 86_400 });
    expect((config.Client!.server_urls as string[])[0]).toBe('https://ir.example.org:8000/');

    // The API identity as `config api_client` makes it, chaining to the deployment CA.
    const api = loadApiConfig(
      await apiClientConfig(ctx.secrets, 'dabc123', 'megaraptor-app', '127.0.0.1:18001'),
    );
    expect(api.commonName).toBe('megaraptor-app');
    expect(api.connectionString).toBe('127.0.0.1:18001');
    const cert = new X509Certificate(api.clientCertPem);
    expect(cert.subject).toContain('O=Velociraptor');
    expect(cert.verify(new X509Certificate(api.caCertificatePem).publicKey)).toBe(true);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(7);
  });

  it('writes the multi-frontend config the master and minions start from (Docker and AWS)', async () => {
    const ctx = recordingContext('dmulti1');
    await mintIdentities(ctx, {
      ...settings,
      frontends: {
        minions: [{ hostname: 'ir.example.org', port: 8100, bindAddress: '0.0.0.0' }],
        apiHostname: 'megaraptor-dmulti1-server',
      },
    });
    const config = parse(await loadServerConfig(ctx.secrets, 'dmulti1')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(config.Datastore).toMatchObject({
      implementation: '',
      master_implementation: 'MemcacheFileDataStore',
      minion_implementation: 'RemoteFileDataStore',
    });
    // Without it a real 0.77.2 minion served a client enrolled through it no task for 4.5 min.
    expect(config.Frontend!.resources).toEqual({ client_info_write_time: 15 });
    expect(config.ExtraFrontends).toEqual([
      { hostname: 'ir.example.org', bind_address: '0.0.0.0', bind_port: 8100 },
    ]);
  });

  it('refuses a config with the CA key', () => {
    expect(() => assertNoCaKey({ CA: { private_key: 'x' } })).toThrow(/CA private key/);
    expect(() => assertNoCaKey('CA:\n  private_key: x\n')).toThrow(/CA private key/);
  });

  it('registers the API user with least privilege and a throw-away password', () => {
    const argv = registerApiUserArgv(
      '/etc/velociraptor/server.config.yaml',
      'megaraptor-app',
      '/usr/local/bin/velociraptor',
    );
    expect(argv.slice(0, 6)).toEqual([
      '/usr/local/bin/velociraptor',
      '--config',
      '/etc/velociraptor/server.config.yaml',
      'user',
      'add',
      'megaraptor-app',
    ]);
    expect(argv[6]).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(argv.slice(7)).toEqual(['--role', 'api,investigator']);
  });

  it('makes long random passwords from an unambiguous alphabet', () => {
    const seen = new Set(Array.from({ length: 50 }, () => randomPassword()));
    expect(seen.size).toBe(50);
    for (const p of seen) expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/);
  });

  it('refuses the same name for admin and API identity', async () => {
    await expect(mintIdentities(recordingContext(), { ...settings, apiUser: 'admin' })).rejects.toThrow(
      /different user names/,
    );
  });
});
