/**
 * How the responder arranged a grid's columns — order, widths, hidden ones, wrapping — remembered per
 * artifact (the grid's `layoutKey`, e.g. `Windows.System.Pslist`) in this browser's storage, so the next
 * Pslist result opens the way the last one was left. Pure merging of that with the columns a result
 * has (unit-tested); storage access tolerates a disabled or full storage.
 */

export interface ColumnLayout {
  /** Column names in the order shown (names a result lacks are ignored; new ones go after). */
  order: string[];
  /** Widths the responder set (by drag or fit), px. */
  widths: Record<string, number>;
  hidden: string[];
  wrap: boolean;
}

export const EMPTY_LAYOUT: ColumnLayout = { order: [], widths: {}, hidden: [], wrap: false };

const PREFIX = 'megaraptor.grid.';
/** Layouts kept; the least recently saved go first. */
const MAX_KEYS = 200;

export function loadLayout(
  key: string | undefined,
  storage: Storage | undefined = globalThis.localStorage,
): ColumnLayout {
  if (!key || !storage) return EMPTY_LAYOUT;
  try {
    const raw = storage.getItem(PREFIX + key);
    if (!raw) return EMPTY_LAYOUT;
    const v = JSON.parse(raw) as Partial<ColumnLayout>;
    return {
      order: Array.isArray(v.order) ? v.order.filter((x) => typeof x === 'string') : [],
      widths:
        v.widths && typeof v.widths === 'object'
          ? Object.fromEntries(Object.entries(v.widths).filter(([, w]) => typeof w === 'number' && w > 0))
          : {},
      hidden: Array.isArray(v.hidden) ? v.hidden.filter((x) => typeof x === 'string') : [],
      wrap: v.wrap === true,
    };
  } catch {
    return EMPTY_LAYOUT;
  }
}

export function saveLayout(
  key: string | undefined,
  layout: ColumnLayout,
  storage: Storage | undefined = globalThis.localStorage,
): void {
  if (!key || !storage) return;
  try {
    storage.setItem(PREFIX + key, JSON.stringify({ ...layout, savedAt: Date.now() }));
    const keys: Array<[string, number]> = [];
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (!k?.startsWith(PREFIX)) continue;
      try {
        keys.push([k, Number((JSON.parse(storage.getItem(k) ?? '{}') as { savedAt?: number }).savedAt ?? 0)]);
      } catch {
        keys.push([k, 0]);
      }
    }
    keys.sort((a, b) => a[1] - b[1]);
    for (const [k] of keys.slice(0, Math.max(0, keys.length - MAX_KEYS))) storage.removeItem(k);
  } catch {
    // Storage disabled or full: the layout lasts for this view only.
  }
}

/**
 * The columns in display order: the saved order for those the result has, then the others in arrival
 * order. Without a saved order, `lead` columns (e.g. a hunt's `Fqdn`, `ClientId`) come first.
 */
export function arrangeColumns(
  columns: readonly string[],
  layout: ColumnLayout,
  lead: readonly string[] = [],
): string[] {
  const have = new Set(columns);
  const first = layout.order.length
    ? layout.order.filter((c) => have.has(c))
    : lead.filter((c) => have.has(c));
  const placed = new Set(first);
  return [...first, ...columns.filter((c) => !placed.has(c))];
}

/** `column` moved to just before `before` (or to the end when `before` is null). */
export function moveColumn(order: readonly string[], column: string, before: string | null): string[] {
  const rest = order.filter((c) => c !== column);
  const at = before === null ? rest.length : rest.indexOf(before);
  rest.splice(at < 0 ? rest.length : at, 0, column);
  return rest;
}
