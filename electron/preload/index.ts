/**
 * The preload: exposes `window.megaraptor`, one function per contract channel and nothing else (no
 * raw ipcRenderer). Built as one CommonJS file (sandboxed preloads cannot load modules or ESM).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  STREAM_CANCEL,
  STREAM_EVENT,
  STREAM_START,
  type Envelope,
  type StreamEvent,
} from '../../shared/contract';
import { BRIDGE_GLOBAL, IPC_CALL, type BridgeCall, type BridgeStream } from '../../shared/bridge';
import { contract } from '../../shared/contracts/index';

const listeners = new Map<string, (event: StreamEvent<unknown>) => void>();

// One IPC listener for all streams; events are routed by the id the renderer chose.
ipcRenderer.on(STREAM_EVENT, (_e: IpcRendererEvent, event: StreamEvent<unknown>) => {
  const listener = listeners.get(event.id);
  if (!listener) return;
  if (event.type !== 'data') listeners.delete(event.id);
  listener(event);
});

function callFn(channel: string): BridgeCall {
  return (input) => ipcRenderer.invoke(IPC_CALL, channel, input) as Promise<Envelope<unknown>>;
}

function streamFn(channel: string): BridgeStream {
  return (id, input, onEvent) => {
    if (typeof id !== 'string' || listeners.has(id)) throw new Error('Stream ids must be unique strings.');
    listeners.set(id, onEvent);
    ipcRenderer.send(STREAM_START, { id, channel, input });
    return () => {
      if (listeners.has(id)) ipcRenderer.send(STREAM_CANCEL, { id });
    };
  };
}

const bridge: Record<string, BridgeCall | BridgeStream> = {};
for (const [channel, spec] of Object.entries(contract) as Array<[string, { kind: 'call' | 'stream' }]>) {
  bridge[channel] = spec.kind === 'call' ? callFn(channel) : streamFn(channel);
}

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, Object.freeze(bridge));
