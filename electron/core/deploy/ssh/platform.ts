/**
 * What a host is, read over one SSH command (uname, /etc/os-release, CPU and memory, the init system)
 * so a deployer picks the right release asset and service manager, and preflight can check the
 * profile's minimum; plus free disk at a path and the TCP ports already listening (Linux /proc).
 */
import { AppError } from '../../../../shared/errors';
import type { SshConnection } from './connection';
import { isSafeAbsolutePath, sh } from './shell';

export type RemoteArch = 'amd64' | 'arm64' | '386' | 'arm' | 'unknown';

export interface RemotePlatform {
  /** uname -s, lower case: linux, darwin, freebsd… */
  os: string;
  arch: RemoteArch;
  /** uname -m as the host says it. */
  machine: string;
  kernel: string;
  /** /etc/os-release (Linux) or sw_vers (macOS). */
  distro: { id: string; versionId: string; prettyName: string; idLike: string } | null;
  /** systemd only when it runs as PID 1 (/run/systemd/system exists: sd_booted). */
  init: 'systemd' | 'launchd' | 'other';
  cpus: number;
  memoryBytes: number;
}

const SEP = '--megaraptor--';

export function archOf(machine: string): RemoteArch {
  const m = machine.trim().toLowerCase();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64') return 'arm64';
  if (/^i[3-6]86$/.test(m)) return '386';
  if (m.startsWith('arm')) return 'arm';
  return 'unknown';
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$|^'.*'$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

export function parsePlatform(stdout: string): RemotePlatform {
  const [unameBlock = '', osRelease = '', cpuBlock = '', memBlock = '', initBlock = '', swVers = ''] =
    stdout.split(`${SEP}\n`);
  const [os = '', machine = '', kernel = ''] = unameBlock.trim().split('\n');
  const rel = parseOsRelease(osRelease);
  const sw = Object.fromEntries(
    swVers
      .split('\n')
      .map((l) => /^(\w+):\s*(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  const mem = memBlock.trim();
  const memKb = /MemTotal:\s+(\d+)\s*kB/.exec(mem);
  const memoryBytes = memKb ? Number(memKb[1]) * 1024 : /^\d+$/.test(mem) ? Number(mem) : 0;
  const lowerOs = os.trim().toLowerCase();
  const init = initBlock.includes('systemd-running')
    ? 'systemd'
    : /launchd/.test(initBlock) || lowerOs === 'darwin'
      ? 'launchd'
      : 'other';
  const distro = rel.ID
    ? {
        id: rel.ID,
        versionId: rel.VERSION_ID ?? '',
        prettyName: rel.PRETTY_NAME ?? rel.NAME ?? rel.ID,
        idLike: rel.ID_LIKE ?? '',
      }
    : sw.ProductName
      ? {
          id: 'macos',
          versionId: sw.ProductVersion ?? '',
          prettyName: `${sw.ProductName} ${sw.ProductVersion ?? ''}`.trim(),
          idLike: '',
        }
      : null;
  return {
    os: lowerOs,
    arch: archOf(machine),
    machine: machine.trim(),
    kernel: kernel.trim(),
    distro,
    init,
    cpus: Number(cpuBlock.trim().split('\n')[0]) || 0,
    memoryBytes,
  };
}

/** One round trip: every probe tolerates its tool being absent (the block is then empty). */
export const PLATFORM_PROBE = [
  'uname -s; uname -m; uname -r',
  `echo ${SEP}`,
  'cat /etc/os-release 2>/dev/null',
  `echo ${SEP}`,
  '(getconf _NPROCESSORS_ONLN || nproc || sysctl -n hw.ncpu) 2>/dev/null',
  `echo ${SEP}`,
  '(grep MemTotal /proc/meminfo || sysctl -n hw.memsize) 2>/dev/null',
  `echo ${SEP}`,
  '(ps -p 1 -o comm= || cat /proc/1/comm) 2>/dev/null; test -d /run/systemd/system && echo systemd-running',
  `echo ${SEP}`,
  'sw_vers 2>/dev/null',
  'true',
].join('\n');

export async function detectPlatform(conn: SshConnection): Promise<RemotePlatform> {
  const r = await conn.run(PLATFORM_PROBE, { what: 'Detecting the operating system', timeoutMs: 30_000 });
  const platform = parsePlatform(r.stdout);
  if (!platform.os)
    throw new AppError(
      'SSH_COMMAND_FAILED',
      `${conn.name} did not say what system it runs (uname gave nothing).`,
    );
  return platform;
}

/**
 * Bytes free for an unprivileged writer at `path`, or at its nearest existing parent (the folder may
 * not exist yet), as `df -Pk` reports them.
 */
export async function freeDiskBytes(
  conn: SshConnection,
  path: string,
): Promise<{ bytes: number; at: string }> {
  return (await freeDiskBytesAt(conn, [path]))[0]!;
}

/** freeDiskBytes for several paths in one command (one round trip, however far the host is). */
export async function freeDiskBytesAt(
  conn: SshConnection,
  paths: readonly string[],
): Promise<Array<{ bytes: number; at: string }>> {
  for (const path of paths)
    if (!isSafeAbsolutePath(path))
      throw new AppError('INVALID_ARGUMENT', `"${path}" is not an absolute path.`);
  const script = `for p in ${sh([...paths])}; do while [ ! -e "$p" ]; do p=$(dirname "$p"); done; echo "$p"; df -Pk "$p" | tail -n 1; done`;
  const r = await conn.run(script, {
    what: `Checking free disk space at ${paths.join(', ')}`,
    timeoutMs: 30_000,
  });
  const lines = r.stdout.trim().split('\n');
  return paths.map((path, i) => {
    const at = lines[2 * i] ?? path;
    const line = lines[2 * i + 1] ?? '';
    const availKb = Number(line.trim().split(/\s+/)[3]);
    if (!Number.isFinite(availKb) || !line)
      throw new AppError('SSH_COMMAND_FAILED', `df on ${conn.name} gave an unexpected answer: ${line}`);
    return { bytes: availKb * 1024, at };
  });
}

export interface ListeningSocket {
  address: string;
  port: number;
}

/** TCP sockets in LISTEN state from /proc/net/tcp{,6} (Linux); hex addresses decoded. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    if (!addrHex || !portHex) continue;
    out.push({ address: decodeAddress(addrHex), port: parseInt(portHex, 16) });
  }
  return out;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const n = parseInt(hex, 16);
    // /proc stores the IPv4 address in host (little-endian) byte order.
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    const le = w.match(/../g)!.reverse().join('');
    words.push(le.slice(0, 4), le.slice(4, 8));
  }
  return words.map((w) => w.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
}

export async function listeningSockets(conn: SshConnection): Promise<ListeningSocket[]> {
  const r = await conn.run('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; true', {
    what: 'Listing the ports in use',
    timeoutMs: 30_000,
  });
  return parseProcNetTcp(r.stdout);
}
