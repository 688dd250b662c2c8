/**
 * A transport carries contract calls to the core: Electron IPC through the preload bridge, or the
 * browser-mode WebSocket. The typed client (client.ts) sits on top; nothing else in the renderer
 * knows which transport it runs on.
 */
import type { Envelope, StreamEvent } from '../../../shared/contract';

export interface Transport {
  readonly kind: 'ipc' | 'websocket';
  call(channel: string, input: unknown): Promise<Envelope<unknown>>;
  /** Starts a stream; `onEvent` gets data/end/error. Returns a function that cancels it. */
  stream(channel: string, input: unknown, onEvent: (event: StreamEvent<unknown>) => void): () => void;
}

let counter = 0;
/** Ids only need to be unique per window; the core scopes them to the window or socket. */
export function nextId(): string {
  counter += 1;
  return `${Date.now().toString(36)}-${counter}`;
}
