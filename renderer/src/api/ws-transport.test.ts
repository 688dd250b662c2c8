import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { createClient } from './client';
import { createWebSocketTransport, takeToken, wsUrlFor, type SocketLike } from './ws-transport';

/** A socket double: records what the transport sends and lets the test play the server. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  private listeners: Record<string, Array<(ev: { data: unknown }) => void>> = {};
  addEventListener(type: string, listener: (ev: { data: unknown }) => void): void {
    (this.listeners[type] ??= []).push(listener);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.emit('close');
  }
  emit(type: string, data?: unknown): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const l of this.listeners[type] ?? []) l({ data });
  }
  reply(message: object): void {
    this.emit('message', JSON.stringify(message));
  }
}

function setup() {
  const socket = new FakeSocket();
  let openedUrl = '';
  const transport = createWebSocketTransport('ws://127.0.0.1:1/rpc?token=t', (url) => {
    openedUrl = url;
    return socket;
  });
  return { socket, transport, client: createClient(transport), url: () => openedUrl };
}

describe('WebSocket transport', () => {
  it('queues calls until the socket opens, then matches answers by id', async () => {
    const { socket, client, url } = setup();
    expect(url()).toBe('ws://127.0.0.1:1/rpc?token=t');
    const answer = client.call('app:info', {});
    expect(socket.sent).toEqual([]);
    socket.emit('open');
    expect(socket.sent).toHaveLength(1);
    const req = socket.sent[0]!;
    expect(req).toMatchObject({ type: 'call', channel: 'app:info', input: {} });
    socket.reply({ type: 'result', id: 'someone-else', envelope: { ok: true, value: 'wrong' } });
    socket.reply({ type: 'result', id: req.id, envelope: { ok: true, value: { right: true } } });
    await expect(answer).resolves.toEqual({ right: true });
  });

  it('turns an error envelope into an AppError with the same code', async () => {
    const { socket, client } = setup();
    socket.emit('open');
    const answer = client.callRaw('nope:x', {});
    socket.reply({
      type: 'result',
      id: socket.sent[0]!.id,
      envelope: { ok: false, error: { code: 'CONTRACT_UNKNOWN_CHANNEL', message: 'Unknown' } },
    });
    const e = await answer.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('CONTRACT_UNKNOWN_CHANNEL');
  });

  it('routes stream events to their stream, and cancel sends a cancel for that id', () => {
    const { socket, transport } = setup();
    socket.emit('open');
    const a: StreamEvent<unknown>[] = [];
    const b: StreamEvent<unknown>[] = [];
    const cancelA = transport.stream('x:a', {}, (e) => a.push(e));
    transport.stream('x:b', {}, (e) => b.push(e));
    const [idA, idB] = socket.sent.map((m) => m.id as string);
    socket.reply({ type: 'event', event: { id: idB, type: 'data', data: 2 } });
    socket.reply({ type: 'event', event: { id: idA, type: 'data', data: 1 } });
    expect(a).toEqual([{ id: idA, type: 'data', data: 1 }]);
    expect(b).toEqual([{ id: idB, type: 'data', data: 2 }]);
    cancelA();
    expect(socket.sent.at(-1)).toEqual({ type: 'cancel', id: idA });
    socket.reply({ type: 'event', event: { id: idA, type: 'end' } });
    cancelA(); // after the end: nothing more is sent
    expect(socket.sent.filter((m) => m.type === 'cancel')).toHaveLength(1);
  });

  it('fails pending calls and open streams with TRANSPORT_CLOSED when the socket drops', async () => {
    const { socket, client, transport } = setup();
    socket.emit('open');
    const pending = client.call('app:info', {});
    const events: StreamEvent<unknown>[] = [];
    transport.stream('x:a', {}, (e) => events.push(e));
    socket.emit('close');
    await expect(pending).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(events[0]).toMatchObject({ type: 'error', error: { code: 'TRANSPORT_CLOSED' } });
    await expect(client.call('app:info', {})).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});

describe('takeToken', () => {
  function memoryStorage(): Storage {
    const m = new Map<string, string>();
    return {
      get length() {
        return m.size;
      },
      clear: () => m.clear(),
      getItem: (k) => m.get(k) ?? null,
      key: (i) => [...m.keys()][i] ?? null,
      removeItem: (k) => void m.delete(k),
      setItem: (k, v) => void m.set(k, v),
    };
  }

  it('moves the token from the fragment to the session and clears the address bar', () => {
    const storage = memoryStorage();
    const replaced: string[] = [];
    const history = {
      state: null,
      replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url),
    } as unknown as History;
    const loc = { hash: '#token=abc-123', pathname: '/settings', search: '' } as Location;
    expect(takeToken(loc, storage, history)).toBe('abc-123');
    expect(replaced).toEqual(['/settings']);
    // A reload has no fragment any more but the same tab session.
    expect(takeToken({ hash: '', pathname: '/settings', search: '' } as Location, storage, history)).toBe(
      'abc-123',
    );
    expect(
      takeToken({ hash: '', pathname: '/', search: '' } as Location, memoryStorage(), history),
    ).toBeUndefined();
  });

  it('builds the socket URL on the page host', () => {
    expect(wsUrlFor({ protocol: 'http:', host: '127.0.0.1:4000' } as Location, 'a b')).toBe(
      'ws://127.0.0.1:4000/rpc?token=a%20b',
    );
  });
});
