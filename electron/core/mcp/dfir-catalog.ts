/**
 * The curated DFIR topics and the real Velociraptor artifacts that answer each one per client OS
 * (names checked against Velociraptor's artifacts/definitions tree). The DFIR tools and the prompts
 * both read this table, so an artifact choice is written once.
 */
import { FILE_FINDER, HASH_HUNTER, type ClientOs } from '../velociraptor';

export type DfirTopic = 'processes' | 'network' | 'persistence' | 'logons_users' | 'recent_activity';

export interface ArtifactChoice {
  artifact: string;
  /** What the artifact shows, for the model and the approval dialog. */
  why: string;
}

type Os = Exclude<ClientOs, 'unknown'>;

export const DFIR_CATALOG: Record<DfirTopic, Record<Os, ArtifactChoice[]>> = {
  processes: {
    windows: [
      { artifact: 'Windows.System.Pslist', why: 'running processes with command lines, users, hashes' },
    ],
    linux: [{ artifact: 'Linux.Sys.Pslist', why: 'running processes with command lines and users' }],
    darwin: [
      { artifact: 'Generic.System.Pstree', why: 'process tree (macOS has no dedicated pslist artifact)' },
    ],
  },
  network: {
    windows: [{ artifact: 'Windows.Network.Netstat', why: 'open sockets with owning process' }],
    linux: [{ artifact: 'Linux.Network.Netstat', why: 'open sockets' }],
    darwin: [{ artifact: 'MacOS.Network.Netstat', why: 'open sockets' }],
  },
  persistence: {
    windows: [
      { artifact: 'Windows.System.Services', why: 'installed services and their binaries' },
      { artifact: 'Windows.System.TaskScheduler', why: 'scheduled tasks and their actions' },
      { artifact: 'Windows.Sys.StartupItems', why: 'Run keys and startup folders' },
    ],
    linux: [
      { artifact: 'Linux.Sys.Crontab', why: 'cron jobs of every user' },
      { artifact: 'Linux.Sys.Services', why: 'systemd services' },
      { artifact: 'Linux.Ssh.AuthorizedKeys', why: 'SSH keys that grant logins' },
    ],
    darwin: [
      { artifact: 'MacOS.Detection.Autoruns', why: 'launch agents/daemons, login items and other autoruns' },
    ],
  },
  logons_users: {
    windows: [
      { artifact: 'Windows.Sys.Users', why: 'local accounts and profiles' },
      { artifact: 'Windows.EventLogs.RDPAuth', why: 'RDP and logon events' },
    ],
    linux: [
      { artifact: 'Linux.Sys.Users', why: 'accounts from /etc/passwd' },
      { artifact: 'Linux.Sys.LastUserLogin', why: 'wtmp logins' },
    ],
    darwin: [{ artifact: 'MacOS.System.Users', why: 'local accounts' }],
  },
  recent_activity: {
    windows: [
      { artifact: 'Windows.Forensics.RecentApps', why: 'recently run applications' },
      { artifact: 'Windows.Applications.Chrome.History', why: 'Chrome browsing history' },
    ],
    linux: [{ artifact: 'Linux.Sys.BashHistory', why: 'shell history of every user' }],
    darwin: [
      { artifact: 'MacOS.Applications.MRU', why: 'recently used files and apps' },
      { artifact: 'MacOS.Applications.Chrome.History', why: 'Chrome browsing history' },
    ],
  },
};

export function choicesFor(topic: DfirTopic, os: ClientOs): ArtifactChoice[] {
  if (os === 'unknown') return [];
  return DFIR_CATALOG[topic][os];
}

/** Names of every artifact in the catalog, for checks against a server's artifact list. */
export function catalogArtifacts(): string[] {
  const names = new Set<string>([HASH_HUNTER]);
  for (const byOs of Object.values(DFIR_CATALOG))
    for (const list of Object.values(byOs)) for (const c of list) names.add(c.artifact);
  for (const f of Object.values(FILE_FINDER)) names.add(f);
  return [...names].sort();
}
