/**
 * One time rule for the whole app: every moment is written by formatTime (date, 24-hour time, zone),
 * in UTC by default (responders correlate across hosts and zones) or local time when the responder
 * switches. One store, so every table, grid, log and chart changes together.
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

/** The zone as the app writes it: `UTC`, or the local offset of that moment, `+01:00`. */
export function zoneText(ms: number, z: 'utc' | 'local'): string {
  if (z === 'utc') return 'UTC';
  const off = -new Date(ms).getTimezoneOffset();
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/**
 * The one way the app writes a moment: date, 24-hour time and the zone, always —
 * `2026-12-06 11:30:25 UTC` or, local, `2026-12-06 12:30:25 +01:00`; `.123` when `millis` and the
 * moment has them. '—' for 0 or an invalid value.
 */
export function formatTime(ms: number, z: 'utc' | 'local', millis = false): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  const d = new Date(ms);
  const u = z === 'utc';
  const date = `${u ? d.getUTCFullYear() : d.getFullYear()}-${pad((u ? d.getUTCMonth() : d.getMonth()) + 1)}-${pad(u ? d.getUTCDate() : d.getDate())}`;
  const time = `${pad(u ? d.getUTCHours() : d.getHours())}:${pad(u ? d.getUTCMinutes() : d.getMinutes())}:${pad(u ? d.getUTCSeconds() : d.getSeconds())}`;
  const frac = millis && ms % 1000 !== 0 ? `.${pad(Math.floor(ms % 1000), 3)}` : '';
  return `${date} ${time}${frac} ${zoneText(ms, z)}`;
}

/** An ISO timestamp from the core, written the one way; '—' when absent. */
export function formatIso(iso: string | null | undefined, z: 'utc' | 'local'): string {
  return iso ? formatTime(Date.parse(iso), z) : '—';
}

/** The time of day only (chart ticks; the axis names the date and zone): `11:30:25`. */
export function formatClock(ms: number, z: 'utc' | 'local'): string {
  return formatTime(ms, z).slice(11, 19);
}

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** Epochs the data carries, by magnitude: seconds, milliseconds, microseconds, nanoseconds (2001–2065). */
const EPOCHS: Array<[number, number, number]> = [
  [1e9, 3e9, 1000],
  [1e12, 3e12, 1],
  [1e15, 3e15, 1e-3],
  [1e18, 3e18, 1e-6],
];

/**
 * The moment a cell's text names, or null: an ISO 8601 date-time (without a zone it is UTC, as
 * Velociraptor writes them), or an epoch in seconds, milliseconds, microseconds or nanoseconds.
 */
export function parseTimeValue(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (ISO.test(t)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2') : `${t}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    return Number.isNaN(ms) ? null : ms;
  }
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const n = Number(t);
  for (const [lo, hi, toMs] of EPOCHS) if (n >= lo && n < hi) return Math.floor(n * toMs);
  return null;
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
