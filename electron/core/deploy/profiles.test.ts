import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { autoDestroyAt, checkTarget, PROFILES, resolveProfile, type ProfileOverrides } from './profiles';

function violation(name: 'rapid' | 'standard' | 'enterprise', o: ProfileOverrides): string {
  try {
    resolveProfile(name, o);
  } catch (e) {
    if (isAppError(e, 'DEPLOY_PROFILE_VIOLATION')) return e.message;
    throw e;
  }
  throw new Error('expected DEPLOY_PROFILE_VIOLATION');
}

describe('profiles', () => {
  it('rapid self-destructs after 72 h and cannot be made permanent', () => {
    expect(resolveProfile('rapid').autoDestroyHours).toBe(72);
    expect(violation('rapid', { autoDestroyHours: null })).toMatch(/always destroys itself/);
    expect(violation('rapid', { autoDestroyHours: 15 * 24 })).toMatch(/Self-destruction delay/);
    expect(autoDestroyAt(resolveProfile('rapid'), new Date('2030-01-01T00:00:00Z'))).toBe(
      '2030-01-04T00:00:00.000Z',
    );
    expect(autoDestroyAt(resolveProfile('standard'), new Date())).toBeNull();
  });

  it('applies overrides within bounds and lists them', () => {
    const p = resolveProfile('standard', {
      limits: { nanoCpus: 2e9 },
      logRetentionDays: 14,
      autoDestroyHours: 48,
    });
    expect(p.limits).toEqual({ ...PROFILES.standard.limits, nanoCpus: 2e9 });
    expect(p.logRetentionDays).toBe(14);
    expect(p.autoDestroyHours).toBe(48);
    expect(p.overridden.sort()).toEqual(['autoDestroyHours', 'limits.nanoCpus', 'logRetentionDays']);
    expect(violation('standard', { limits: { memoryBytes: 1024 } })).toMatch(
      /Memory limit 1024 bytes is outside/,
    );
    expect(violation('standard', { limits: { nanoCpus: Number.NaN } })).toMatch(/CPU limit/);
  });

  it('refuses certificates that outlive their CA or die before the self-destruction', () => {
    expect(violation('standard', { certificates: { serverDays: 4000 } })).toMatch(
      /outside the allowed range/,
    );
    expect(violation('rapid', { certificates: { apiDays: 31 } })).toMatch(/cannot outlive the CA/);
    expect(violation('rapid', { certificates: { serverDays: 2 } })).toMatch(
      /would expire before the self-destruction/,
    );
  });

  it('allows only the profile targets', () => {
    expect(() => checkTarget(PROFILES.enterprise, 'lab')).toThrow(/does not deploy to lab/);
    expect(() => checkTarget(PROFILES.rapid, 'docker')).not.toThrow();
  });
});
