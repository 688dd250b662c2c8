/**
 * Reading a private key file for an SSH login and checking it before any host is contacted, so a
 * wrong choice of file gets an error that says what the file is and what was expected, instead of
 * ssh2's one-line parse error surfacing as a login failure. The format and whether the key is
 * encrypted are read from the file itself (headers, the OpenSSH cipher field), so the message does
 * not depend on ssh2's wording; ssh2's parser then decides whether the key and passphrase really open.
 */
import { readFile, stat } from 'node:fs/promises';
// ssh2 is CommonJS: Node's ESM loader (Playwright's specs) finds `Client` but not `utils` as a named
// export, so it is read from the default export.
import ssh2 from 'ssh2';
import { AppError } from '../../../../shared/errors';

/** Key files are a few KB; anything larger was chosen by mistake and is not read into memory. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

const EXPECTED =
  'an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----, as ssh-keygen writes it), a PEM private key (-----BEGIN RSA/EC/DSA PRIVATE KEY----- or PKCS#8) or a PuTTY .ppk file';

export type KeyFileFormat = 'openssh' | 'pem' | 'pkcs8' | 'ppk';

export type KeyFileKind =
  | { kind: 'private'; format: KeyFileFormat; encrypted: boolean }
  | { kind: 'public'; format: string }
  | { kind: 'unknown' };

const PUBLIC_LINE =
  /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+AAAA/;

const FORMAT_WORDS: Record<KeyFileFormat, string> = {
  openssh: 'an OpenSSH',
  pem: 'a PEM',
  pkcs8: 'a PKCS#8',
  ppk: 'a PuTTY',
};

/** What a key file holds, judged from its text alone. */
export function classifyKeyFile(data: Buffer): KeyFileKind {
  const text = data
    .toString('latin1')
    .replace(/^\uFEFF/, '')
    .trimStart();
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (firstLine.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----'))
    // An unreadable cipher field is a damaged file, which ssh2's parser reports; not "encrypted".
    return { kind: 'private', format: 'openssh', encrypted: (opensshCipher(text) ?? 'none') !== 'none' };
  if (/^-----BEGIN (RSA|EC|DSA) PRIVATE KEY-----/.test(firstLine))
    return { kind: 'private', format: 'pem', encrypted: /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(text) };
  if (firstLine.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----'))
    return { kind: 'private', format: 'pkcs8', encrypted: true };
  if (firstLine.startsWith('-----BEGIN PRIVATE KEY-----'))
    return { kind: 'private', format: 'pkcs8', encrypted: false };
  if (firstLine.startsWith('PuTTY-User-Key-File-'))
    return { kind: 'private', format: 'ppk', encrypted: !/^Encryption:\s*none\s*$/m.test(text) };
  const publicType = PUBLIC_LINE.exec(firstLine);
  if (publicType) return { kind: 'public', format: publicType[1] ?? 'ssh' };
  if (/^-----BEGIN (RSA |EC |DSA )?PUBLIC KEY-----/.test(firstLine)) return { kind: 'public', format: 'PEM' };
  if (firstLine.startsWith('---- BEGIN SSH2 PUBLIC KEY ----')) return { kind: 'public', format: 'RFC 4716' };
  return { kind: 'unknown' };
}

/** The cipher field of an OpenSSH key ("none" when it is not encrypted); undefined when unreadable. */
function opensshCipher(text: string): string | undefined {
  const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const raw = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.length < magic.length + 4 || raw.toString('latin1', 0, magic.length) !== magic) return undefined;
  const len = raw.readUInt32BE(magic.length);
  const start = magic.length + 4;
  if (len > 64 || start + len > raw.length) return undefined;
  return raw.toString('latin1', start, start + len);
}

/**
 * The bytes of the private key at `path`, checked to be a private key that `passphrase` (when it is
 * encrypted) opens. `where` names the host it is for, for the messages.
 */
export async function readPrivateKey(
  path: string,
  passphrase: string | undefined,
  where: string,
): Promise<Buffer> {
  const fail = (why: string, what: string, extra: Record<string, unknown> = {}, cause?: unknown): never => {
    throw new AppError('SSH_KEY_UNUSABLE', `The key file ${path} for ${where} ${why}. ${what}`, {
      details: { keyPath: path, ...extra },
      ...(cause !== undefined ? { cause } : {}),
    });
  };
  let data: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory())
      return fail('is a folder, not a file', `Choose ${EXPECTED}.`, { reason: 'directory' });
    if (info.size > MAX_KEY_FILE_BYTES)
      return fail(
        `is not a key: it is ${info.size} bytes, far larger than any key file`,
        `Choose ${EXPECTED}.`,
        { reason: 'not-a-key' },
      );
    data = await readFile(path);
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read by this user (permission denied)'
          : `cannot be read (${code})`;
    return fail(
      why,
      'Check the path and that this account may read the file.',
      { reason: 'unreadable', code },
      cause,
    );
  }

  const kind = classifyKeyFile(data);
  if (kind.kind === 'unknown') return fail('is not a key', `Expected ${EXPECTED}.`, { reason: 'not-a-key' });
  if (kind.kind === 'public')
    return fail(
      `holds a public key (${kind.format}), not a private one`,
      `Choose the private key it belongs to${path.endsWith('.pub') ? ` (probably ${path.slice(0, -4)})` : ''}; the public key goes into the host's authorized_keys.`,
      { reason: 'public-key', format: kind.format },
    );
  if (kind.encrypted && passphrase === undefined)
    return fail(
      `is ${encryptedWords(kind.format)} private key and no passphrase is saved in the keychain for it`,
      'Save its passphrase with the key, or choose a key without one.',
      { reason: 'passphrase-missing', format: kind.format },
    );
  const parsed = ssh2.utils.parseKey(data, kind.encrypted ? passphrase : undefined);
  if (parsed instanceof Error) {
    if (kind.encrypted)
      return fail(
        `is ${encryptedWords(kind.format)} private key and the passphrase saved in the keychain does not open it`,
        'Save the right passphrase for it.',
        { reason: 'wrong-passphrase', format: kind.format },
      );
    return fail(
      `looks like ${FORMAT_WORDS[kind.format]} private key but cannot be read (${parsed.message})`,
      `Expected ${EXPECTED} of type ed25519, ECDSA or RSA; regenerate it with ssh-keygen if it is damaged.`,
      { reason: 'malformed', format: kind.format },
    );
  }
  return data;
}

function encryptedWords(format: KeyFileFormat): string {
  return `an encrypted ${FORMAT_WORDS[format].replace(/^an? /, '')}`;
}
