/**
 * Loading data from the core in a component: `useCall('clients:get', {target, clientId})` answers
 * `{value, error, loading, reload, set}` and `usePoll(channel, input, {everyMs, until})` repeats it.
 * The stale-answer guard is built in (loader.ts): an answer for an input the component no longer
 * shows, or after it went away, is dropped. A new input (the key) starts over with no value, so one
 * client's data is never shown under another's name; `reload()` keeps the value while it asks.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { CallChannels, InputOf, OutputOf } from '../../../shared/contract';
import type { Contract } from '../../../shared/contracts/index';
import { useApi } from './index';
import { Loader, type PollPlan } from './loader';
import { describeError } from '../../../shared/errors';

export type { PollPlan } from './loader';

export interface Loaded<T> {
  /** The newest answer for the current key (kept while a reload or the next poll is in flight). */
  value: T | undefined;
  /** The newest request failed: what to tell the responder (message and code). */
  error: string | null;
  /** The failure itself, for callers that react to its code. */
  failure: unknown;
  /** A request for the current key is in flight. */
  loading: boolean;
  /** Asks again now (after an action changed what the answer would be). */
  reload: () => void;
  /** Replaces the value locally (an action answered with the new state) until the next answer. */
  set: (value: T) => void;
}

export interface LoadOptions<T> {
  /** Repeat the load (usePoll). */
  poll?: PollPlan<T>;
  /**
   * Keep showing the previous key's value until the new key's answer comes (search as you type: the
   * list stays while the next one loads). Off by default: another record's data is never shown.
   */
  keepPrevious?: boolean;
  /** Called with each fresh answer for the current key (never a stale one): side effects of a load. */
  onValue?: (value: T) => void;
}

interface State<T> {
  key: string | null;
  value: T | undefined;
  failure: unknown;
  failed: boolean;
  pending: boolean;
}

/**
 * Loads with `load()` whenever `key` changes (null: nothing to load). `load` may close over the
 * latest props: the one in use is always the newest render's.
 */
export function useLoad<T>(
  key: string | null,
  load: () => Promise<T>,
  options: LoadOptions<T> = {},
): Loaded<T> {
  const plan = options.poll;
  const [state, setState] = useState<State<T>>({
    key: null,
    value: undefined,
    failure: null,
    failed: false,
    pending: false,
  });
  const loadRef = useRef(load);
  const planRef = useRef(plan);
  const onValueRef = useRef(options.onValue);
  useLayoutEffect(() => {
    loadRef.current = load;
    planRef.current = plan;
    onValueRef.current = options.onValue;
  });
  const loader = useRef<Loader<T> | null>(null);
  const everyMs = plan?.everyMs;

  useEffect(() => {
    if (key === null) return;
    const p = planRef.current;
    const l = new Loader<T>(
      () => loadRef.current(),
      (answer) => {
        setState((s) => ({
          key,
          value: answer.ok ? answer.value : s.key === key ? s.value : undefined,
          failure: answer.ok ? null : answer.error,
          failed: !answer.ok,
          pending: false,
        }));
        if (answer.ok) onValueRef.current?.(answer.value);
      },
      p
        ? {
            everyMs: p.everyMs,
            // Read at each answer: the caller's condition may depend on newer props.
            until: (v) => planRef.current?.until?.(v) ?? false,
            ...(p.errorEveryMs !== undefined ? { errorEveryMs: p.errorEveryMs } : {}),
            ...(p.forMs !== undefined ? { forMs: p.forMs } : {}),
          }
        : undefined,
    );
    loader.current = l;
    l.start();
    return () => {
      l.stop();
      if (loader.current === l) loader.current = null;
    };
  }, [key, everyMs]);

  const reload = useCallback(() => {
    const l = loader.current;
    if (!l) return;
    setState((s) => ({ ...s, pending: true }));
    l.reload();
  }, []);
  const set = useCallback(
    (value: T) => setState((s) => (s.key === key ? { ...s, value, failed: false, failure: null } : s)),
    [key],
  );

  const current = state.key === key && key !== null;
  return {
    value: current || options.keepPrevious ? state.value : undefined,
    error: current && state.failed ? describeError(state.failure) : null,
    failure: current && state.failed ? state.failure : null,
    loading: key !== null && (!current || state.pending),
    reload,
    set,
  };
}

/** A stable key for a call's input (objects built the same way give the same key). */
export function callKey(channel: string, input: unknown): string {
  return `${channel}\u0000${JSON.stringify(input)}`;
}

/** One contract call, made again when its input changes; `input` null: not now. */
export function useCall<K extends CallChannels<Contract>>(
  channel: K,
  input: InputOf<Contract[K]> | null,
  options?: LoadOptions<OutputOf<Contract[K]>>,
): Loaded<OutputOf<Contract[K]>> {
  const api = useApi();
  const key = input === null ? null : callKey(channel, input);
  return useLoad(key, () => api.call(channel, input as InputOf<Contract[K]>), options);
}

/** A contract call repeated every `plan.everyMs` after each answer, until `plan.until` holds. */
export function usePoll<K extends CallChannels<Contract>>(
  channel: K,
  input: InputOf<Contract[K]> | null,
  plan: PollPlan<OutputOf<Contract[K]>>,
): Loaded<OutputOf<Contract[K]>> {
  return useCall(channel, input, { poll: plan });
}
