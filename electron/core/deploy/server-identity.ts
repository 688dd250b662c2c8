/**
 * A deployment's identities and secrets, made on the responder's machine and kept in its keychain:
 * - the deployment's own CA — its private key never leaves this machine (server configs carry no
 *   `CA.private_key`: upstream's own advice; renewals are signed here, see docs/velociraptor/deployment.md#identities-on-a-deployed-server);
 * - the Frontend (also the API server certificate) and GUI gateway certificates, in the server config;
 * - the app's API identity, minted here like `config api_client` does (CN = user, O=Velociraptor,
 *   server+client auth) and registered on the server with `user add NAME RANDOM --role api,investigator`
 *   before the first start — never through GUI.initial_users, which makes a user administrator in
 *   every org;
 * - the admin's GUI password: random, in the keychain, and in the config only as Velociraptor's salted
 *   hash (GUI.initial_users — the admin is meant to be an administrator), so the plaintext never
 *   reaches the target.
 * Each secret is a journaled resource (kind `secret`), so clean-up deletes exactly those.
 */
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { AppError } from '../../../shared/errors';
import type { ResourceRef } from '../../../shared/deploy';
import type { SecretStore } from '../credentials/index';
import {
  createCertificateAuthority,
  fingerprintSha256,
  issueApiClientCertificate,
  issueFrontendCertificate,
  issueGatewayCertificate,
  parseCertificate,
  validateUserName,
  writeApiClientConfig,
  writeServerConfig,
  type IssuedCertificate,
} from '../pki/index';
import { DEFAULT_API_ROLES, userAddCommand } from '../velociraptor/index';
import type { StepContext } from './model';
import type { CertificateLifetimes } from './profiles';

export interface IdentitySettings {
  /** The name agents dial (Frontend.hostname, Client.server_urls). */
  frontendHostname: string;
  /** Ports the server listens on where it runs (inside the container, or on the host). */
  ports: { frontend: number; api: number; gui: number };
  /** The port agents dial when the host publishes the frontend on another one (Client.server_urls). */
  frontendPublicPort?: number;
  /** Frontend.bind_address; 0.0.0.0 unless the responder chose an address. */
  frontendBindAddress?: string;
  /** 'container': API and GUI bind 0.0.0.0 inside (the host publishes them); 'host': 127.0.0.1 unless exposed. */
  placement: 'container' | 'host';
  exposeApi?: boolean;
  exposeGui?: boolean;
  datastoreDir: string;
  adminUser: string;
  apiUser: string;
  certificates: CertificateLifetimes;
  logRetentionDays: number;
  /** The release version, written into the config's `version` (informational). */
  version?: string;
  /**
   * Monitoring.bind_port (Prometheus metrics on 127.0.0.1), when not Velociraptor's 8003: two servers
   * on one machine would share it (the second runs without metrics, its bind error only logged).
   */
  monitoringPort?: number;
}

/** Keychain references of one deployment's secrets. */
export function identitySecrets(
  deploymentId: string,
): Record<'ca' | 'serverConfig' | 'apiIdentity' | 'adminPassword', ResourceRef> {
  const ref = (name: string, title: string): ResourceRef => ({
    kind: 'secret',
    id: `deploy:${deploymentId}:${name}`,
    scope: 'keychain',
    title,
  });
  return {
    ca: ref('ca', "the deployment's CA certificate and private key"),
    serverConfig: ref('server-config', 'the server config (Frontend and GUI keys; no CA key)'),
    apiIdentity: ref('api-identity', "the app's API identity (certificate and key)"),
    adminPassword: ref('admin-password', "the GUI administrator's password"),
  };
}

/** A password of 24 characters from a 62-letter alphabet (~143 bits). */
export function randomPassword(length = 24): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const out: string[] = [];
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // Rejection sampling keeps every letter equally likely.
      if (b < 256 - (256 % alphabet.length) && out.length < length) out.push(alphabet[b % alphabet.length]!);
    }
  }
  return out.join('');
}

export function checkUserNames(settings: Pick<IdentitySettings, 'adminUser' | 'apiUser'>): void {
  validateUserName(settings.adminUser);
  validateUserName(settings.apiUser);
  if (settings.adminUser === settings.apiUser)
    throw new AppError(
      'INVALID_ARGUMENT',
      'The administrator and the API identity need different user names.',
    );
}

interface StoredPair {
  certificatePem: string;
  privateKeyPem: string;
}

function pair(value: string | undefined, what: string): StoredPair {
  if (value === undefined)
    throw new AppError('SECRET_MISSING', `The ${what} of this deployment is missing from the keychain.`);
  const parsed = JSON.parse(value) as Partial<StoredPair>;
  if (typeof parsed.certificatePem !== 'string' || typeof parsed.privateKeyPem !== 'string')
    throw new AppError('STORE_CORRUPT', `The ${what} in the keychain is damaged.`);
  return { certificatePem: parsed.certificatePem, privateKeyPem: parsed.privateKeyPem };
}

/**
 * The identity step: mints everything, writes each secret to the keychain as a journaled resource, and
 * records the public facts (fingerprints, expiry dates, user names) as outputs.
 */
export async function mintIdentities(ctx: StepContext, settings: IdentitySettings): Promise<void> {
  checkUserNames(settings);
  const refs = identitySecrets(ctx.deploymentId);
  const { caDays, serverDays, apiDays } = settings.certificates;
  ctx.progress({ fraction: 0, message: 'Making the CA' });
  // From the runner's clock (a test's fake clock too), back-dated a little for peers slightly behind.
  const notBefore = new Date(ctx.now().getTime() - 5 * 60_000);
  const ca = await createCertificateAuthority({ validityDays: caDays, notBefore });
  ctx.progress({ fraction: 0.3, message: 'Making the server and API certificates' });
  const [frontend, gateway, api] = await Promise.all([
    issueFrontendCertificate(ca, { validityDays: serverDays, notBefore }),
    issueGatewayCertificate(ca, { validityDays: serverDays, notBefore }),
    issueApiClientCertificate(ca, settings.apiUser, { validityDays: apiDays, notBefore }),
  ]);
  const adminPassword = randomPassword();
  const config = serverConfigYaml(ca.certificatePem, frontend, gateway, settings, adminPassword);
  ctx.progress({ fraction: 0.8, message: 'Saving the secrets in the keychain' });

  const set = (ref: ResourceRef, value: string) => ctx.create(ref, () => ctx.secrets.set(ref.id, value));
  await set(refs.ca, JSON.stringify({ certificatePem: ca.certificatePem, privateKeyPem: ca.privateKeyPem }));
  await set(refs.serverConfig, config);
  await set(refs.apiIdentity, JSON.stringify(api));
  await set(refs.adminPassword, adminPassword);

  const notAfter = (pem: string) => new Date(parseCertificate(pem).validTo).toISOString();
  await ctx.setOutput('caFingerprint', fingerprintSha256(ca.certificatePem));
  await ctx.setOutput('caNotAfter', notAfter(ca.certificatePem));
  await ctx.setOutput('frontendCertNotAfter', notAfter(frontend.certificatePem));
  await ctx.setOutput('gatewayCertNotAfter', notAfter(gateway.certificatePem));
  await ctx.setOutput('apiCertNotAfter', notAfter(api.certificatePem));
  await ctx.setOutput('apiUser', settings.apiUser);
  await ctx.setOutput('adminUser', settings.adminUser);
  ctx.progress({ fraction: 1 });
}

/** The server config: our certificates, no CA key, the admin's hash, retention from the profile. */
export function serverConfigYaml(
  caCertificatePem: string,
  frontend: IssuedCertificate,
  gateway: IssuedCertificate,
  settings: IdentitySettings,
  adminPassword: string,
): string {
  const written = writeServerConfig({
    caCertificatePem,
    frontend,
    gateway,
    frontendHostname: settings.frontendHostname,
    placement: settings.placement,
    ...(settings.exposeApi ? { exposeApi: true } : {}),
    ...(settings.exposeGui ? { exposeGui: true } : {}),
    ports: settings.ports,
    admins: [{ name: settings.adminUser, password: adminPassword }],
    datastoreDir: settings.datastoreDir,
    ...(settings.version ? { version: settings.version } : {}),
  });
  const config = written.config;
  const client = config.Client as Record<string, unknown>;
  const frontendSection = config.Frontend as Record<string, unknown>;
  if (settings.frontendPublicPort !== undefined)
    client.server_urls = [`https://${settings.frontendHostname}:${settings.frontendPublicPort}/`];
  if (settings.frontendBindAddress) frontendSection.bind_address = settings.frontendBindAddress;
  if (settings.monitoringPort !== undefined)
    config.Monitoring = { bind_address: '127.0.0.1', bind_port: settings.monitoringPort };
  const logging = (config.Logging ?? {}) as Record<string, unknown>;
  // Velociraptor deletes log files older than Logging.max_age (seconds).
  config.Logging = { ...logging, max_age: settings.logRetentionDays * 86_400 };
  assertNoCaKey(config);
  return stringify(config, { lineWidth: 0 });
}

/** A deployed server never holds the CA key; a config that does is a bug, refused before delivery. */
export function assertNoCaKey(config: Record<string, unknown> | string): void {
  const doc = typeof config === 'string' ? (parse(config) as Record<string, unknown>) : config;
  const ca = doc.CA as { private_key?: unknown } | undefined;
  if (ca?.private_key)
    throw new AppError('INTERNAL', 'Refusing to deliver a server config that carries the CA private key.');
}

export async function loadServerConfig(secrets: SecretStore, deploymentId: string): Promise<string> {
  const yaml = await secrets.get(identitySecrets(deploymentId).serverConfig.id);
  if (yaml === undefined)
    throw new AppError(
      'SECRET_MISSING',
      'The server config of this deployment is missing from the keychain.',
    );
  assertNoCaKey(yaml);
  return yaml;
}

export async function loadAdminPassword(secrets: SecretStore, deploymentId: string): Promise<string> {
  const pw = await secrets.get(identitySecrets(deploymentId).adminPassword.id);
  if (pw === undefined)
    throw new AppError(
      'SECRET_MISSING',
      "The GUI administrator's password of this deployment is missing from the keychain.",
    );
  return pw;
}

/** The API client config for the app, pointing at where this machine reaches the API. */
export async function apiClientConfig(
  secrets: SecretStore,
  deploymentId: string,
  apiUser: string,
  apiConnectionString: string,
): Promise<string> {
  const refs = identitySecrets(deploymentId);
  const ca = pair(await secrets.get(refs.ca.id), 'CA');
  const api = pair(await secrets.get(refs.apiIdentity.id), 'API identity');
  return writeApiClientConfig({
    caCertificatePem: ca.certificatePem,
    client: api,
    name: apiUser,
    apiConnectionString,
  });
}

/**
 * `velociraptor --config F user add NAME RANDOM --role api,investigator`: the password is random and
 * kept nowhere (the identity signs in with its certificate; Velociraptor would otherwise read one from
 * a terminal the target does not have).
 */
export function registerApiUserArgv(configPath: string, apiUser: string, binary: string): string[] {
  return userAddCommand(configPath, apiUser, DEFAULT_API_ROLES, { password: randomPassword(32), binary });
}
