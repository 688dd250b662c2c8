/**
 * Velociraptor config files written by us (docs/velociraptor/api-client-config.md and
 * deployment.md): server.config.yaml, client.config.yaml and API client configs. Key names,
 * sections and defaults follow what
 * `velociraptor config generate` / `config client` / `config api_client` write, because the Go loader
 * is strict about API client configs (UnmarshalStrict) and agents only read `version` + `Client`.
 *
 * Binds (design.md): on a host, API and GUI listen on 127.0.0.1 unless the caller explicitly asks for
 * 0.0.0.0, which adds a warning; inside a container they bind 0.0.0.0 (the container is the boundary)
 * and the deployer publishes them on the host's 127.0.0.1. The Frontend (agents) binds 0.0.0.0.
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { AppError } from '../../../shared/errors';
import { GATEWAY_NAME, SERVER_NAME, validateUserName, type IssuedCertificate } from './certificates';
import { hashPassword } from './password-hash';
import { checkLeaf, parseCertificateBundle } from './validate';

export const DEFAULT_PORTS = { frontend: 8000, api: 8001, gui: 8889 } as const;

export interface ServerConfigInput {
  /** The CA certificate (PEM; may be a bundle of two during a CA rotation) and, optionally, its key. */
  caCertificatePem: string;
  /** Only for a config that must mint API clients itself; a deployed server does not need it. */
  caPrivateKeyPem?: string;
  frontend: IssuedCertificate;
  gateway: IssuedCertificate;
  /** The name agents dial (Frontend.hostname and Client.server_urls). */
  frontendHostname: string;
  placement: 'host' | 'container';
  /** Host placement only: bind API / GUI on 0.0.0.0 (reachable from the network). Warned. */
  exposeApi?: boolean;
  exposeGui?: boolean;
  ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  /** GUI administrators created at first start (GUI.initial_users, administrator role). */
  admins?: Array<{ name: string; password: string }>;
  datastoreDir: string;
  pinnedServerName?: string;
  /** Client.nonce; a fresh random one when absent (rotation keeps the old one). */
  nonce?: string;
  version?: string;
  now?: Date;
}

export interface WrittenServerConfig {
  yaml: string;
  /** The config as an object (the same content as `yaml`). */
  config: Record<string, unknown>;
  warnings: string[];
}

function ports(input: ServerConfigInput): Record<keyof typeof DEFAULT_PORTS, number> {
  const p = { ...DEFAULT_PORTS, ...input.ports };
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      throw new AppError('INVALID_ARGUMENT', `The ${k} port ${v} is not a TCP port.`);
  }
  if (new Set(Object.values(p)).size !== 3)
    throw new AppError('INVALID_ARGUMENT', 'The frontend, API and GUI ports must differ.');
  return p;
}

/** The Client section both configs share (VR config.proto ClientConfig). */
function clientSection(input: ServerConfigInput, frontendPort: number): Record<string, unknown> {
  return {
    server_urls: [`https://${input.frontendHostname}:${frontendPort}/`],
    ca_certificate: input.caCertificatePem,
    nonce: input.nonce ?? randomBytes(8).toString('base64'),
    ...(input.pinnedServerName ? { pinned_server_name: input.pinnedServerName } : {}),
    // Our CA is self-signed: agents verify the Frontend against ca_certificate, not the public PKI.
    use_self_signed_ssl: true,
    writeback_darwin: '/etc/velociraptor.writeback.yaml',
    writeback_linux: '/etc/velociraptor.writeback.yaml',
    writeback_windows: '$ProgramFiles\\Velociraptor\\velociraptor.writeback.yaml',
    max_poll: 60,
    windows_installer: {
      service_name: 'Velociraptor',
      install_path: '$ProgramFiles\\Velociraptor\\Velociraptor.exe',
      service_description: 'Velociraptor service',
    },
    darwin_installer: {
      service_name: 'com.velocidex.velociraptor',
      install_path: '/usr/local/sbin/velociraptor',
    },
  };
}

export function writeServerConfig(input: ServerConfigInput): WrittenServerConfig {
  const p = ports(input);
  const warnings: string[] = [];
  const serverName = input.pinnedServerName ?? SERVER_NAME;
  const now = input.now ?? new Date();
  // Refuse to write a config Velociraptor would fail on at start: every pair must fit and chain.
  checkLeaf({ ...pairOf(input.frontend), caPem: input.caCertificatePem, now, what: 'Frontend certificate' });
  checkLeaf({
    ...pairOf(input.gateway),
    caPem: input.caCertificatePem,
    now,
    what: 'GUI gateway certificate',
  });
  if (input.caPrivateKeyPem) {
    const cas = parseCertificateBundle(input.caCertificatePem);
    checkLeaf({
      certificatePem: cas[cas.length - 1]!.toString(),
      privateKeyPem: input.caPrivateKeyPem,
      caPem: input.caCertificatePem,
      now,
      what: 'CA',
    });
    warnings.push(
      'This server config carries the CA private key. Keep it off deployed servers: anyone with it can mint API identities.',
    );
  }

  const inContainer = input.placement === 'container';
  const apiBind = inContainer || input.exposeApi ? '0.0.0.0' : '127.0.0.1';
  const guiBind = inContainer || input.exposeGui ? '0.0.0.0' : '127.0.0.1';
  if (!inContainer && input.exposeApi)
    warnings.push(
      `The API (port ${p.api}) will listen on all interfaces: anyone who can reach it and holds an API certificate can query the server. Restrict it with a firewall.`,
    );
  if (!inContainer && input.exposeGui)
    warnings.push(
      `The GUI (port ${p.gui}) will listen on all interfaces. Restrict it with a firewall or put it behind a VPN.`,
    );
  if (inContainer)
    warnings.push(
      `Inside the container API and GUI bind 0.0.0.0; publish ports ${p.api} and ${p.gui} on the host's 127.0.0.1 only.`,
    );

  const admins = (input.admins ?? []).map((a) => {
    validateUserName(a.name, serverName);
    if (a.password.length < 12)
      throw new AppError(
        'INVALID_ARGUMENT',
        `The password of ${a.name} is too short (12 characters minimum).`,
      );
    return { name: a.name, ...hashPassword(a.password) };
  });

  const config: Record<string, unknown> = {
    version: { name: 'velociraptor', version: input.version ?? '0.74.1' },
    Client: clientSection(input, p.frontend),
    API: {
      hostname: input.frontendHostname,
      bind_address: apiBind,
      bind_port: p.api,
      bind_scheme: 'tcp',
      pinned_gw_name: GATEWAY_NAME,
    },
    GUI: {
      bind_address: guiBind,
      bind_port: p.gui,
      gw_certificate: input.gateway.certificatePem,
      gw_private_key: input.gateway.privateKeyPem,
      public_url: `https://${inContainer || input.exposeGui ? input.frontendHostname : 'localhost'}:${p.gui}/app/index.html`,
      authenticator: { type: 'Basic' },
      ...(admins.length ? { initial_users: admins } : {}),
    },
    ...(input.caPrivateKeyPem ? { CA: { private_key: input.caPrivateKeyPem } } : {}),
    Frontend: {
      hostname: input.frontendHostname,
      bind_address: '0.0.0.0',
      bind_port: p.frontend,
      certificate: input.frontend.certificatePem,
      private_key: input.frontend.privateKeyPem,
      default_client_monitoring_artifacts: ['Generic.Client.Stats'],
    },
    Datastore: {
      implementation: 'FileBaseDataStore',
      location: input.datastoreDir,
      filestore_directory: input.datastoreDir,
    },
    Logging: { output_directory: `${input.datastoreDir}/logs`, separate_logs_per_component: true },
    Monitoring: { bind_address: '127.0.0.1', bind_port: 8003 },
    obfuscation_nonce: randomBytes(8).toString('base64'),
    defaults: { hunt_expiry_hours: 168 },
  };
  return { yaml: stringify(config, { lineWidth: 0 }), config, warnings };
}

function pairOf(c: IssuedCertificate): { certificatePem: string; privateKeyPem: string } {
  return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem };
}

/** `velociraptor config client`: only `version` and `Client` (VR config/client.go StripClientConfig). */
export function writeClientConfig(
  serverConfig: Record<string, unknown>,
  overrides: { caCertificatePem?: string } = {},
): string {
  const client = serverConfig.Client as Record<string, unknown> | undefined;
  if (!client) throw new AppError('CONFIG_MISSING_KEY', 'The server config has no Client section.');
  const out = {
    version: serverConfig.version,
    Client: {
      ...client,
      ...(overrides.caCertificatePem ? { ca_certificate: overrides.caCertificatePem } : {}),
    },
  };
  return stringify(out, { lineWidth: 0 });
}

export interface ApiClientConfigInput {
  caCertificatePem: string;
  client: IssuedCertificate;
  name: string;
  /** host:port (no scheme) or unix:///path. */
  apiConnectionString: string;
  pinnedServerName?: string;
}

/** The exact key set Velociraptor's strict loader accepts, in the order `config api_client` writes. */
export const API_CLIENT_KEYS = [
  'ca_certificate',
  'client_cert',
  'client_private_key',
  'api_connection_string',
  'name',
  'pinned_server_name',
] as const;

export function writeApiClientConfig(input: ApiClientConfigInput): string {
  validateUserName(input.name, input.pinnedServerName);
  if (!/^(unix:\/\/\/.+|[^\s:/]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5})$/.test(input.apiConnectionString)) {
    throw new AppError(
      'CONFIG_BAD_CONNECTION_STRING',
      `"${input.apiConnectionString}" is not host:port or unix:///path.`,
    );
  }
  const doc: Record<(typeof API_CLIENT_KEYS)[number], string | undefined> = {
    ca_certificate: input.caCertificatePem,
    client_cert: input.client.certificatePem,
    client_private_key: input.client.privateKeyPem,
    api_connection_string: input.apiConnectionString,
    name: input.name,
    pinned_server_name: input.pinnedServerName,
  };
  return stringify(doc, { lineWidth: 0 });
}

/** Where a client on this machine reaches the API: the host publishes it on 127.0.0.1 in both placements. */
export function apiConnectionString(config: Record<string, unknown>, publishedPort?: number): string {
  const api = (config.API ?? {}) as { bind_address?: string; bind_port?: number; hostname?: string };
  const port = publishedPort ?? api.bind_port ?? DEFAULT_PORTS.api;
  // VR grpc_client GetAPIHostname: 127.0.0.1 when bound there, else API.hostname.
  const host =
    api.bind_address === '127.0.0.1' || publishedPort !== undefined
      ? '127.0.0.1'
      : (api.hostname ?? api.bind_address ?? '127.0.0.1');
  return `${host}:${port}`;
}
