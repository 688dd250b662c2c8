/**
 * Browser mode: the contract over one WebSocket to `megaraptor serve`. The per-run token arrives in
 * the page URL's fragment (never sent to a server); it is moved to sessionStorage and removed from
 * the address bar, so a reload still works and the token is not left on screen.
 */
import type { Envelope, StreamEvent } from '../../../shared/contract';
import type { ErrorPayload } from '../../../shared/errors';
import { WS_PATH, WS_TOKEN_PARAM, type ServerMessage } from '../../../shared/wire';
import { nextId, type Transport } from './transport';

const TOKEN_KEY = 'megaraptor.token';

/** Reads the token from `#token=...` (then forgets the fragment) or from this tab's session. */
export function takeToken(loc: Location, storage: Storage, history: History): string | undefined {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get(WS_TOKEN_PARAM);
  if (fromHash) {
    storage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(history.state, '', loc.pathname + loc.search);
    return fromHash;
  }
  return storage.getItem(TOKEN_KEY) ?? undefined;
}

/** Minimal WebSocket surface used here, so tests can pass Node's `ws` client. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
}

const OPEN = 1;

export function createWebSocketTransport(url: string, open: (url: string) => SocketLike): Transport {
  const socket = open(url);
  const pendingCalls = new Map<string, (env: Envelope<unknown>) => void>();
  const streams = new Map<string, (e: StreamEvent<unknown>) => void>();
  const outbox: string[] = [];
  let closed: ErrorPayload | undefined;

  const fail = (error: ErrorPayload) => {
    closed = error;
    for (const resolve of pendingCalls.values()) resolve({ ok: false, error });
    pendingCalls.clear();
    for (const [id, onEvent] of streams) onEvent({ id, type: 'error', error });
    streams.clear();
  };
  const send = (message: object) => {
    const data = JSON.stringify(message);
    if (socket.readyState === OPEN) socket.send(data);
    else outbox.push(data);
  };

  socket.addEventListener('open', () => {
    for (const data of outbox.splice(0)) socket.send(data);
  });
  socket.addEventListener('close', () =>
    fail({
      code: 'TRANSPORT_CLOSED',
      message: 'The connection to `megaraptor serve` closed. Is it still running? Reload the page.',
    }),
  );
  socket.addEventListener('message', (ev) => {
    if (typeof ev.data !== 'string') return;
    const m = JSON.parse(ev.data) as ServerMessage;
    if (m.type === 'result') {
      pendingCalls.get(m.id)?.(m.envelope);
      pendingCalls.delete(m.id);
    } else if (m.type === 'event') {
      streams.get(m.event.id)?.(m.event);
      if (m.event.type !== 'data') streams.delete(m.event.id);
    }
  });

  return {
    kind: 'websocket',
    call(channel, input) {
      if (closed) return Promise.resolve({ ok: false, error: closed });
      const id = nextId();
      return new Promise((resolve) => {
        pendingCalls.set(id, resolve);
        send({ type: 'call', id, channel, input });
      });
    },
    stream(channel, input, onEvent) {
      const id = nextId();
      if (closed) {
        const error = closed;
        queueMicrotask(() => onEvent({ id, type: 'error', error }));
        return () => undefined;
      }
      streams.set(id, onEvent);
      send({ type: 'stream', id, channel, input });
      return () => {
        if (streams.has(id)) send({ type: 'cancel', id });
      };
    },
  };
}

export function wsUrlFor(loc: Location, token: string): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${WS_PATH}?${WS_TOKEN_PARAM}=${encodeURIComponent(token)}`;
}
