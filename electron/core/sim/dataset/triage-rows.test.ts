/** The simulator's artifact rows honour what a responder passes, as the real artifacts do. */
import { describe, expect, it } from 'vitest';
import { findArtifact } from './artifacts';
import { seedClients } from './clients';
import { exeOf, generateArtifactResults } from './triage-rows';
import { versionProfile } from '../version';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const clients = seedClients(NOW);
const of = (os: string) => clients.find((c) => c.os === os)!;

function pslist(os: string, env: Record<string, string>) {
  const name = os === 'windows' ? 'Windows.System.Pslist' : 'Linux.Sys.Pslist';
  const def = findArtifact(name)!;
  return generateArtifactResults(def, of(os), env, 'F.TEST', NOW, versionProfile()).results.get(name) ?? [];
}

describe('simulated process lists', () => {
  it('filters by ProcessRegex and PidRegex, and an unset regex lists every process', () => {
    const all = pslist('windows', {});
    expect(all.length).toBeGreaterThan(5);
    const chrome = pslist('windows', { ProcessRegex: 'chrome' });
    expect(chrome.length).toBeGreaterThan(0);
    expect(chrome.length).toBeLessThan(all.length);
    for (const r of chrome) expect(String(r.Name)).toMatch(/chrome/i);
    const first = all[1]!;
    expect(pslist('windows', { PidRegex: `^${String(first.Pid)}$` }).map((r) => r.Pid)).toEqual([first.Pid]);
    expect(pslist('linux', { processRegex: 'no-such-process' })).toEqual([]);
  });

  it('keeps program paths with spaces whole', () => {
    expect(exeOf('Google Chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome')).toBe(
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    );
    expect(
      exeOf('chrome.exe', '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer'),
    ).toBe('C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe');
    expect(exeOf('velociraptor', '/usr/local/sbin/velociraptor --config /etc/v.yaml client')).toBe(
      '/usr/local/sbin/velociraptor',
    );
    for (const r of pslist('windows', {}))
      expect(String(r.CommandLine)).toContain(String(r.Exe).split('\\').pop());
  });
});
