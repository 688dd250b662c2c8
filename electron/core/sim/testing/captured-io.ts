/**
 * The streams the simulator's command line runs with in a test: what it prints is collected, stdin is
 * empty, and the process "signal" it waits for (a running `frontend`) comes when the test calls stop().
 */
import { PassThrough } from 'node:stream';
import type { VrIO } from '../velociraptor-cli';

export interface CapturedIo extends VrIO {
  stdin: PassThrough;
  out: () => string;
  err: () => string;
  /** Sends the SIGTERM a long-running command waits for. */
  stop: () => void;
}

export function capturedIo(cwd: string): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let stop: (s: string) => void = () => undefined;
  const stopped = new Promise<string>((r) => (stop = r));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    cwd,
    waitForSignal: () => stopped,
    out: () => out,
    err: () => err,
    stop: () => stop('SIGTERM'),
  };
}
