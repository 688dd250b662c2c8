/**
 * `megaraptor serve`: browser mode. Runs the same core as the desktop app and serves the built
 * renderer on loopback, with the contract over a token-protected WebSocket. The renderer is found
 * next to this file (out/cli/../renderer), so it works from any working directory.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contract } from '../../../shared/contracts/index';
import { Dispatcher } from '../../core/rpc/index';
import { isLoopbackHost, startBrowserServer } from '../../core/server/index';
import { createCoreServices } from '../../core/services';
import { parseFlags, UsageError } from '../args';
import type { CliIO, Command } from '../command';

declare const __APP_VERSION__: string;
const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';

const usage = `Usage: megaraptor serve [options]

Serves the Megaraptor Desktop UI to a browser on this machine (browser mode).

Options:
  --port N              port to listen on (default 0: a free port)
  --host H              address to bind (default 127.0.0.1)
  --allow-remote        allow a non-loopback --host (anyone who can reach it and learns the
                        token controls the app: only on a network you trust)
  --renderer-dir DIR    the built renderer (default: ../renderer next to this file)
  --json                print one JSON line {"event":"listening",...} for scripts and tests
  --help                show this help

Environment: MEGARAPTOR_DATA_DIR overrides the data folder.
`;

export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../renderer/', import.meta.url));
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM, or stdin closing under --json). */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => () => resolve(why);
    process.once('SIGINT', stop('SIGINT'));
    process.once('SIGTERM', stop('SIGTERM'));
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the UI to a browser on this machine (browser mode)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const flags = parseFlags(argv, {
      '--port': { value: true },
      '--host': { value: true },
      '--allow-remote': {},
      '--renderer-dir': { value: true },
      '--json': {},
    });
    const portText = flags.get('--port') ?? '0';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535)
      throw new UsageError(`--port must be 0..65535, got "${portText}"`);
    const host = flags.get('--host') ?? '127.0.0.1';
    const json = flags.has('--json');
    if (!isLoopbackHost(host)) {
      if (!flags.has('--allow-remote')) {
        io.stderr.write(
          `megaraptor serve: refusing to bind ${host}: it is not a loopback address. ` +
            'Browser mode gives full control of the app; add --allow-remote only on a network you trust.\n',
        );
        return 2;
      }
      io.stderr.write(
        `megaraptor serve: WARNING: binding ${host}; anyone who can reach it and has the URL controls this app.\n`,
      );
    }
    const rendererDir = flags.get('--renderer-dir') ?? defaultRendererDir();
    if (!existsSync(rendererDir)) {
      io.stderr.write(
        `megaraptor serve: no built renderer at ${rendererDir}. Run \`npm run build\` first.\n`,
      );
      return 1;
    }

    const core = createCoreServices({ mode: 'browser', version: VERSION, env: io.env });
    const dispatcher = new Dispatcher(contract, core.handlers);
    const server = await startBrowserServer({ dispatcher, rendererDir, host, port });
    if (json) {
      io.stdout.write(
        JSON.stringify({
          event: 'listening',
          url: server.url,
          origin: server.origin,
          port: server.port,
          token: server.token,
          dataDir: core.dataDir,
        }) + '\n',
      );
    } else {
      io.stdout.write(
        `Megaraptor Desktop (browser mode) ${VERSION}\nOpen ${server.url}\nData folder: ${core.dataDir}\nPress Ctrl+C to stop.\n`,
      );
    }
    const why = await untilStopped();
    await server.close();
    await core.dispose();
    if (!json) io.stdout.write(`Stopped (${why}).\n`);
    return 0;
  },
};
