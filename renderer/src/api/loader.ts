/**
 * One load, optionally repeated, whose answers are delivered only while they are the newest: an answer
 * to a request that was superseded (a reload, a new key) or stopped (the component went away) is
 * dropped, so a slow first answer never overwrites a fast second one. Polls never overlap: the next
 * request is scheduled when the previous one answered. No React here (unit-tested); `useLoad` wraps it.
 */

export type Answer<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface PollPlan<T> {
  /** Ask again this long after each answer. */
  everyMs: number;
  /** Stop polling once an answer satisfies this (a flow that finished, a hunt that stopped). */
  until?: (value: T) => boolean;
  /** Wait after a failed request (default 4 × everyMs): a lost server is not hammered. */
  errorEveryMs?: number;
  /** Stop polling this long after start (offline clients may never answer). */
  forMs?: number;
}

export class Loader<T> {
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private startedAt = 0;
  private stopped = false;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly deliver: (answer: Answer<T>) => void,
    private readonly plan?: PollPlan<T>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The first request, now. */
  start(): void {
    this.startedAt = this.now();
    this.request();
  }

  /** A request now: the pending poll is replaced and an answer still in flight is ignored. */
  reload(): void {
    if (this.stopped) return;
    this.request();
  }

  /** No more answers, no more requests. */
  stop(): void {
    this.stopped = true;
    this.seq++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private request(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const mine = ++this.seq;
    let answer: Promise<T>;
    try {
      answer = this.load();
    } catch (error) {
      queueMicrotask(() => this.settle(mine, { ok: false, error }));
      return;
    }
    answer.then(
      (value) => this.settle(mine, { ok: true, value }),
      (error: unknown) => this.settle(mine, { ok: false, error }),
    );
  }

  private settle(mine: number, answer: Answer<T>): void {
    if (mine !== this.seq || this.stopped) return;
    this.deliver(answer);
    const plan = this.plan;
    if (!plan || this.stopped || mine !== this.seq) return;
    if (answer.ok && plan.until?.(answer.value)) return;
    if (plan.forMs !== undefined && this.now() - this.startedAt >= plan.forMs) return;
    const wait = answer.ok ? plan.everyMs : (plan.errorEveryMs ?? plan.everyMs * 4);
    this.timer = setTimeout(() => this.request(), wait);
  }
}
