import { afterEach, describe, expect, it, vi } from 'vitest';
import { allOf, onPath, RealPart } from './real-parts';

afterEach(() => vi.restoreAllMocks());

describe('real parts: required in CI, skipped with a reason elsewhere', () => {
  it('a part that is here runs its tests and checks silently', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (const ci of [true, false]) {
      const part = new RealPart('sshd', undefined, ci);
      expect(part.ready && part.run).toBe(true);
      expect(() => part.check()).not.toThrow();
      const skip = vi.fn();
      part.skipOrFail(skip);
      expect(skip).not.toHaveBeenCalled();
    }
    expect(warn).not.toHaveBeenCalled();
  });

  it('in CI a missing part fails, naming what is missing and how to get it', () => {
    const part = new RealPart('dockerd', 'not on PATH (scripts/setup-test-env.sh)', true);
    expect(part.run).toBe(true); // its tests run, and fail
    expect(() => part.check()).toThrow(
      'dockerd is missing: not on PATH (scripts/setup-test-env.sh) (required in CI)',
    );
    const skip = vi.fn();
    expect(() => part.skipOrFail(skip)).toThrow(/required in CI/);
    expect(skip).not.toHaveBeenCalled();
  });

  it('elsewhere a missing part skips its tests and prints the reason once', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const part = new RealPart('gdbus', `reason ${Math.random()}`, false);
    expect(part.run).toBe(false);
    part.check();
    part.check();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain(part.skipReason);
    const skip = vi.fn();
    part.skipOrFail(skip);
    expect(skip).toHaveBeenCalledWith(true, part.skipReason);
  });

  it('combines parts and finds programs on PATH', () => {
    expect(allOf('both', [new RealPart('a', undefined), new RealPart('b', 'gone')]).missing).toBe(
      'b is missing: gone',
    );
    expect(onPath(['sh'], 'apt-get install dash').ready).toBe(true);
    expect(onPath(['sh', 'no-such-program-here'], 'nowhere').missing).toBe(
      'no-such-program-here not on PATH (nowhere)',
    );
  });
});
