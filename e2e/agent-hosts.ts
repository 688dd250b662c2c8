/**
 * Linux hosts for the agents wizard's e2e: real OpenSSH sshd hosts on loopback
 * (electron/core/deploy/testing/sshd-host.ts: own port, host key, users, sudoers, host name), which
 * `megaraptor serve` pushes to with the product's own path — including the real systemd service
 * manager, which runs `systemctl` on the host. No systemd runs here, so each host gets, in its own
 * mount namespace only:
 *   - a TEST DOUBLE of `systemctl` (our own simplified protocol, not systemd's): daemon-reload,
 *     enable, disable and reset-failed do nothing; `start` runs the unit's ExecStart detached (the
 *     stand-in agent: the simulator launcher, which enrols for real); `stop` ends it; `show
 *     --property=ActiveState,MainPID` answers as systemd would;
 *   - a private /run in which /run/systemd/system exists (so the product sees "systemd runs"),
 *     and private /usr/local/bin and /var/tmp, so what the push installs stays on that host
 *     (/etc is private already).
 * stop() ends sshd and everything its sessions started (the agent too).
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshdHost, type ClientKeys, type SshdHost } from '../electron/core/deploy/testing/sshd-host';

const FAKE_SYSTEMCTL = (state: string): string => `#!/bin/sh
# TEST DOUBLE of systemctl (e2e sshd hosts have no systemd). See e2e/agent-hosts.ts.
state=${state}
unit_file() { echo "/etc/systemd/system/$1"; }
# /proc, not kill -0: \`show\` runs as the login, which may not signal root's service.
alive() { [ -s "$state/$1.pid" ] && [ -d "/proc/$(cat "$state/$1.pid")" ]; }
cmd=$1; shift
case "$cmd" in
  daemon-reload|enable|disable|reset-failed) exit 0 ;;
  start)
    u=$1; f=$(unit_file "$u"); [ -f "$f" ] || { echo "Unit $u not found." >&2; exit 5; }
    alive "$u" && exit 0
    exec_start=$(sed -n 's/^ExecStart=//p' "$f")
    setsid sh -c "exec $exec_start" </dev/null >>"$state/$u.log" 2>&1 &
    echo $! > "$state/$u.pid"; exit 0 ;;
  stop)
    u=$1; alive "$u" && kill "$(cat "$state/$u.pid")"; rm -f "$state/$u.pid"; exit 0 ;;
  show)
    u=$1
    if alive "$u"; then printf 'ActiveState=active\\nMainPID=%s\\n' "$(cat "$state/$u.pid")";
    else printf 'ActiveState=inactive\\nMainPID=0\\n'; fi; exit 0 ;;
  *) echo "fake systemctl: $cmd is not supported" >&2; exit 1 ;;
esac
`;

export interface AgentE2eHost extends SshdHost {
  name: string;
}

export async function startAgentE2eHost(
  keys: ClientKeys,
  name: string,
  options: { authorizedKeys?: string[] } = {},
): Promise<AgentE2eHost> {
  const setup = await mkdtemp(join(tmpdir(), 'mr-e2e-agent-host-'));
  await chmod(setup, 0o755);
  for (const d of ['state', 'bin', 'vartmp']) await mkdir(join(setup, d), { recursive: true });
  await chmod(join(setup, 'vartmp'), 0o1777);
  const systemctl = join(setup, 'systemctl');
  await writeFile(systemctl, FAKE_SYSTEMCTL(join(setup, 'state')), { mode: 0o755 });
  const host = await startSshdHost(keys, {
    hostname: name,
    ...(options.authorizedKeys ? { authorizedKeys: options.authorizedKeys } : {}),
    setupLines: [
      // A private /run saying systemd runs (sd_booted: /run/systemd/system), with sshd's privsep dir.
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      'mkdir -p /run/sshd /run/systemd/system',
      `mount --bind ${systemctl} /usr/bin/systemctl`,
      `mount --bind ${join(setup, 'bin')} /usr/local/bin`,
      `mount --bind ${join(setup, 'vartmp')} /var/tmp`,
    ],
  });
  const stopSshd = host.stop.bind(host);
  return Object.assign(host, {
    name,
    stop: async () => {
      await stopSshd();
      await rm(setup, { recursive: true, force: true });
    },
  });
}
