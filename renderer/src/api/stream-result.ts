/**
 * A stream that reports progress and ends with one `{ type: 'done', result }` event (the kits' builds,
 * a collection import), as a promise of that result: progress events go to `onProgress`; a stream that
 * ends without its result rejects with `endedEarly`; aborting `signal` stops the stream and rejects
 * with `cancelled`.
 */
import type { DataOf, InputOf, StreamChannels } from '../../../shared/contract';
import type { Contract } from '../../../shared/contracts/index';
import { AppError } from '../../../shared/errors';
import type { ApiClient } from './client';

type Done = { type: 'done'; result: unknown };
type ResultOf<K extends StreamChannels<Contract>> = Extract<DataOf<Contract[K]>, Done>['result'];
type ProgressOf<K extends StreamChannels<Contract>> = Exclude<DataOf<Contract[K]>, Done>;

export function streamResult<K extends StreamChannels<Contract>>(
  api: ApiClient,
  channel: K,
  input: InputOf<Contract[K]>,
  o: {
    onProgress: (e: ProgressOf<K>) => void;
    endedEarly: string;
    signal?: AbortSignal;
    cancelled?: string;
  },
): Promise<ResultOf<K>> {
  return new Promise((resolve, reject) => {
    let done = false;
    const stop = api.stream(channel, input, {
      data: (e) => {
        const event = e as ProgressOf<K> | Done;
        if ((event as { type: string }).type !== 'done') o.onProgress(event as ProgressOf<K>);
        else {
          done = true;
          resolve((event as Done).result as ResultOf<K>);
        }
      },
      end: () => {
        if (!done) reject(new AppError('INTERNAL', o.endedEarly));
      },
      error: reject,
    });
    o.signal?.addEventListener(
      'abort',
      () => {
        stop();
        reject(new AppError('CANCELLED', o.cancelled ?? 'Cancelled.'));
      },
      { once: true },
    );
  });
}
