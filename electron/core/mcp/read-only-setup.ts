/**
 * The Assistants page's side of read-only identities (read-only-identity.ts): which connection has
 * one, creating one on the server, importing one made there, forgetting one. Identities live in the
 * keychain (listed in the credential index so repair does not take them for orphans); the demo
 * simulator's is kept for the run only. Every change is written to the audit log.
 */
import type { ReadOnlyIdentityStatus } from '../../../shared/contracts/mcp';
import { AppError, messageOf } from '../../../shared/errors';
import { parseCertificateBundle } from '../pki/index';
import { loadApiConfig, VelociraptorService, type ConnectionRegistry } from '../velociraptor/index';
import {
  caFromServerConfig,
  checkReadOnlyConfig,
  createReadOnlyIdentity,
  readOnlyIdentityRef,
  type ReadOnlyConfigSource,
  type StoredReadOnlyIdentities,
} from './read-only-identity';

/** The part of CredentialService used to list the identities on the Credentials page. */
export interface IdentityRecord {
  register(input: {
    id: string;
    name: string;
    kind: 'api-config';
    owner: { serverName: string };
    expiresAt: Date;
  }): Promise<unknown>;
  unregister(id: string): Promise<unknown>;
}

export interface ReadOnlySetupDeps {
  registry: () => ConnectionRegistry;
  stored: StoredReadOnlyIdentities;
  /** An identity kept for this run only (the demo simulator mints its own), by connection. */
  session?: (connection: string) => string | undefined;
  credentials?: IdentityRecord;
  /** One audit line per change (who did what to which connection). */
  audit: (action: string, server: string, detail: Record<string, unknown>) => Promise<void>;
  /** After a change (the app re-reads the key material it redacts). */
  changed?: () => void;
}

export class ReadOnlySetup {
  constructor(private readonly deps: ReadOnlySetupDeps) {}

  /** Session identities first (the demo's), then the keychain's. */
  readonly source: ReadOnlyConfigSource = {
    get: async (name) => this.deps.session?.(name) ?? (await this.deps.stored.get(name)),
  };

  private async status(server: string): Promise<ReadOnlyIdentityStatus> {
    const session = this.deps.session?.(server);
    const yaml = session ?? (await this.deps.stored.get(server));
    if (yaml === undefined) return { server, state: 'none' };
    try {
      return { server, state: session ? 'session' : 'saved', user: loadApiConfig(yaml).commonName };
    } catch (e) {
      return { server, state: 'saved', problem: messageOf(e) };
    }
  }

  async list(): Promise<{ identities: ReadOnlyIdentityStatus[] }> {
    const names = this.deps
      .registry()
      .list()
      .map((s) => s.name);
    return { identities: await Promise.all(names.map((n) => this.status(n))) };
  }

  private known(server: string): void {
    if (!this.deps.registry().has(server))
      throw new AppError(
        'CONNECTION_NOT_FOUND',
        `No connection named "${server}". Add it on the Connections page.`,
      );
  }

  private async keep(server: string, yaml: string, how: string): Promise<ReadOnlyIdentityStatus> {
    const config = loadApiConfig(yaml);
    await this.deps.stored.set(server, yaml);
    await this.deps.credentials
      ?.register({
        id: readOnlyIdentityRef(server),
        name: `${server} — read-only identity for assistants (${config.commonName})`.slice(0, 200),
        kind: 'api-config',
        owner: { serverName: server },
        expiresAt: config.clientCertNotAfter,
      })
      .catch(() => undefined);
    await this.deps.audit(how, server, { user: config.commonName });
    this.deps.changed?.();
    return { server, state: 'saved', user: config.commonName };
  }

  async create(input: { server: string; serverConfig: string; userName?: string | undefined }) {
    this.known(input.server);
    const registry = this.deps.registry();
    const adminConfig = registry.config(input.server);
    const ca = await caFromServerConfig(input.serverConfig);
    const yaml = await createReadOnlyIdentity({
      admin: new VelociraptorService(registry.connection(input.server, '')),
      adminConfig,
      ca,
      userName: input.userName ?? `${adminConfig.commonName}-assistant-ro`,
    });
    return this.keep(input.server, yaml, 'read-only identity created');
  }

  async import(input: { server: string; yaml: string }) {
    this.known(input.server);
    const config = loadApiConfig(input.yaml);
    const own = this.deps.registry().config(input.server);
    const cas = (pem: string) => parseCertificateBundle(pem).map((c) => c.fingerprint256);
    const ownCas = cas(own.caCertificatePem);
    if (!cas(config.caCertificatePem).some((f) => ownCas.includes(f)))
      throw new AppError(
        'CERT_NOT_SIGNED_BY_CA',
        `That config trusts another CA than the connection "${input.server}": it is for another server.`,
      );
    await checkReadOnlyConfig(input.yaml);
    return this.keep(input.server, input.yaml, 'read-only identity imported');
  }

  async remove(input: { server: string }): Promise<ReadOnlyIdentityStatus> {
    await this.deps.stored.delete(input.server);
    await this.deps.credentials?.unregister(readOnlyIdentityRef(input.server)).catch(() => undefined);
    await this.deps.audit('read-only identity removed', input.server, {});
    this.deps.changed?.();
    return this.status(input.server);
  }
}
