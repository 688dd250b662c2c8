import { describe, expect, it } from 'vitest';
import { artifactOs, osMismatch } from './artifact-os';

describe('artifact OS', () => {
  it('reads the OS from the catalogue name', () => {
    expect(artifactOs('Windows.System.Pslist')).toBe('windows');
    expect(artifactOs('Linux.Sys.Users')).toBe('linux');
    expect(artifactOs('MacOS.System.Users')).toBe('darwin');
    expect(artifactOs('Generic.Client.Info')).toBeNull();
    expect(artifactOs('WindowsLike.Thing')).toBeNull();
  });

  it('warns when an OS-specific artifact is scoped to any or another OS, and names the one OS to choose', () => {
    expect(osMismatch(['Windows.System.Pslist', 'Generic.Client.Info'], '')).toEqual({
      specific: [{ name: 'Windows.System.Pslist', os: 'windows' }],
      only: 'windows',
    });
    expect(osMismatch(['Windows.System.Pslist'], 'windows')).toBeNull();
    expect(osMismatch(['Windows.System.Pslist'], 'linux')?.only).toBe('windows');
    expect(osMismatch(['Windows.System.Pslist', 'Linux.Sys.Users'], '')?.only).toBeNull();
    expect(osMismatch(['Generic.Client.Info'], '')).toBeNull();
  });
});
