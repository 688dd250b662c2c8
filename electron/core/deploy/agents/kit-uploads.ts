/**
 * The files a kit build takes from the window (uploads:*): an MSI (to repack, or a re-signed one for
 * a GPO kit) and a Velociraptor executable (the client a deb/rpm packs, or the one that builds here).
 * Their first bytes are checked before the rest is sent; what they are beyond that (a Velociraptor
 * build, the placeholder inside the MSI) is checked where they are used, with the reason.
 */
import type { UploadKind } from '../../files/index';
import { MSI_MAGIC } from './installers';

const MAX_BYTES = 1024 ** 3;

/** ELF, PE (MZ), Mach-O (both byte orders, 32/64-bit, universal) and a `#!` launcher script. */
const EXECUTABLE_MAGICS = [
  '7f454c46',
  '4d5a',
  'feedface',
  'feedfacf',
  'cefaedfe',
  'cffaedfe',
  'cafebabe',
  '2321',
].map((h) => Buffer.from(h, 'hex'));

export function msiHeadProblem(first: Buffer): string | null {
  return first.subarray(0, 8).equals(MSI_MAGIC)
    ? null
    : "is not an MSI (no OLE compound file header): give Velociraptor's Windows MSI (velociraptor-v<version>-windows-amd64.msi) or your re-signed copy of it.";
}

export function executableHeadProblem(first: Buffer): string | null {
  return EXECUTABLE_MAGICS.some((m) => first.subarray(0, m.length).equals(m))
    ? null
    : 'is not an executable (no ELF, PE or Mach-O header): give the Velociraptor binary itself, not an archive of it.';
}

export const KIT_UPLOAD_KINDS: Record<'msi' | 'velociraptor-binary', UploadKind> = {
  msi: { what: 'an MSI', maxBytes: MAX_BYTES, head: msiHeadProblem },
  'velociraptor-binary': {
    what: 'a Velociraptor executable',
    maxBytes: MAX_BYTES,
    head: executableHeadProblem,
  },
};
