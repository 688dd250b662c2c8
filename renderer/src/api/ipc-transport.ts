/** Electron: the preload's `window.megaraptor` bridge (one function per contract channel). */
import type { Envelope, StreamEvent } from '../../../shared/contract';
import type { BridgeCall, BridgeStream, MegaraptorBridge } from '../../../shared/bridge';
import { nextId, type Transport } from './transport';

function unknownChannel(channel: string): Envelope<unknown> {
  return {
    ok: false,
    error: { code: 'CONTRACT_UNKNOWN_CHANNEL', message: `Unknown channel "${channel.slice(0, 80)}".` },
  };
}

export function createIpcTransport(bridge: MegaraptorBridge): Transport {
  const fns = bridge as unknown as Record<string, BridgeCall | BridgeStream | undefined>;
  const lookup = (channel: string) =>
    Object.prototype.hasOwnProperty.call(fns, channel) ? fns[channel] : undefined;
  return {
    kind: 'ipc',
    call(channel, input) {
      const fn = lookup(channel) as BridgeCall | undefined;
      return fn ? fn(input) : Promise.resolve(unknownChannel(channel));
    },
    stream(channel, input, onEvent: (e: StreamEvent<unknown>) => void) {
      const fn = lookup(channel) as BridgeStream | undefined;
      const id = nextId();
      if (!fn) {
        const env = unknownChannel(channel);
        if (!env.ok) queueMicrotask(() => onEvent({ id, type: 'error', error: env.error }));
        return () => undefined;
      }
      return fn(id, input, onEvent);
    },
  };
}
