/**
 * A file the responder picked or dropped, sent to the core (uploads:begin/chunk): the same way in
 * browser mode and in the desktop app, whose renderer reads no paths. One chunk is read from the File
 * and in flight at a time, so memory stays at a chunk whatever the file's size. Cancelling (the signal)
 * stops after the chunk in flight and asks the core to remove what arrived.
 */
import type { UploadKind } from '../../../shared/contracts/uploads';
import { AppError } from '../../../shared/errors';
import type { ApiClient } from './index';

export interface SentFile {
  id: string;
  /** What the core's check of the whole file found. */
  checked: Record<string, unknown>;
}

/** Base64 of bytes, built in slices (String.fromCharCode takes a bounded number of arguments). */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export async function uploadFile(
  api: ApiClient,
  file: Blob & { name: string },
  kind: UploadKind,
  o: { onProgress?: (sent: number, size: number) => void; signal?: AbortSignal } = {},
): Promise<SentFile> {
  const cancelled = () => new AppError('CANCELLED', `Sending ${file.name} was cancelled.`);
  if (o.signal?.aborted) throw cancelled();
  const { id, chunkBytes } = await api.call('uploads:begin', { kind, name: file.name, size: file.size });
  try {
    let offset = 0;
    for (;;) {
      if (o.signal?.aborted) throw cancelled();
      const bytes = new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer());
      const r = await api.call('uploads:chunk', { id, offset, base64: toBase64(bytes) });
      offset = r.received;
      o.onProgress?.(offset, file.size);
      if (r.checked) return { id, checked: r.checked };
    }
  } catch (e) {
    // The core removed a file that failed its check already; this covers cancel and a lost chunk.
    await api.call('uploads:cancel', { id }).catch(() => undefined);
    throw e;
  }
}
