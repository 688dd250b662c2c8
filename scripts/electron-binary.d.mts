/** Types of scripts/electron-binary.mjs (Electron's binary for `npm start` / `npm run dist`). */
export type ElectronState =
  { state: 'present'; path: string; version: string } | { state: 'missing'; version: string; reason: string };

export interface Progress {
  transferred: number;
  total: number | null;
  percent: number;
}

export interface FetchOptions {
  dir: string;
  version: string;
  onProgress?: (p: Progress) => void;
}

export declare const ELECTRON_DIR: string;
export declare const BROWSER_MODE_HINT: string;
export declare function platformPath(platform?: string): string;
export declare function electronState(
  dir?: string,
  options?: { env?: Record<string, string | undefined>; platform?: string },
): ElectronState;
export declare function progressPrinter(
  version: string,
  out?: { isTTY?: boolean; write(s: string): unknown },
): (p: Progress) => void;
export declare function downloadElectron(
  options: FetchOptions & {
    mirror?: string;
    cacheRoot?: string;
    platform?: string;
    arch?: string;
  },
): Promise<void>;
export declare function ensureElectron(options?: {
  dir?: string;
  fetchBinary?: (o: FetchOptions) => Promise<void>;
  log?: (line: string) => void;
  out?: { isTTY?: boolean; write(s: string): unknown };
  env?: Record<string, string | undefined>;
  platform?: string;
}): Promise<Extract<ElectronState, { state: 'present' }>>;
