/**
 * The IPC adapter: checks that each message comes from our own renderer's top frame, then hands it
 * to the Dispatcher (shared with browser mode). Each webContents is an owner; its streams are
 * cancelled when it is destroyed or navigates away.
 */
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import {
  STREAM_CANCEL,
  STREAM_EVENT,
  STREAM_START,
  type ContractShape,
  type Envelope,
} from '../../shared/contract';
import { IPC_CALL } from '../../shared/bridge';
import type { ErrorPayload } from '../../shared/errors';
import type { Dispatcher } from '../core/rpc/index';
import { isTrustedSender } from './sender';

function facts(event: IpcMainEvent | IpcMainInvokeEvent) {
  const frame = event.senderFrame;
  return { url: frame?.url, isTopFrame: frame !== null && frame !== undefined && frame.parent === null };
}

const forbiddenError: ErrorPayload = {
  code: 'CONTRACT_FORBIDDEN_SENDER',
  message: 'This frame may not use the app contract.',
};
const forbidden: Envelope<never> = { ok: false, error: forbiddenError };

export function installIpc<C extends ContractShape>(
  dispatcher: Dispatcher<C>,
  options: { devServerUrl?: string | undefined },
): () => void {
  const tracked = new WeakSet<WebContents>();
  const ownerOf = (wc: WebContents) => {
    const owner = `wc:${wc.id}`;
    if (!tracked.has(wc)) {
      tracked.add(wc);
      // A closed or reloaded window cannot receive events any more: cancel its streams.
      wc.once('destroyed', () => dispatcher.releaseOwner(owner));
      wc.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) dispatcher.releaseOwner(owner);
      });
    }
    return owner;
  };

  ipcMain.handle(IPC_CALL, async (event, channel: unknown, input: unknown) => {
    if (!isTrustedSender(facts(event), options)) return forbidden;
    // A non-string channel is refused by the Dispatcher as CONTRACT_UNKNOWN_CHANNEL.
    return dispatcher.call(channel as string, input, ownerOf(event.sender));
  });

  ipcMain.on(STREAM_START, (event, message: unknown) => {
    const m = (typeof message === 'object' && message !== null ? message : {}) as {
      id?: unknown;
      channel?: unknown;
      input?: unknown;
    };
    const id = typeof m.id === 'string' && m.id.length > 0 && m.id.length <= 100 ? m.id : undefined;
    if (id === undefined) return;
    const wc = event.sender;
    if (!isTrustedSender(facts(event), options)) {
      wc.send(STREAM_EVENT, { id, type: 'error', error: forbiddenError });
      return;
    }
    const owner = ownerOf(wc);
    // Scope the renderer's id to its window, and map events back to that id.
    dispatcher.startStream(
      typeof m.channel === 'string' ? m.channel : '',
      m.input,
      owner,
      (e) => {
        if (!wc.isDestroyed()) wc.send(STREAM_EVENT, { ...e, id });
      },
      `${owner}/${id}`,
    );
  });

  ipcMain.on(STREAM_CANCEL, (event, message: unknown) => {
    if (!isTrustedSender(facts(event), options)) return;
    const id = (message as { id?: unknown } | null)?.id;
    if (typeof id === 'string') {
      const owner = ownerOf(event.sender);
      dispatcher.cancel(`${owner}/${id}`, owner);
    }
  });

  return () => {
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeAllListeners(STREAM_START);
    ipcMain.removeAllListeners(STREAM_CANCEL);
  };
}
