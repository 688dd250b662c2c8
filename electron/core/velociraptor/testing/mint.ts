/**
 * Test material: a Velociraptor-shaped CA, server cert and API client configs, minted with the
 * project's PKI module (core/pki). Used by unit tests and the stream benchmark; never by the app.
 */
import { stringify } from 'yaml';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../pki/certificates';

export interface TestPki {
  ca: CertificateAuthority;
  server: IssuedCertificate;
}

export async function createTestPki(serverName = 'VelociraptorServer'): Promise<TestPki> {
  const ca = await createCertificateAuthority();
  const server = await issueCertificate(ca, { commonName: serverName });
  return { ca, server };
}

export interface ApiConfigFields {
  ca_certificate: string;
  client_cert: string;
  client_private_key: string;
  api_connection_string: string;
  name: string;
  pinned_server_name?: string;
  max_grpc_recv_size?: number;
}

export async function mintApiConfigFields(
  pki: TestPki,
  user: string,
  connection: string,
  options: { validityDays?: number; notBefore?: Date } = {},
): Promise<ApiConfigFields> {
  const leaf = await issueCertificate(pki.ca, { commonName: user, ...options });
  return {
    ca_certificate: pki.ca.certificatePem,
    client_cert: leaf.certificatePem,
    client_private_key: leaf.privateKeyPem,
    api_connection_string: connection,
    name: user,
  };
}

export function toYaml(fields: object): string {
  return stringify(fields, { lineWidth: 0 });
}
