/**
 * `megaraptor` — the command-line entry. Built by scripts/build.mjs into out/cli/megaraptor.mjs, a
 * single file that plain `node` runs from any working directory.
 */
import { describeError, messageOf } from '../../shared/errors';
import { UsageError } from './args';
import { commands } from './commands/index';
import type { CliIO } from './command';

declare const __APP_VERSION__: string;
const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';

function help(): string {
  const width = Math.max(8, ...commands.map((c) => c.name.length));
  return [
    'megaraptor — deploy, investigate and assist with Velociraptor',
    '',
    'Usage: megaraptor <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help       show this help (or `megaraptor <command> --help`)',
    '  --version    print the version',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`megaraptor ${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(`megaraptor: unknown command "${first}". Run \`megaraptor --help\` for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    // Every subcommand: a flag it does not know (or a missing value) exits 2 with its usage.
    if (e instanceof UsageError) {
      io.stderr.write(`megaraptor ${command.name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    io.stderr.write(`megaraptor ${command.name}: ${describeError(e)}\n`);
    return 1;
  }
}

const isEntry =
  typeof process !== 'undefined' &&
  process.argv[1] !== undefined &&
  /megaraptor\.(mjs|js|ts)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`megaraptor: ${messageOf(e)}\n`);
      process.exitCode = 1;
    },
  );
}
