/**
 * Times are shown in UTC by default (responders correlate across hosts and zones); a toggle
 * switches to local time for this window. One store so every table changes together.
 */
import { useSyncExternalStore } from 'react';

const KEY = 'megaraptor.timeZone';
let zone: 'utc' | 'local' = readStored();
const listeners = new Set<() => void>();

function readStored(): 'utc' | 'local' {
  try {
    return globalThis.localStorage?.getItem(KEY) === 'local' ? 'local' : 'utc';
  } catch {
    return 'utc';
  }
}

export function setTimeZone(z: 'utc' | 'local'): void {
  zone = z;
  try {
    globalThis.localStorage?.setItem(KEY, z);
  } catch {
    // Storage may be disabled; the choice then lasts for this page only.
  }
  for (const l of listeners) l();
}

export function useTimeZone(): 'utc' | 'local' {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => zone,
  );
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2026-08-21 13:05:09 UTC` or local `2026-08-21 15:05:09 (local)`; empty for 0 / invalid. */
export function formatTime(ms: number, z: 'utc' | 'local'): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  const d = new Date(ms);
  if (z === 'utc') {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago", "2 h ago", "5 d ago". */
export function ago(ms: number, now = Date.now()): string {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
