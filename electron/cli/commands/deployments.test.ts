/**
 * `megaraptor deploy` and `megaraptor deployments` in process: strict flags (unknown ones exit 2 with
 * the closest known one), destroy refuses without an explicit evidence choice and --yes, and list /
 * reap / dry runs work on an empty data dir without a keychain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../testing/run-cli';

const dir = mkdtempSync(join(tmpdir(), 'mr-cli-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runInProcess(argv, { MEGARAPTOR_DATA_DIR: dir }, dir);

describe('megaraptor deploy / deployments', () => {
  it('refuses unknown flags and subcommands with exit 2', async () => {
    const a = await run(['deploy', 'docker', '--name', 'x', '--engin', 'unix:///x.sock']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/unknown option --engin \(did you mean --engine\?\)/);
    expect((await run(['deploy', 'kubernetes', '--name', 'x'])).code).toBe(2);
    expect((await run(['deploy', 'lab'])).err).toMatch(/--name is required/);
    expect(
      (await run(['deploy', 'aws', '--name', 'x', '--region', 'eu-west-1', '--agents', '198.51.100.0/24']))
        .err,
    ).toMatch(/--agents CIDR and --responder CIDR/);
    expect(
      (await run(['deploy', 'aws', '--name', 'x', '--agents', '0.0.0.0/0', '--responder', '203.0.113.7/32']))
        .err,
    ).toMatch(/aws needs --region/);
    const azure = await run([
      'deploy',
      'azure',
      '--name',
      'x',
      '--subscription',
      '11111111-2222-4333-8444-555555555555',
      '--location',
      'westeurope',
      '--agents',
      '0.0.0.0/0',
      '--responder',
      '203.0.113.7/32',
      '--ssh-tunnel',
    ]);
    expect([azure.code, azure.err]).toEqual([
      2,
      expect.stringMatching(/--ssh-tunnel goes with --ssh-key FILE/),
    ]);
    expect((await run(['deploy', 'azure', '--name', 'x', '--region', 'x'])).err).toMatch(
      /unknown option --region/,
    );
    expect((await run(['deploy', 'lab', '--name', 'x', '--profile', 'huge'])).code).toBe(2);
    expect((await run(['deployments', 'frobnicate'])).code).toBe(2);
    expect((await run(['deployments', 'list', '--all'])).code).toBe(2);
    expect((await run(['deployments', 'extend', 'd1'])).err).toMatch(/--hours/);
    expect((await run(['deployments', 'hold', 'd1'])).err).toMatch(/--reason TEXT \(place\) or --lift/);
    const badPort = await run(['deployments', 'scale-out', 'd1', '--port', '70000']);
    expect([badPort.code, badPort.err]).toEqual([2, expect.stringMatching(/--port must be a port number/)]);
    expect((await run(['deployments', 'scale-out', 'd1', '--minions', '2'])).code).toBe(2);
  });

  it('asks for the evidence choice and a confirmation before destroying', async () => {
    const none = await run(['deployments', 'destroy', 'd1', '--yes']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--export DIR .* or --no-export/);
    const both = await run(['deployments', 'destroy', 'd1', '--export', '/tmp/x', '--no-export', '--yes']);
    expect(both.code).toBe(2);
    const unconfirmed = await run(['deployments', 'destroy', 'd1', '--no-export']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.err).toMatch(/--yes/);
  });

  it('plans an enterprise Docker deployment with two minions by default', async () => {
    const base = ['deploy', 'docker', '--name', 'x', '--engine', 'unix:///x.sock', '--dry-run', '--json'];
    const r = await run([...base, '--profile', 'enterprise', '--frontend-port', '9000']);
    expect(r.code, r.err).toBe(0);
    const { plan } = JSON.parse(r.out) as {
      plan: { id: string; steps: Array<{ id: string; resources: Array<{ id: string }> }> };
    };
    expect(plan.steps.map((x) => x.id)).toEqual(
      expect.arrayContaining(['network', 'minions', 'verify-frontends']),
    );
    expect(plan.steps.find((x) => x.id === 'minions')!.resources.map((x) => x.id)).toEqual([
      `megaraptor-${plan.id}-minion-9001`,
      `megaraptor-${plan.id}-minion-9002`,
    ]);
    expect((await run([...base, '--minions', '2'])).err).toMatch(/--minions goes with --profile enterprise/);
  });

  it('lists and reaps an empty data dir', async () => {
    const list = await run(['deployments', 'list', '--json']);
    expect(list.code, list.err).toBe(0);
    expect(JSON.parse(list.out)).toEqual({ deployments: [], problems: [] });
    const reap = await run(['deployments', 'reap', '--no-export']);
    expect(reap.code, reap.err).toBe(0);
    expect(reap.out).toBe('Nothing is past its time.\n');
    const missing = await run(['deployments', 'status', 'nosuchdeployment']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/No deployment "nosuchdeployment" is journaled/);
  });
});
