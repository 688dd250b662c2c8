import { z } from 'zod';
import { call } from '../contract';

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.string(),
  arch: z.string(),
  nodeVersion: z.string(),
  /** 'electron' inside the desktop shell, 'browser' when served by `megaraptor serve`. */
  mode: z.enum(['electron', 'browser']),
  dataDir: z.string(),
  /** When the core started (ISO): one app start, whatever the windows or page reloads. */
  startedAt: z.string(),
  keychain: z.object({
    available: z.boolean(),
    backend: z.string(),
    /** Why it is not available, in words a responder can act on. */
    detail: z.string().optional(),
  }),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appContract = {
  'app:info': call(z.object({}).strict(), AppInfo),
};
