import { describe, expect, it } from 'vitest';
import {
  csvHeader,
  defaultAgentForm,
  formProblems,
  hostsOf,
  keyedHosts,
  requestOf,
  type AgentForm,
} from './agent-form';

const form = (change: Partial<AgentForm> = {}): AgentForm => ({ ...defaultAgentForm(), ...change });

describe('agents wizard form', () => {
  it('reads a CSV through its column mapping and prefills what its rows agree on', () => {
    const csv =
      'Computer,SSH Port,Method,Login,Labels\nweb1,2222,ssh,ops,Incident-17\nweb2,,ssh,ops,Incident-17\n';
    const { guess, columns } = csvHeader(csv);
    expect(columns).toEqual(['Computer', 'SSH Port', 'Method', 'Login', 'Labels']);
    // "SSH Port" is no header name the guess knows: the responder maps it.
    expect(guess).toEqual({ host: 0, port: -1, os: 2, user: 3, labels: 4 });
    const r = hostsOf(form({ source: 'csv', csv, mapping: { ...guess, port: 1 } }));
    expect(r.problems).toEqual([]);
    expect(r.hosts).toEqual([
      { host: 'web1', port: 2222, os: 'auto' },
      { host: 'web2', os: 'auto' },
    ]);
    expect(r.fromCsv).toEqual({ user: 'ops', channel: 'ssh', labels: ['Incident-17'] });
  });

  it('refuses a CSV whose rows need two logins or mix Windows and SSH', () => {
    const csv = 'host,os,user\na,linux,root\nb,windows,admin\n';
    const r = hostsOf(form({ source: 'csv', csv, mapping: csvHeader(csv).guess }));
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/2 logins[\s\S]*mix Windows/);
  });

  it('expands a range and bounds its size', () => {
    expect(hostsOf(form({ source: 'range', range: '10.0.0.0/30' })).hosts.map((h) => h.host)).toEqual([
      '10.0.0.1',
      '10.0.0.2',
    ]);
    expect(hostsOf(form({ source: 'range', range: '10.0.0.0/8' })).problems[0]!.message).toMatch(
      /more than one push takes/,
    );
  });

  it('maps SSH choices to settings with keychain references only, and says what is missing', () => {
    const f = form({ server: 'sim', paste: '127.0.0.1:2201', labels: 'a, b', frontends: '10.1.1.1:8000' });
    const hosts = hostsOf(f).hosts;
    expect(formProblems(f, hosts).map((p) => p.step)).toEqual(['login', 'login', 'login']);
    f.ssh = { ...f.ssh, username: 'deployer', keyPath: '/k', sudoPasswordRef: 'cred-1' };
    expect(formProblems(f, hosts)).toEqual([]);
    const req = requestOf(f, hosts);
    expect(req.settings).toEqual({
      mode: 'install',
      server: { connection: 'sim', org: '' },
      login: {
        username: 'deployer',
        auth: { method: 'key', keyPath: '/k' },
        sudo: { mode: 'sudo', passwordRef: 'cred-1' },
      },
      binary: { kind: 'release', tag: 'latest' },
      config: { frontends: [{ host: '10.1.1.1', port: 8000, scheme: 'https' }], labels: ['a', 'b'] },
    });
    expect(JSON.stringify(req)).not.toMatch(/password"\s*:\s*"/i);
  });

  it('WinRM: pinned certificates by default, and no unchecked ones without the acknowledgement', () => {
    const f = form({ server: 'sim', paste: 'win1', channel: 'winrm' });
    f.winrm = {
      ...f.winrm,
      user: 'Administrator',
      passwordRef: 'cred-2',
      tls: 'unchecked',
      serveHost: 'ir-laptop',
    };
    expect(formProblems(f, hostsOf(f).hosts).map((p) => p.message)).toEqual([
      'Acknowledge that certificates will not be checked, or choose a CA or pins.',
    ]);
    f.winrm = { ...f.winrm, tls: 'pinned' };
    expect(formProblems(f, hostsOf(f).hosts)).toEqual([]);
    expect(requestOf(f, hostsOf(f).hosts).settings).toMatchObject({
      tls: { kind: 'pinned' },
      login: { user: 'Administrator', auth: 'ntlm', passwordRef: 'cred-2' },
    });
  });

  it('jump hosts: in the settings with the login’s auth, checked in the host-key step first', () => {
    const f = form({ server: 'sim', paste: '10.0.0.5' });
    f.ssh = {
      ...f.ssh,
      username: 'ir',
      keyPath: '/k',
      sudo: 'nopasswd',
      jumps: 'ops@bastion\nir@10.9.0.1:2222',
    };
    const hosts = hostsOf(f).hosts;
    expect(formProblems(f, hosts)).toEqual([]);
    const login = requestOf(f, hosts).settings.login as { jumps: unknown[] };
    expect(login.jumps).toEqual([
      { username: 'ops', host: 'bastion', port: 22, auth: { method: 'key', keyPath: '/k' } },
      { username: 'ir', host: '10.9.0.1', port: 2222, auth: { method: 'key', keyPath: '/k' } },
    ]);
    expect(keyedHosts(f, hosts)).toEqual([
      { host: 'bastion', port: 22 },
      { host: '10.9.0.1', port: 2222 },
      { host: '10.0.0.5', port: 22 },
    ]);
    f.ssh.jumps = 'bastion';
    expect(formProblems(f, hosts).map((p) => p.message)).toEqual([
      'Jump hosts: jump host "bastion" is USER@HOST[:PORT]: it needs the login for that host.',
    ]);
  });

  it('uninstall: no writeback choice is made for the responder; each choice reaches the settings', () => {
    const f = form({ server: 'sim', paste: '10.0.0.5', mode: 'uninstall' });
    f.ssh = { ...f.ssh, username: 'ir', keyPath: '/k', sudo: 'nopasswd' };
    const hosts = hostsOf(f).hosts;
    expect(defaultAgentForm().writeback).toBe('');
    expect(formProblems(f, hosts)).toEqual([
      {
        step: 'server',
        message: 'Choose whether the uninstall keeps the writeback (the client id a reinstall would reuse).',
      },
    ]);
    expect(requestOf({ ...f, writeback: 'keep' }, hosts).settings).toMatchObject({
      mode: 'uninstall',
      keepWriteback: true,
    });
    expect(requestOf({ ...f, writeback: 'remove' }, hosts).settings).toMatchObject({
      mode: 'uninstall',
      keepWriteback: false,
    });
    const win = form({
      server: 'sim',
      paste: 'win1',
      channel: 'winrm',
      mode: 'uninstall',
      writeback: 'remove',
    });
    expect(requestOf(win, hostsOf(win).hosts).settings).toMatchObject({
      mode: 'uninstall',
      keepWriteback: false,
    });
    // An install carries no writeback choice at all.
    expect(requestOf({ ...f, mode: 'install' }, hosts).settings).not.toHaveProperty('keepWriteback');
  });

  it('WinRM over plain HTTP: acknowledged, never with Basic', () => {
    const f = form({ server: 'sim', paste: 'win1', channel: 'winrm' });
    f.winrm = {
      ...f.winrm,
      user: 'Administrator',
      passwordRef: 'cred-2',
      tls: 'http',
      auth: 'basic',
      serveHost: 'ir-laptop',
    };
    expect(formProblems(f, hostsOf(f).hosts).map((p) => p.message)).toEqual([
      'Acknowledge that plain HTTP relies on NTLM sealing alone, or choose HTTPS.',
      'Basic over plain HTTP would send the password readable: use NTLMv2, or HTTPS.',
    ]);
    f.winrm = { ...f.winrm, auth: 'ntlm', httpAcknowledged: true };
    expect(formProblems(f, hostsOf(f).hosts)).toEqual([]);
    expect(requestOf(f, hostsOf(f).hosts).settings).toMatchObject({
      tls: { kind: 'http', acknowledged: true },
      login: { auth: 'ntlm' },
    });
  });

  it('WinRM install: the download host is asked for and reaches the settings; an uninstall needs none', () => {
    const f = form({ server: 'sim', paste: 'win1', channel: 'winrm' });
    f.winrm = { ...f.winrm, user: 'Administrator', passwordRef: 'cred-2' };
    expect(formProblems(f, hostsOf(f).hosts).map((p) => p.message)).toEqual([
      'Give this machine’s name or address as the Windows hosts reach it: they download the MSI from it.',
    ]);
    f.winrm = { ...f.winrm, serveHost: ' ir-laptop.corp ', servePort: '70000' };
    expect(formProblems(f, hostsOf(f).hosts).map((p) => p.message)).toEqual([
      'The download port is a number from 1 to 65535, or empty for any free port.',
    ]);
    f.winrm.servePort = '8443';
    expect(formProblems(f, hostsOf(f).hosts)).toEqual([]);
    expect(requestOf(f, hostsOf(f).hosts).settings).toMatchObject({
      mode: 'install',
      serve: { host: 'ir-laptop.corp', port: 8443 },
    });
    const off = form({
      server: 'sim',
      paste: 'win1',
      channel: 'winrm',
      mode: 'uninstall',
      writeback: 'keep',
    });
    off.winrm = { ...off.winrm, user: 'Administrator', passwordRef: 'cred-2' };
    expect(formProblems(off, hostsOf(off).hosts)).toEqual([]);
    expect(requestOf(off, hostsOf(off).hosts).settings).not.toHaveProperty('serve');
  });
});
