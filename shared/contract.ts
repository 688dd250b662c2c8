/**
 * The shape of every contract: `channel -> spec`, channel names `domain:verb`.
 * A `call` answers once; a `stream` emits `data` events until `end` or `error`, and can be cancelled.
 * Main, preload, the WebSocket server and the renderer all derive their types from these objects,
 * so there is one definition of each call.
 */
import type { z } from 'zod';
import type { ErrorPayload } from './errors';

export interface CallSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly kind: 'call';
  readonly input: I;
  readonly output: O;
}

export interface StreamSpec<I extends z.ZodType = z.ZodType, D extends z.ZodType = z.ZodType> {
  readonly kind: 'stream';
  readonly input: I;
  readonly data: D;
}

export type ChannelSpec = CallSpec | StreamSpec;
export type ContractShape = Record<`${string}:${string}`, ChannelSpec>;

export function call<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): CallSpec<I, O> {
  return { kind: 'call', input, output };
}

export function stream<I extends z.ZodType, D extends z.ZodType>(input: I, data: D): StreamSpec<I, D> {
  return { kind: 'stream', input, data };
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

/** Events of one stream call, as carried over IPC or WebSocket. */
export type StreamEvent<T> =
  | { id: string; type: 'data'; data: T }
  | { id: string; type: 'end' }
  | { id: string; type: 'error'; error: ErrorPayload };

export type CallChannels<C extends ContractShape> = {
  [K in keyof C]: C[K] extends CallSpec ? K : never;
}[keyof C];
export type StreamChannels<C extends ContractShape> = {
  [K in keyof C]: C[K] extends StreamSpec ? K : never;
}[keyof C];

export type InputOf<S extends ChannelSpec> = z.input<S['input']>;
export type ParsedInputOf<S extends ChannelSpec> = z.output<S['input']>;
export type OutputOf<S extends ChannelSpec> = S extends CallSpec ? z.output<S['output']> : never;
export type DataOf<S extends ChannelSpec> = S extends StreamSpec ? z.output<S['data']> : never;

/** IPC channel names used by the stream machinery (not contract channels). */
export const STREAM_START = 'stream:start';
export const STREAM_CANCEL = 'stream:cancel';
export const STREAM_EVENT = 'stream:event';
