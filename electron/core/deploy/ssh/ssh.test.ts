/**
 * The pure parts of the SSH layer: known_hosts matching as OpenSSH does it (hashed names, ports,
 * wildcards, negation, revoked keys), shell and systemd quoting (round trips through real `sh`), the
 * platform probe's parsers, and the host-key store's decisions.
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import { hostKeyAlgorithms } from './connect';
import { HostKeyStore } from './host-keys';
import { fingerprintOf, keysFor, knownHostsLine, patternsMatch } from './known-hosts';
import { archOf, parseOsRelease, parsePlatform, parseProcNetTcp } from './platform';
import { assertRemovable } from './remote-files';
import { isSafeAbsolutePath, quote, sh } from './shell';
import {
  execLine,
  onCalendarAt,
  parseExecLine,
  parseOnCalendarAt,
  parseUnit,
  renderUnit,
  unitValue,
} from './systemd-unit';

/** An SSH key blob: string type, then some bytes (enough for matching and fingerprints). */
function blob(type: string, body = randomBytes(32)): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, body]);
}

describe('known_hosts', () => {
  it('matches plain names, [host]:port, wildcards and negation like OpenSSH', () => {
    expect(patternsMatch('example.org,10.0.0.1', 'example.org', 22)).toBe(true);
    expect(patternsMatch('example.org', 'example.org', 2222)).toBe(false);
    expect(patternsMatch('[example.org]:2222', 'example.org', 2222)).toBe(true);
    expect(patternsMatch('[127.0.0.1]:2222', '127.0.0.1', 2222)).toBe(true);
    expect(patternsMatch('[127.0.0.1]:2222', '127.0.0.10', 2222)).toBe(false);
    expect(patternsMatch('*.corp.example', 'db.corp.example', 22)).toBe(true);
    expect(patternsMatch('*.corp.example,!db.corp.example', 'db.corp.example', 22)).toBe(false);
    expect(patternsMatch('host?', 'host1', 22)).toBe(true);
    expect(patternsMatch('HOST1', 'host1', 22)).toBe(true);
  });

  it('matches hashed names (HashKnownHosts) and writes them', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[h.example]:2200').digest('base64')}`;
    expect(patternsMatch(hashed, 'h.example', 2200)).toBe(true);
    expect(patternsMatch(hashed, 'h.example', 22)).toBe(false);
    const key = blob('ssh-ed25519');
    const line = knownHostsLine('h.example', 2200, key);
    expect(line).toMatch(/^\|1\|[^ ]+ ssh-ed25519 [A-Za-z0-9+/=]+$/);
    expect(keysFor(line, 'f', 'h.example', 2200)[0]!.blob.equals(key)).toBe(true);
  });

  it('reads markers, comments and bad lines without tripping', () => {
    const k = blob('ssh-rsa');
    const text = [
      '# comment',
      '',
      `@revoked h ssh-rsa ${k.toString('base64')}`,
      `@cert-authority *.example ssh-rsa ${k.toString('base64')}`,
      'garbage line',
      `h ssh-rsa ${k.toString('base64')} a comment`,
    ].join('\n');
    const keys = keysFor(text, 'file', 'h', 22);
    expect(keys.map((x) => [x.revoked, x.line])).toEqual([
      [true, 3],
      [false, 6],
    ]);
  });

  it('prints fingerprints as ssh-keygen does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'megaraptor-fp-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      const pub = (await readFile(join(dir, 'k.pub'), 'utf8')).split(' ');
      const expected = execFileSync('ssh-keygen', ['-lf', join(dir, 'k.pub')])
        .toString()
        .split(' ')[1];
      expect(fingerprintOf(Buffer.from(pub[1]!, 'base64'))).toBe(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('HostKeyStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'megaraptor-hostkeys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a listed key, refuses a changed or revoked one, asks about a new one', async () => {
    const known = blob('ssh-ed25519');
    const other = blob('ssh-ed25519');
    const rsa = blob('ssh-rsa');
    const user = join(dir, 'user_known_hosts');
    await writeFile(
      user,
      `${knownHostsLine('a.example', 22, known, { hashed: false })}\n@revoked b.example ssh-rsa ${rsa.toString('base64')}\n`,
    );
    const store = new HostKeyStore({ appFile: join(dir, 'app'), userFiles: [user] });
    await store.verify('a.example', 22, known);
    for (const presented of [other, rsa]) {
      const e = await store.verify('a.example', 22, presented).catch((x: unknown) => x);
      expect(isAppError(e, 'SSH_HOST_KEY_MISMATCH')).toBe(true);
    }
    const revoked = await store.verify('b.example', 22, rsa).catch((x: unknown) => x);
    expect(isAppError(revoked, 'SSH_HOST_KEY_MISMATCH') && revoked.message).toContain('revoked');
    const unknown = await store.verify('c.example', 22, other).catch((x: unknown) => x);
    expect(isAppError(unknown, 'SSH_HOST_KEY_UNKNOWN')).toBe(true);
    await store.verify('c.example', 22, other, () => Promise.resolve(true));
    await store.verify('c.example', 22, other);
    expect(await store.knownKeyTypes('c.example', 22)).toEqual(['ssh-ed25519']);
    await store.forget('c.example', 22);
    const again = await store.verify('c.example', 22, other).catch((x: unknown) => x);
    expect(isAppError(again, 'SSH_HOST_KEY_UNKNOWN')).toBe(true);
    // The user's own file is never written.
    expect(await readFile(user, 'utf8')).not.toContain('c.example');
  });

  it('asks the host for the key types already known first', () => {
    expect(hostKeyAlgorithms(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
  });
});

describe('quoting', () => {
  const nasty = ["it's", 'a b', '$(touch /tmp/x)', '`id`', 'back\\slash', '"dq"', '', '%h', 'new\nline', 'ü'];

  it('quotes for sh: every argument arrives as it was', () => {
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${sh(nasty)}`]).toString();
    expect(out.split('\0').slice(0, -1)).toEqual(nasty);
    expect(quote('plain-path/x.yaml')).toBe('plain-path/x.yaml');
  });

  it('quotes ExecStart arguments by systemd rules and reads them back', () => {
    const argv = [
      '/usr/local/bin/velociraptor',
      '--config',
      '/etc/v r/server.config.yaml',
      '100%',
      '$HOME',
      'a"b',
    ];
    const line = execLine(argv);
    expect(line).toBe(
      '/usr/local/bin/velociraptor --config "/etc/v r/server.config.yaml" "100%%" "$$HOME" "a\\"b"',
    );
    expect(parseExecLine(line)).toEqual(argv);
  });

  it('renders units, refuses a value that would break a line, parses them back', () => {
    const text = renderUnit(
      [
        ['Unit', [['Description', 'x']]],
        [
          'Service',
          [
            ['ExecStart', '/bin/true'],
            ['User', 'velociraptor'],
          ],
        ],
      ],
      'made by a test',
    );
    expect(text).toBe(
      '# made by a test\n\n[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\nUser=velociraptor\n',
    );
    expect(unitValue(parseUnit(text), 'Service', 'User')).toBe('velociraptor');
    expect(() => renderUnit([['Service', [['ExecStart', 'a\nExecStartPre=/bin/evil']]]])).toThrow();
  });

  it('writes OnCalendar for one instant (rounded up to the second) and reads it back', () => {
    const at = new Date('2026-05-01T12:00:00.250Z');
    expect(onCalendarAt(at)).toBe('2026-05-01 12:00:01 UTC');
    expect(parseOnCalendarAt(onCalendarAt(at))?.toISOString()).toBe('2026-05-01T12:00:01.000Z');
  });

  it('calls only plain absolute paths safe, and never removes a system folder', () => {
    expect(isSafeAbsolutePath('/opt/velociraptor')).toBe(true);
    for (const p of ['opt', '/opt/../etc', '/opt/./x', '/opt//x', '/opt/x/', '/a\nb'])
      expect(isSafeAbsolutePath(p)).toBe(false);
    for (const p of ['/', '/etc', '/usr/local/bin', '/var/tmp', '/opt', '/x'])
      expect(() => assertRemovable(p)).toThrow();
    expect(() => assertRemovable('/opt/velociraptor')).not.toThrow();
  });
});

describe('platform probe parsers', () => {
  it('reads uname, os-release, CPUs, memory and systemd', () => {
    const out = [
      'Linux\nx86_64\n6.1.0-18-amd64',
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"',
      '4',
      'MemTotal:       16318508 kB',
      'systemd\nsystemd-running',
      '',
    ].join('\n--megaraptor--\n');
    expect(parsePlatform(out)).toEqual({
      os: 'linux',
      arch: 'amd64',
      machine: 'x86_64',
      kernel: '6.1.0-18-amd64',
      distro: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', idLike: '' },
      init: 'systemd',
      cpus: 4,
      memoryBytes: 16318508 * 1024,
    });
    const mac = [
      'Darwin\narm64\n23.1.0',
      '',
      '8',
      '17179869184',
      'launchd',
      'ProductName:\tmacOS\nProductVersion:\t14.1',
    ].join('\n--megaraptor--\n');
    expect(parsePlatform(mac)).toMatchObject({
      os: 'darwin',
      arch: 'arm64',
      init: 'launchd',
      memoryBytes: 17179869184,
    });
    expect(parsePlatform(mac).distro?.prettyName).toBe('macOS 14.1');
    expect(['aarch64', 'i686', 'armv7l', 's390x'].map(archOf)).toEqual(['arm64', '386', 'arm', 'unknown']);
    expect(parseOsRelease("NAME='Alpine Linux'\nID=alpine")).toEqual({ NAME: 'Alpine Linux', ID: 'alpine' });
  });

  it('decodes listening sockets from /proc/net/tcp and tcp6', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:D2F4 0100007F:1F40 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   0: 00000000000000000000000000000000:1F41 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0',
      '   1: 00000000000000000000000001000000:22B8 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0',
    ].join('\n');
    expect(parseProcNetTcp(text)).toEqual([
      { address: '127.0.0.1', port: 8000 },
      { address: '0:0:0:0:0:0:0:0', port: 8001 },
      { address: '0:0:0:0:0:0:0:1', port: 8888 },
    ]);
  });
});
