/**
 * Certificate checks used everywhere a PEM comes in (API client configs, server configs, rotation):
 * parse, key/cert match, chain to a CA (or a CA bundle), validity window, SHA-256 fingerprint.
 * Built on Node's X509Certificate (native, synchronous but cheap: no key generation here). Each
 * failure is an AppError with the code a caller can react to.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AppError } from '../../../shared/errors';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** One certificate; CONFIG_INVALID_PEM names `what` (e.g. "client_cert") when it does not parse. */
export function parseCertificate(pem: string, what = 'certificate'): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new AppError('CONFIG_INVALID_PEM', `The ${what} is not a valid PEM certificate.`, { cause: e, details: { what } });
  }
}

/** All certificates of a bundle (a ca_certificate during CA rotation holds two). */
export function parseCertificateBundle(pem: string, what = 'CA bundle'): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new AppError('CONFIG_INVALID_PEM', `The ${what} holds no PEM certificate.`, { details: { what } });
  return blocks.map((b, i) => parseCertificate(b, `${what} #${i + 1}`));
}

export function parsePrivateKey(pem: string, what = 'private key'): KeyObject {
  if (/ENCRYPTED/.test(pem)) {
    throw new AppError('CONFIG_PASSPHRASE_REQUIRED', `The ${what} is encrypted and needs its passphrase.`, { details: { what } });
  }
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new AppError('CONFIG_INVALID_PEM', `The ${what} is not a valid PEM private key.`, { cause: e, details: { what } });
  }
}

export function keyMatchesCertificate(cert: X509Certificate, key: KeyObject): boolean {
  return cert.checkPrivateKey(key);
}

export function assertKeyMatches(cert: X509Certificate, key: KeyObject, what = 'certificate'): void {
  if (!keyMatchesCertificate(cert, key)) {
    throw new AppError('CERT_KEY_MISMATCH', `The private key does not belong to the ${what} (${cert.subject.replace(/\n/g, ', ')}).`, { details: { what } });
  }
}

/** The CA of `cas` that issued and signed `cert`, or undefined. */
export function findIssuer(cert: X509Certificate, cas: X509Certificate[]): X509Certificate | undefined {
  return cas.find((ca) => ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

export function assertSignedBy(cert: X509Certificate, cas: X509Certificate[], what = 'certificate'): X509Certificate {
  const issuer = findIssuer(cert, cas);
  if (!issuer) {
    throw new AppError('CERT_NOT_SIGNED_BY_CA', `The ${what} was not signed by the configured CA. Use the config produced by this server.`, {
      details: { what, caFingerprints: cas.map((c) => c.fingerprint256) },
    });
  }
  return issuer;
}

export function assertValidAt(cert: X509Certificate, now: Date = new Date(), what = 'certificate'): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) {
    throw new AppError('CERT_NOT_YET_VALID', `The ${what} is valid only from ${from.toISOString()}; check this computer's clock.`, {
      details: { what, validFrom: from.toISOString() },
    });
  }
  if (now > to) {
    throw new AppError('CERT_EXPIRED', `The ${what} expired on ${to.toISOString()}. Rotate it (Deployments → Rotate) or ask for a new config.`, {
      details: { what, validTo: to.toISOString() },
    });
  }
}

/** SHA-256 over the DER, colon-separated upper-case hex (what openssl -fingerprint prints). */
export function fingerprintSha256(cert: X509Certificate | string): string {
  return (typeof cert === 'string' ? parseCertificate(cert) : cert).fingerprint256;
}

export function validityWindow(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

export function commonName(cert: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
}

export interface CheckedPair {
  certificate: X509Certificate;
  key: KeyObject;
  issuer: X509Certificate;
  fingerprint: string;
  notAfter: Date;
}

/** Everything at once for a leaf: parses, key matches, signed by one of `caPem`'s CAs, valid now. */
export function checkLeaf(input: { certificatePem: string; privateKeyPem: string; caPem: string; now?: Date; what?: string }): CheckedPair {
  const what = input.what ?? 'certificate';
  const certificate = parseCertificate(input.certificatePem, what);
  const key = parsePrivateKey(input.privateKeyPem, `${what} private key`);
  assertKeyMatches(certificate, key, what);
  const issuer = assertSignedBy(certificate, parseCertificateBundle(input.caPem, 'CA certificate'), what);
  assertValidAt(certificate, input.now, what);
  return { certificate, key, issuer, fingerprint: certificate.fingerprint256, notAfter: new Date(certificate.validTo) };
}
