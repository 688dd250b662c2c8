/**
 * A small path router (history API). Areas are one path segment (`/hunts`), so relative asset
 * URLs and the servers' index.html fallback keep working; the router library can come later if
 * areas grow nested routes. Sub-locations inside an area live in the query string
 * (/clients?client=C.1&flow=F.2), read with useQueryParam and set with go.
 */
import { useCallback, useSyncExternalStore } from 'react';

const EVENT = 'megaraptor:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(EVENT, onChange);
  };
}

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(EVENT));
}

export function usePath(): [string, (path: string) => void] {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  const go = useCallback((p: string) => navigate(p), []);
  return [path, go];
}

/** Goes to `area` with the given query parameters (undefined or empty ones are left out). */
export function go(area: string, params: Record<string, string | undefined> = {}): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const url = q.size ? `${area}?${q.toString()}` : area;
  if (url === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(EVENT));
}

/** One query parameter of the current location, re-rendering when it changes. */
export function useQueryParam(name: string): string | undefined {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  return new URLSearchParams(search).get(name) ?? undefined;
}
