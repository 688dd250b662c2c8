import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { dockerError, followProgress } from './engine';

// dockerode's own progress reader (docker-modem) on a stream we feed: no engine is contacted.
const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });
const line = (o: object): string => `${JSON.stringify(o)}\n`;

describe('followProgress', () => {
  it('ends a pull whose registry stops sending, with TIMEOUT naming what stalled', async () => {
    const stream = new PassThrough();
    stream.write(line({ status: 'Pulling fs layer', id: 'a1' }));
    const t0 = Date.now();
    await expect(followProgress(docker, stream, 'pulling img:1', 300)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('while pulling img:1') as unknown,
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(stream.destroyed).toBe(true);
  });

  it('keeps waiting while progress arrives, even past the idle limit in total', async () => {
    const stream = new PassThrough();
    const done = followProgress(docker, stream, 'pulling img:1', 300);
    for (let i = 0; i < 8; i++) {
      stream.write(line({ status: 'Downloading', id: 'a1', progressDetail: { current: i, total: 8 } }));
      await new Promise((r) => setTimeout(r, 100));
    }
    stream.end(line({ status: 'Download complete', id: 'a1' }));
    await expect(done).resolves.toBeUndefined();
  });

  it("rejects with the engine's own message when the stream carries an error", async () => {
    const stream = new PassThrough();
    const done = followProgress(docker, stream, 'pulling img:1', 5_000);
    stream.end(line({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }));
    const e = await done.catch((x: unknown) => x);
    expect(dockerError(e, 'pulling img:1')).toMatchObject({
      code: 'DEPLOY_FAILED',
      message: 'Docker refused pulling img:1: manifest unknown',
    });
  });
});
