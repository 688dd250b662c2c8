/**
 * Remembers the main window's size, position and maximized state in the data dir. The file is
 * untrusted input (hand-edited, from another monitor layout): it is validated and clamped, and a
 * damaged file means "use defaults", never a crash.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { JsonFile } from '../files/index';

export const WindowState = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(640).max(16384),
  height: z.number().int().min(480).max(16384),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowState>;

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class WindowStateStore {
  readonly file: string;
  private readonly json: JsonFile<typeof WindowState>;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'window-state.json');
    this.json = new JsonFile(this.file, WindowState);
  }

  /** The saved state, or defaults when missing or damaged; off-screen positions are dropped. */
  load(displays: Rect[] = []): WindowState {
    let state: WindowState | undefined;
    try {
      state = this.json.readSync();
    } catch {
      // Damaged or unreadable: defaults, as for a first start.
    }
    if (!state) return { ...DEFAULT_WINDOW_STATE };
    if (state.x !== undefined && state.y !== undefined && displays.length > 0) {
      const { x, y } = state;
      // Visible if the title bar's top-left area lies on some display.
      const visible = displays.some(
        (d) => x + 100 > d.x && x < d.x + d.width && y >= d.y && y < d.y + d.height,
      );
      if (!visible) return { width: state.width, height: state.height, maximized: state.maximized };
    }
    return state;
  }

  /** Blocking (the window is closing and the app may quit next); atomic, so never a half file. */
  save(state: WindowState): void {
    this.json.writeSync(state);
  }
}
