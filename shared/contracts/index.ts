/**
 * The whole contract between the renderer and the core: one object per domain, merged here.
 * A new domain adds its file and one spread below.
 */
import { appContract } from './app';

export const contract = {
  ...appContract,
};

export type Contract = typeof contract;
export type Channel = keyof Contract;
