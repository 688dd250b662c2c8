import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { callOver, openSocket } from './ws-client';

interface Answer {
  type: string;
  id?: string;
  envelope?: { ok: boolean; error?: { code: string; message: string } };
}

/** Sends raw messages over the page's own (browser) WebSocket, exactly as the renderer would. */
async function sendFromPage(page: Page, token: string, messages: string[]): Promise<Answer[]> {
  return page.evaluate(
    async ({ token, messages }) => {
      const ws = new WebSocket(`ws://${location.host}/rpc?token=${encodeURIComponent(token)}`);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error('socket refused'));
      });
      const answers: unknown[] = [];
      const done = new Promise<void>((resolve) => {
        ws.onmessage = (e) => {
          answers.push(JSON.parse(String(e.data)));
          if (answers.length === messages.length) resolve();
        };
      });
      for (const m of messages) ws.send(m);
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
      ws.close();
      return answers as Answer[];
    },
    { token, messages },
  );
}

test('invalid contract calls over the real WebSocket get typed error codes', async ({
  shell,
  server,
  page,
}) => {
  await shell.open();
  const answers = await sendFromPage(page, server.token, [
    JSON.stringify({ type: 'call', id: 'a', channel: 'nope:nothing', input: {} }),
    JSON.stringify({ type: 'call', id: 'b', channel: 'app:info', input: { unexpected: true } }),
    JSON.stringify({ type: 'call', id: 'c', channel: 'app:info', input: 'not an object' }),
    '{this is not json',
    JSON.stringify({ type: 'call', id: 'd', channel: 'app:info', input: {} }),
  ]);
  const byId = (id: string) => answers.find((a) => a.id === id);
  expect(byId('a')?.envelope).toMatchObject({ ok: false, error: { code: 'CONTRACT_UNKNOWN_CHANNEL' } });
  expect(byId('b')?.envelope).toMatchObject({ ok: false, error: { code: 'CONTRACT_INVALID_INPUT' } });
  expect(byId('c')?.envelope).toMatchObject({ ok: false, error: { code: 'CONTRACT_INVALID_INPUT' } });
  expect(answers.find((a) => a.type === 'protocol-error')?.envelope).toMatchObject({
    ok: false,
    error: { code: 'CONTRACT_INVALID_INPUT' },
  });
  // The socket survived the bad messages and still answers.
  expect(byId('d')?.envelope).toMatchObject({ ok: true });
});

test('non-object input and prototype keys are refused with typed codes', async ({ server }) => {
  const ws = await openSocket(server);
  expect(await callOver(ws, 'app:info', [])).toMatchObject({
    ok: false,
    error: { code: 'CONTRACT_INVALID_INPUT' },
  });
  expect(await callOver(ws, '__proto__', {})).toMatchObject({
    ok: false,
    error: { code: 'CONTRACT_UNKNOWN_CHANNEL' },
  });
  ws.close();
});

test.describe('a WebSocket is refused', () => {
  test('without a token', async ({ server }) => {
    await expect(openSocket(server, { token: null })).rejects.toThrow('HTTP 401');
  });
  test('with a wrong token', async ({ server }) => {
    await expect(openSocket(server, { token: server.token.slice(0, -2) + 'xx' })).rejects.toThrow('HTTP 401');
  });
  test('from another Origin', async ({ server }) => {
    await expect(openSocket(server, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });
  test('with a rebinding Host header', async ({ server }) => {
    await expect(openSocket(server, { host: `evil.example:${server.port}` })).rejects.toThrow('HTTP 421');
  });
  test('from another page in the browser, which cannot reach the core', async ({ server, page }) => {
    // A page on another origin (here: about:blank's opaque origin) with the right token is still refused.
    await page.goto('about:blank');
    const opened = await page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      return new Promise<boolean>((resolve) => {
        ws.onopen = () => resolve(true);
        ws.onerror = () => resolve(false);
      });
    }, `ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    expect(opened).toBe(false);
  });
});

test('a page opened without its token says how to open it', async ({ shell, server, page }) => {
  await page.goto(server.origin + '/');
  await expect(shell.root).toHaveAttribute('data-app-state', 'error');
  await expect(shell.coreUnreachable).toContainText('megaraptor serve');
});
