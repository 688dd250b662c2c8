/**
 * Certificate checks used everywhere a PEM comes in (API client configs, server configs, rotation):
 * parse, key/cert match, chain to a CA (or a CA bundle), validity window, SHA-256 fingerprint.
 * Built on Node's X509Certificate (native, synchronous but cheap: no key generation here). Each
 * failure is an AppError with the code a caller can react to, so a broken config fails when it is
 * loaded (with a reason a responder can fix), never at the first call.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AppError, type ErrorCode } from '../../../shared/errors';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * What the responder should do, per error code, appended to a check's message. A caller with a more
 * specific remedy (e.g. the API config loader: "Re-export the API config from the server.") passes its own.
 */
export type Remedies = Partial<Record<ErrorCode, string>>;

const DEFAULT_REMEDIES: Remedies = {
  CERT_NOT_SIGNED_BY_CA: 'Use the config produced by this server.',
  CERT_NOT_YET_VALID: "Check this computer's clock.",
  CERT_EXPIRED: 'Rotate it (Deployments → Rotate) or ask for a new config.',
};

function fail(
  code: ErrorCode,
  message: string,
  remedies: Remedies | undefined,
  extra: { details: Record<string, unknown>; cause?: unknown },
): AppError {
  const remedy = remedies?.[code] ?? DEFAULT_REMEDIES[code];
  return new AppError(code, remedy ? `${message} ${remedy}` : message, extra);
}

/** One certificate; CONFIG_INVALID_PEM names `what` (e.g. "client_cert") when it does not parse. */
export function parseCertificate(pem: string, what = 'certificate', remedies?: Remedies): X509Certificate {
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)) {
    throw fail('CONFIG_INVALID_PEM', `The ${what} holds no "BEGIN CERTIFICATE" PEM block.`, remedies, {
      details: { what },
    });
  }
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw fail('CONFIG_INVALID_PEM', `The ${what} is not a valid PEM certificate.`, remedies, {
      details: { what },
      cause,
    });
  }
}

/** All certificates of a bundle (a ca_certificate during CA rotation holds two). */
export function parseCertificateBundle(
  pem: string,
  what = 'CA bundle',
  remedies?: Remedies,
): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0)
    throw fail('CONFIG_INVALID_PEM', `The ${what} holds no PEM certificate.`, remedies, {
      details: { what },
    });
  return blocks.map((b, i) => parseCertificate(b, `${what} #${i + 1}`, remedies));
}

/** Legacy OpenSSL "Proc-Type: 4,ENCRYPTED" PEM or PKCS#8 "ENCRYPTED PRIVATE KEY" (also on a whole config text). */
export function isEncryptedKey(pem: string): boolean {
  return /Proc-Type:\s*4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(pem);
}

/**
 * A private key. An encrypted key needs `passphrase` (CONFIG_PASSPHRASE_REQUIRED without one,
 * CONFIG_WRONG_PASSPHRASE when it does not decrypt); the passphrase never appears in a message.
 */
export function parsePrivateKey(
  pem: string,
  what = 'private key',
  options: { passphrase?: string; remedies?: Remedies } = {},
): KeyObject {
  const { passphrase, remedies } = options;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw fail('CONFIG_INVALID_PEM', `The ${what} holds no "BEGIN … PRIVATE KEY" PEM block.`, remedies, {
      details: { what },
    });
  }
  const encrypted = isEncryptedKey(pem);
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw fail('CONFIG_PASSPHRASE_REQUIRED', `The ${what} is encrypted and needs its passphrase.`, remedies, {
      details: { what },
    });
  }
  try {
    return encrypted
      ? createPrivateKey({ key: pem, format: 'pem', passphrase })
      : createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    if (encrypted)
      throw fail('CONFIG_WRONG_PASSPHRASE', `The passphrase does not decrypt the ${what}.`, remedies, {
        details: { what },
        cause,
      });
    throw fail('CONFIG_INVALID_PEM', `The ${what} is not a valid PEM private key.`, remedies, {
      details: { what },
      cause,
    });
  }
}

export function keyMatchesCertificate(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // different key types make OpenSSL throw instead of answering false
  }
}

export function assertKeyMatches(
  cert: X509Certificate,
  key: KeyObject,
  what = 'certificate',
  remedies?: Remedies,
): void {
  if (!keyMatchesCertificate(cert, key)) {
    throw fail(
      'CERT_KEY_MISMATCH',
      `The private key does not belong to the ${what} (${cert.subject.replace(/\n/g, ', ')}).`,
      remedies,
      { details: { what } },
    );
  }
}

/** The CA of `cas` that issued and signed `cert`, or undefined. */
export function findIssuer(cert: X509Certificate, cas: X509Certificate[]): X509Certificate | undefined {
  return cas.find((ca) => {
    try {
      return ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

export function assertSignedBy(
  cert: X509Certificate,
  cas: X509Certificate[],
  what = 'certificate',
  remedies?: Remedies,
): X509Certificate {
  const issuer = findIssuer(cert, cas);
  if (!issuer) {
    throw fail('CERT_NOT_SIGNED_BY_CA', `The ${what} was not signed by the configured CA.`, remedies, {
      details: { what, issuer: cert.issuer, caFingerprints: cas.map((c) => c.fingerprint256) },
    });
  }
  return issuer;
}

/** Throws CERT_EXPIRED / CERT_NOT_YET_VALID with both dates (and now), so the responder sees the window. */
export function assertValidAt(
  cert: X509Certificate,
  now: Date = new Date(),
  what = 'certificate',
  remedies?: Remedies,
): Validity {
  const v = validityWindow(cert);
  const window = `valid from ${v.notBefore.toISOString()} to ${v.notAfter.toISOString()} (now ${now.toISOString()})`;
  const details = { what, notBefore: v.notBefore.toISOString(), notAfter: v.notAfter.toISOString() };
  if (now.getTime() > v.notAfter.getTime())
    throw fail('CERT_EXPIRED', `The ${what} expired: ${window}.`, remedies, { details });
  if (now.getTime() < v.notBefore.getTime())
    throw fail('CERT_NOT_YET_VALID', `The ${what} is not valid yet: ${window}.`, remedies, { details });
  return v;
}

/** SHA-256 over the DER, colon-separated upper-case hex (what openssl -fingerprint prints). */
export function fingerprintSha256(cert: X509Certificate | string): string {
  return (typeof cert === 'string' ? parseCertificate(cert) : cert).fingerprint256;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function validityWindow(cert: X509Certificate): Validity {
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/** The user name Velociraptor derives from a client cert: Subject CN, else first DNS SAN, else IP SAN. */
export function commonName(cert: X509Certificate): string | undefined {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn) return cn;
  const san = cert.subjectAltName ?? '';
  return /DNS:([^,]+)/.exec(san)?.[1] ?? /IP Address:([^,]+)/.exec(san)?.[1];
}

export interface CheckedPair {
  certificate: X509Certificate;
  key: KeyObject;
  issuer: X509Certificate;
  fingerprint: string;
  notAfter: Date;
}

/** Everything at once for a leaf: parses, key matches, signed by one of `caPem`'s CAs, valid now. */
export function checkLeaf(input: {
  certificatePem: string;
  privateKeyPem: string;
  caPem: string;
  now?: Date;
  what?: string;
}): CheckedPair {
  const what = input.what ?? 'certificate';
  const certificate = parseCertificate(input.certificatePem, what);
  const key = parsePrivateKey(input.privateKeyPem, `${what} private key`);
  assertKeyMatches(certificate, key, what);
  const issuer = assertSignedBy(certificate, parseCertificateBundle(input.caPem, 'CA certificate'), what);
  assertValidAt(certificate, input.now, what);
  return {
    certificate,
    key,
    issuer,
    fingerprint: certificate.fingerprint256,
    notAfter: new Date(certificate.validTo),
  };
}
