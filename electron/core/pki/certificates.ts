/**
 * Key and certificate minting for Velociraptor-compatible PKI (docs/velociraptor/certificates.md).
 * Keys come from WebCrypto's generateKey, which Node runs on its thread pool: generating RSA-4096
 * never blocks the event loop. Certificates are built with @peculiar/x509. Private keys are
 * exported as PKCS#1 PEM ("RSA PRIVATE KEY"), the format Velociraptor writes and reads, or SEC1 PEM
 * for the optional ECDSA API/GUI keys.
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AppError } from '../../../shared/errors';

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto);

export type KeyAlgorithm = { kind: 'rsa'; bits: 2048 | 3072 | 4096 } | { kind: 'ecdsa-p256' };
export const DEFAULT_KEY: KeyAlgorithm = { kind: 'rsa', bits: 2048 };

export interface KeyPair {
  algorithm: KeyAlgorithm;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

/** A certificate with its key, both as PEM (what configs and grpc-js take). */
export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** A CA able to sign: its certificate and the key pair behind it. */
export interface CertificateAuthority extends IssuedCertificate {
  certificate: x509.X509Certificate;
  keys: KeyPair;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

function algorithmParams(alg: KeyAlgorithm): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return alg.kind === 'rsa'
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: alg.bits,
      }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

function signingAlgorithm(alg: KeyAlgorithm): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return alg.kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
}

export async function generateKeyPair(algorithm: KeyAlgorithm = DEFAULT_KEY): Promise<KeyPair> {
  const pair = await webcrypto.subtle.generateKey(algorithmParams(algorithm), true, ['sign', 'verify']);
  return { algorithm, publicKey: pair.publicKey, privateKey: pair.privateKey };
}

/** PKCS#1 for RSA ("RSA PRIVATE KEY"), SEC1 for EC ("EC PRIVATE KEY"): what Velociraptor writes. */
export async function exportPrivateKeyPem(keys: KeyPair): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return key.export({ type: keys.algorithm.kind === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString();
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return bytes.toString('hex');
}

function validity(days: number, notBefore?: Date): { notBefore: Date; notAfter: Date } {
  // Back-date a little so a peer whose clock is slightly behind still accepts a fresh certificate.
  const start = notBefore ?? new Date(Date.now() - 5 * 60_000);
  return { notBefore: start, notAfter: new Date(start.getTime() + days * DAY_MS) };
}

export interface CaOptions {
  algorithm?: KeyAlgorithm;
  validityDays?: number;
  /** Subject organisation; Velociraptor's own CA is `Velociraptor CA` with no CN. */
  organization?: string;
  notBefore?: Date;
}

/** A CA shaped like Velociraptor's: O=Velociraptor CA, SAN Velociraptor_ca.velocidex.com, 10 years. */
export async function createCertificateAuthority(options: CaOptions = {}): Promise<CertificateAuthority> {
  const algorithm = options.algorithm ?? DEFAULT_KEY;
  if (algorithm.kind !== 'rsa')
    throw new AppError('INVALID_ARGUMENT', 'The CA stays RSA: agents and Velociraptor expect an RSA CA.');
  const keys = await generateKeyPair(algorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `O=${options.organization ?? 'Velociraptor CA'}`,
    ...validity(options.validityDays ?? 3650, options.notBefore),
    signingAlgorithm: signingAlgorithm(algorithm),
    keys: { publicKey: keys.publicKey, privateKey: keys.privateKey },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH, CLIENT_AUTH]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'Velociraptor_ca.velocidex.com' }]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate,
    keys,
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await exportPrivateKeyPem(keys),
  };
}

/**
 * The key pair of a PEM private key (PKCS#1, PKCS#8 or SEC1; RSA or P-256), as WebCrypto keys that can
 * sign a renewed certificate for the same key.
 */
export async function importKeyPair(privateKeyPem: string): Promise<KeyPair> {
  const keyObject = createPrivateKey(privateKeyPem);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  // From the private key, not a certificate: the pair is consistent even if the PEMs are not.
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  if (keyObject.asymmetricKeyType === 'rsa') {
    const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const bits = (keyObject.asymmetricKeyDetails?.modulusLength ?? 2048) as 2048 | 3072 | 4096;
    return {
      algorithm: { kind: 'rsa', bits },
      privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, params, true, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', spki, params, true, ['verify']),
    };
  }
  if (keyObject.asymmetricKeyType === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    const params = { name: 'ECDSA', namedCurve: 'P-256' };
    return {
      algorithm: { kind: 'ecdsa-p256' },
      privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, params, true, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', spki, params, true, ['verify']),
    };
  }
  throw new AppError('INVALID_ARGUMENT', 'Only RSA and P-256 keys can be used here.');
}

/**
 * A self-signed certificate for an existing key (no CA flag, key encipherment only): what a program that
 * encrypts *to* a certificate needs, e.g. an offline collector's X509 scheme, which uses only its key.
 */
export async function selfSignedCertificate(
  privateKeyPem: string,
  commonName: string,
  validityDays = 3650,
): Promise<string> {
  const keys = await importKeyPair(privateKeyPem);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    ...validity(validityDays),
    signingAlgorithm: signingAlgorithm(keys.algorithm),
    keys: { publicKey: keys.publicKey, privateKey: keys.privateKey },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true),
    ],
  });
  return certificate.toString('pem');
}

/** Loads a CA from PEM (a server config's Client.ca_certificate and CA.private_key). */
export async function loadCertificateAuthority(
  certificatePem: string,
  privateKeyPem: string,
): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certificatePem);
  const keyObject = createPrivateKey(privateKeyPem);
  if (keyObject.asymmetricKeyType !== 'rsa')
    throw new AppError('INVALID_ARGUMENT', 'Only RSA CA keys are supported.');
  // A CA key that does not fit its certificate would sign leaves nobody can verify.
  if (!new X509Certificate(certificatePem).checkPrivateKey(keyObject)) {
    throw new AppError('CERT_KEY_MISMATCH', 'The CA private key does not belong to the CA certificate.');
  }
  return { certificate, certificatePem, privateKeyPem, keys: await importKeyPair(privateKeyPem) };
}

export interface LeafOptions {
  /** Subject CN: `VelociraptorServer` for the Frontend/API cert, `GRPC_GW` for the gateway, the user name for API clients. */
  commonName: string;
  /** DNS SANs; defaults to [commonName] (IP SAN when the name parses as an IP), as Velociraptor does. */
  dnsNames?: string[];
  ipAddresses?: string[];
  organization?: string;
  algorithm?: KeyAlgorithm;
  validityDays?: number;
  notBefore?: Date;
  /** Reuse an existing key pair (rotation that keeps the key). */
  keys?: KeyPair;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The leaf's Authority Key Identifier: the CA certificate's own Subject Key Identifier when it has
 * one (Velociraptor's CA computes it its own way, and a different value does not chain), else one
 * derived from the CA's public key.
 */
async function authorityKeyId(ca: CertificateAuthority): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski
    ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
    : x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey);
}

/** A leaf certificate signed by `ca`, with ServerAuth+ClientAuth as Velociraptor mints them. */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: LeafOptions,
): Promise<IssuedCertificate> {
  const algorithm = options.algorithm ?? options.keys?.algorithm ?? DEFAULT_KEY;
  const keys = options.keys ?? (await generateKeyPair(algorithm));
  const isIp = IPV4.test(options.commonName) || options.commonName.includes(':');
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? (isIp ? [] : [options.commonName])).map((value) => ({
      type: 'dns' as const,
      value,
    })),
    ...(options.ipAddresses ?? (isIp ? [options.commonName] : [])).map((value) => ({
      type: 'ip' as const,
      value,
    })),
  ];
  const subject = `CN=${escapeDnValue(options.commonName)}, O=${escapeDnValue(options.organization ?? 'Velociraptor')}`;
  const usage =
    algorithm.kind === 'rsa'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    // The CA's subject as encoded (a DER Name), not re-encoded from text: Velociraptor's CA names
    // itself with a PrintableString, and a UTF8String issuer would not chain to it.
    issuer: ca.certificate.subjectName,
    ...validity(options.validityDays ?? 365, options.notBefore),
    signingAlgorithm: signingAlgorithm(ca.keys.algorithm),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH, CLIENT_AUTH]),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await authorityKeyId(ca),
    ],
  });
  return { certificatePem: certificate.toString('pem'), privateKeyPem: await exportPrivateKeyPem(keys) };
}

/**
 * The same certificate again with a new validity: same key, subject, organisation and names, signed by
 * `ca`. Keeping the key is what makes a renewal safe where a rotation is not — agents encrypt to the
 * Frontend key, so a new one would orphan collections encrypted to the old
 * (docs/velociraptor/deployment.md#generating-a-server-config).
 */
export async function renewCertificate(
  ca: CertificateAuthority,
  current: IssuedCertificate,
  options: { validityDays: number; notBefore?: Date },
): Promise<IssuedCertificate> {
  const old = new X509Certificate(current.certificatePem);
  const keys = await importKeyPair(current.privateKeyPem);
  if (!old.checkPrivateKey(createPrivateKey(current.privateKeyPem)))
    throw new AppError('CERT_KEY_MISMATCH', 'The private key does not belong to the certificate to renew.');
  const field = (name: string) => new RegExp(`(?:^|\\n)${name}=([^\\n]*)`).exec(old.subject)?.[1];
  const commonName = field('CN');
  if (!commonName) throw new AppError('INVALID_ARGUMENT', 'The certificate to renew has no common name.');
  const san = old.subjectAltName ?? '';
  const names = (tag: string) =>
    san
      .split(', ')
      .filter((n) => n.startsWith(`${tag}:`))
      .map((n) => n.slice(tag.length + 1));
  const issued = await issueCertificate(ca, {
    commonName,
    dnsNames: names('DNS'),
    ipAddresses: names('IP Address'),
    organization: field('O') ?? 'Velociraptor',
    keys,
    validityDays: options.validityDays,
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
  });
  // The PEM of the key as it was: a config compares it byte for byte.
  return { certificatePem: issued.certificatePem, privateKeyPem: current.privateKeyPem };
}

/** Velociraptor's user-name rule (VR services/users ValidateUsername) and its two reserved names. */
export const USER_NAME_PATTERN = /^[a-zA-Z0-9@.\-_#+]+$/;
export const SERVER_NAME = 'VelociraptorServer';
export const GATEWAY_NAME = 'GRPC_GW';

export function validateUserName(name: string, pinnedServerName: string = SERVER_NAME): string {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `"${name}" is not a valid Velociraptor user name (letters, digits and @ . - _ # + only).`,
    );
  }
  if (name === pinnedServerName || name === SERVER_NAME || name === GATEWAY_NAME) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `"${name}" is reserved by Velociraptor (server and gateway identities).`,
    );
  }
  return name;
}

/** RSA only: agents encrypt to the Frontend's RSA key. Also the API server certificate. */
export function issueFrontendCertificate(
  ca: CertificateAuthority,
  options: { pinnedName?: string; bits?: 2048 | 3072 | 4096; validityDays?: number; notBefore?: Date } = {},
): Promise<IssuedCertificate> {
  return issueCertificate(ca, {
    commonName: options.pinnedName ?? SERVER_NAME,
    algorithm: { kind: 'rsa', bits: options.bits ?? 2048 },
    ...(options.validityDays !== undefined ? { validityDays: options.validityDays } : {}),
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
  });
}

/** The GUI's gRPC gateway identity (GUI.gw_certificate): CN GRPC_GW; RSA by default, P-256 allowed. */
export function issueGatewayCertificate(
  ca: CertificateAuthority,
  options: { algorithm?: KeyAlgorithm; validityDays?: number; notBefore?: Date } = {},
): Promise<IssuedCertificate> {
  return issueCertificate(ca, { commonName: GATEWAY_NAME, ...options });
}

/** An API client identity: CN = user name (validated); RSA by default, P-256 allowed. */
export function issueApiClientCertificate(
  ca: CertificateAuthority,
  name: string,
  options: { algorithm?: KeyAlgorithm; validityDays?: number; notBefore?: Date } = {},
): Promise<IssuedCertificate> {
  return issueCertificate(ca, { commonName: validateUserName(name), ...options });
}

function escapeDnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}
