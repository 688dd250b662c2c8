/**
 * Audit concern "synchronous cert generation blocks the event loop": key generation must leave the
 * loop free. Asserted on behaviour, not on a time budget: while an RSA-4096 key is generated, the
 * loop keeps running other work (setImmediate turns) and a timer set before it fires before it ends.
 * The figures (loop delay in ms) live in bench/pki.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './certificates';

describe('key generation off the event loop', () => {
  it('keeps the event loop turning while an RSA-4096 key is generated', async () => {
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    let timerFiredBeforeKey = false;
    let keyDone = false;
    setTimeout(() => {
      timerFiredBeforeKey = !keyDone;
    }, 1);
    const keys = await generateKeyPair({ kind: 'rsa', bits: 4096 });
    keyDone = true;
    spinning = false;
    expect(keys.privateKey.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
    expect((keys.privateKey.algorithm as { modulusLength?: number }).modulusLength).toBe(4096);
    // A blocking generator would allow at most a couple of turns (before and after it ran).
    expect(turns).toBeGreaterThan(20);
    expect(timerFiredBeforeKey).toBe(true);
  });
});
