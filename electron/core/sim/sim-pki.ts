/**
 * The simulator's certificates: its own CA (or the one from a server config), the API/Frontend
 * server certificate (CN and SAN VelociraptorServer, docs/velociraptor/certificates.md), and API
 * client configs minted for users, with exactly the keys Velociraptor writes
 * (docs/velociraptor/api-client-config.md#keys-of-the-file).
 */
import { stringify } from 'yaml';
import { AppError } from '../../../shared/errors';
import {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../pki/index';
import type { SimServerConfig } from './server-config';

export const SERVER_NAME = 'VelociraptorServer';

export interface SimPki {
  caCertificatePem: string;
  /** null when the config carries no CA key and none was given: then no API config can be minted. */
  ca: CertificateAuthority | null;
  server: IssuedCertificate;
}

export async function setupPki(
  config: SimServerConfig | undefined,
  caKeyPem: string | undefined,
): Promise<SimPki> {
  if (!config) {
    const ca = await createCertificateAuthority();
    const server = await issueCertificate(ca, { commonName: SERVER_NAME });
    return { caCertificatePem: ca.certificatePem, ca, server };
  }
  const keyPem = config.caPrivateKeyPem ?? caKeyPem;
  const ca = keyPem ? await loadCertificateAuthority(config.caCertificatePem, keyPem) : null;
  let server: IssuedCertificate;
  if (config.frontendCertificatePem && config.frontendPrivateKeyPem) {
    server = { certificatePem: config.frontendCertificatePem, privateKeyPem: config.frontendPrivateKeyPem };
  } else if (ca) {
    server = await issueCertificate(ca, { commonName: SERVER_NAME });
  } else {
    throw new AppError(
      'CONFIG_MISSING_KEY',
      'The server config has no Frontend certificate and no CA key to mint one: give the CA key (--ca-key).',
    );
  }
  return { caCertificatePem: config.caCertificatePem, ca, server };
}

const USERNAME = /^[a-zA-Z0-9@.\-_#+]+$/;

/** Velociraptor's ValidateUsername rules for `config api_client --name`. */
export function validateUsername(name: string): void {
  if (!USERNAME.test(name))
    throw new AppError(
      'INVALID_ARGUMENT',
      `Invalid user name "${name}": use letters, digits and @.-_#+ only.`,
    );
  if (name === SERVER_NAME || name === 'GRPC_GW')
    throw new AppError('INVALID_ARGUMENT', `The name ${name} is reserved by the server.`);
}

export async function mintApiClientConfig(
  pki: SimPki,
  name: string,
  connectionString: string,
  options: { validityDays?: number; notBefore?: Date } = {},
): Promise<string> {
  if (!pki.ca)
    throw new AppError(
      'CONFIG_MISSING_KEY',
      'Minting an API client config needs the CA private key: pass it with --ca-key.',
    );
  validateUsername(name);
  const leaf = await issueCertificate(pki.ca, {
    commonName: name,
    validityDays: options.validityDays,
    notBefore: options.notBefore,
  });
  return stringify(
    {
      ca_certificate: pki.caCertificatePem,
      client_cert: leaf.certificatePem,
      client_private_key: leaf.privateKeyPem,
      api_connection_string: connectionString,
      name,
    },
    { lineWidth: 0 },
  );
}
