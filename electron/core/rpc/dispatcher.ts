/**
 * Transport-independent dispatch of contract calls. The Electron IPC adapter and the browser-mode
 * WebSocket server both hand every request to one Dispatcher, so validation, error envelopes and
 * stream bookkeeping are written once. Transports only decide *who* may call (sender checks).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type {
  CallChannels,
  CallSpec,
  ChannelSpec,
  ContractShape,
  Envelope,
  ParsedInputOf,
  StreamChannels,
  StreamEvent,
} from '../../../shared/contract';
import { AppError, type ErrorPayload, messageOf } from '../../../shared/errors';

/** Who is calling: lets a handler scope resources (streams) to one window or socket. */
export interface CallContext {
  /** Stable id of the caller (a webContents id, a socket id). Streams are cleaned up per owner. */
  owner: string;
  signal: AbortSignal;
}

type CallHandler<C extends ContractShape, K extends keyof C> = (
  input: ParsedInputOf<Extract<C[K], ChannelSpec>>,
  ctx: CallContext,
) => unknown; // a value or a Promise of one

type StreamHandler<C extends ContractShape, K extends keyof C> = (
  input: ParsedInputOf<Extract<C[K], ChannelSpec>>,
  ctx: CallContext,
) => AsyncIterable<unknown>;

/**
 * Optional entry of a handlers map (a symbol, so it can never collide with a channel): called with an
 * owner when its window closes or its socket drops, after its streams were cancelled, so a domain can
 * drop what it holds for that caller (result sets). The composition root sets it.
 */
export const OWNER_RELEASED: unique symbol = Symbol('megaraptor.ownerReleased');

export type Handlers<C extends ContractShape> = {
  [K in CallChannels<C>]: CallHandler<C, K>;
} & {
  [K in StreamChannels<C>]: StreamHandler<C, K>;
} & {
  [OWNER_RELEASED]?: (owner: string) => void;
};

/** Turns anything thrown into the wire error shape, without leaking stack traces or secrets. */
export function toErrorPayload(e: unknown): ErrorPayload {
  if (e instanceof AppError) return e.toPayload();
  if (e instanceof z.ZodError) {
    return {
      code: 'CONTRACT_INVALID_INPUT',
      message: 'The request does not match its contract: ' + formatZodIssues(e),
      details: { issues: e.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
    };
  }
  return { code: 'INTERNAL', message: messageOf(e) };
}

export function formatZodIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

interface ActiveStream {
  owner: string;
  controller: AbortController;
}

export class Dispatcher<C extends ContractShape> {
  private readonly streams = new Map<string, ActiveStream>();

  constructor(
    private readonly contract: C,
    private readonly handlers: Handlers<C>,
  ) {}

  has(channel: string): channel is Extract<keyof C, string> {
    return Object.prototype.hasOwnProperty.call(this.contract, channel);
  }

  /** One request/response call. Never throws: failures come back as `{ok: false}`. */
  async call(channel: string, rawInput: unknown, owner: string): Promise<Envelope<unknown>> {
    try {
      const spec = this.spec(channel, 'call') as CallSpec;
      const input: unknown = spec.input.parse(rawInput ?? {});
      const handler = (this.handlers as Record<string, CallHandler<C, keyof C>>)[channel];
      if (!handler) throw new AppError('CONTRACT_UNKNOWN_CHANNEL', `No handler for ${channel}.`);
      const value = await handler(input as never, { owner, signal: new AbortController().signal });
      const checked = spec.output.safeParse(value);
      if (!checked.success) {
        throw new AppError(
          'CONTRACT_INVALID_OUTPUT',
          `${channel} returned a value outside its contract: ${formatZodIssues(checked.error)}`,
        );
      }
      return { ok: true, value: checked.data };
    } catch (e) {
      return { ok: false, error: toErrorPayload(e) };
    }
  }

  /**
   * Starts a stream and delivers its events through `emit`. Returns the stream id at once; input
   * errors are delivered as an `error` event so the caller has one place to handle failures.
   */
  startStream(
    channel: string,
    rawInput: unknown,
    owner: string,
    emit: (event: StreamEvent<unknown>) => void,
    requestedId?: string,
  ): string {
    const id = requestedId && !this.streams.has(requestedId) ? requestedId : randomUUID();
    const controller = new AbortController();
    this.streams.set(id, { owner, controller });
    void this.pump(id, channel, rawInput, owner, controller, emit);
    return id;
  }

  private async pump(
    id: string,
    channel: string,
    rawInput: unknown,
    owner: string,
    controller: AbortController,
    emit: (event: StreamEvent<unknown>) => void,
  ): Promise<void> {
    try {
      const spec = this.spec(channel, 'stream');
      const input: unknown = spec.input.parse(rawInput ?? {});
      const handler = (this.handlers as Record<string, StreamHandler<C, keyof C>>)[channel];
      if (!handler) throw new AppError('CONTRACT_UNKNOWN_CHANNEL', `No handler for ${channel}.`);
      for await (const data of handler(input as never, { owner, signal: controller.signal })) {
        if (controller.signal.aborted) break;
        emit({ id, type: 'data', data });
      }
      if (controller.signal.aborted) {
        emit({ id, type: 'error', error: { code: 'CANCELLED', message: 'The stream was cancelled.' } });
      } else {
        emit({ id, type: 'end' });
      }
    } catch (e) {
      emit({
        id,
        type: 'error',
        error: controller.signal.aborted
          ? { code: 'CANCELLED', message: 'The stream was cancelled.' }
          : toErrorPayload(e),
      });
    } finally {
      this.streams.delete(id);
    }
  }

  /** Cancels one stream; only its owner may. Returns whether a stream was cancelled. */
  cancel(id: string, owner: string): boolean {
    const s = this.streams.get(id);
    if (!s || s.owner !== owner) return false;
    s.controller.abort();
    return true;
  }

  /**
   * Cancels every stream of an owner and tells the handlers (OWNER_RELEASED): called when its window
   * closes or its socket drops. Returns how many streams were cancelled.
   */
  releaseOwner(owner: string): number {
    let n = 0;
    for (const s of this.streams.values()) {
      if (s.owner === owner) {
        s.controller.abort();
        n++;
      }
    }
    try {
      this.handlers[OWNER_RELEASED]?.(owner);
    } catch {
      // Transports call this from close/error events: a failing domain must not break the others' cleanup.
    }
    return n;
  }

  activeStreams(owner?: string): number {
    if (owner === undefined) return this.streams.size;
    return [...this.streams.values()].filter((s) => s.owner === owner).length;
  }

  private spec(channel: string, kind: 'call' | 'stream') {
    // Transports pass whatever arrived on the wire: a non-string channel is a malformed request.
    if (typeof channel !== 'string' || !this.has(channel)) {
      if (typeof channel !== 'string') {
        throw new AppError('CONTRACT_UNKNOWN_CHANNEL', 'The request has no channel name.');
      }
      throw new AppError('CONTRACT_UNKNOWN_CHANNEL', `Unknown channel "${channel.slice(0, 80)}".`);
    }
    const spec = this.contract[channel] as ChannelSpec | undefined;
    if (!spec || spec.kind !== kind) {
      throw new AppError('CONTRACT_UNKNOWN_CHANNEL', `"${channel}" is not a ${kind} channel.`);
    }
    return spec;
  }
}
