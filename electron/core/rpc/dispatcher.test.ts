import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { call, stream, type StreamEvent } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { Dispatcher, OWNER_RELEASED, type Handlers } from './dispatcher';

const testContract = {
  'math:add': call(z.object({ a: z.number(), b: z.number() }).strict(), z.object({ sum: z.number() })),
  'math:broken': call(z.object({}).strict(), z.object({ sum: z.number() })),
  'math:fail': call(z.object({}).strict(), z.object({})),
  'math:crash': call(z.object({}).strict(), z.object({})),
  'count:up': stream(z.object({ to: z.number().int().min(0).max(100) }), z.number()),
  'count:forever': stream(z.object({}), z.number()),
};

function setup() {
  let foreverSignal: AbortSignal | undefined;
  const handlers: Handlers<typeof testContract> = {
    'math:add': ({ a, b }) => ({ sum: a + b }),
    'math:broken': () => ({ sum: 'not a number' }),
    'math:fail': () => {
      throw new AppError('PERMISSION_DENIED', 'You may not add.', { details: { role: 'reader' } });
    },
    'math:crash': () => {
      throw new TypeError('boom');
    },
    'count:up': async function* ({ to }) {
      for (let i = 1; i <= to; i++) yield i;
    },
    'count:forever': async function* (_input, ctx) {
      foreverSignal = ctx.signal;
      let i = 0;
      while (!ctx.signal.aborted && i < 10_000) {
        yield i++;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
  return { d: new Dispatcher(testContract, handlers), signal: () => foreverSignal, handlers };
}

function collect(d: Dispatcher<typeof testContract>, channel: string, input: unknown, owner = 'w1') {
  const events: StreamEvent<unknown>[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const id = d.startStream(channel, input, owner, (e) => {
    events.push(e);
    if (e.type !== 'data') resolve();
  });
  return { id, events, done };
}

describe('Dispatcher.call', () => {
  it('validates input, calls the handler and wraps the value', async () => {
    const { d } = setup();
    expect(await d.call('math:add', { a: 2, b: 3 }, 'w1')).toEqual({ ok: true, value: { sum: 5 } });
  });

  it.each([
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['a number', 42],
    ['wrong types', { a: '2', b: 3 }],
    ['a missing field', { a: 1 }],
    ['an extra field', { a: 1, b: 2, evil: true }],
    ['a prototype-pollution attempt', JSON.parse('{"a":1,"b":2,"__proto__":{"polluted":true}}') as unknown],
  ])('rejects %s as CONTRACT_INVALID_INPUT', async (_name, input) => {
    const { d } = setup();
    const r = await d.call('math:add', input, 'w1');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('CONTRACT_INVALID_INPUT');
      expect(r.error.message).toMatch(/does not match its contract/);
      expect(Array.isArray(r.error.details?.issues)).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['an unknown channel', 'nope:nothing'],
    ['an inherited property name', 'constructor'],
    ['a prototype key', '__proto__'],
    ['a stream channel called as a call', 'count:up'],
    ['a non-string channel', 17 as unknown as string],
    ['an empty channel', ''],
  ])('rejects %s as CONTRACT_UNKNOWN_CHANNEL', async (_name, channel) => {
    const { d } = setup();
    const r = await d.call(channel, {}, 'w1');
    expect(r).toMatchObject({ ok: false, error: { code: 'CONTRACT_UNKNOWN_CHANNEL' } });
  });

  it('truncates very long unknown channel names in the message', async () => {
    const { d } = setup();
    const r = await d.call('x'.repeat(10_000), {}, 'w1');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message.length).toBeLessThan(200);
  });

  it('passes AppError code, message and details through unchanged', async () => {
    const { d } = setup();
    expect(await d.call('math:fail', {}, 'w1')).toEqual({
      ok: false,
      error: { code: 'PERMISSION_DENIED', message: 'You may not add.', details: { role: 'reader' } },
    });
  });

  it('turns an unexpected exception into INTERNAL without a stack', async () => {
    const { d } = setup();
    const r = await d.call('math:crash', {}, 'w1');
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'boom' } });
  });

  it('refuses a handler value outside the output contract', async () => {
    const { d } = setup();
    const r = await d.call('math:broken', {}, 'w1');
    expect(r).toMatchObject({ ok: false, error: { code: 'CONTRACT_INVALID_OUTPUT' } });
  });

  it('treats a missing input as an empty object', async () => {
    const { d } = setup();
    expect((await d.call('math:fail', undefined, 'w1')).ok).toBe(false);
    expect(await d.call('math:add', undefined, 'w1')).toMatchObject({
      error: { code: 'CONTRACT_INVALID_INPUT' },
    });
  });
});

describe('Dispatcher streams', () => {
  it('delivers data events in order then end', async () => {
    const { d } = setup();
    const s = collect(d, 'count:up', { to: 3 });
    await s.done;
    expect(s.events).toEqual([
      { id: s.id, type: 'data', data: 1 },
      { id: s.id, type: 'data', data: 2 },
      { id: s.id, type: 'data', data: 3 },
      { id: s.id, type: 'end' },
    ]);
    expect(d.activeStreams()).toBe(0);
  });

  it('delivers invalid input and unknown channels as one error event', async () => {
    const { d } = setup();
    const bad = collect(d, 'count:up', { to: -1 });
    await bad.done;
    expect(bad.events).toEqual([
      {
        id: bad.id,
        type: 'error',
        error: expect.objectContaining({ code: 'CONTRACT_INVALID_INPUT' }) as unknown,
      },
    ]);
    const unknown = collect(d, 'math:add', { a: 1, b: 1 });
    await unknown.done;
    expect(unknown.events[0]).toMatchObject({ type: 'error', error: { code: 'CONTRACT_UNKNOWN_CHANNEL' } });
  });

  it('lets only the owner cancel, and ends with CANCELLED', async () => {
    const { d, signal } = setup();
    const s = collect(d, 'count:forever', {}, 'w1');
    await new Promise((r) => setTimeout(r, 30));
    expect(d.cancel(s.id, 'someone-else')).toBe(false);
    expect(d.cancel(s.id, 'w1')).toBe(true);
    await s.done;
    expect(signal()?.aborted).toBe(true);
    expect(s.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'CANCELLED' } });
    expect(d.cancel(s.id, 'w1')).toBe(false);
  });

  it('releases every stream of a closed window and only those', async () => {
    const { d } = setup();
    const a = collect(d, 'count:forever', {}, 'win-a');
    const b = collect(d, 'count:forever', {}, 'win-b');
    await new Promise((r) => setTimeout(r, 20));
    expect(d.activeStreams('win-a')).toBe(1);
    expect(d.releaseOwner('win-a')).toBe(1);
    await a.done;
    expect(d.activeStreams('win-a')).toBe(0);
    expect(d.activeStreams('win-b')).toBe(1);
    d.releaseOwner('win-b');
    await b.done;
    expect(d.activeStreams()).toBe(0);
  });

  it('tells the handlers when an owner goes, after cancelling its streams, and survives a failing hook', async () => {
    const released: Array<{ owner: string; streamAborted: boolean | undefined }> = [];
    const { handlers, signal } = setup();
    const d = new Dispatcher(testContract, {
      ...handlers,
      [OWNER_RELEASED]: (owner: string) => {
        released.push({ owner, streamAborted: signal()?.aborted });
        if (owner === 'bad') throw new Error('hook failed');
      },
    });
    const a = collect(d, 'count:forever', {}, 'win-a');
    await new Promise((r) => setTimeout(r, 20));
    expect(d.releaseOwner('win-a')).toBe(1);
    await a.done;
    expect(a.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'CANCELLED' } });
    expect(released).toEqual([{ owner: 'win-a', streamAborted: true }]); // once, after its stream was aborted
    expect(d.releaseOwner('bad')).toBe(0);
    expect(released.map((r) => r.owner)).toEqual(['win-a', 'bad']);
    // A symbol entry is not a channel.
    expect(d.has('megaraptor.ownerReleased')).toBe(false);
  });

  it('uses a requested id only when it is free', async () => {
    const { d } = setup();
    const first = d.startStream('count:forever', {}, 'w1', () => undefined, 'mine');
    const second = d.startStream('count:forever', {}, 'w1', () => undefined, 'mine');
    expect(first).toBe('mine');
    expect(second).not.toBe('mine');
    d.releaseOwner('w1');
  });
});
