/**
 * One run of a progress stream (deploy, resume, an operation): the folded model, whether it is still
 * running, and the backend's own message when it failed. `start` takes the stream to open, so one hook
 * serves every channel whose data is ProgressEvents; a new start or unmounting cancels the old stream
 * (which stops the work in the core: a cancelled deployment rolls back, so callers ask first).
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { PlannedStep, ProgressEvent } from '../../../../shared/deploy';
import { describeError, type AppError } from '../../../../shared/errors';
import type { StreamHandlers } from '../../api/index';
import { initialProgress, reduceProgress, type ProgressModel } from './progress-model';

export type RunStatus = 'idle' | 'running' | 'done' | 'failed';

type Action = { type: 'reset'; planned: readonly PlannedStep[] } | { type: 'event'; event: ProgressEvent };

function reducer(model: ProgressModel, action: Action): ProgressModel {
  return action.type === 'reset' ? initialProgress(action.planned) : reduceProgress(model, action.event);
}

export interface ProgressRun {
  model: ProgressModel;
  status: RunStatus;
  /** describeError of the failure: the backend's message and code. */
  error: string | undefined;
  /** The failure itself, for its code and details (preflight checks, rollback outcome). */
  failure: AppError | undefined;
  start: (
    open: (handlers: StreamHandlers<ProgressEvent>) => () => void,
    planned?: readonly PlannedStep[],
  ) => void;
  cancel: () => void;
}

export function useProgressRun(onEnd?: (status: 'done' | 'failed') => void): ProgressRun {
  const [model, dispatch] = useReducer(reducer, undefined, () => initialProgress());
  const [status, setStatus] = useState<RunStatus>('idle');
  const [failure, setFailure] = useState<AppError>();
  const cancelRef = useRef<(() => void) | undefined>(undefined);
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  }, [onEnd]);

  const cancel = useCallback(() => {
    cancelRef.current?.();
    cancelRef.current = undefined;
  }, []);

  const start = useCallback<ProgressRun['start']>(
    (open, planned = []) => {
      cancel();
      dispatch({ type: 'reset', planned });
      setFailure(undefined);
      setStatus('running');
      let live = true;
      const stop = open({
        data: (event) => {
          if (live) dispatch({ type: 'event', event });
        },
        end: () => {
          if (!live) return;
          live = false;
          cancelRef.current = undefined;
          setStatus('done');
          onEndRef.current?.('done');
        },
        error: (e) => {
          if (!live) return;
          live = false;
          cancelRef.current = undefined;
          setFailure(e);
          setStatus('failed');
          onEndRef.current?.('failed');
        },
      });
      if (live)
        cancelRef.current = () => {
          live = false;
          stop();
        };
    },
    [cancel],
  );

  useEffect(() => cancel, [cancel]);
  return { model, status, error: failure ? describeError(failure) : undefined, failure, start, cancel };
}
