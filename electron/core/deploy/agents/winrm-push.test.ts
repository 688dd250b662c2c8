import { describe, expect, it } from 'vitest';
import { WinRmAgentPusher, type WinRmPusherDeps } from './winrm-push';

// Settings checks only: parseSettings reads no dependency, so none is given.
const pusher = new WinRmAgentPusher({} as WinRmPusherDeps);
const base = {
  server: { connection: 'sim' },
  login: { user: 'Administrator', passwordRef: 'winrm:admin' },
  tls: { kind: 'pinned' },
  msi: { kind: 'release', tag: 'latest' },
};

describe('WinRM push settings', () => {
  it('an install needs this machine as the hosts reach it; nothing is filled in for the responder', () => {
    expect(() => pusher.parseSettings({ ...base, mode: 'install' })).toThrow(
      /An install needs this machine as the Windows hosts reach it \(serve host\)/,
    );
    const s = pusher.parseSettings({ ...base, mode: 'install', serve: { host: 'ir-laptop.corp' } });
    expect(s.serve).toEqual({ host: 'ir-laptop.corp', bind: '0.0.0.0', port: 0 });
  });

  it('an uninstall downloads nothing, so it needs no serve host', () => {
    const s = pusher.parseSettings({ ...base, mode: 'uninstall', keepWriteback: false });
    expect(s.serve).toBeUndefined();
    expect(s.keepWriteback).toBe(false);
  });
});
