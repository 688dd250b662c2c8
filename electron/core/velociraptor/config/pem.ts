/**
 * PEM checks for API client configs, done with Node's own X.509 and key parsers so that a broken
 * config fails when it is loaded (with a reason a responder can fix), never at the first call.
 * Kept here, small, rather than in core/pki (owned elsewhere); it could move there later.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { AppError } from '../../../../shared/errors';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export function parseCertificate(pem: string, field: string): X509Certificate {
  if (!CERT_BLOCK.test(pem)) {
    throw new AppError('CONFIG_INVALID_PEM', `${field} holds no "BEGIN CERTIFICATE" PEM block. Re-export the API config from the server.`, {
      details: { field },
    });
  }
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new AppError('CONFIG_INVALID_PEM', `${field} is not a parsable certificate. Re-export the API config from the server.`, {
      details: { field },
      cause,
    });
  }
}

/** Legacy OpenSSL "Proc-Type: 4,ENCRYPTED" PEM or PKCS#8 "ENCRYPTED PRIVATE KEY". */
export function isEncryptedKey(pem: string): boolean {
  return /Proc-Type:\s*4,ENCRYPTED/.test(pem) || pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
}

export function parsePrivateKey(pem: string, passphrase: string | undefined, field = 'client_private_key'): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new AppError('CONFIG_INVALID_PEM', `${field} holds no "BEGIN … PRIVATE KEY" PEM block.`, { details: { field } });
  }
  const encrypted = isEncryptedKey(pem);
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new AppError('CONFIG_PASSPHRASE_REQUIRED', `${field} is encrypted: enter the passphrase that was set when the API config was created.`, {
      details: { field },
    });
  }
  try {
    return encrypted ? createPrivateKey({ key: pem, format: 'pem', passphrase }) : createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    if (encrypted) {
      throw new AppError('CONFIG_WRONG_PASSPHRASE', `The passphrase does not decrypt ${field}. Check it and try again.`, {
        details: { field },
        cause,
      });
    }
    throw new AppError('CONFIG_INVALID_PEM', `${field} is not a parsable private key.`, { details: { field }, cause });
  }
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function validityOf(cert: X509Certificate): Validity {
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/** Throws CERT_EXPIRED / CERT_NOT_YET_VALID with both dates, so the responder sees the window. */
export function checkValidity(cert: X509Certificate, field: string, now: Date): Validity {
  const v = validityOf(cert);
  const window = `valid from ${v.notBefore.toISOString()} to ${v.notAfter.toISOString()}`;
  if (now.getTime() > v.notAfter.getTime()) {
    throw new AppError('CERT_EXPIRED', `${field} expired: ${window} (now ${now.toISOString()}). Issue a new API config on the server.`, {
      details: { field, notBefore: v.notBefore.toISOString(), notAfter: v.notAfter.toISOString() },
    });
  }
  if (now.getTime() < v.notBefore.getTime()) {
    throw new AppError(
      'CERT_NOT_YET_VALID',
      `${field} is not valid yet: ${window} (now ${now.toISOString()}). Check this machine's clock.`,
      { details: { field, notBefore: v.notBefore.toISOString(), notAfter: v.notAfter.toISOString() } },
    );
  }
  return v;
}

export function checkKeyMatchesCert(cert: X509Certificate, key: KeyObject): void {
  let matches = false;
  try {
    matches = cert.checkPrivateKey(key);
  } catch {
    matches = false; // different key types make OpenSSL throw instead of answering false
  }
  if (!matches) {
    throw new AppError('CERT_KEY_MISMATCH', 'client_private_key does not belong to client_cert. Use the key and certificate from the same API config.');
  }
}

export function checkSignedBy(cert: X509Certificate, ca: X509Certificate, field: string): void {
  let ok = false;
  try {
    ok = cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AppError('CERT_NOT_SIGNED_BY_CA', `${field} was not signed by ca_certificate: the config mixes material from different servers.`, {
      details: { field, issuer: cert.issuer, caSubject: ca.subject },
    });
  }
}

/** The user name Velociraptor derives from a client cert: Subject CN, else first DNS SAN, else IP SAN. */
export function commonNameOf(cert: X509Certificate): string | undefined {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn) return cn;
  const san = cert.subjectAltName ?? '';
  return /DNS:([^,]+)/.exec(san)?.[1] ?? /IP Address:([^,]+)/.exec(san)?.[1];
}
