/**
 * The agents wizard's choices as the form holds them, their defaults, and how they become the push
 * request the core checks (`agents:review` / `agents:start`, the channel's push settings). Pure: the
 * wizard draws from it, the tests pin the mapping.
 *
 * Hosts come from a pasted list, a CSV (its columns mapped to host, port, os/method, user, labels) or
 * a range; all three are parsed by shared/agent-hosts.ts, as the CLI parses them. A CSV whose rows
 * name different logins, methods or labels is refused with a line to act on: one push has one login.
 * No secret is held here: passwords and passphrases are keychain references (credential ids).
 */
import type { AgentChannel, PushHost } from '../../../../shared/agents';
import {
  parseCsvRows,
  parseHostCsv,
  parseHostList,
  parseJumpHosts,
  type HostListResult,
} from '../../../../shared/agent-hosts';
import type { PushRequest } from '../../../../shared/contracts/agents';

export type HostSource = 'paste' | 'csv' | 'range';

/** Which CSV column (index; -1: none) holds what. */
export interface CsvMapping {
  host: number;
  port: number;
  os: number;
  user: number;
  labels: number;
}

export interface AgentForm {
  name: string;
  source: HostSource;
  paste: string;
  csv: string;
  mapping: CsvMapping;
  range: string;
  /** The connected server agents enrol with. */
  server: string;
  org: string;
  channel: AgentChannel;
  mode: 'install' | 'uninstall';
  /** Uninstall: keep or remove the writeback (the client's identity); '' until the responder chooses. */
  writeback: '' | 'keep' | 'remove';
  concurrency: number;
  retries: number;
  /** Comma-separated Client.labels applied at enrolment. */
  labels: string;
  /** Frontends agents dial instead of the server's own (host:port, comma-separated); empty: the server's. */
  frontends: string;
  ssh: {
    username: string;
    auth: 'key' | 'agent' | 'password';
    keyPath: string;
    /** Keychain reference of the key's passphrase ('' none). */
    passphraseRef: string;
    passwordRef: string;
    sudo: 'none' | 'nopasswd' | 'password';
    sudoPasswordRef: string;
    /** Jump hosts, USER@HOST[:PORT], outermost first (comma or line separated); they log in the same way. */
    jumps: string;
    binary: 'release' | 'file';
    tag: string;
    binaryPath: string;
  };
  winrm: {
    user: string;
    domain: string;
    auth: 'ntlm' | 'basic';
    passwordRef: string;
    /**
     * pinned: the certificates the responder confirmed once (the wizard's certificate step); http: the
     * plain HTTP listener (5985), NTLM with every message sealed.
     */
    tls: 'pinned' | 'ca' | 'unchecked' | 'http';
    caPem: string;
    uncheckedAcknowledged: boolean;
    httpAcknowledged: boolean;
    msi: 'release' | 'file';
    tag: string;
    msiPath: string;
    /** This machine as the Windows hosts reach it: they download the MSI and config from it (install). */
    serveHost: string;
    /** The port that download server listens on; '' for any free port. */
    servePort: string;
  };
}

const HEADER_NAMES: Record<keyof CsvMapping, string[]> = {
  host: ['host', 'hostname', 'address', 'ip', 'fqdn', 'computer', 'name'],
  port: ['port'],
  os: ['os', 'method', 'platform', 'channel'],
  user: ['user', 'username', 'login'],
  labels: ['labels', 'label', 'tags'],
};

export function defaultAgentForm(): AgentForm {
  return {
    name: `agents-${new Date().toISOString().slice(0, 16).replace('T', '-').replace(':', '')}`,
    source: 'paste',
    paste: '',
    csv: '',
    mapping: { host: -1, port: -1, os: -1, user: -1, labels: -1 },
    range: '',
    server: '',
    org: '',
    channel: 'ssh',
    mode: 'install',
    writeback: '',
    concurrency: 8,
    retries: 2,
    labels: '',
    frontends: '',
    ssh: {
      username: '',
      auth: 'key',
      keyPath: '',
      passphraseRef: '',
      passwordRef: '',
      sudo: 'password',
      sudoPasswordRef: '',
      jumps: '',
      binary: 'release',
      tag: 'latest',
      binaryPath: '',
    },
    winrm: {
      user: '',
      domain: '',
      auth: 'ntlm',
      passwordRef: '',
      tls: 'pinned',
      caPem: '',
      uncheckedAcknowledged: false,
      httpAcknowledged: false,
      msi: 'release',
      tag: 'latest',
      msiPath: '',
      serveHost: '',
      servePort: '',
    },
  };
}

/** The CSV's header, and the mapping its names suggest. */
export function csvHeader(text: string): { columns: string[]; guess: CsvMapping } {
  const columns = (parseCsvRows(text)[0] ?? []).map((c) => c.trim());
  const lower = columns.map((c) => c.toLowerCase());
  const find = (k: keyof CsvMapping) => {
    for (const n of HEADER_NAMES[k]) {
      const i = lower.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  return {
    columns,
    guess: {
      host: find('host'),
      port: find('port'),
      os: find('os'),
      user: find('user'),
      labels: find('labels'),
    },
  };
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export interface HostsResult extends HostListResult {
  /** What the CSV's user / method / labels columns agree on (prefilled into the login and labels). */
  fromCsv?: { user?: string; channel?: AgentChannel; labels?: string[] };
}

/** The CSV through its mapping: host/port/os handed to the one CSV host parser, the rest checked. */
function hostsFromCsv(text: string, m: CsvMapping): HostsResult {
  const rows = parseCsvRows(text);
  if (m.host < 0)
    return {
      hosts: [],
      problems: [{ line: 1, text: (rows[0] ?? []).join(','), message: 'choose the host column' }],
    };
  const problems: HostListResult['problems'] = [];
  const canonical = ['host,port,os'];
  const users = new Set<string>();
  const channels = new Set<AgentChannel>();
  const labels = new Set<string>();
  rows.slice(1).forEach((r, i) => {
    const cell = (c: number) => (c >= 0 ? (r[c] ?? '').trim() : '');
    let os = cell(m.os).toLowerCase();
    // A "method" column may say how to reach the host instead of what it runs.
    if (os === 'ssh') os = '';
    if (os === 'winrm') os = 'windows';
    if (cell(m.os).toLowerCase() === 'ssh') channels.add('ssh');
    else if (os === 'windows') channels.add('winrm');
    else if (os) channels.add('ssh');
    if (cell(m.user)) users.add(cell(m.user));
    const rowLabels = cell(m.labels)
      .split(/[;|]/)
      .map((l) => l.trim())
      .filter(Boolean)
      .sort()
      .join(';');
    labels.add(rowLabels);
    canonical.push([cell(m.host), cell(m.port), os].map(csvField).join(','));
    void i;
  });
  const parsed = parseHostCsv(canonical.join('\n'));
  problems.push(...parsed.problems);
  const fromCsv: NonNullable<HostsResult['fromCsv']> = {};
  if (users.size > 1)
    problems.push({
      line: 1,
      text: rows[0]?.join(',') ?? '',
      message: `the rows name ${users.size} logins (${[...users].slice(0, 4).join(', ')}): one push logs in one way; split the CSV`,
    });
  else if (users.size === 1) fromCsv.user = [...users][0]!;
  if (channels.size > 1)
    problems.push({
      line: 1,
      text: rows[0]?.join(',') ?? '',
      message: 'the rows mix Windows (WinRM) and SSH hosts: push each kind on its own',
    });
  else if (channels.size === 1) fromCsv.channel = [...channels][0]!;
  if (m.labels >= 0) {
    if (labels.size > 1)
      problems.push({
        line: 1,
        text: rows[0]?.join(',') ?? '',
        message: 'the rows carry different labels: labels apply to the whole push; split the CSV by label',
      });
    else {
      const only = [...labels][0] ?? '';
      if (only) fromCsv.labels = only.split(';');
    }
  }
  return { hosts: parsed.hosts, problems, fromCsv };
}

export function hostsOf(form: AgentForm): HostsResult {
  if (form.source === 'csv') return hostsFromCsv(form.csv, form.mapping);
  return parseHostList(form.source === 'range' ? form.range : form.paste);
}

const splitList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** `host:port` or `[v6]:port` → a frontend; null when it is not one. */
export function frontendOf(text: string): { host: string; port: number; scheme: 'https' } | null {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), scheme: 'https' };
}

/** What keeps the form from a review, in the words the wizard shows. */
export interface FormProblem {
  step: 'hosts' | 'server' | 'login';
  message: string;
}

export function formProblems(form: AgentForm, hosts: PushHost[]): FormProblem[] {
  const p: FormProblem[] = [];
  const at = (step: FormProblem['step']) => (message: string) => p.push({ step, message });
  const server = at('server');
  const login = at('login');
  if (!form.name.trim()) server('Name the push.');
  if (!hosts.length) at('hosts')('List at least one host.');
  if (!form.server) server('Choose the server agents enrol with.');
  if (form.mode === 'uninstall' && !form.writeback)
    server('Choose whether the uninstall keeps the writeback (the client id a reinstall would reuse).');
  for (const f of splitList(form.frontends)) if (!frontendOf(f)) server(`Frontend "${f}" is not HOST:PORT.`);
  if (form.channel === 'ssh') {
    const s = form.ssh;
    if (!s.username.trim()) login('Give the SSH login.');
    if (s.auth === 'key' && !s.keyPath.trim()) login('Give the private key file.');
    if (s.auth === 'password' && !s.passwordRef) login('Choose the login password from the keychain.');
    if (s.sudo === 'password' && !s.sudoPasswordRef && s.auth !== 'password')
      login('Choose the sudo password from the keychain (or sudo without a password).');
    for (const problem of parseJumpHosts(s.jumps).problems) login(`Jump hosts: ${problem}.`);
    if (s.binary === 'file' && !s.binaryPath.trim()) login('Give the agent binary file.');
  } else {
    const w = form.winrm;
    if (!w.user.trim()) login('Give the Windows login.');
    if (!w.passwordRef) login('Choose the Windows password from the keychain.');
    if (w.tls === 'ca' && !w.caPem.includes('BEGIN CERTIFICATE')) login('Paste the CA certificate (PEM).');
    if (w.tls === 'unchecked' && !w.uncheckedAcknowledged)
      login('Acknowledge that certificates will not be checked, or choose a CA or pins.');
    if (w.tls === 'http' && !w.httpAcknowledged)
      login('Acknowledge that plain HTTP relies on NTLM sealing alone, or choose HTTPS.');
    if (w.tls === 'http' && w.auth === 'basic')
      login('Basic over plain HTTP would send the password readable: use NTLMv2, or HTTPS.');
    if (w.msi === 'file' && !w.msiPath.trim()) login('Give the MSI file.');
    if (form.mode !== 'uninstall' && !w.serveHost.trim())
      login(
        'Give this machine’s name or address as the Windows hosts reach it: they download the MSI from it.',
      );
    const port = w.servePort.trim();
    if (port && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
      login('The download port is a number from 1 to 65535, or empty for any free port.');
  }
  return p;
}

/** The push settings of the form's channel (keychain references only). */
export function settingsOf(form: AgentForm): Record<string, unknown> {
  const server = { connection: form.server, org: form.org };
  const mode =
    form.mode === 'uninstall'
      ? { mode: 'uninstall', keepWriteback: form.writeback === 'keep' }
      : { mode: 'install' };
  const config = {
    frontends: splitList(form.frontends)
      .map(frontendOf)
      .filter((f): f is NonNullable<typeof f> => f !== null),
    labels: splitList(form.labels),
  };
  if (form.channel === 'winrm') {
    const w = form.winrm;
    return {
      ...mode,
      server,
      login: { user: w.user.trim(), domain: w.domain.trim(), auth: w.auth, passwordRef: w.passwordRef },
      tls:
        w.tls === 'ca'
          ? { kind: 'ca', caPem: w.caPem }
          : w.tls === 'pinned'
            ? { kind: 'pinned' }
            : w.tls === 'http'
              ? { kind: 'http', acknowledged: true }
              : { kind: 'unchecked', acknowledged: true },
      msi:
        w.msi === 'file'
          ? { kind: 'file', path: w.msiPath.trim() }
          : { kind: 'release', tag: w.tag || 'latest' },
      config,
      ...(w.serveHost.trim()
        ? {
            serve: {
              host: w.serveHost.trim(),
              ...(w.servePort.trim() ? { port: Number(w.servePort.trim()) } : {}),
            },
          }
        : {}),
    };
  }
  const s = form.ssh;
  const auth =
    s.auth === 'agent'
      ? { method: 'agent' }
      : s.auth === 'password'
        ? { method: 'password', passwordRef: s.passwordRef }
        : {
            method: 'key',
            keyPath: s.keyPath.trim(),
            ...(s.passphraseRef ? { passphraseRef: s.passphraseRef } : {}),
          };
  const sudoRef = s.sudoPasswordRef || (s.auth === 'password' ? s.passwordRef : '');
  const { jumps } = parseJumpHosts(s.jumps);
  return {
    ...mode,
    server,
    login: {
      username: s.username.trim(),
      auth,
      sudo:
        s.sudo === 'none'
          ? { mode: 'none' }
          : s.sudo === 'nopasswd'
            ? { mode: 'sudo' }
            : { mode: 'sudo', passwordRef: sudoRef },
      ...(jumps.length ? { jumps: jumps.map((j) => ({ ...j, auth })) } : {}),
    },
    binary:
      s.binary === 'file'
        ? { kind: 'files', files: { 'linux-amd64': s.binaryPath.trim() } }
        : { kind: 'release', tag: s.tag || 'latest' },
    config,
  };
}

/**
 * The hosts whose SSH keys the host-key step checks: the jump hosts first (the push reaches the
 * others through them), then the hosts.
 */
export function keyedHosts(form: AgentForm, hosts: PushHost[]): Array<{ host: string; port: number }> {
  const jumps = parseJumpHosts(form.ssh.jumps).jumps.map((j) => ({ host: j.host, port: j.port }));
  return [...jumps, ...hosts.map((h) => ({ host: h.host, port: h.port ?? 22 }))];
}

export function requestOf(form: AgentForm, hosts: PushHost[]): PushRequest {
  return {
    channel: form.channel,
    name: form.name.trim(),
    hosts,
    concurrency: form.concurrency,
    retries: form.retries,
    settings: settingsOf(form),
  };
}
