/**
 * A long operation that reports progress through a callback, turned into a stream handler's events:
 * each report wakes the generator, which yields the newest one only (a slow window never holds the
 * operation back and nothing piles up), and the operation's result is the generator's return value.
 */
export async function* latestProgress<P, R>(
  start: (report: (p: P) => void) => Promise<R>,
): AsyncGenerator<P, R> {
  let latest: { p: P } | undefined;
  let wake: (() => void) | undefined;
  let settled = false;
  const run = start((p) => {
    latest = { p };
    wake?.();
  }).finally(() => {
    settled = true;
    wake?.();
  });
  run.catch(() => undefined); // awaited below; this only stops an unhandled rejection meanwhile
  for (;;) {
    if (latest) {
      const { p } = latest;
      latest = undefined;
      yield p;
      continue;
    }
    if (settled) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  return await run;
}
