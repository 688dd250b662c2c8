import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Loader, type Answer } from './loader';

/** A load whose answers the test releases one by one, in any order. */
function controlled<T>() {
  const pending: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = [];
  const load = () =>
    new Promise<T>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { load, pending };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('Loader', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers only the newest answer: a slow first answer after a reload is dropped', async () => {
    const { load, pending } = controlled<string>();
    const got: Array<Answer<string>> = [];
    const l = new Loader(load, (a) => got.push(a));
    l.start();
    l.reload();
    pending[1]!.resolve('second');
    await flush();
    pending[0]!.resolve('first, late');
    await flush();
    expect(got).toEqual([{ ok: true, value: 'second' }]);
  });

  it('delivers nothing once stopped (the component went away), and asks nothing more', async () => {
    const { load, pending } = controlled<number>();
    const deliver = vi.fn();
    const l = new Loader(load, deliver, { everyMs: 100 });
    l.start();
    l.stop();
    pending[0]!.resolve(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(deliver).not.toHaveBeenCalled();
    expect(pending).toHaveLength(1);
    l.reload();
    expect(pending).toHaveLength(1);
  });

  it('polls after each answer, never two requests at once, and stops when `until` holds', async () => {
    const { load, pending } = controlled<string>();
    const got: string[] = [];
    const l = new Loader(load, (a) => a.ok && got.push(a.value), {
      everyMs: 1000,
      until: (v) => v === 'FINISHED',
    });
    l.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(pending).toHaveLength(1); // no answer yet: no second request
    pending[0]!.resolve('RUNNING');
    await flush();
    await vi.advanceTimersByTimeAsync(999);
    expect(pending).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pending).toHaveLength(2);
    pending[1]!.resolve('FINISHED');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pending).toHaveLength(2);
    expect(got).toEqual(['RUNNING', 'FINISHED']);
  });

  it('reports a failure and keeps polling more slowly; a later success replaces it', async () => {
    const { load, pending } = controlled<string>();
    const got: Array<Answer<string>> = [];
    const l = new Loader(load, (a) => got.push(a), { everyMs: 100, errorEveryMs: 500 });
    l.start();
    pending[0]!.reject(new Error('server gone'));
    await flush();
    expect(got[0]).toMatchObject({ ok: false });
    await vi.advanceTimersByTimeAsync(499);
    expect(pending).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    pending[1]!.resolve('back');
    await flush();
    expect(got[1]).toEqual({ ok: true, value: 'back' });
  });

  it('a load that throws synchronously is a failed answer, not an exception in the caller', async () => {
    const got: Array<Answer<number>> = [];
    const l = new Loader<number>(
      () => {
        throw new Error('bad input');
      },
      (a) => got.push(a),
    );
    expect(() => l.start()).not.toThrow();
    await flush();
    expect(got).toHaveLength(1);
    expect(got[0]!.ok).toBe(false);
  });

  it('stops polling after `forMs`', async () => {
    let now = 0;
    let calls = 0;
    const l = new Loader(
      () => {
        calls++;
        return Promise.resolve('WAITING');
      },
      () => undefined,
      { everyMs: 1000, forMs: 3000 },
      () => now,
    );
    l.start();
    for (let i = 0; i < 10; i++) {
      now += 1000;
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(calls).toBe(4); // at 0, 1, 2 and 3 s; the answer at 3 s is past forMs
  });

  it('reload replaces the scheduled poll instead of adding a second chain', async () => {
    let calls = 0;
    const l = new Loader(
      () => {
        calls++;
        return Promise.resolve(calls);
      },
      () => undefined,
      { everyMs: 1000 },
    );
    l.start();
    await flush();
    l.reload();
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(4);
    l.stop();
  });
});
