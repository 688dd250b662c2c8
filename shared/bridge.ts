/**
 * The type of `window.megaraptor`, the preload's bridge: one function per contract channel and
 * nothing else. A call returns the Dispatcher's envelope; a stream takes a caller-chosen id (so the
 * listener exists before the first event) and an event callback, and returns its cancel function.
 * Type-only: the preload implements it, the renderer's IPC transport consumes it.
 */
import type { CallChannels, Envelope, StreamChannels, StreamEvent } from './contract';
import type { Contract } from './contracts/index';

export type BridgeCall = (input: unknown) => Promise<Envelope<unknown>>;
export type BridgeStream = (
  id: string,
  input: unknown,
  onEvent: (event: StreamEvent<unknown>) => void,
) => () => void;

export type MegaraptorBridge = { readonly [K in CallChannels<Contract>]: BridgeCall } & {
  readonly [K in StreamChannels<Contract>]: BridgeStream;
};

/** The global name the preload exposes the bridge under. */
export const BRIDGE_GLOBAL = 'megaraptor';

/** IPC channel of contract calls (`ipcRenderer.invoke(IPC_CALL, channel, input)`); streams use STREAM_*. */
export const IPC_CALL = 'rpc:call';
