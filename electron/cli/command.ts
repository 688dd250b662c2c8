/**
 * A `megaraptor` subcommand. Each lives in its own file under commands/ and is listed once in
 * commands/index.ts; the entry point only dispatches. `run` returns the process exit code.
 */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  /** One line for `megaraptor --help`. */
  summary: string;
  /** Full usage text for `megaraptor <name> --help`. */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}
