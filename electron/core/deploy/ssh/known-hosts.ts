/**
 * OpenSSH's known_hosts format, read and written the way `ssh` does (sshd(8) "SSH_KNOWN_HOSTS FILE
 * FORMAT"): `[@marker] patterns keytype base64 [comment]`; patterns are comma-separated, with `*`, `?`
 * and `!` negation, `[host]:port` for a port other than 22, or one hashed entry `|1|salt|hmac-sha1`.
 * `@revoked` keys are refused; `@cert-authority` lines are skipped (host certificates are not used).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface KnownKey {
  keyType: string;
  /** The public key blob (SSH wire format), as in the file's base64 field. */
  blob: Buffer;
  revoked: boolean;
  /** Where it was read (file path and 1-based line) — shown when a key changed. */
  source: string;
  line: number;
}

export interface KnownHostLine {
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  blob: Buffer;
  line: number;
}

/** The name a host is looked up under: `host` on port 22, else `[host]:port`. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostLine['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as typeof marker;
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64 || !/^[A-Za-z0-9+/=]+$/.test(b64)) return;
    out.push({ marker, patterns, keyType, blob: Buffer.from(b64, 'base64'), line: i + 1 });
  });
  return out;
}

/** Glob of OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive for host names. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value.toLowerCase());
}

function hashedMatch(entry: string, token: string): boolean {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(entry);
  if (!m) return false;
  const mac = createHmac('sha1', Buffer.from(m[1]!, 'base64')).update(token).digest();
  return mac.equals(Buffer.from(m[2]!, 'base64'));
}

/** Whether a line's pattern list names this host (a negated match excludes it outright). */
export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const token = hostToken(host, port);
  if (patterns.startsWith('|')) return hashedMatch(patterns, token);
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const pattern = negated ? p.slice(1) : p;
    if (globMatch(pattern, token)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The keys a file lists for one host (cert-authority lines left out). */
export function keysFor(text: string, source: string, host: string, port: number): KnownKey[] {
  return parseKnownHosts(text)
    .filter((l) => l.marker !== '@cert-authority' && patternsMatch(l.patterns, host, port))
    .map((l) => ({
      keyType: l.keyType,
      blob: l.blob,
      revoked: l.marker === '@revoked',
      source,
      line: l.line,
    }));
}

/** The key type named inside an SSH public key blob (its first string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** `SHA256:…` as `ssh-keygen -lf` and OpenSSH prompts show it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** `|1|salt|hmac-sha1` of a host token, as `HashKnownHosts yes` writes it (fresh salt each time). */
export function hashedHostName(token: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

/**
 * One known_hosts line for a host. Hashed like `HashKnownHosts yes` by default, so the file does not
 * list the hosts a responder works on.
 */
export function knownHostsLine(
  host: string,
  port: number,
  blob: Buffer,
  options: { hashed?: boolean; comment?: string } = {},
): string {
  const token = hostToken(host, port);
  const name = options.hashed === false ? token : hashedHostName(token);
  return [
    name,
    blobKeyType(blob),
    blob.toString('base64'),
    ...(options.comment ? [options.comment] : []),
  ].join(' ');
}
