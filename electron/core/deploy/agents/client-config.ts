/**
 * The client config an agent is installed with (docs/velociraptor/deployment.md): `version` + `Client`
 * as `velociraptor config client` writes them, taken from any connected server (orgs()
 * `_client_config`, ours or not) or from one of our deployments (its server config in the keychain),
 * then adjusted for a push: the URLs agents dial (always `https://HOST:PORT/` or `wss://HOST:PORT/`,
 * written by pki's one URL builder), labels the server applies at enrolment (Client.labels), and
 * per-OS writeback paths (where the client keeps its identity) and installer paths.
 *
 * Every config that leaves this module was checked: server URLs an agent can dial, a CA certificate,
 * a nonce. The CA is public; the nonce only ties an agent to an org, so the config is not a secret —
 * but it is never logged.
 */
import { parse, stringify } from 'yaml';
import { AppError } from '../../../../shared/errors';
import {
  checkServerUrl,
  fingerprintSha256,
  parseCertificateBundle,
  serverUrl,
  writeClientConfig,
  type ServerUrlScheme,
} from '../../pki/index';

export type AgentOs = 'linux' | 'darwin' | 'windows';

/** Upstream's defaults (VR config/config.go GetDefaultConfig). */
export const DEFAULT_WRITEBACK: Readonly<Record<AgentOs, string>> = {
  linux: '/etc/velociraptor.writeback.yaml',
  darwin: '/etc/velociraptor.writeback.yaml',
  windows: '$ProgramFiles\\Velociraptor\\velociraptor.writeback.yaml',
};
export const DEFAULT_DARWIN_INSTALLER = {
  service_name: 'com.velocidex.velociraptor',
  install_path: '/usr/local/bin/velociraptor',
} as const;
export const DEFAULT_WINDOWS_INSTALLER = {
  service_name: 'Velociraptor',
  install_path: '$ProgramFiles\\Velociraptor\\Velociraptor.exe',
  service_description: 'Velociraptor service',
} as const;

export interface AgentConfigOptions {
  /**
   * The frontend as agents in this network reach it, replacing the server's own server_urls (a server
   * behind NAT, a DNS name only the agents resolve). Each entry becomes `scheme://host:port/`.
   */
  frontends?: Array<{ host: string; port: number; scheme?: ServerUrlScheme }>;
  /** Labels the server puts on each agent at enrolment (added to the config's own). */
  labels?: readonly string[];
  /** Where each OS keeps the client's identity; upstream's defaults otherwise. */
  writeback?: Partial<Record<AgentOs, string>>;
  /** Where `service install` puts the macOS binary (the config goes beside it). */
  darwinInstallPath?: string;
}

export interface AgentConfig {
  /** The YAML an agent reads (`version` + `Client` only). */
  yaml: string;
  serverUrls: string[];
  labels: string[];
  /** SHA-256 fingerprint of the (last) CA certificate agents pin the server to. */
  caFingerprint: string;
  writeback: Record<AgentOs, string>;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._:@/-]{0,63}$/;

export function checkLabel(label: string): string {
  if (!LABEL.test(label))
    throw new AppError(
      'INVALID_ARGUMENT',
      `"${label}" is not a usable label (1–64 letters, digits, spaces and . _ : @ / -, starting with a letter or digit).`,
      { details: { label } },
    );
  return label;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The `version` and `Client` of a client config or a server config (YAML). Refuses what an agent
 * could not use; the result keeps every other Client key as the server wrote it.
 */
export function readClientSection(text: string): { version: unknown; client: Record<string, unknown> } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new AppError('CONFIG_NOT_YAML', 'The client config is not valid YAML.', { cause: e });
  }
  if (!isRecord(doc) || !isRecord(doc.Client))
    throw new AppError('CONFIG_MISSING_KEY', 'The config has no Client section.');
  return { version: doc.version, client: { ...doc.Client } };
}

/** Which writeback key of Client holds each OS's path. */
const WRITEBACK_KEY: Record<AgentOs, string> = {
  linux: 'writeback_linux',
  darwin: 'writeback_darwin',
  windows: 'writeback_windows',
};

function checkWriteback(os: AgentOs, path: string): string {
  const ok =
    os === 'windows'
      ? /^(\$[A-Za-z]+|[A-Za-z]:)(\\[^\\/:*?"<>|\r\n]+)+$/.test(path)
      : /^\/[^\0\r\n]*[^/]$/.test(path) && !path.split('/').includes('..');
  if (!ok)
    throw new AppError('INVALID_ARGUMENT', `"${path}" is not a ${os} writeback file path.`, {
      details: { os, path },
    });
  return path;
}

/**
 * The agent config: the server's Client section with the push's URLs, labels and writeback paths,
 * checked. `source` is a client config or a server config (YAML), e.g. orgs() `_client_config`.
 */
export function agentConfig(source: string, options: AgentConfigOptions = {}): AgentConfig {
  const { version, client } = readClientSection(source);
  const urls = options.frontends?.length
    ? options.frontends.map((f) => serverUrl(f.host, f.port, f.scheme ?? 'https'))
    : Array.isArray(client.server_urls)
      ? client.server_urls.map((u) => String(u))
      : [];
  if (!urls.length)
    throw new AppError(
      'CONFIG_MISSING_KEY',
      'The client config lists no server URL (Client.server_urls). Give the frontend agents should dial.',
    );
  const serverUrls = urls.map(checkServerUrl);
  if (typeof client.ca_certificate !== 'string' || !client.ca_certificate.includes('BEGIN CERTIFICATE'))
    throw new AppError(
      'CONFIG_MISSING_KEY',
      'The client config has no CA certificate (Client.ca_certificate).',
    );
  const cas = parseCertificateBundle(client.ca_certificate, 'Client.ca_certificate');
  if (typeof client.nonce !== 'string' || client.nonce === '')
    throw new AppError(
      'CONFIG_MISSING_KEY',
      'The client config has no nonce (Client.nonce): the server would refuse its agents.',
    );
  const existing = Array.isArray(client.labels) ? client.labels.map((l) => String(l)) : [];
  const labels = [...new Set([...existing, ...(options.labels ?? []).map(checkLabel)])];
  const writeback = {} as Record<AgentOs, string>;
  for (const os of ['linux', 'darwin', 'windows'] as const) {
    const given = options.writeback?.[os] ?? client[WRITEBACK_KEY[os]];
    writeback[os] = checkWriteback(os, typeof given === 'string' && given ? given : DEFAULT_WRITEBACK[os]);
  }
  const darwin = isRecord(client.darwin_installer) ? client.darwin_installer : {};
  const windows = isRecord(client.windows_installer) ? client.windows_installer : {};
  const out: Record<string, unknown> = {
    ...client,
    server_urls: serverUrls,
    ...(labels.length ? { labels } : {}),
    writeback_linux: writeback.linux,
    writeback_darwin: writeback.darwin,
    writeback_windows: writeback.windows,
    darwin_installer: {
      ...DEFAULT_DARWIN_INSTALLER,
      ...darwin,
      ...(options.darwinInstallPath
        ? { install_path: checkWriteback('darwin', options.darwinInstallPath) }
        : {}),
    },
    windows_installer: { ...DEFAULT_WINDOWS_INSTALLER, ...windows },
  };
  if (!labels.length) delete out.labels;
  return {
    yaml: stringify({ version, Client: out }, { lineWidth: 0 }),
    serverUrls,
    labels,
    caFingerprint: fingerprintSha256(cas[cas.length - 1]!),
    writeback,
  };
}

/** The client config of a server config we hold (our deployments: the config in the keychain). */
export function clientConfigOfServerConfig(serverConfigYaml: string): string {
  const doc = parse(serverConfigYaml) as unknown;
  if (!isRecord(doc)) throw new AppError('CONFIG_NOT_YAML', 'The server config is not a YAML mapping.');
  return writeClientConfig(doc);
}

/** Where an installed agent's config says its identity lives, and the install path on macOS. */
export function installedPaths(config: AgentConfig): {
  writeback: Record<AgentOs, string>;
  darwinBinary: string;
} {
  const { client } = readClientSection(config.yaml);
  const darwin = isRecord(client.darwin_installer) ? client.darwin_installer : {};
  return {
    writeback: config.writeback,
    darwinBinary:
      typeof darwin.install_path === 'string' ? darwin.install_path : DEFAULT_DARWIN_INSTALLER.install_path,
  };
}
