/**
 * Picks the transport once at start: the preload bridge when running inside Electron, the
 * browser-mode WebSocket otherwise. Exposes the client through React context.
 */
import { createContext, useContext } from 'react';
import { BRIDGE_GLOBAL, type MegaraptorBridge } from '../../../shared/bridge';
import { AppError } from '../../../shared/errors';
import { createClient, type ApiClient } from './client';
import { createIpcTransport } from './ipc-transport';
import { createWebSocketTransport, takeToken, wsUrlFor } from './ws-transport';

export type { ApiClient, StreamHandlers } from './client';

export function connect(win: Window = window): ApiClient {
  const bridge = (win as unknown as Record<string, MegaraptorBridge | undefined>)[BRIDGE_GLOBAL];
  if (bridge) return createClient(createIpcTransport(bridge));
  const token = takeToken(win.location, win.sessionStorage, win.history);
  if (!token) {
    throw new AppError(
      'CONTRACT_FORBIDDEN_SENDER',
      'This page was opened without its access token. Open the full URL printed by `megaraptor serve`.',
    );
  }
  return createClient(createWebSocketTransport(wsUrlFor(win.location, token), (url) => new WebSocket(url)));
}

export const ApiContext = createContext<ApiClient | undefined>(undefined);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}
