/**
 * Key files a responder may pick by mistake, each with its own message, against keys written by the
 * real ssh-keygen: not a key, an encrypted key without a saved passphrase, a wrong passphrase, a
 * public key instead of the private one, and files that cannot be read.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors';
import { classifyKeyFile, readPrivateKey } from './private-key';

const WHERE = 'root@host-a:22';
const PASSPHRASE = 'correct horse 7';
let dir: string;
const path = (name: string): string => join(dir, name);

function keygen(name: string, type: string, passphrase: string, pem = false): void {
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    ...(pem ? ['-m', 'PEM'] : []),
    '-N',
    passphrase,
    '-C',
    '',
    '-f',
    path(name),
  ]);
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  const err = e as AppError;
  expect(err.code).toBe('SSH_KEY_UNUSABLE');
  expect(err.message).not.toContain(PASSPHRASE);
  return err;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-keyfile-'));
  keygen('id_ed25519', 'ed25519', '');
  keygen('id_locked', 'ed25519', PASSPHRASE);
  keygen('id_rsa_pem', 'rsa', '', true);
  keygen('id_rsa_pem_locked', 'rsa', PASSPHRASE, true);
  await writeFile(path('notes.txt'), 'ssh root@host-a\npassword is on the wiki\n');
  await writeFile(path('random.bin'), randomBytes(2048));
  await writeFile(path('empty'), '');
  await writeFile(
    path('cut'),
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
  );
  await mkdir(path('folder'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readPrivateKey', () => {
  it('returns the bytes of a plain key and of an encrypted key with its passphrase', async () => {
    for (const name of ['id_ed25519', 'id_rsa_pem'])
      expect(await readPrivateKey(path(name), undefined, WHERE)).toEqual(await readFile(path(name)));
    for (const name of ['id_locked', 'id_rsa_pem_locked'])
      expect(await readPrivateKey(path(name), PASSPHRASE, WHERE)).toEqual(await readFile(path(name)));
    // A passphrase saved for a key that has none does no harm.
    expect(await readPrivateKey(path('id_ed25519'), PASSPHRASE, WHERE)).toEqual(
      await readFile(path('id_ed25519')),
    );
  });

  it('says a file that is not a key is not a key, names it and the formats expected', async () => {
    for (const name of ['notes.txt', 'random.bin', 'empty']) {
      const e = await refusal(readPrivateKey(path(name), undefined, WHERE));
      expect(e.message).toContain(`The key file ${path(name)} for ${WHERE} is not a key.`);
      expect(e.message).toContain('OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----');
      expect(e.message).toContain('PuTTY .ppk');
      expect(e.message).not.toMatch(/encrypted|passphrase/);
      expect(e.details).toMatchObject({ keyPath: path(name), reason: 'not-a-key' });
    }
  });

  it('says a damaged private key is damaged, not encrypted', async () => {
    const e = await refusal(readPrivateKey(path('cut'), undefined, WHERE));
    expect(e.message).toContain('looks like an OpenSSH private key but cannot be read');
    expect(e.details).toMatchObject({ reason: 'malformed' });
  });

  it('says an encrypted key has no passphrase saved', async () => {
    for (const [name, format] of [
      ['id_locked', 'OpenSSH'],
      ['id_rsa_pem_locked', 'PEM'],
    ] as const) {
      const e = await refusal(readPrivateKey(path(name), undefined, WHERE));
      expect(e.message).toContain(
        `${path(name)} for ${WHERE} is an encrypted ${format} private key and no passphrase is saved in the keychain for it`,
      );
      expect(e.details).toMatchObject({ reason: 'passphrase-missing', format: format.toLowerCase() });
    }
  });

  it('says the saved passphrase does not open the key', async () => {
    for (const name of ['id_locked', 'id_rsa_pem_locked']) {
      const e = await refusal(readPrivateKey(path(name), 'not it', WHERE));
      expect(e.message).toContain('the passphrase saved in the keychain does not open it');
      expect(e.message).not.toContain('not it');
      expect(e.details).toMatchObject({ reason: 'wrong-passphrase' });
    }
  });

  it('says a public key was given and points at the private one', async () => {
    const e = await refusal(readPrivateKey(path('id_ed25519.pub'), undefined, WHERE));
    expect(e.message).toContain('holds a public key (ssh-ed25519), not a private one');
    expect(e.message).toContain(`(probably ${path('id_ed25519')})`);
    expect(e.details).toMatchObject({ reason: 'public-key', format: 'ssh-ed25519' });
    const rsa = await refusal(readPrivateKey(path('id_rsa_pem.pub'), undefined, WHERE));
    expect(rsa.message).toContain('public key (ssh-rsa)');
  });

  it('says why a file cannot be read: missing, a folder, a path through a file', async () => {
    const missing = await refusal(readPrivateKey(path('nope'), undefined, WHERE));
    expect(missing.message).toContain(`The key file ${path('nope')} for ${WHERE} does not exist.`);
    expect(missing.details).toMatchObject({ reason: 'unreadable', code: 'ENOENT' });
    const folder = await refusal(readPrivateKey(path('folder'), undefined, WHERE));
    expect(folder.message).toContain('is a folder, not a file');
    const through = await refusal(readPrivateKey(join(path('notes.txt'), 'id'), undefined, WHERE));
    expect(through.message).toContain('cannot be read (ENOTDIR)');
  });

  // root reads any file whatever its mode, so permission denied is observable only as another user.
  it.skipIf(process.getuid?.() === 0)('says a key file this user may not read is not readable', async () => {
    await writeFile(path('closed'), await readFile(path('id_ed25519')));
    await chmod(path('closed'), 0o000);
    const e = await refusal(readPrivateKey(path('closed'), undefined, WHERE));
    expect(e.message).toContain('cannot be read by this user (permission denied)');
    expect(e.details).toMatchObject({ reason: 'unreadable', code: 'EACCES' });
  });
});

describe('classifyKeyFile', () => {
  it('tells formats and encryption from the text', () => {
    const text = (s: string): Buffer => Buffer.from(s);
    expect(classifyKeyFile(text('-----BEGIN ENCRYPTED PRIVATE KEY-----\n'))).toEqual({
      kind: 'private',
      format: 'pkcs8',
      encrypted: true,
    });
    expect(classifyKeyFile(text('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n'))).toEqual({
      kind: 'private',
      format: 'ppk',
      encrypted: false,
    });
    expect(
      classifyKeyFile(text('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n')),
    ).toMatchObject({
      encrypted: true,
    });
    expect(classifyKeyFile(text('-----BEGIN PUBLIC KEY-----\n'))).toEqual({ kind: 'public', format: 'PEM' });
    expect(classifyKeyFile(text('---- BEGIN SSH2 PUBLIC KEY ----\n'))).toEqual({
      kind: 'public',
      format: 'RFC 4716',
    });
    expect(classifyKeyFile(text('ssh-ed25519 is my favourite'))).toEqual({ kind: 'unknown' });
  });
});
