/**
 * `megaraptor agents push|runs|show|resume` — Velociraptor agents pushed over SSH to many hosts, the
 * way the app's agents wizard does it: the client config from the server, a verified release, one
 * journaled run with bounded concurrency and retries, each host ending enrolled (seen by the server)
 * or failed with its reason. Progress goes to stderr, the summary to stdout (CSV with --csv). Secrets
 * stay in the keychain: passwords and passphrases are given as keychain references, never values.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseHostCsv, parseHostList, parseJumpHost } from '../../../shared/agent-hosts';
import { WINRM_HTTP_WARNING, type AgentRunEvent, type PushHostInput } from '../../../shared/agents';
import { messageOf } from '../../../shared/errors';
import {
  AgentService,
  describeHop,
  type DeploymentService,
  runSummary,
  summaryCsv,
  type AgentRunDoc,
  type SshPushSettingsInput,
  type WinRmPushSettingsInput,
} from '../../core/deploy/index';
import {
  ConnectionRegistry,
  loadApiConfig,
  readConfigFile,
  stripTerminalControls,
  VelociraptorService,
} from '../../core/velociraptor/index';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from '../args';
import type { CliIO, Command } from '../command';
import { openDeployments } from './deploy-common';
import { check, collector, gpoKit, importZip, installer, KITS_USAGE } from './agent-kits';

const USAGE = `Usage: megaraptor agents push|runs|show|resume|kit|collector|import|check|installer …

  megaraptor agents push (--connection NAME | --api-config FILE) HOSTS LOGIN [options]
      Installs (or with --uninstall removes) the Velociraptor client on Linux and macOS hosts over SSH.
      Each host ends "enrolled" only when the server lists its client; a run is journaled and can be
      resumed. Exit code 1 when any host failed.
  megaraptor agents runs [--json]            the runs in the data folder, newest first
  megaraptor agents show RUN [--csv|--json]  one run: every host with state, client id and error
  megaraptor agents kit ansible (--connection NAME | --api-config FILE) HOSTS --user USER --out DIR
      [--label L] [--frontend HOST:PORT] [--tag TAG | --binary FILE]
      writes an Ansible role, playbook and inventory that install the Linux agent (binary verified)
  megaraptor agents resume RUN [--retry-failed] [--api-config FILE]
      continues a run a stopped process (or Ctrl-C) left unfinished
  megaraptor agents winrm-certs HOST[:PORT]… [--ca FILE] [--json]
      each WinRM listener's certificate (SHA-256, subject, issuer, validity): pinned, new or changed
      (or, with --ca, whether that CA issued it for the host); nothing is pinned
  megaraptor agents forget-winrm-cert HOST[:PORT]
      forgets a pinned listener certificate (it was replaced on purpose); confirm the new one next
${KITS_USAGE}

Server (where agents enrol):
  --connection NAME           a server saved in the app (its API identity is in the keychain)
  --api-config FILE           or an API client config file (velociraptor config api_client)
  --org ID                    the org agents join (default: root)

Hosts (at least one; duplicates are pushed once):
  --host SPEC                 host, host:port, [v6]:port, or a range (10.0.0.1-20, 10.0.0.0/28); repeatable
  --hosts-file FILE           one SPEC per line (# comments), or a CSV with a "host" column (.csv)
  --os auto|linux|darwin      what the hosts run (default auto: detected)

Login:
  --user USER                 the SSH user (required)
  --key FILE | --agent        a private key file (passphrase: --key-passphrase-ref REF) or ssh-agent
  --password-ref REF          or a password kept in the keychain under REF
  --sudo                      become root with sudo (password: --sudo-password-ref REF); without it the
                              user must be root
  --jump USER@HOST[:PORT]     reach the hosts through this jump host (repeatable, outermost first, as
                              ssh -J; at most 4); it logs in with the same key, agent or password, and
                              its host key is checked like any other
  --accept-host-key FP        trust a host key seen for the first time when its SHA256 fingerprint is FP
                              (repeatable; checked out of band). Known keys come from ~/.ssh/known_hosts
                              and the app's list; a changed key is always refused.

Agent:
  --label L                   a label the server puts on each agent at enrolment (repeatable)
  --frontend HOST:PORT        the frontend as the hosts reach it (default: the server's own URLs)
  --wss                       dial it over wss:// instead of https://
  --tag TAG                   release to download and verify once per platform (default: latest)
  --binary PLATFORM=FILE      your own binary instead (linux-amd64, linux-arm64, darwin-amd64,
                              darwin-arm64; repeatable; a FILE.sig beside it is checked)
  --enroll-timeout S          how long to wait for each agent to be listed (default 180)

Windows (--winrm: WinRM over HTTPS, port 5986 unless host:port says otherwise):
  --winrm                     push the MSI to Windows hosts over WinRM instead of SSH
  --user USER --password-ref REF   the account and its password's keychain reference
  --domain DOMAIN             NTLM domain (default: a local account); --basic for Basic (local accounts)
  Listener certificates (default: pinned on first use, as SSH host keys): a host whose certificate
  was never confirmed is refused with its SHA-256 fingerprint, a changed one with both fingerprints.
  --accept-winrm-cert HOST[:PORT]=SHA256:FP  pin the certificate HOST presents when its SHA-256 is FP
                              (repeatable; compare it on the host first, e.g. with
                              \`megaraptor agents winrm-certs HOST\`); a changed certificate is refused
  --winrm-ca FILE             or check them against the CA that issued them (and the host name)
  --winrm-unchecked           or do not check them (warned; never the default)
  --winrm-http                or use the plain HTTP listener (port 5985) instead: NTLM only, every
                              message sealed with NTLM (warned: no TLS, nothing proves the listener
                              is the host)
  --serve-host HOST           the name or address of this machine as the Windows hosts reach it (required):
                              they download the MSI and config from a server of this run
  --serve-bind ADDR, --serve-port N  where that server listens (default 0.0.0.0, any free port)
  --msi FILE                  your own MSI instead of the release's windows-amd64.msi (--tag)
  (--label, --frontend, --concurrency, --retries, --uninstall with --keep-writeback or
   --drop-writeback as above)

Run:
  --name NAME                 the run's name (default: agents-<date>)
  --concurrency N             hosts at once (default 8, at most 64)
  --retries N                 further attempts for unreachable hosts (default 2)
  --uninstall                 remove the agent instead, with one of:
  --keep-writeback            keep its identity (writeback): a reinstall is the same client id
  --drop-writeback            remove it too: a reinstall enrols as a new client
  --dry-run                   print the hosts and settings and stop
  --json | --csv              the outcome as JSON, or the per-host summary as CSV
`;

const PUSH: Record<string, FlagSpec> = {
  '--connection': { value: true },
  '--api-config': { value: true },
  '--org': { value: true },
  '--host': { value: true, repeat: true },
  '--hosts-file': { value: true },
  '--os': { value: true },
  '--user': { value: true },
  '--key': { value: true },
  '--key-passphrase-ref': { value: true },
  '--agent': {},
  '--password-ref': { value: true },
  '--sudo': {},
  '--sudo-password-ref': { value: true },
  '--jump': { value: true, repeat: true },
  '--accept-host-key': { value: true, repeat: true },
  '--label': { value: true, repeat: true },
  '--frontend': { value: true, repeat: true },
  '--wss': {},
  '--tag': { value: true },
  '--binary': { value: true, repeat: true },
  '--enroll-timeout': { value: true },
  '--name': { value: true },
  '--concurrency': { value: true },
  '--retries': { value: true },
  '--uninstall': {},
  '--keep-writeback': {},
  '--drop-writeback': {},
  '--dry-run': {},
  '--json': {},
  '--csv': {},
  '--winrm': {},
  '--domain': { value: true },
  '--basic': {},
  '--winrm-ca': { value: true },
  '--accept-winrm-cert': { value: true, repeat: true },
  '--winrm-unchecked': {},
  '--winrm-http': {},
  '--msi': { value: true },
  '--serve-host': { value: true },
  '--serve-bind': { value: true },
  '--serve-port': { value: true },
};

function integer(flags: ParsedFlags, flag: string, min: number, max: number): number | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number ${min}–${max}`);
  return n;
}

/**
 * Uninstall: whether the writeback (the client's identity) stays. The responder says it every time:
 * kept, a reinstall is the same client; dropped, it enrols as a new one. Install: true (unused).
 */
export function keepWriteback(flags: ParsedFlags): boolean {
  const keep = flags.has('--keep-writeback');
  const drop = flags.has('--drop-writeback');
  if (!flags.has('--uninstall')) {
    if (keep || drop)
      throw new UsageError(`${keep ? '--keep-writeback' : '--drop-writeback'} goes with --uninstall`);
    return true;
  }
  if (keep === drop)
    throw new UsageError(
      keep
        ? 'give --keep-writeback or --drop-writeback, not both'
        : '--uninstall needs --keep-writeback (a reinstall keeps the same client id) or --drop-writeback (a reinstall enrols as a new client)',
    );
  return keep;
}

/** The hosts of --host and --hosts-file; every problem line is a usage error naming it. */
export async function hostsOf(flags: ParsedFlags, cwd: string): Promise<PushHostInput[]> {
  const os = flags.get('--os') ?? 'auto';
  if (!['auto', 'linux', 'darwin'].includes(os)) throw new UsageError('--os is auto, linux or darwin');
  const lists = [];
  const given = flags.all('--host');
  if (given.length) lists.push({ what: '--host', result: parseHostList(given.join('\n')) });
  const file = flags.get('--hosts-file');
  if (file) {
    const text = await readFile(resolve(cwd, file), 'utf8').catch((e: unknown) => {
      throw new UsageError(`cannot read --hosts-file ${file}: ${messageOf(e)}`);
    });
    lists.push({
      what: file,
      result: file.toLowerCase().endsWith('.csv') ? parseHostCsv(text) : parseHostList(text),
    });
  }
  if (!lists.length) throw new UsageError('give the hosts: --host SPEC (repeatable) or --hosts-file FILE');
  const hosts: PushHostInput[] = [];
  for (const { what, result } of lists) {
    const p = result.problems[0];
    if (p) throw new UsageError(`${what} line ${p.line} ("${p.text}"): ${p.message}`);
    for (const h of result.hosts)
      hosts.push({ ...h, ...(h.os === 'auto' ? { os: os as 'auto' | 'linux' | 'darwin' } : {}) });
  }
  return hosts;
}

const PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'] as const;

/** The push settings the flags describe (no secret: keychain references only). */
export function pushSettings(flags: ParsedFlags, cwd: string, server: string): SshPushSettingsInput {
  const user = flags.get('--user');
  if (!user) throw new UsageError('--user is required');
  const key = flags.get('--key');
  const password = flags.get('--password-ref');
  const ways = [key !== undefined, flags.has('--agent'), password !== undefined].filter(Boolean).length;
  if (ways !== 1) throw new UsageError('give one of --key FILE, --agent or --password-ref REF');
  if (flags.has('--key-passphrase-ref') && !key) throw new UsageError('--key-passphrase-ref goes with --key');
  if (flags.has('--sudo-password-ref') && !flags.has('--sudo'))
    throw new UsageError('--sudo-password-ref goes with --sudo');
  const auth = key
    ? {
        method: 'key' as const,
        keyPath: resolve(cwd, key),
        ...(flags.get('--key-passphrase-ref') ? { passphraseRef: flags.get('--key-passphrase-ref')! } : {}),
      }
    : password
      ? { method: 'password' as const, passwordRef: password }
      : { method: 'agent' as const };
  const jumps = flags.all('--jump').map((j) => {
    try {
      return { ...parseJumpHost(j), auth };
    } catch (e) {
      throw new UsageError(`--jump: ${messageOf(e)}`);
    }
  });
  if (jumps.length > 4) throw new UsageError('--jump: at most 4 jump hosts');
  const binaries = flags.all('--binary');
  if (binaries.length && flags.has('--tag')) throw new UsageError('give --tag or --binary, not both');
  const files: Partial<Record<(typeof PLATFORMS)[number], string>> = {};
  for (const b of binaries) {
    const m = /^([a-z0-9-]+)=(.+)$/.exec(b);
    const platform = m?.[1] as (typeof PLATFORMS)[number] | undefined;
    if (!m || !platform || !PLATFORMS.includes(platform))
      throw new UsageError(
        `--binary is PLATFORM=FILE with PLATFORM one of ${PLATFORMS.join(', ')}, not "${b}"`,
      );
    files[platform] = resolve(cwd, m[2]!);
  }
  const frontends = flags.all('--frontend').map((f) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(f);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) throw new UsageError(`--frontend is HOST:PORT, not "${f}"`);
    return {
      host: m[1]!.replace(/^\[|\]$/g, ''),
      port,
      scheme: flags.has('--wss') ? ('wss' as const) : ('https' as const),
    };
  });
  if (flags.has('--wss') && !frontends.length) throw new UsageError('--wss goes with --frontend');
  const timeout = integer(flags, '--enroll-timeout', 5, 3600);
  return {
    mode: flags.has('--uninstall') ? 'uninstall' : 'install',
    server: { connection: server, org: flags.get('--org') ?? '' },
    login: {
      username: user,
      auth,
      sudo: flags.has('--sudo')
        ? {
            mode: 'sudo',
            ...(flags.get('--sudo-password-ref') ? { passwordRef: flags.get('--sudo-password-ref')! } : {}),
          }
        : { mode: 'none' },
      jumps,
    },
    binary: binaries.length
      ? { kind: 'files', files }
      : { kind: 'release', tag: flags.get('--tag') ?? 'latest' },
    config: { frontends, labels: flags.all('--label') },
    ...(timeout ? { enrollTimeoutMs: timeout * 1000 } : {}),
    keepWriteback: keepWriteback(flags),
  };
}

/** `HOST`, `HOST:PORT` or `[v6]:PORT` (WinRM's 5986 when no port is given). */
function winrmHostPort(spec: string, flag: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(spec);
  const port = Number(m?.[2] ?? 5986);
  if (!m || port < 1 || port > 65535) throw new UsageError(`${flag} names HOST[:PORT], not "${spec}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** The certificates of --accept-winrm-cert HOST[:PORT]=SHA256:FP, each pinned only if the host presents FP. */
export function acceptedWinRmCerts(
  flags: ParsedFlags,
): Array<{ host: string; port: number; fingerprint: string }> {
  return flags.all('--accept-winrm-cert').map((spec) => {
    const at = spec.indexOf('=');
    const fingerprint = spec.slice(at + 1);
    if (at < 1 || !/^(sha256[:/]?)?([0-9a-f]{2}:?){32}$/i.test(fingerprint))
      throw new UsageError(`--accept-winrm-cert is HOST[:PORT]=SHA256:FINGERPRINT, not "${spec}"`);
    return { ...winrmHostPort(spec.slice(0, at), '--accept-winrm-cert'), fingerprint };
  });
}

/** The WinRM push settings the flags describe (passwords as keychain references only). */
export async function winrmSettings(
  flags: ParsedFlags,
  cwd: string,
  server: string,
): Promise<WinRmPushSettingsInput> {
  const user = flags.get('--user');
  const passwordRef = flags.get('--password-ref');
  if (!user || !passwordRef) throw new UsageError('--winrm needs --user and --password-ref');
  for (const f of ['--key', '--agent', '--sudo', '--binary', '--os', '--jump'])
    if (flags.has(f)) throw new UsageError(`${f} is for SSH pushes, not --winrm`);
  const tlsWays = [
    flags.has('--winrm-ca'),
    flags.has('--accept-winrm-cert'),
    flags.has('--winrm-unchecked'),
    flags.has('--winrm-http'),
  ].filter(Boolean).length;
  if (tlsWays > 1)
    throw new UsageError(
      'give one way to check listener certificates: pins (--accept-winrm-cert), --winrm-ca FILE or --winrm-unchecked (or --winrm-http for the plain HTTP listener)',
    );
  if (flags.has('--winrm-http') && flags.has('--basic'))
    throw new UsageError('--basic over --winrm-http would send the password readable: use NTLM or HTTPS');
  acceptedWinRmCerts(flags);
  let tls: WinRmPushSettingsInput['tls'] = { kind: 'pinned' };
  if (flags.has('--winrm-http')) tls = { kind: 'http', acknowledged: true };
  else if (flags.has('--winrm-ca'))
    tls = { kind: 'ca', caPem: await readFile(resolve(cwd, flags.get('--winrm-ca')!), 'utf8') };
  else if (flags.has('--winrm-unchecked')) tls = { kind: 'unchecked', acknowledged: true };
  const serveHost = flags.get('--serve-host');
  if (!serveHost && !flags.has('--uninstall'))
    throw new UsageError('--winrm needs --serve-host: how the Windows hosts reach this machine');
  const servePort = integer(flags, '--serve-port', 0, 65535);
  if (flags.has('--msi') && flags.has('--tag')) throw new UsageError('give --tag or --msi, not both');
  const frontends = flags.all('--frontend').map((f) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(f);
    if (!m) throw new UsageError(`--frontend is HOST:PORT, not "${f}"`);
    return {
      host: m[1]!.replace(/^\[|\]$/g, ''),
      port: Number(m[2]),
      scheme: flags.has('--wss') ? ('wss' as const) : ('https' as const),
    };
  });
  const timeout = integer(flags, '--enroll-timeout', 5, 3600);
  return {
    mode: flags.has('--uninstall') ? 'uninstall' : 'install',
    server: { connection: server, org: flags.get('--org') ?? '' },
    login: {
      user,
      domain: flags.get('--domain') ?? '',
      auth: flags.has('--basic') ? 'basic' : 'ntlm',
      passwordRef,
    },
    tls,
    msi: flags.has('--msi')
      ? { kind: 'file', path: resolve(cwd, flags.get('--msi')!) }
      : { kind: 'release', tag: flags.get('--tag') ?? 'latest' },
    config: { frontends, labels: flags.all('--label') },
    ...(serveHost
      ? {
          serve: {
            host: serveHost,
            ...(flags.get('--serve-bind') ? { bind: flags.get('--serve-bind')! } : {}),
            ...(servePort !== undefined ? { port: servePort } : {}),
          },
        }
      : {}),
    ...(timeout ? { enrollTimeoutMs: timeout * 1000 } : {}),
    keepWriteback: keepWriteback(flags),
  };
}

/** Host events as lines on stderr (each host's state changes and its log lines). */
function progressPrinter(io: CliIO): (e: AgentRunEvent) => void {
  const last = new Map<string, string>();
  const clean = (s: string) => stripTerminalControls(s);
  return (e) => {
    if (e.type === 'host') {
      const h = e.host;
      const line = `${h.state}${h.message ? ` — ${h.message}` : ''}`;
      if (last.get(h.key) === line) return;
      last.set(h.key, line);
      io.stderr.write(`${clean(h.key)}: ${clean(h.error ? `${h.state}: ${h.error.message}` : line)}\n`);
    } else if (e.type === 'log' && e.level !== 'info') {
      io.stderr.write(`${e.level}: ${clean(e.line)}\n`);
    } else if (e.type === 'log' && !e.key) {
      io.stderr.write(`${clean(e.line)}\n`);
    }
  };
}

function printOutcome(io: CliIO, doc: AgentRunDoc, flags: ParsedFlags): void {
  if (flags.has('--csv')) io.stdout.write(summaryCsv(doc));
  else if (flags.has('--json'))
    io.stdout.write(`${JSON.stringify({ summary: runSummary(doc), hosts: doc.hosts }, null, 2)}\n`);
  else {
    const s = runSummary(doc);
    const c = s.counts;
    io.stdout.write(
      `Run ${doc.id} (${doc.name}): ${s.state}. ${c.enrolled} enrolled, ${c.removed} removed, ${c.failed} failed, ${c.cancelled} cancelled, ${c.queued + c.active} not done, of ${c.total}.\n`,
    );
    for (const h of doc.hosts)
      io.stdout.write(
        `  ${stripTerminalControls(h.key)}  ${h.state}${h.clientId ? `  ${h.clientId}` : ''}${h.platform ? `  ${stripTerminalControls(h.platform)}` : ''}${h.error ? `  ${h.error.code}: ${stripTerminalControls(h.error.message)}` : ''}\n`,
      );
  }
}

export interface Opened {
  service: AgentService;
  serverName: string;
  server(t: { server: string; org: string }): Promise<VelociraptorService>;
  releases: DeploymentService['releases'];
  close(): Promise<void>;
}

export async function openAgents(io: CliIO, flags: ParsedFlags | null): Promise<Opened> {
  const configPath = flags?.get('--api-config');
  const connection = flags?.get('--connection');
  if (configPath && connection) throw new UsageError('give --connection or --api-config, not both');
  // The same connections, keychain, release cache and confirmed host keys as server deployments.
  const opened = await openDeployments(io);
  const { dataDir, connections, secrets, service: deployments } = opened;
  let serverName = connection ?? '';
  let server = (t: { server: string; org: string }) => connections.service(t);
  if (configPath) {
    const cfg = loadApiConfig(await readConfigFile(resolve(io.cwd, configPath), 'API config'));
    const registry = new ConnectionRegistry();
    serverName = cfg.name || 'api-config';
    registry.addConfig(serverName, cfg);
    server = (t) =>
      Promise.resolve(
        new VelociraptorService(registry.connection(serverName, t.org === 'root' ? '' : t.org)),
      );
  }
  const accepted = new Set(flags?.all('--accept-host-key') ?? []);
  const service = new AgentService({
    dataDir,
    secrets,
    server,
    releases: deployments.releases,
    hostKeys: deployments.hostKeys,
    keyRecord: opened.credentials,
    ...(accepted.size ? { confirmHostKey: (k) => Promise.resolve(accepted.has(k.fingerprint)) } : {}),
  });
  return {
    service,
    serverName,
    server,
    releases: deployments.releases,
    close: () => opened.close(),
  };
}

async function push(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, PUSH);
  if (!flags.has('--connection') && !flags.has('--api-config'))
    throw new UsageError('give the server agents enrol with: --connection NAME or --api-config FILE');
  if (flags.has('--csv') && flags.has('--json')) throw new UsageError('give --csv or --json, not both');
  const hosts = await hostsOf(flags, io.cwd);
  const a = await openAgents(io, flags);
  try {
    const winrm = flags.has('--winrm');
    const common = {
      name: flags.get('--name') ?? `agents-${new Date().toISOString().slice(0, 16)}`,
      hosts,
      ...(integer(flags, '--concurrency', 1, 64) !== undefined
        ? { concurrency: integer(flags, '--concurrency', 1, 64)! }
        : {}),
      ...(integer(flags, '--retries', 0, 10) !== undefined
        ? { retries: integer(flags, '--retries', 0, 10)! }
        : {}),
    };
    const sshRequest = winrm ? undefined : { ...common, settings: pushSettings(flags, io.cwd, a.serverName) };
    const winrmRequest = winrm
      ? { ...common, settings: await winrmSettings(flags, io.cwd, a.serverName) }
      : undefined;
    const draft = winrmRequest ? a.service.review(winrmRequest, 'winrm') : a.service.review(sshRequest!);
    const mode = (winrmRequest ?? sshRequest)!.settings.mode;
    io.stderr.write(
      `${mode === 'uninstall' ? 'Uninstall from' : 'Push to'} ${draft.hosts.length} host(s) over ${winrm ? 'WinRM' : 'SSH'}, ${draft.concurrency} at once, ${draft.retries} retries; agents enrol with "${a.serverName}".\n`,
    );
    const jumps = sshRequest?.settings.login.jumps ?? [];
    if (jumps.length)
      io.stderr.write(
        `Through jump host(s) ${jumps.map((j) => describeHop({ ...j, port: j.port ?? 22 })).join(' → ')}.\n`,
      );
    if (flags.has('--winrm-http')) io.stderr.write(`warning: ${WINRM_HTTP_WARNING}\n`);
    if (flags.has('--dry-run')) {
      for (const h of draft.hosts) io.stdout.write(`${h.key}${h.os === 'auto' ? '' : ` (${h.os})`}\n`);
      return 0;
    }
    const accepted = winrm ? acceptedWinRmCerts(flags) : [];
    if (accepted.length) {
      const r = await a.service.trustWinRmCerts(accepted);
      io.stderr.write(`Pinned ${r.trusted} WinRM certificate(s) you confirmed.\n`);
      for (const x of r.refused)
        io.stderr.write(
          `not pinned: ${stripTerminalControls(x.message ?? `${x.host}:${x.port} ${x.status}`)}\n`,
        );
    }
    const controller = new AbortController();
    const onSignal = (): void => {
      io.stderr.write('Cancelling: hosts in progress stop; `megaraptor agents resume` continues the run.\n');
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    try {
      const options = { signal: controller.signal, onEvent: progressPrinter(io) };
      const doc = winrmRequest
        ? await a.service.pushWinrm(winrmRequest, options)
        : await a.service.pushSsh(sshRequest!, options);
      printOutcome(io, doc, flags);
      return doc.hosts.some((h) => h.state === 'failed') || doc.state !== 'finished' ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
    }
  } finally {
    await a.close();
  }
}

/** Each listener's certificate (fingerprint, subject, issuer, validity) and whether it is pinned. */
async function winrmCerts(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, { '--ca': { value: true }, '--json': {} }, { positionals: true });
  if (!flags.positionals.length)
    throw new UsageError('give the hosts: megaraptor agents winrm-certs HOST[:PORT]…');
  const hosts = flags.positionals.map((p) => winrmHostPort(p, 'winrm-certs'));
  const caPem = flags.get('--ca') ? await readFile(resolve(io.cwd, flags.get('--ca')!), 'utf8') : undefined;
  const a = await openAgents(io, null);
  try {
    const certs = await a.service.scanWinRmCerts(hosts, caPem);
    if (flags.has('--json')) io.stdout.write(`${JSON.stringify(certs, null, 2)}\n`);
    else
      for (const c of certs) {
        const clean = stripTerminalControls;
        io.stdout.write(`${clean(c.host)}:${c.port}  ${c.status}\n`);
        if (c.fingerprint)
          io.stdout.write(
            `  SHA256:${c.fingerprint}\n  subject ${clean(c.subject ?? '')}\n  issuer  ${clean(c.issuer ?? '')}\n  valid   ${c.validFrom} to ${c.validTo}\n`,
          );
        if (c.pinned) io.stdout.write(`  pinned  SHA256:${c.pinned}\n`);
        if (c.message) io.stdout.write(`  ${clean(c.message)}\n`);
      }
    return certs.some((c) => ['changed', 'ca-invalid', 'unreachable'].includes(c.status)) ? 1 : 0;
  } finally {
    await a.close();
  }
}

/** Forgets a listener's pin (its certificate was replaced on purpose; confirm the new one next). */
async function forgetWinRmCert(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, {}, { positionals: true });
  if (flags.positionals.length !== 1) throw new UsageError('give one HOST[:PORT] to forget');
  const hop = winrmHostPort(flags.positionals[0]!, 'forget-winrm-cert');
  const a = await openAgents(io, null);
  try {
    const pinned = await a.service.winrmCerts.pinned(hop.host, hop.port);
    await a.service.winrmCerts.forget(hop.host, hop.port);
    io.stdout.write(
      pinned
        ? `Forgot the pin SHA256:${pinned} of ${stripTerminalControls(hop.host)}:${hop.port}.\n`
        : `Nothing was pinned for ${stripTerminalControls(hop.host)}:${hop.port}.\n`,
    );
    return 0;
  } finally {
    await a.close();
  }
}

async function runs(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, { '--json': {} });
  const a = await openAgents(io, null);
  try {
    const list = (await a.service.list()).map((d) => runSummary(d));
    if (flags.has('--json')) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else
      for (const s of list)
        io.stdout.write(
          `${s.id}  ${s.createdAt}  ${s.state}  ${s.counts.enrolled}/${s.counts.total} enrolled, ${s.counts.failed} failed  ${stripTerminalControls(s.name)}\n`,
        );
    return 0;
  } finally {
    await a.close();
  }
}

async function show(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, { '--json': {}, '--csv': {} }, { positionals: true });
  const [id, ...extra] = flags.positionals;
  if (!id || extra.length) throw new UsageError('give one run id');
  const a = await openAgents(io, null);
  try {
    printOutcome(io, await a.service.get(id), flags);
    return 0;
  } finally {
    await a.close();
  }
}

async function resume(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      '--retry-failed': {},
      '--json': {},
      '--csv': {},
      '--api-config': { value: true },
      '--accept-host-key': { value: true, repeat: true },
    },
    { positionals: true },
  );
  const [id, ...extra] = flags.positionals;
  if (!id || extra.length) throw new UsageError('give one run id');
  const a = await openAgents(io, flags);
  try {
    // The run names the server it enrols with: a saved connection, or the --api-config it was pushed with.
    const doc = await a.service.resume(id, {
      retryFailed: flags.has('--retry-failed'),
      onEvent: progressPrinter(io),
    });
    printOutcome(io, doc, flags);
    return doc.hosts.some((h) => h.state === 'failed') || doc.state !== 'finished' ? 1 : 0;
  } finally {
    await a.close();
  }
}

const KIT: Record<string, FlagSpec> = {
  '--connection': { value: true },
  '--api-config': { value: true },
  '--org': { value: true },
  '--host': { value: true, repeat: true },
  '--hosts-file': { value: true },
  '--user': { value: true },
  '--out': { value: true },
  '--label': { value: true, repeat: true },
  '--frontend': { value: true, repeat: true },
  '--wss': {},
  '--tag': { value: true },
  '--binary': { value: true },
};

/** `agents kit ansible`: the role, playbook and inventory, with the server's config and a verified binary. */
async function kit(argv: string[], io: CliIO): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'gpo') return gpoKit(rest, io);
  if (kind !== 'ansible') throw new UsageError(`the kit is ansible or gpo${kind ? `, not "${kind}"` : ''}`);
  const flags = parseFlags(rest, KIT);
  if (!flags.has('--connection') && !flags.has('--api-config'))
    throw new UsageError('give the server agents enrol with: --connection NAME or --api-config FILE');
  const user = flags.get('--user');
  const out = flags.get('--out');
  if (!user || !out) throw new UsageError('kit ansible needs --user USER and --out DIR');
  if (flags.has('--tag') && flags.has('--binary')) throw new UsageError('give --tag or --binary, not both');
  const hosts = await hostsOf(flags, io.cwd);
  const a = await openAgents(io, flags);
  try {
    const frontends = flags.all('--frontend').map((f) => {
      const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(f);
      if (!m) throw new UsageError(`--frontend is HOST:PORT, not "${f}"`);
      return {
        host: m[1]!.replace(/^\[|\]$/g, ''),
        port: Number(m[2]),
        scheme: flags.has('--wss') ? ('wss' as const) : ('https' as const),
      };
    });
    const file = flags.get('--binary');
    const made = await a.service.ansibleKit(
      { server: a.serverName, org: flags.get('--org') ?? '' },
      {
        hosts,
        user,
        dir: resolve(io.cwd, out),
        binary: file ? { path: resolve(io.cwd, file) } : { tag: flags.get('--tag') ?? 'latest' },
        labels: flags.all('--label'),
        frontends,
      },
    );
    if (made.binaryWarning) io.stderr.write(`warning: ${made.binaryWarning}\n`);
    const config = { serverUrls: made.serverUrls };
    io.stdout.write(
      [
        `Ansible kit in ${resolve(io.cwd, out)} (agents dial ${config.serverUrls.join(', ')}; binary sha256 ${made.binarySha256}):`,
        ...made.files.map((f) => `  ${f}`),
        `Run: ansible-playbook -i inventory.ini site.yml --ask-become-pass`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await a.close();
  }
}

export const agentsCommand: Command = {
  name: 'agents',
  summary: 'push Velociraptor agents over SSH or WinRM; list, show and resume runs',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'push':
        return push(rest, io);
      case 'runs':
        return runs(rest, io);
      case 'show':
        return show(rest, io);
      case 'resume':
        return resume(rest, io);
      case 'kit':
        return kit(rest, io);
      case 'collector':
        return collector(rest, io);
      case 'import':
        return importZip(rest, io);
      case 'check':
        return check(rest, io);
      case 'installer':
        return installer(rest, io);
      case 'winrm-certs':
        return winrmCerts(rest, io);
      case 'forget-winrm-cert':
        return forgetWinRmCert(rest, io);
      default:
        throw new UsageError(
          `the subcommand is push, runs, show, resume, kit, collector, import, check, installer, winrm-certs or forget-winrm-cert${sub ? `, not "${sub}"` : ''}`,
        );
    }
  },
};
