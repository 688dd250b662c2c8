/**
 * Read-only VQL is enforced by the server: an assistant's read-only query runs only under a
 * least-privilege API identity, a Velociraptor user that holds the `api` role alone (ANY_QUERY and
 * READ_RESULTS: no COLLECT_CLIENT, LABEL_CLIENT, EXECVE, FILESYSTEM_*, SERVER_ADMIN). Whatever the
 * query says, the server refuses anything else with a permission error.
 *
 * - Creating one: the responder's own identity runs `user_create(user=…, roles=['api'])` and the
 *   app mints the user's client certificate from the server's CA (its key is read from the server
 *   config the responder points at, used once and not kept), or the responder imports an API config
 *   made on the server with `velociraptor config api_client --name … --role api`.
 * - Storing it: the keychain (ref `mcp:read-only-identity:<connection>`), never a file.
 * - Using it: before the first read-only query in each org (and again after VERIFY_TTL_MS) the
 *   identity reads its own user record (`user(user=whoami())`, allowed to any user) and must hold
 *   exactly the `api` role and no permission beyond ANY_QUERY / READ_RESULTS. Anything else (no
 *   identity, more rights, a user the server does not know) and run_vql is not read-only: it asks
 *   for the responder's approval like any gated tool, and the audit log says why.
 */
import { parse } from 'yaml';
import { AppError, isAppError, messageOf } from '../../../shared/errors';
import { keychainName } from '../connections/index';
import type { SecretStore } from '../credentials/index';
import {
  fingerprintSha256,
  issueApiClientCertificate,
  loadCertificateAuthority,
  parseCertificateBundle,
  validateUserName,
  writeApiClientConfig,
  type CertificateAuthority,
} from '../pki/index';
import {
  ConnectionRegistry,
  loadApiConfig,
  userCreateQuery,
  VelociraptorService,
  type ApiConfig,
} from '../velociraptor/index';
import type { Target } from './servers';

/** The role a read-only identity holds, and all it holds. */
export const READ_ONLY_ROLES: readonly string[] = ['api'];
/** The permissions `api` grants (docs/velociraptor/permissions.md); `roles` lists the role names themselves. */
const ALLOWED_POLICY_KEYS = new Set(['any_query', 'read_results', 'roles']);
/** How long a successful check of an identity stays trusted (roles can change on the server). */
export const VERIFY_TTL_MS = 10 * 60_000;

/** The keychain account (the keychain takes [A-Za-z0-9._:-] only: the name is encoded as for connections). */
export function readOnlyIdentityRef(connection: string): string {
  return `mcp:${keychainName(connection)}:read-only-identity`;
}

/** Where the least-privilege API config of a connection comes from (keychain, a file, the demo). */
export interface ReadOnlyConfigSource {
  get(connection: string): Promise<string | undefined>;
}

export type ReadOnlyDecision =
  | {
      kind: 'identity';
      /** The Velociraptor user the query runs as. */
      user: string;
      /** The target's service as that identity. */
      service: VelociraptorService;
    }
  | { kind: 'none'; reason: string };

/** What run_vql asks before a read-only query: run it as whom, or why it cannot be read-only. */
export interface ReadOnlyVql {
  decide(target: Target): Promise<ReadOnlyDecision>;
}

/** Why an identity is not read-only, or null when it holds `api` alone. */
export function readOnlyProblem(user: {
  roles: string[];
  effectivePolicy?: Record<string, unknown>;
}): string | null {
  const roles = [...new Set(user.roles)].sort();
  if (roles.join(',') !== READ_ONLY_ROLES.join(','))
    return `it holds the roles ${roles.length ? roles.join(', ') : '(none)'} instead of "api" alone`;
  const extra = Object.entries(user.effectivePolicy ?? {})
    .filter(([k, v]) => !ALLOWED_POLICY_KEYS.has(k) && v !== false && v !== null && v !== '')
    .map(([k]) => k);
  if (extra.length) return `it also holds the permissions ${extra.join(', ')}`;
  return null;
}

/** Checks, as the identity itself, that the server gives it `api` alone in this org. */
export async function verifyReadOnly(svc: VelociraptorService): Promise<{ user: string }> {
  let me: Awaited<ReturnType<VelociraptorService['currentUser']>>;
  try {
    me = await svc.currentUser();
  } catch (e) {
    if (isAppError(e, 'SERVER_UNREACHABLE') || isAppError(e, 'TLS_HANDSHAKE_FAILED')) throw e;
    throw new AppError(
      'PERMISSION_DENIED',
      `The read-only identity could not read its own user record (${messageOf(e)}).`,
      { cause: e },
    );
  }
  const problem = readOnlyProblem(me);
  if (problem)
    throw new AppError('PERMISSION_DENIED', `The identity "${me.name}" is not read-only: ${problem}.`);
  return { user: me.name };
}

export interface ReadOnlyIdentitiesDeps {
  source: ReadOnlyConfigSource;
  /** The connection used when a call names none. */
  defaultServer: () => string | undefined;
  now?: () => number;
}

/** Opens, checks and caches the least-privilege identities; answers run_vql's decide(). */
export class ReadOnlyIdentities implements ReadOnlyVql {
  private readonly registry = new ConnectionRegistry();
  /** connection → fingerprint of the identity loaded under that name in `registry`. */
  private readonly loaded = new Map<string, string>();
  /** `${connection}\0${org}\0${fingerprint}` → when the check passed. */
  private readonly verified = new Map<string, number>();

  constructor(private readonly deps: ReadOnlyIdentitiesDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async decide(target: Target): Promise<ReadOnlyDecision> {
    const server = target.server ?? this.deps.defaultServer();
    if (!server) return { kind: 'none', reason: 'no Velociraptor server is connected' };
    const yaml = await this.deps.source.get(server);
    if (yaml === undefined)
      return {
        kind: 'none',
        reason: `no least-privilege identity (role "api" alone) is set up for "${server}"`,
      };
    let config: ApiConfig;
    try {
      config = loadApiConfig(yaml);
    } catch (e) {
      return {
        kind: 'none',
        reason: `the read-only identity saved for "${server}" does not load (${messageOf(e)})`,
      };
    }
    if (this.loaded.get(server) !== config.clientCertFingerprint) {
      this.registry.addConfig(server, config);
      this.loaded.set(server, config.clientCertFingerprint);
    }
    const org = target.org === 'root' ? '' : (target.org ?? '');
    const svc = new VelociraptorService(this.registry.connection(server, org));
    const key = `${server}\0${org}\0${config.clientCertFingerprint}`;
    const at = this.verified.get(key);
    if (at === undefined || this.now() - at > VERIFY_TTL_MS) {
      try {
        await verifyReadOnly(svc);
      } catch (e) {
        this.verified.delete(key);
        if (isAppError(e, 'PERMISSION_DENIED') || isAppError(e, 'USER_UNKNOWN'))
          return {
            kind: 'none',
            reason: `the read-only identity of "${server}" failed its check: ${e.message}`,
          };
        throw e;
      }
      this.verified.set(key, this.now());
    }
    return { kind: 'identity', user: config.commonName, service: svc };
  }

  close(): void {
    this.registry.close();
  }
}

/** A source that holds the configs in a secret store (the keychain) under readOnlyIdentityRef. */
export class StoredReadOnlyIdentities implements ReadOnlyConfigSource {
  constructor(private readonly secrets: () => Promise<SecretStore | null>) {}

  async get(connection: string): Promise<string | undefined> {
    return (await this.secrets())?.get(readOnlyIdentityRef(connection));
  }

  async set(connection: string, yaml: string): Promise<void> {
    const store = await this.secrets();
    if (!store)
      throw new AppError(
        'KEYCHAIN_UNAVAILABLE',
        'No OS keychain is available to keep the read-only identity; start a Secret Service and try again.',
      );
    await store.set(readOnlyIdentityRef(connection), yaml);
  }

  async delete(connection: string): Promise<void> {
    await (await this.secrets())?.delete(readOnlyIdentityRef(connection));
  }
}

/**
 * The CA from a server.config.yaml: its certificate is Client.ca_certificate (during a CA rotation a
 * bundle of two: the one that matches the key) and its key CA.private_key. Used in memory only.
 */
export async function caFromServerConfig(yamlText: string): Promise<CertificateAuthority> {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (e) {
    throw new AppError('CONFIG_NOT_YAML', 'The server config is not valid YAML.', { cause: e });
  }
  const cfg = (doc ?? {}) as { CA?: { private_key?: unknown }; Client?: { ca_certificate?: unknown } };
  const key = cfg.CA?.private_key;
  const certs = cfg.Client?.ca_certificate;
  if (typeof key !== 'string' || typeof certs !== 'string')
    throw new AppError(
      'CONFIG_MISSING_KEY',
      'The server config has no CA.private_key (or no Client.ca_certificate): give the server.config.yaml the server was generated with, which holds the CA key.',
    );
  let lastError: unknown;
  for (const cert of parseCertificateBundle(certs)) {
    try {
      return await loadCertificateAuthority(cert.toString(), key);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError instanceof Error
    ? lastError
    : new AppError('CERT_KEY_MISMATCH', 'CA.private_key does not belong to Client.ca_certificate.');
}

/**
 * Creates the least-privilege identity on the server: a certificate for `userName` from the
 * server's CA, the user with the `api` role alone (run as the responder's identity, which needs
 * SERVER_ADMIN), then a check as the new identity. Returns its API config (YAML).
 */
export async function createReadOnlyIdentity(input: {
  /** The responder's own identity on the server (administrator). */
  admin: VelociraptorService;
  adminConfig: ApiConfig;
  ca: CertificateAuthority;
  userName: string;
}): Promise<string> {
  const { adminConfig, ca } = input;
  const name = validateUserName(input.userName, adminConfig.serverName);
  const trusted = parseCertificateBundle(adminConfig.caCertificatePem).map((c) => c.fingerprint256);
  if (!trusted.includes(fingerprintSha256(ca.certificatePem)))
    throw new AppError(
      'CERT_NOT_SIGNED_BY_CA',
      "That CA is not the one this server trusts (it differs from the connection's ca_certificate). Use the server's own server.config.yaml.",
    );
  const client = await issueApiClientCertificate(ca, name);
  const created = await input.admin.conn.queryRows(userCreateQuery(name, READ_ONLY_ROLES), {
    failOnLogErrors: false,
  });
  const value = created.rows[0]?.User;
  if (value !== name) {
    const why = created.logs.map((l) => l.message).find((m) => /user_create/i.test(m));
    throw new AppError(
      'PERMISSION_DENIED',
      `The server did not create the user "${name}"${why ? `: ${why}` : ''}. Creating users needs an administrator connection (SERVER_ADMIN).`,
    );
  }
  const yaml = writeApiClientConfig({
    caCertificatePem: adminConfig.caCertificatePem,
    client,
    name,
    apiConnectionString: adminConfig.connectionString,
    ...(adminConfig.serverName !== 'VelociraptorServer' ? { pinnedServerName: adminConfig.serverName } : {}),
  });
  await checkReadOnlyConfig(yaml);
  return yaml;
}

/** Loads an API config and checks, on the server, that it is read-only. Returns its user name. */
export async function checkReadOnlyConfig(yaml: string, org = ''): Promise<string> {
  const registry = new ConnectionRegistry();
  try {
    registry.addConfig('read-only', loadApiConfig(yaml));
    return (await verifyReadOnly(new VelociraptorService(registry.connection('read-only', org)))).user;
  } finally {
    registry.close();
  }
}
