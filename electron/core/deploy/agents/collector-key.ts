/**
 * The app's own key for offline collections (docs/velociraptor/offline-collector-encryption.md): an RSA
 * private key kept in the keychain only, minted the first time a collector is built with it. The
 * collector gets a self-signed certificate of that key as its X509 `public_key`; Velociraptor uses only
 * the key inside (RSA-OAEP, SHA-512, of the container's session password), so a certificate minted again
 * from the same key opens every collection built before. Unlike the server's frontend certificate (the
 * default), it survives a rebuilt or re-keyed server: the app decrypts such a collection itself.
 */
import { constants, createPublicKey, privateDecrypt, X509Certificate } from 'node:crypto';
import { AppError } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
import { exportPrivateKeyPem, generateKeyPair, selfSignedCertificate } from '../../pki/index';

export const COLLECTOR_KEY_REF = 'agents:collector-key';
const COMMON_NAME = 'Megaraptor offline collections';

/** The certificate to build collectors with; mints and stores the key the first time. */
export async function appCollectorCertificate(secrets: Pick<SecretStore, 'get' | 'set'>): Promise<string> {
  let key = await secrets.get(COLLECTOR_KEY_REF);
  if (!key) {
    key = await exportPrivateKeyPem(await generateKeyPair({ kind: 'rsa', bits: 3072 }));
    await secrets.set(COLLECTOR_KEY_REF, key);
  }
  return selfSignedCertificate(key, COMMON_NAME);
}

/** An X509 container's metadata.json row. */
export interface X509Metadata {
  publicKey: string;
  encryptedPass: string;
}

/**
 * The session password of an X509 container encrypted to the app's key, or null when it was encrypted
 * to another certificate (the server's: the server opens it) or the app has no key.
 */
export async function appKeySessionPassword(
  secrets: Pick<SecretStore, 'get'>,
  meta: X509Metadata,
  label: string,
): Promise<string | null> {
  const key = await secrets.get(COLLECTOR_KEY_REF);
  if (!key) return null;
  let theirs: Buffer;
  try {
    theirs = new X509Certificate(meta.publicKey).publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return null;
  }
  if (!createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(theirs)) return null;
  try {
    return privateDecrypt(
      { key, oaepHash: 'sha512', padding: constants.RSA_PKCS1_OAEP_PADDING },
      Buffer.from(meta.encryptedPass, 'base64'),
    ).toString('utf8');
  } catch (cause) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `${label} was built with this app's key, but its encrypted session password does not open: the file was changed or damaged.`,
      { details: { reason: 'damaged' }, cause },
    );
  }
}
