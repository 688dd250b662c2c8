import type { Command } from '../command';
import { deployCommand } from './deploy';
import { deploymentsCommand } from './deployments';
import { mcpCommand } from './mcp';
import { serveCommand } from './serve';
import { simCommand } from './sim';
import { vqlCommand } from './vql';

/** Every subcommand, in the order `--help` lists them. A new command is one import and one entry. */
export const commands: Command[] = [
  serveCommand,
  simCommand,
  mcpCommand,
  vqlCommand,
  deployCommand,
  deploymentsCommand,
];
