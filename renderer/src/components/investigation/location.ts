/**
 * Sub-locations inside an area live in the query string (/clients?client=C.1&flow=F.2): the
 * area stays one path segment, so a reload in browser mode still gets index.html and its
 * relative assets. Uses the shell router's navigation event so the shell follows along.
 */
import { useSyncExternalStore } from 'react';

const EVENT = 'megaraptor:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(EVENT, onChange);
  };
}

/** Goes to `area` with the given query parameters (undefined ones are left out). */
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
