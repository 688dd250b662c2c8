import { describe, expect, it } from 'vitest';
import type { DeploymentNotice } from '../../../shared/deploy';
import { digestNotices, undismissed } from './deployment-notices';

const at = '2026-12-07T06:00:00.000Z';
const notice = (deploymentId: string, kind: string, level: DeploymentNotice['level']): DeploymentNotice => ({
  key: `${deploymentId}:${kind}`,
  deploymentId,
  name: deploymentId,
  level,
  message: `${deploymentId} ${kind}`,
  at,
});

describe('deployment notices for the shell', () => {
  it('counts warnings and critical notices, most severe first, and leaves info to the page', () => {
    const d = digestNotices([
      notice('lab-1', 'interrupted', 'warning'),
      notice('dock-2', 'cert:gui:within-30d:2027-01-01', 'info'),
      notice('dock-2', 'destroy-1h', 'critical'),
      notice('ssh-3', 'destroy-24h', 'warning'),
      notice('ssh-3', 'cert:api:within-7d:2026-12-12', 'warning'),
    ]);
    expect(d.attention.map((n) => n.key)).toEqual([
      'dock-2:destroy-1h',
      'lab-1:interrupted',
      'ssh-3:destroy-24h',
      'ssh-3:cert:api:within-7d:2026-12-12',
    ]);
    expect(d.unfinished.map((n) => n.deploymentId)).toEqual(['lab-1']);
    expect(d.destruction.map((n) => n.key)).toEqual(['dock-2:destroy-1h', 'ssh-3:destroy-24h']);
    expect(d.level).toBe('critical');
  });

  it('says nothing when only info notices exist, and warns without critical ones', () => {
    const quiet = digestNotices([notice('lab-1', 'held', 'info')]);
    expect(quiet.attention).toEqual([]);
    expect(quiet.level).toBeNull();
    expect(digestNotices([notice('lab-1', 'destroy-24h', 'warning')]).level).toBe('warning');
  });

  it('reads the kind after the deployment id, whatever the id contains', () => {
    // Ids may contain dashes and digits; a name ending in "interrupted" is not an unfinished run.
    const d = digestNotices([
      notice('a-interrupted-1', 'destroy-due', 'critical'),
      notice('lab-9', 'rollback-failed', 'critical'),
    ]);
    expect(d.unfinished).toEqual([]);
    expect(d.destruction.map((n) => n.deploymentId)).toEqual(['a-interrupted-1']);
  });

  it('hides dismissed notices until one with a new key arrives', () => {
    const first = digestNotices([notice('lab-1', 'destroy-24h', 'warning')]).attention;
    const dismissed = new Set(first.map((n) => n.key));
    expect(undismissed(first, dismissed)).toEqual([]);
    const later = digestNotices([notice('lab-1', 'destroy-1h', 'critical')]).attention;
    expect(undismissed(later, dismissed).map((n) => n.key)).toEqual(['lab-1:destroy-1h']);
  });
});
