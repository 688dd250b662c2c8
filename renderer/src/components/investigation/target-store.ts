/**
 * The active server + org, shared by every investigation page. Held outside React (one store per
 * window) so the switcher and the pages agree without a provider around the shell.
 */
import { useSyncExternalStore } from 'react';
import type { ConnectionList, Target } from '../../../../shared/contracts/connections';
import type { ApiClient } from '../../api/index';
import { messageOf } from '../../../../shared/errors';

interface State {
  list: ConnectionList | null;
  error: string | null;
}

let state: State = { list: null, error: null };
const listeners = new Set<() => void>();

function set(next: Partial<State>): void {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

export function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export async function refreshConnections(api: ApiClient): Promise<ConnectionList> {
  try {
    const list = await api.call('connections:list', {});
    set({ list, error: null });
    return list;
  } catch (e) {
    set({ error: messageOf(e) });
    throw e;
  }
}

export async function selectTarget(api: ApiClient, t: Target): Promise<void> {
  const active = await api.call('connections:select', t);
  if (state.list) set({ list: { ...state.list, active } });
}

export function useConnections(): State {
  return useSyncExternalStore(subscribe, () => state);
}

/** The active target, or null when no server is connected yet. */
export function useTarget(): Target | null {
  return useConnections().list?.active ?? null;
}

export const DEMO_NAME = 'demo-simulator';

/** What the UI calls a server: the demo is always labelled as the simulator. */
export function serverLabel(name: string): string {
  return name === DEMO_NAME ? 'Demo server (simulator)' : name;
}
