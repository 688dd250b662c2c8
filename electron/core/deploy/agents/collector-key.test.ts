/**
 * The app's collector key: minted once into the keychain (a memory store with the keychain's
 * interface), a certificate of that key each time, and the session password of a container encrypted
 * as pk_encrypt does (RSA-OAEP, SHA-512) recovered only for the app's own key.
 */
import { constants, generateKeyPairSync, publicEncrypt, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../credentials/index';
import { selfSignedCertificate } from '../../pki/index';
import { appCollectorCertificate, appKeySessionPassword, COLLECTOR_KEY_REF } from './collector-key';

const encryptTo = (certificate: string, text: string) =>
  publicEncrypt(
    {
      key: new X509Certificate(certificate).publicKey,
      oaepHash: 'sha512',
      padding: constants.RSA_PKCS1_OAEP_PADDING,
    },
    Buffer.from(text),
  ).toString('base64');

describe('collector key', () => {
  it('mints the key into the keychain once; every certificate carries that key', async () => {
    const keychain = new MemorySecretStore();
    const first = await appCollectorCertificate(keychain);
    const key = keychain.data.get(COLLECTOR_KEY_REF);
    expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const second = await appCollectorCertificate(keychain);
    expect(keychain.data.get(COLLECTOR_KEY_REF)).toBe(key);
    const spki = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    expect(spki(second)).toEqual(spki(first));
    expect(new X509Certificate(first).subject).toBe('CN=Megaraptor offline collections');
    expect(first).not.toContain('PRIVATE KEY');
  }, 60_000);

  it('opens the session password of its own containers only', async () => {
    const keychain = new MemorySecretStore();
    const mine = await appCollectorCertificate(keychain);
    const session = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829';
    expect(
      await appKeySessionPassword(
        keychain,
        { publicKey: mine, encryptedPass: encryptTo(mine, session) },
        'c.zip',
      ),
    ).toBe(session);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const theirs = await selfSignedCertificate(
      other.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      'a server',
    );
    expect(
      await appKeySessionPassword(
        keychain,
        { publicKey: theirs, encryptedPass: encryptTo(theirs, session) },
        'c.zip',
      ),
    ).toBeNull();
    expect(
      await appKeySessionPassword(new MemorySecretStore(), { publicKey: mine, encryptedPass: 'x' }, 'c.zip'),
    ).toBeNull();
    await expect(
      appKeySessionPassword(
        keychain,
        { publicKey: mine, encryptedPass: encryptTo(theirs, session) },
        'c.zip',
      ),
    ).rejects.toThrow(
      /c\.zip was built with this app's key, but its encrypted session password does not open/,
    );
  }, 60_000);
});
