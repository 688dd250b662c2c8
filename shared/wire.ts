/**
 * The browser-mode WebSocket protocol: how contract calls and stream events travel between the
 * renderer's WebSocket transport and `megaraptor serve` (electron/core/server). Electron IPC carries
 * the same Envelope / StreamEvent shapes on its own channels. Zod-checked on the server, because a
 * socket may send anything.
 */
import { z } from 'zod';
import type { Envelope, StreamEvent } from './contract';

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('call'),
    id: z.string().min(1).max(100),
    channel: z.string().max(200),
    input: z.unknown(),
  }),
  z.object({
    type: z.literal('stream'),
    id: z.string().min(1).max(100),
    channel: z.string().max(200),
    input: z.unknown(),
  }),
  z.object({ type: z.literal('cancel'), id: z.string().min(1).max(100) }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export type ServerMessage =
  | { type: 'result'; id: string; envelope: Envelope<unknown> }
  | { type: 'event'; event: StreamEvent<unknown> }
  /** A message the server could not read at all (not JSON, no id): answered once, not fatal. */
  | { type: 'protocol-error'; envelope: Envelope<unknown> };

/** Query parameter of the WebSocket URL that carries the per-run token. */
export const WS_TOKEN_PARAM = 'token';
/** Path of the WebSocket endpoint. */
export const WS_PATH = '/rpc';
