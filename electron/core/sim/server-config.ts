/**
 * Reads the parts of a Velociraptor server.config.yaml the simulator serves with: the CA, the
 * Frontend certificate (also the API server certificate), GUI.initial_users, bind addresses and
 * ports, and the datastore location.
 */
import { parse } from 'yaml';
import { AppError } from '../../../shared/errors';
import type { PasswordHash } from '../pki/index';

export interface SimServerConfig {
  caCertificatePem: string;
  caPrivateKeyPem?: string;
  frontendCertificatePem?: string;
  frontendPrivateKeyPem?: string;
  initialUsers: Array<{ name: string } & PasswordHash>;
  apiPort?: number;
  guiPort?: number;
  frontendPort?: number;
  frontendHostname?: string;
  clientNonce?: string;
  /** Where each port listens (API.bind_address, GUI.bind_address, Frontend.bind_address). */
  apiBindAddress?: string;
  guiBindAddress?: string;
  frontendBindAddress?: string;
  /** Datastore.location: where `user add` keeps users for the next start. */
  datastoreLocation?: string;
  /** The minions of a multi-frontend config (ExtraFrontends); a minion serves its own entry. */
  extraFrontends: Array<{ hostname: string; bindAddress: string; port: number }>;
}

function section(doc: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = doc[key];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function port(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536 ? v : undefined;
}

export function parseServerConfig(text: string): SimServerConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new AppError('CONFIG_NOT_YAML', 'The server config is not valid YAML.', { cause: e });
  }
  if (typeof doc !== 'object' || doc === null)
    throw new AppError('CONFIG_NOT_YAML', 'The server config is empty or not a YAML mapping.');
  const root = doc as Record<string, unknown>;
  const client = section(root, 'Client');
  const ca = section(root, 'CA');
  const frontend = section(root, 'Frontend');
  const gui = section(root, 'GUI');
  const api = section(root, 'API');
  const datastore = section(root, 'Datastore');
  const caCertificatePem = str(client.ca_certificate);
  if (!caCertificatePem)
    throw new AppError('CONFIG_MISSING_KEY', 'The server config has no Client.ca_certificate.');
  const users = Array.isArray(gui.initial_users) ? (gui.initial_users as unknown[]) : [];
  const initialUsers = users.flatMap((u) => {
    if (typeof u !== 'object' || u === null) return [];
    const r = u as Record<string, unknown>;
    const name = str(r.name);
    const hash = str(r.password_hash);
    const salt = str(r.password_salt);
    return name && hash && salt ? [{ name, password_hash: hash, password_salt: salt }] : [];
  });
  return {
    caCertificatePem,
    caPrivateKeyPem: str(ca.private_key),
    frontendCertificatePem: str(frontend.certificate),
    frontendPrivateKeyPem: str(frontend.private_key),
    initialUsers,
    apiPort: port(api.bind_port),
    guiPort: port(gui.bind_port),
    frontendPort: port(frontend.bind_port),
    frontendHostname: str(frontend.hostname),
    clientNonce: str(client.nonce),
    apiBindAddress: str(api.bind_address),
    guiBindAddress: str(gui.bind_address),
    frontendBindAddress: str(frontend.bind_address),
    datastoreLocation: str(datastore.location),
    extraFrontends: (Array.isArray(root.ExtraFrontends) ? (root.ExtraFrontends as unknown[]) : []).flatMap(
      (e) => {
        if (typeof e !== 'object' || e === null) return [];
        const r = e as Record<string, unknown>;
        const hostname = str(r.hostname);
        const p = port(r.bind_port);
        return hostname && p ? [{ hostname, bindAddress: str(r.bind_address) ?? '0.0.0.0', port: p }] : [];
      },
    ),
  };
}
