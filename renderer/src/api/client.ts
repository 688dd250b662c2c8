/**
 * The typed contract client: `call(channel, input)` resolves with the channel's output or throws an
 * AppError with the core's code; `stream(channel, input, handlers)` returns a cancel function.
 */
import type { CallChannels, DataOf, InputOf, OutputOf, StreamChannels } from '../../../shared/contract';
import type { Contract } from '../../../shared/contracts/index';
import { AppError, type ErrorPayload } from '../../../shared/errors';
import type { Transport } from './transport';

export interface StreamHandlers<T> {
  data(value: T): void;
  end?(): void;
  error?(error: AppError): void;
}

export interface ApiClient {
  readonly transport: Transport['kind'];
  call<K extends CallChannels<Contract>>(
    channel: K,
    input: InputOf<Contract[K]>,
  ): Promise<OutputOf<Contract[K]>>;
  stream<K extends StreamChannels<Contract>>(
    channel: K,
    input: InputOf<Contract[K]>,
    handlers: StreamHandlers<DataOf<Contract[K]>>,
  ): () => void;
  /** Untyped escape hatch for tests and diagnostics: any channel name, any input. */
  callRaw(channel: string, input: unknown): Promise<unknown>;
}

function toError(p: ErrorPayload): AppError {
  return AppError.fromPayload(p);
}

export function createClient(transport: Transport): ApiClient {
  const callRaw = async (channel: string, input: unknown): Promise<unknown> => {
    const env = await transport.call(channel, input);
    if (!env.ok) throw toError(env.error);
    return env.value;
  };
  return {
    transport: transport.kind,
    call: (channel, input) => callRaw(channel, input) as never,
    callRaw,
    stream(channel, input, handlers) {
      return transport.stream(channel, input, (e) => {
        if (e.type === 'data') handlers.data(e.data as never);
        else if (e.type === 'end') handlers.end?.();
        else handlers.error?.(toError(e.error));
      });
    },
  };
}
