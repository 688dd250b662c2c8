/**
 * Read-only checks of an SSH host before anything is made: it answers with a known host key and lets
 * us log in, sudo gets root, it is Linux on an architecture Velociraptor ships, its service manager
 * can run the server, it has the CPUs, memory and disk the profile asks, the ports are free, no other
 * Velociraptor server is installed where this one would go, and the bind choices are safe.
 */
import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { PreflightCheck } from '../../../../shared/deploy';
import { messageOf } from '../../../../shared/errors';
import type { ResolvedProfile } from '../profiles';
import type { SshConnection } from '../ssh/connection';
import { userExists } from '../ssh/accounts';
import { detectPlatform, freeDiskBytes, listeningSockets, type RemotePlatform } from '../ssh/platform';
import type { RemoteFiles } from '../ssh/remote-files';
import type { ServiceManager } from '../ssh/services';
import type { HostLayout } from './layout';
import type { SshHostSettings } from './settings';

const GiB = 1024 ** 3;

const check = (
  id: string,
  title: string,
  status: PreflightCheck['status'],
  message: string,
): PreflightCheck => ({
  id,
  title,
  status,
  message,
});

function isLoopback(address: string): boolean {
  return address === '::1' || address === 'localhost' || /^127\./.test(address);
}

/** Checks that need no host: bind addresses and distinct ports. */
export function settingsChecks(s: SshHostSettings): PreflightCheck[] {
  const out: PreflightCheck[] = [];
  if (s.frontend.bindAddress !== 'localhost' && !isIP(s.frontend.bindAddress))
    out.push(
      check(
        'bind-frontend',
        'Frontend bind address',
        'failed',
        `"${s.frontend.bindAddress}" is not an IP address.`,
      ),
    );
  else
    out.push(
      check(
        'bind-frontend',
        'Frontend bind address',
        isLoopback(s.frontend.hostname) ? 'warn' : 'ok',
        isLoopback(s.frontend.hostname)
          ? `Agents are told to dial ${s.frontend.hostname}: only agents on the host itself can reach it. Give the host's name or address as agents see it.`
          : `Agents dial https://${s.frontend.hostname}:${s.frontend.port}/ (listening on ${s.frontend.bindAddress}).`,
      ),
    );
  for (const [which, c] of [
    ['API', s.api],
    ['GUI', s.gui],
  ] as const)
    out.push(
      c.expose
        ? check(
            `bind-${which.toLowerCase()}`,
            `${which} bind address`,
            'warn',
            `The ${which} (port ${c.port}) will listen on all interfaces of the host. Restrict it with a firewall or a VPN.`,
          )
        : check(
            `bind-${which.toLowerCase()}`,
            `${which} bind address`,
            'ok',
            `127.0.0.1 on the host; the app reaches it through an SSH tunnel.`,
          ),
    );
  const ports = [s.frontend.port, s.api.port, s.gui.port];
  if (new Set(ports).size !== 3)
    out.push(
      check(
        'ports-distinct',
        'Distinct ports',
        'failed',
        'The frontend, API and GUI need three different ports.',
      ),
    );
  return out;
}

export async function hostChecks(input: {
  conn: SshConnection;
  files: RemoteFiles;
  services: ServiceManager;
  layout: HostLayout;
  settings: SshHostSettings;
  profile: ResolvedProfile;
  rapid: boolean;
}): Promise<{ checks: PreflightCheck[]; platform: RemotePlatform | null }> {
  const { conn, files, services, layout, settings: s, profile } = input;
  const out: PreflightCheck[] = [];
  const root = await conn.canBecomeRoot();
  out.push(
    check(
      'sudo',
      'Root on the host',
      root.ok ? 'ok' : 'failed',
      root.ok
        ? conn.target.username === 'root'
          ? 'Logged in as root.'
          : `sudo works for ${conn.target.username}.`
        : root.message,
    ),
  );
  let platform: RemotePlatform;
  try {
    platform = await detectPlatform(conn);
  } catch (e) {
    out.push(check('system', 'Operating system', 'failed', messageOf(e)));
    return { checks: out, platform: null };
  }
  const system = `${platform.distro?.prettyName ?? platform.os} on ${platform.machine}`;
  out.push(
    platform.os !== 'linux'
      ? check('system', 'Operating system', 'failed', `${system}: the server target needs Linux.`)
      : platform.arch !== 'amd64' && platform.arch !== 'arm64'
        ? check(
            'system',
            'Operating system',
            'failed',
            `${system}: Velociraptor ships Linux servers for amd64 and arm64 only.`,
          )
        : check('system', 'Operating system', 'ok', system),
  );
  const unsupported = services.unsupported(platform);
  out.push(
    check(
      'services',
      'Service manager',
      unsupported ? 'failed' : 'ok',
      unsupported ?? `${services.kind} runs the server.`,
    ),
  );
  if (!root.ok) return { checks: out, platform };

  const min = profile.minimum;
  out.push(
    check(
      'cpu',
      'CPUs',
      platform.cpus >= min.cpus ? 'ok' : 'failed',
      `${platform.cpus} CPU(s); the ${profile.title} profile needs ${min.cpus}.`,
    ),
    check(
      'memory',
      'Memory',
      platform.memoryBytes >= min.memoryBytes ? 'ok' : 'failed',
      `${(platform.memoryBytes / GiB).toFixed(1)} GiB; the ${profile.title} profile needs ${(min.memoryBytes / GiB).toFixed(1)} GiB.`,
    ),
  );
  const disk = await freeDiskBytes(conn, layout.datastore);
  out.push(
    check(
      'disk',
      'Free disk for the datastore',
      disk.bytes >= min.diskBytes ? 'ok' : 'failed',
      `${(disk.bytes / GiB).toFixed(1)} GiB free at ${disk.at}; the ${profile.title} profile needs ${(min.diskBytes / GiB).toFixed(1)} GiB.`,
    ),
  );

  const listening = await listeningSockets(conn);
  const taken = (
    [
      ['frontend', s.frontend.port],
      ['API', s.api.port],
      ['GUI', s.gui.port],
    ] as const
  ).filter(([, port]) => listening.some((l) => l.port === port));
  out.push(
    check(
      'ports',
      'Ports free on the host',
      taken.length ? 'failed' : 'ok',
      taken.length
        ? `Already in use on the host: ${taken.map(([w, p]) => `${p} (${w})`).join(', ')}. Choose other ports or stop what uses them.`
        : `${s.frontend.port}, ${s.api.port} and ${s.gui.port} are free.`,
    ),
  );

  const existing = await files.existing([
    layout.binary,
    layout.config,
    layout.datastore,
    services.unitPath(layout.serverUnit),
    ...(input.rapid ? [layout.expireScript, services.unitPath(layout.expireTimer)] : []),
  ]);
  out.push(
    check(
      'existing',
      'No other Velociraptor server here',
      existing.length ? 'failed' : 'ok',
      existing.length
        ? `Already on the host: ${existing.join(', ')}. Another Velociraptor server seems installed; remove it first (nothing of it is touched), or deploy elsewhere.`
        : 'Nothing is installed where the server goes.',
    ),
  );
  const parents = [
    ...new Set(
      [
        layout.binary,
        services.unitPath(layout.serverUnit),
        ...(input.rapid ? [layout.expireScript] : []),
      ].map((p) => posix.dirname(p)),
    ),
  ];
  const present = await files.existing(parents);
  const missingParents = parents.filter((p) => !present.includes(p));
  if (missingParents.length)
    out.push(
      check(
        'layout',
        'System folders',
        'failed',
        `Missing on the host: ${missingParents.join(', ')} (a standard Linux layout is expected).`,
      ),
    );
  const userThere = await userExists(conn, s.serviceUser);
  out.push(
    check(
      'user',
      `Service user ${s.serviceUser}`,
      userThere ? 'warn' : 'ok',
      userThere
        ? `The user ${s.serviceUser} exists already: the server runs as it, and it is kept when the deployment is destroyed.`
        : `The user ${s.serviceUser} will be created (and removed with the deployment).`,
    ),
  );
  return { checks: out, platform };
}
