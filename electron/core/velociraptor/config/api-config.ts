/**
 * Loads and validates a Velociraptor API client config (the YAML `velociraptor config api_client`
 * writes) completely at load time: YAML, keys (strict, as Velociraptor's UnmarshalStrict), PEMs,
 * key/cert pairing, CA signature, validity window, connection string.
 */
import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { parseConnectionString, type Endpoint } from './connection-string';
import {
  assertKeyMatches,
  assertSignedBy,
  assertValidAt,
  commonName,
  isEncryptedKey,
  parseCertificate,
  parsePrivateKey,
  type Remedies,
} from '../../pki/index';

export const DEFAULT_SERVER_NAME = 'VelociraptorServer';
export const DEFAULT_MAX_RECV_BYTES = 64 * 1024 * 1024;

export const API_CONFIG_KEYS = [
  'ca_certificate',
  'client_cert',
  'client_private_key',
  'api_connection_string',
  'name',
  'pinned_server_name',
  'max_grpc_recv_size',
] as const;
const REQUIRED_KEYS = [
  'ca_certificate',
  'client_cert',
  'client_private_key',
  'api_connection_string',
] as const;

const rawSchema = z
  .object({
    ca_certificate: z.string(),
    client_cert: z.string(),
    client_private_key: z.string(),
    api_connection_string: z.string(),
    name: z.string().optional(),
    pinned_server_name: z.string().optional(),
    max_grpc_recv_size: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).optional(),
  })
  .strict();

/** A validated config. PEMs stay strings in memory; the key is decrypted PKCS#8 when it was encrypted. */
export interface ApiConfig {
  caCertificatePem: string;
  clientCertPem: string;
  /** Unencrypted PEM grpc-js can take (it has no passphrase option). */
  clientPrivateKeyPem: string;
  endpoint: Endpoint;
  connectionString: string;
  /** `name` from the file, else the certificate's CN. */
  name: string;
  /** Identity the server will see: CN of client_cert. */
  commonName: string;
  /** TLS name expected on the server certificate. */
  serverName: string;
  maxRecvBytes: number;
  clientCertNotBefore: Date;
  clientCertNotAfter: Date;
  /** sha256 of the client certificate DER: distinguishes identities for channel caching. */
  clientCertFingerprint: string;
}

export interface LoadOptions {
  passphrase?: string;
  now?: Date;
}

function parseYaml(text: string): unknown {
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  } catch (cause) {
    throw new AppError(
      'CONFIG_NOT_YAML',
      'The API config is not YAML. Choose the file `velociraptor config api_client` wrote.',
      { cause },
    );
  }
  if (doc.errors.length > 0) {
    throw new AppError(
      'CONFIG_NOT_YAML',
      `The API config is not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'parse error'}.`,
      {
        cause: doc.errors[0],
      },
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10 });
  } catch (cause) {
    // Unresolvable aliases and alias bombs surface here, not in doc.errors.
    throw new AppError('CONFIG_NOT_YAML', 'The API config is not valid YAML (bad alias or anchor).', {
      cause,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(
      'CONFIG_NOT_YAML',
      'The API config is not a YAML mapping of keys. Choose the file `velociraptor config api_client` wrote.',
    );
  }
  return value;
}

function checkKeys(value: Record<string, unknown>): void {
  const known = new Set<string>(API_CONFIG_KEYS);
  const unknown = Object.keys(value).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new AppError(
      'CONFIG_UNKNOWN_KEY',
      `The API config has key(s) Velociraptor does not write: ${unknown.map((k) => JSON.stringify(k)).join(', ')}. Velociraptor's own loader rejects such a file.`,
      { details: { keys: unknown } },
    );
  }
  for (const key of REQUIRED_KEYS) {
    const v = value[key];
    if (v === undefined || v === null || v === '') {
      throw new AppError(
        'CONFIG_MISSING_KEY',
        `The API config has no "${key}". Re-export it with \`velociraptor config api_client\`.`,
        {
          details: { key },
        },
      );
    }
  }
}

/** What a responder does about each PEM failure of an API config. */
const REMEDIES: Remedies = {
  CONFIG_INVALID_PEM: 'Re-export the API config from the server.',
  CONFIG_PASSPHRASE_REQUIRED: 'Enter the passphrase that was set when the API config was created.',
  CONFIG_WRONG_PASSPHRASE: 'Check it and try again.',
  CERT_KEY_MISMATCH: 'Use the key and certificate from the same API config.',
  CERT_NOT_SIGNED_BY_CA: 'The config mixes material from different servers.',
  CERT_EXPIRED: 'Issue a new API config on the server.',
  CERT_NOT_YET_VALID: "Check this machine's clock.",
};

export function loadApiConfig(text: string, options: LoadOptions = {}): ApiConfig {
  const value = parseYaml(text) as Record<string, unknown>;
  checkKeys(value);
  const parsed = rawSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '?');
    const code =
      key === 'api_connection_string'
        ? 'CONFIG_BAD_CONNECTION_STRING'
        : key.endsWith('size') || key.includes('name')
          ? 'INVALID_ARGUMENT'
          : 'CONFIG_INVALID_PEM';
    throw new AppError(
      code,
      `The API config key "${key}" has the wrong type: ${issue?.message ?? 'invalid'}.`,
      { details: { key } },
    );
  }
  const raw = parsed.data;
  const now = options.now ?? new Date();

  const ca = parseCertificate(raw.ca_certificate, 'ca_certificate', REMEDIES);
  const cert = parseCertificate(raw.client_cert, 'client_cert', REMEDIES);
  const key = parsePrivateKey(raw.client_private_key, 'client_private_key', {
    passphrase: options.passphrase,
    remedies: REMEDIES,
  });
  assertKeyMatches(cert, key, 'client_cert', REMEDIES);
  assertSignedBy(cert, [ca], 'client_cert', REMEDIES);
  assertValidAt(ca, now, 'ca_certificate', REMEDIES);
  const validity = assertValidAt(cert, now, 'client_cert', REMEDIES);
  const endpoint = parseConnectionString(raw.api_connection_string);

  const cn = commonName(cert) ?? '';
  const maxRecv = raw.max_grpc_recv_size === undefined ? 0 : Number(raw.max_grpc_recv_size);
  const serverName = raw.pinned_server_name?.trim() || DEFAULT_SERVER_NAME;
  return {
    caCertificatePem: raw.ca_certificate,
    clientCertPem: raw.client_cert,
    clientPrivateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    endpoint,
    connectionString: raw.api_connection_string.trim(),
    name: raw.name?.trim() || cn,
    commonName: cn,
    serverName,
    // Velociraptor's default 4 MiB is too small for wide rows; never go below our default.
    maxRecvBytes: Math.min(Math.max(maxRecv, DEFAULT_MAX_RECV_BYTES), 2 ** 31 - 1),
    clientCertNotBefore: validity.notBefore,
    clientCertNotAfter: validity.notAfter,
    clientCertFingerprint: createHash('sha256').update(cert.raw).digest('hex'),
  };
}

/** True when the key in this YAML needs a passphrase (to prompt before loading). */
export function configNeedsPassphrase(text: string): boolean {
  return isEncryptedKey(text);
}
