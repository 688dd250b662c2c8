import { createContext, useContext } from 'react';
import type { AppInfo } from '../../../shared/contracts/app';

/** The answer of the first `app:info` call, made once at start by <App>. */
export const AppInfoContext = createContext<AppInfo | undefined>(undefined);

export function useAppInfo(): AppInfo | undefined {
  return useContext(AppInfoContext);
}
