/**
 * Detached OpenPGP signatures (Velociraptor's `<asset>.sig`) checked with openpgp.js against ONE
 * trusted key, pinned by fingerprint: a key whose fingerprint is not the pinned one is refused before
 * it verifies anything, and a signature made by any other key fails. The file is streamed through the
 * verifier, never read whole into memory (release binaries are 50–100 MB).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as openpgp from 'openpgp';
import { AppError, messageOf } from '../../../../shared/errors';
import { VELOCIDEX_KEY_FINGERPRINT, VELOCIDEX_PUBLIC_KEY } from './velocidex-key';

export interface TrustedKey {
  /** ASCII-armored public key. */
  armored: string;
  /** 40 hex digits; the key is refused when its own fingerprint differs. */
  fingerprint: string;
}

export const VELOCIDEX_RELEASE_KEY: TrustedKey = {
  armored: VELOCIDEX_PUBLIC_KEY,
  fingerprint: VELOCIDEX_KEY_FINGERPRINT,
};

export interface VerifiedSignature {
  /** Fingerprint of the trusted (primary) key the signature chains to. */
  fingerprint: string;
  /** Key id of the (sub)key that made the signature, hex. */
  signingKeyId: string;
  signedAt: string | null;
}

const normalise = (fp: string): string => fp.replace(/\s+/g, '').toUpperCase();

export async function loadTrustedKey(trusted: TrustedKey): Promise<openpgp.PublicKey> {
  let key: openpgp.PublicKey;
  try {
    key = await openpgp.readKey({ armoredKey: trusted.armored });
  } catch (cause) {
    throw new AppError('RELEASE_SIGNATURE_INVALID', 'The release signing key cannot be read.', { cause });
  }
  const actual = normalise(key.getFingerprint());
  if (actual !== normalise(trusted.fingerprint))
    throw new AppError(
      'RELEASE_SIGNATURE_INVALID',
      `The release signing key has fingerprint ${actual}, not the pinned ${normalise(trusted.fingerprint)}; it is refused.`,
      { details: { expected: normalise(trusted.fingerprint), actual } },
    );
  return key;
}

async function readSignature(bytes: Uint8Array): Promise<openpgp.Signature> {
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  try {
    return text.includes('-----BEGIN PGP SIGNATURE-----')
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(bytes).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: bytes });
  } catch (cause) {
    throw new AppError('RELEASE_SIGNATURE_INVALID', 'The signature file is not an OpenPGP signature.', {
      cause,
    });
  }
}

/** Verifies `signature` (binary or armored) over the file at `path` with the trusted key. */
export async function verifyDetached(
  path: string,
  signature: Uint8Array,
  trusted: TrustedKey = VELOCIDEX_RELEASE_KEY,
): Promise<VerifiedSignature> {
  const key = await loadTrustedKey(trusted);
  const sig = await readSignature(signature);
  const stream = Readable.toWeb(createReadStream(path)) as WebReadableStream<Uint8Array>;
  const message = await openpgp.createMessage({ binary: stream });
  const result = await openpgp.verify({
    message,
    signature: sig,
    verificationKeys: key,
    format: 'binary',
  });
  // With a streamed message the signature is only checked once the data has been read through.
  const reader = (result.data as unknown as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  const first = result.signatures[0];
  if (!first) throw new AppError('RELEASE_SIGNATURE_INVALID', 'The signature file holds no signature.');
  try {
    await first.verified;
  } catch (cause) {
    throw new AppError(
      'RELEASE_SIGNATURE_INVALID',
      `The file does not carry a valid signature of the release key ${normalise(trusted.fingerprint)}: ${messageOf(cause)}`,
      { cause, details: { keyId: first.keyID.toHex() } },
    );
  }
  const packet = await first.signature;
  const created = packet.packets[0]?.created ?? null;
  return {
    fingerprint: normalise(key.getFingerprint()),
    signingKeyId: first.keyID.toHex().toUpperCase(),
    signedAt: created ? created.toISOString() : null,
  };
}
