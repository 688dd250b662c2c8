/**
 * A password-protected offline collection opened here, because the server's import cannot open it
 * without its password in the query's scope (ZIP_PASSWORDS), and the only way to put it there is the
 * flow's own request, which the server keeps on disk. Upstream's container (reporting/container.go) is
 * an outer ZIP holding one stored entry, `data.zip`, encrypted with WinZip AES-256; decrypted, that
 * entry is itself the plain collection ZIP — so decryption writes it out as it is and the import goes
 * on as for an unencrypted collection. Streams in chunks (a collection can be gigabytes); the
 * authentication code is checked at the end and a file that fails it is removed.
 */
import { open, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { AppError } from '../../../../shared/errors';
import { entryDataOffset, readZipDirectory } from './collection-zip';
import {
  deriveKeys,
  overhead,
  saltBytes,
  verifierMatches,
  winZipAesField,
  WinZipAesDecipher,
} from '../../files/index';

const CHUNK = 1024 * 1024;

const wrongPassword = (label: string) =>
  new AppError(
    'INVALID_ARGUMENT',
    `The password does not open ${label}. Choose the keychain entry the collector was built with and import again; the file is unchanged.`,
    { details: { reason: 'wrong-password' } },
  );

/** Writes the plain collection inside `src` (a password container) to `dest` (a new file, 0600). */
export async function decryptPasswordCollection(
  src: string,
  password: string,
  dest: string,
  label = src,
): Promise<void> {
  const entry = (await readZipDirectory(src, label)).find((e) => e.name === 'data.zip');
  const field = entry ? winZipAesField(entry.extra) : null;
  if (!entry || !(entry.flags & 1))
    throw new AppError('INVALID_ARGUMENT', `${label} is not a password-protected collection.`, {
      details: { reason: 'not-encrypted' },
    });
  if (!field || (field.method !== 0 && field.method !== 8))
    throw new AppError(
      'INVALID_ARGUMENT',
      `${label} is encrypted in a way Velociraptor's collector does not write (not WinZip AES, or an unknown compression): extract it with the tool that made it.`,
      { details: { reason: 'encrypted', scheme: 'zip-other' } },
    );
  const fh = await open(src, 'r');
  try {
    const dataAt = await entryDataOffset(fh, entry);
    const length = entry.compressedSize - overhead(field);
    if (dataAt === null || length < 0)
      throw new AppError('INVALID_ARGUMENT', `${label} is a damaged ZIP (data.zip cannot be read).`, {
        details: { reason: 'damaged' },
      });
    const head = Buffer.alloc(saltBytes(field) + 2);
    await fh.read(head, 0, head.length, dataAt);
    const keys = await deriveKeys(password, head.subarray(0, saltBytes(field)), field.keyBytes);
    if (!verifierMatches(keys, head.subarray(saltBytes(field)))) throw wrongPassword(label);

    const decipher = new WinZipAesDecipher(keys);
    const start = dataAt + head.length;
    async function* chunks() {
      for (let at = 0; at < length; at += CHUNK) {
        const b = Buffer.alloc(Math.min(CHUNK, length - at));
        const { bytesRead } = await fh.read(b, 0, b.length, start + at);
        if (bytesRead !== b.length)
          throw new AppError('INVALID_ARGUMENT', `${label} ends early (it was cut while copying).`, {
            details: { reason: 'damaged' },
          });
        yield decipher.update(b);
      }
    }
    // 'wx': never over a file that is there (a failure below removes what this call wrote only).
    const out = (await open(dest, 'wx', 0o600)).createWriteStream();
    try {
      if (field.method === 8) await pipeline(Readable.from(chunks()), createInflateRaw(), out);
      else await pipeline(Readable.from(chunks()), out);
      const code = Buffer.alloc(10);
      await fh.read(code, 0, 10, start + length);
      // The verifier is 2 bytes: 1 in 65 536 wrong passwords pass it; the code catches those.
      if (!decipher.finish(code))
        throw new AppError(
          'INVALID_ARGUMENT',
          `${label} did not decrypt to what was encrypted: the password is wrong or the file was changed or damaged on its way back. The file is unchanged; copy it again or check the password.`,
          { details: { reason: 'wrong-password-or-damaged' } },
        );
    } catch (e) {
      await rm(dest, { force: true });
      // A wrong password that passed the verifier makes garbage that deflate refuses.
      if (field.method === 8 && !(e instanceof AppError)) throw wrongPassword(label);
      throw e;
    }
  } finally {
    await fh.close();
  }
}
