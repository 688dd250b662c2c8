/**
 * `velociraptor config repack --msi` for the simulator as a drop-in binary: the same in-place rewrite
 * of the placeholder client config inside an MSI that Velociraptor 0.77.2 does (facts from its
 * vql/tools/repack.go and docs/wix; behaviour compared byte for byte with the real binary on the
 * same MSI — docs/real-server-conformance.md, "MSI repack"). The code is ours.
 *
 * How the official MSI is made repackable: its client.config.yaml is a placeholder (not a valid
 * config) packed alone into an UNCOMPRESSED cabinet embedded in the MSI. The placeholder starts with
 * `## Velociraptor client configuration. (0)` and repeats `## Velociraptor client configuration
 * (0x800)`, `(0x1000)`, … every 0x800 bytes, written over its padding of spaces, so every 4 KiB page
 * of the MSI file that holds part of it holds a marker naming the placeholder offset it carries.
 * Repacking finds the markers, maps each placeholder page to its MSI page, and overwrites those pages
 * with: the bytes before the (0) marker in its page (the cabinet's headers), the new config (padded
 * with newlines to 2000 bytes), `\n\n\n# Padding`, then spaces to the page end. The CFDATA checksum
 * (the 4 bytes 8 before the config) is zeroed — "not computed" in the cabinet format — and the MSI's
 * Authenticode signature no longer verifies. The file's length never changes.
 */
import { createHash } from 'node:crypto';

/** Velociraptor's page size for the rewrite (its OLE_PAGESIZE). */
export const MSI_PAGE = 0x1000;
export const MSI_MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex');
/** The placeholder's markers; `.` after "configuration" only on the first, in the official file. */
const MARKER = /## Velociraptor client configuration\.? \((.+?)\)/g;
/** MSIs built before the offset markers existed carry only this one (one usable page). */
const LEGACY_MARKER = '## Velociraptor client configuration.';
/** Velociraptor pads short configs to this size so the padding comment lands past them. */
const MIN_CONFIG = 2000;
const TRAILER = '\n\n\n# Padding';

export type RepackOutcome =
  /** The repacked MSI (same length as the input). */
  | { kind: 'repacked'; data: Buffer }
  /** No usable placeholder: Velociraptor writes nothing and still exits 0 (`RepackInfo: null`). */
  | { kind: 'no-placeholder' }
  /** The config needs a page the placeholder does not reach (Velociraptor's own words). */
  | { kind: 'too-big'; message: string };

interface PageMap {
  /** Placeholder page index → offset of the MSI page (4 KiB aligned) holding it. */
  pages: Map<number, number>;
  /** Bytes before the (0) marker in its page: the cabinet headers before the config's data. */
  headerLength: number;
}

/** Go's strconv.ParseInt(s, 0, 64) for what markers carry: 0x…, 0o…/0…, 0b… or decimal. */
function parseOffset(s: string): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)$/.exec(s);
  if (!m) return null;
  const body = m[2]!.replace(/_/g, '');
  const n = /^0[0-7]+$/.test(body) ? parseInt(body.slice(1), 8) : Number(body.replace(/^0[oO]/, '0o'));
  return Number.isSafeInteger(n) ? (m[1] === '-' ? -n : n) : null;
}

export function placeholderPages(msi: Buffer): PageMap {
  // latin1 keeps one character per byte, so string indices are file offsets.
  const text = msi.toString('latin1');
  const found: Array<{ offset: number; at: number }> = [];
  let headerLength = 0;
  for (const m of text.matchAll(MARKER)) {
    const offset = parseOffset(m[1]!);
    if (offset === null) continue;
    if (offset === 0) headerLength = m.index % MSI_PAGE;
    found.push({ offset, at: m.index });
  }
  const pages = new Map<number, number>();
  if (!found.length) {
    const at = text.indexOf(LEGACY_MARKER);
    if (at < 0) return { pages, headerLength: 0 };
    pages.set(0, at - (at % MSI_PAGE));
    return { pages, headerLength: at % MSI_PAGE };
  }
  for (const f of found)
    pages.set(Math.floor((f.offset + headerLength) / MSI_PAGE), f.at - (f.at % MSI_PAGE));
  return { pages, headerLength };
}

export function repackMsi(msi: Buffer, config: Buffer): RepackOutcome {
  const { pages, headerLength } = placeholderPages(msi);
  const page0 = pages.get(0);
  if (page0 === undefined || headerLength === 0) return { kind: 'no-placeholder' };
  const body = Buffer.concat([
    msi.subarray(page0, page0 + headerLength),
    config,
    Buffer.alloc(Math.max(0, MIN_CONFIG - config.length), '\n'),
    Buffer.from(TRAILER),
  ]);
  body.fill(0, headerLength - 8, headerLength - 4);
  // Always at least one space: a body ending on a page boundary gets a whole page of them.
  const padded = Buffer.concat([body, Buffer.alloc(MSI_PAGE - (body.length % MSI_PAGE), ' ')]);
  const out = Buffer.from(msi);
  for (let i = 0; i < padded.length / MSI_PAGE; i++) {
    const at = pages.get(i);
    if (at === undefined)
      return {
        kind: 'too-big',
        message: `Insufficient space reserved in MSI file! Can not locate page ${i}.`,
      };
    padded.copy(out, at, i * MSI_PAGE, (i + 1) * MSI_PAGE);
  }
  return { kind: 'repacked', data: out };
}

/** The row `config repack` prints for the file it wrote (its uploader's fields). */
export function repackInfo(path: string, name: string, data: Buffer): Record<string, unknown> {
  return {
    Path: path,
    Size: data.length,
    UploadId: 0,
    sha256: createHash('sha256').update(data).digest('hex'),
    md5: createHash('md5').update(data).digest('hex'),
    Components: [name],
  };
}
