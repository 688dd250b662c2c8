/**
 * Test PKI shared inside one test process: RSA-4096 keys are slow to make, so the chain is minted
 * once and reused by every test of the file (memoised promise; nothing written to disk).
 */
import {
  createCertificateAuthority,
  issueApiClientCertificate,
  issueFrontendCertificate,
  issueGatewayCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../certificates';

export interface TestChain {
  ca: CertificateAuthority;
  frontend: IssuedCertificate;
  gateway: IssuedCertificate;
  apiClient: IssuedCertificate;
}

const cache = new Map<number, Promise<TestChain>>();

export function testChain(bits: 2048 | 4096 = 2048): Promise<TestChain> {
  let p = cache.get(bits);
  if (!p) {
    p = (async () => {
      const ca = await createCertificateAuthority({ algorithm: { kind: 'rsa', bits } });
      const [frontend, gateway, apiClient] = await Promise.all([
        issueFrontendCertificate(ca, { bits }),
        issueGatewayCertificate(ca, { algorithm: { kind: 'rsa', bits } }),
        issueApiClientCertificate(ca, 'responder', { algorithm: { kind: 'rsa', bits } }),
      ]);
      return { ca, frontend, gateway, apiClient };
    })();
    cache.set(bits, p);
  }
  return p;
}
