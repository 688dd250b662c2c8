/**
 * Browser mode hands the app's downloads and exports to the browser: the file the core saved in its
 * data folder (which keeps that copy) is read back in chunks (`files:read`) and given to the browser
 * as a download under a name that says what it is (host, artifact, flow). In the desktop app the copy
 * in the data folder is the download.
 */
import type { ApiClient } from './index';

/** A file name from parts (host, artifact, flow…): each made safe, joined by `_`. */
export function downloadName(parts: ReadonlyArray<string | undefined>, ext: string): string {
  const safe = parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, ''))
    .filter(Boolean)
    .join('_');
  return `${safe.slice(0, 180) || 'download'}${ext}`;
}

export function handToBrowser(api: ApiClient, savedTo: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let bytes = 0;
    api.stream(
      'files:read',
      { path: savedTo },
      {
        data: (c) => {
          const bin = atob(c.base64);
          const u = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
          parts.push(u);
          bytes += u.length;
        },
        end: () => {
          const a = document.createElement('a');
          a.href = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
          a.download = name;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
          resolve(bytes);
        },
        error: reject,
      },
    );
  });
}
