/**
 * Files the responder hands to the core from the window: browser mode has no path on the core's
 * machine, and the Electron renderer reads no files itself, so both send the file the same way — in
 * order, in chunks of at most UPLOAD_CHUNK_BYTES (base64 in the JSON envelope), one chunk in flight.
 * The core writes them to a temp file in its data folder and checks the whole file by its kind when
 * the last chunk arrives; a consumer (e.g. agents:import-collection) then takes the upload by id and
 * removes it when done. An upload belongs to the window or socket that began it.
 */
import { z } from 'zod';
import { call } from '../contract';

/** Decoded bytes per chunk: 1 MiB, ~1.4 MiB of base64, well inside the socket's 8 MiB message limit. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

export const UploadKind = z.enum([
  /** A returned offline collection ZIP (checked: a ZIP, a Velociraptor collection, not password-encrypted). */
  'collection',
  /** An MSI to repack or to put into a GPO kit (checked: an OLE compound file, as every MSI is). */
  'msi',
  /** A Velociraptor executable: the client a deb/rpm packs, or the one that builds on this machine. */
  'velociraptor-binary',
]);
export type UploadKind = z.infer<typeof UploadKind>;

export const UploadId = z.string().regex(/^u[0-9a-f]{24}$/);

export const uploadsContract = {
  /** Announces a file (its size is checked against the kind's limit before a byte is sent). */
  'uploads:begin': call(
    z.object({ kind: UploadKind, name: z.string().min(1).max(255), size: z.number().int().min(1) }),
    z.object({ id: UploadId, chunkBytes: z.number().int(), maxBytes: z.number() }),
  ),
  /**
   * The next chunk, at the offset where the last one ended. The answer to the last one carries what
   * the kind's check found; a file that fails it is removed and the answer is the reason.
   */
  'uploads:chunk': call(
    z.object({
      id: UploadId,
      offset: z.number().int().min(0),
      base64: z
        .string()
        .min(4)
        .max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4),
    }),
    z.object({
      received: z.number(),
      size: z.number(),
      checked: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
  /** Stops an upload and removes what arrived (false: it was gone already). */
  'uploads:cancel': call(z.object({ id: UploadId }), z.object({ removed: z.boolean() })),
};
