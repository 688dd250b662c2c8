/**
 * A small path router (history API). Areas are one path segment (`/hunts`), so relative asset
 * URLs and the servers' index.html fallback keep working; the router library can come later if
 * areas grow nested routes.
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
