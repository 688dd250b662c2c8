/**
 * A byte count for people, the one way the app writes sizes (core messages, grid cells, the VFS,
 * wizards, kits): `812 B`, `3.4 MiB`, `8 GiB` (1024-based; one decimal below 10, none when it is .0).
 * Anything that is not a count (negative, not finite) is shown as it is.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const shown = v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v).toString();
  return `${shown} ${units[i]}`;
}
