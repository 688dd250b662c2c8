/**
 * Which Velociraptor connection an MCP call goes to: the server a tool names (or the default one)
 * and the org. This is the only thing MCP adds between a tool and `VelociraptorService`; every
 * operation is the service's. Read-only VQL does not come through here: it runs as a
 * least-privilege identity, or is gated (read-only-identity.ts).
 */
import { AppError } from '../../../shared/errors';
import type { ConnectionRegistry } from '../velociraptor';
import { VelociraptorService } from '../velociraptor';

/** Which server (connection name) and org a call goes to. Both optional: defaults apply. */
export interface Target {
  server?: string | undefined;
  org?: string | undefined;
}

export interface ConnectionSummary {
  name: string;
  /** host:port the connection dials. */
  address: string;
  /** The API user (certificate common name), never key material. */
  user: string;
  isDefault: boolean;
  /** Roles known for that identity, when the app minted or probed it. */
  roles?: string[] | undefined;
}

export interface McpServers {
  /** The connections a tool may name. */
  connections(): Promise<ConnectionSummary[]>;
  /** The service for a call's target, as the connection's own identity. */
  service(t: Target): Promise<VelociraptorService>;
}

export interface RegistryServersDeps {
  /** The registry, or how to get the current one (the app's saved connections can be re-read). */
  registry: ConnectionRegistry | (() => ConnectionRegistry);
  /** Brings the registry up to date before a call (re-reads connections the app saved). */
  refresh?: () => Promise<void>;
  /** The server used when a call names none. */
  defaultServer: () => string | undefined;
}

export class RegistryServers implements McpServers {
  constructor(private readonly deps: RegistryServersDeps) {}

  private async registry(): Promise<ConnectionRegistry> {
    await this.deps.refresh?.();
    return typeof this.deps.registry === 'function' ? this.deps.registry() : this.deps.registry;
  }

  async connections(): Promise<ConnectionSummary[]> {
    const registry = await this.registry();
    const def = this.deps.defaultServer();
    return registry
      .list()
      .map((s) => ({ name: s.name, address: s.connectionString, user: s.user, isDefault: s.name === def }));
  }

  async service(t: Target): Promise<VelociraptorService> {
    const registry = await this.registry();
    const server = t.server ?? this.deps.defaultServer();
    if (!server)
      throw new AppError(
        'CONNECTION_NOT_FOUND',
        'No Velociraptor server is connected. Add one in the app (or start the stdio server with --api-config).',
      );
    if (!registry.has(server))
      throw new AppError(
        'CONNECTION_NOT_FOUND',
        `No connection named "${server}". Call list_connections for the names.`,
      );
    return new VelociraptorService(registry.connection(server, t.org ?? ''));
  }
}
