/**
 * "Agents" benchmark (issue 17): one fixed 20 MB payload pushed to 20 real OpenSSH sshd hosts on
 * loopback (each its own port, install root and namespaces: testing/sshd-host.ts), through the
 * product's fan-out and SSH pusher, at concurrency 1 and then 8 in the same run, on the same hosts
 * (reset between the two: agent stopped, installed files and identity removed, so both runs install
 * from scratch). The concurrency bounds hosts connecting, uploading and installing; hosts waiting for
 * their agent to enrol hold no slot (fanout.ts), so even "concurrency 1" overlaps enrolments. Every host ends enrolled: the payload is the simulator launcher padded to 20 MB
 * (a JavaScript comment), whose `client` is the stand-in agent that enrols with the simulator.
 *
 * Per run: wall time; CPU time (this process — pusher, ssh2's crypto, the simulator — plus every
 * process it starts: the hosts' sshd, sftp-server, sudo, install, the agents; counted by a cgroup);
 * the machine's idle core time during the run (cores that waited); waiting time (the sum of the hosts'
 * push times minus that CPU time: network, disk, the enrolment poll, a busy CPU).
 * Target: the concurrency-8 wall time within 1.3× of max(total CPU time / 2 cores, the slowest single
 * host at concurrency 1). Needs root (the sshd hosts' namespaces) and `npm run build` (the CLI). `npm run bench -- agents
 * [--hosts N] [--mb N]`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { AgentRunDoc } from '../../electron/core/deploy/agents/run-journal';
import type { SshPushSettingsInput } from '../../electron/core/deploy/agents/ssh-push';
import { agentWorld, type AgentTestHost } from '../../electron/core/deploy/agents/testing/agent-world';
import { LINUX_CLIENT_UNIT } from '../../electron/core/deploy/agents/layout';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const HOSTS = Number(opt('--hosts') ?? 20);
const MB = Number(opt('--mb') ?? 20);
const TICK = 100; // USER_HZ: /proc stat times are in clock ticks

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * CPU time of everything this process starts, alive or dead: a cpuacct cgroup (v1) or a cgroup v2 this
 * process joins before the hosts start, so every sshd, sudo, install and agent inherits it whatever
 * reaps it. Reading /proc per process (this bench's first way) missed about a third of the run's CPU:
 * short-lived processes and those no living ancestor had waited for.
 */
class RunCgroup {
  private constructor(
    private readonly dir: string,
    private readonly usageFile: string,
    private readonly home: string,
  ) {}

  static async join(): Promise<RunCgroup> {
    const name = `megaraptor-bench-${process.pid}`;
    const kinds = [
      { root: '/sys/fs/cgroup/cpuacct', usage: 'cpuacct.usage' }, // v1: nanoseconds
      { root: '/sys/fs/cgroup/unified', usage: 'cpu.stat' }, // hybrid v2: usage_usec
      { root: '/sys/fs/cgroup', usage: 'cpu.stat' }, // pure v2
    ];
    const tried: string[] = [];
    for (const k of kinds) {
      const dir = join(k.root, name);
      try {
        await mkdir(dir);
        await writeFile(join(dir, 'cgroup.procs'), String(process.pid));
        return new RunCgroup(dir, join(dir, k.usage), k.root);
      } catch (e) {
        tried.push(`${k.root}: ${(e as Error).message}`);
        await rmdir(dir).catch(() => undefined);
      }
    }
    throw new Error(`No cgroup to count the run's CPU in (${tried.join('; ')}).`);
  }

  async usageMs(): Promise<number> {
    const text = await readFile(this.usageFile, 'utf8');
    if (this.usageFile.endsWith('cpuacct.usage')) return Number(text.trim()) / 1e6;
    const usec = /^usage_usec (\d+)$/m.exec(text);
    if (!usec) throw new Error(`${this.usageFile} has no usage_usec line.`);
    return Number(usec[1]) / 1000;
  }

  /** Back to the root group, then removed (the hosts are gone by now). */
  async leave(): Promise<void> {
    await writeFile(join(this.home, 'cgroup.procs'), String(process.pid));
    await rmdir(this.dir).catch((e: unknown) =>
      console.warn(`cgroup ${this.dir} left behind: ${(e as Error).message}`),
    );
  }
}

/** The machine's busy and idle CPU ms so far (/proc/stat's first line), to see whether cores waited. */
async function machineCpuMs(): Promise<{ busy: number; idle: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal …, in clock ticks.
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  const sum = (...i: number[]): number => (i.reduce((a, k) => a + (t[k] ?? 0), 0) * 1000) / TICK;
  return { busy: sum(0, 1, 2, 5, 6, 7), idle: sum(3, 4) };
}

const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The payload: the stand-in agent, padded with a comment to exactly `mb` MiB (base64: no `*\/`). */
async function payload(launcherPath: string, to: string, mb: number): Promise<void> {
  const head = Buffer.concat([await readFile(launcherPath), Buffer.from('/*')]);
  const tail = Buffer.from('*/\n');
  const padLen = mb * 1024 * 1024 - head.length - tail.length;
  const pad = Buffer.from(
    randomBytes(Math.ceil((padLen * 3) / 4))
      .toString('base64')
      .slice(0, padLen),
  );
  await writeFile(to, Buffer.concat([head, pad, tail]), { mode: 0o755 });
}

/** Stops the agent the run started on a host and removes what it installed (a fresh host again). */
async function reset(h: AgentTestHost): Promise<void> {
  const runDir = join(h.prefix, 'run', 'megaraptor-test-services');
  const pid = await readFile(join(runDir, `${LINUX_CLIENT_UNIT}.pid`), 'utf8').catch(() => '');
  if (/^\d+\s*$/.test(pid)) {
    try {
      process.kill(-Number(pid), 'SIGTERM');
    } catch {
      // Already gone.
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(-Number(pid), 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const p of [
    'usr/local/bin/velociraptor_client',
    'etc/velociraptor',
    'etc/velociraptor.writeback.yaml',
    `etc/systemd/system/${LINUX_CLIENT_UNIT}`,
    'run/megaraptor-test-services',
  ])
    await rm(join(h.prefix, p), { recursive: true, force: true });
}

interface Measured {
  concurrency: number;
  wallMs: number;
  cpuMs: number;
  /** Of cpuMs: this process (pusher, ssh2, the simulator). */
  ownCpuMs: number;
  /** Mean seconds a host spent in each state (from the run's host events). */
  perState: Record<string, number>;
  waitMs: number;
  /** Core time the machine spent idle during the run (both cores: up to 2 × wall). */
  idleMs: number;
  /** Busy core time not in the run's cgroup: other work on the machine, kernel threads. */
  otherMs: number;
  slowestHostMs: number;
  hostMs: number[];
  doc: AgentRunDoc;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('The sshd hosts need root (namespaces of their own).');
  console.log(`agents bench: ${HOSTS} sshd hosts, ${MB} MiB payload, ${cpus().length} cores`);
  // The built CLI: bundled here, scripts/build-cli.mjs would look for the sources beside the bundle.
  const cgroup = await RunCgroup.join();
  const world = await agentWorld({ cli: join(process.cwd(), 'out', 'cli', 'megaraptor.mjs') });
  try {
    const started = Date.now();
    const hosts: AgentTestHost[] = [];
    for (let i = 1; i <= HOSTS; i++)
      hosts.push(await world.addHost('linux', `bench-${String(i).padStart(2, '0')}`));
    console.log(`hosts up in ${sec(Date.now() - started)}`);
    const binary = join(world.root, `velociraptor-${MB}mb`);
    await payload(join(world.root, 'velociraptor'), binary, MB);

    const settings: SshPushSettingsInput = {
      server: { connection: 'sim' },
      login: {
        username: 'deployer',
        auth: { method: 'key', keyPath: world.keys.plain },
        sudo: { mode: 'sudo', passwordRef: 'ssh:deployer-sudo' },
      },
      binary: { kind: 'files', files: { 'linux-amd64': binary } },
      config: { labels: ['bench'] },
      enrollTimeoutMs: 180_000,
    };

    const runAt = async (concurrency: number): Promise<Measured> => {
      const own0 = ownCpuMs();
      const all0 = await cgroup.usageMs();
      const machine0 = await machineCpuMs();
      const entered = new Map<string, { state: string; at: number }>();
      const inState: Record<string, number> = {};
      const t0 = performance.now();
      const doc = await world.runner.start(
        {
          name: `bench-c${concurrency}`,
          channel: 'ssh',
          settings,
          hosts: hosts.map((h) => ({ host: h.host, port: h.port, os: 'linux' as const })),
          concurrency,
          retries: 0,
        },
        {
          onEvent: (e) => {
            if (e.type !== 'host') return;
            const last = entered.get(e.host.key);
            if (last?.state === e.host.state) return;
            if (last) inState[last.state] = (inState[last.state] ?? 0) + (e.at - last.at);
            entered.set(e.host.key, { state: e.host.state, at: e.at });
          },
        },
      );
      const wallMs = performance.now() - t0;
      const ownMs = ownCpuMs() - own0;
      const cpuMs = (await cgroup.usageMs()) - all0;
      const machine1 = await machineCpuMs();
      const idleMs = machine1.idle - machine0.idle;
      const otherMs = machine1.busy - machine0.busy - cpuMs;
      const perState = Object.fromEntries(
        ['queued', 'connecting', 'uploading', 'installing', 'verifying'].map((st) => [
          st,
          (inState[st] ?? 0) / 1000 / hosts.length,
        ]),
      );
      const failed = doc.hosts.filter((h) => h.state !== 'enrolled');
      if (failed.length)
        throw new Error(
          `c${concurrency}: ${failed.length} host(s) did not enrol: ${failed.map((h) => `${h.key} ${h.state} ${h.error?.message ?? ''}`).join('; ')}`,
        );
      const hostMs = doc.hosts.map((h) => Date.parse(h.endedAt!) - Date.parse(h.startedAt!));
      const waitMs = hostMs.reduce((a, b) => a + b, 0) - cpuMs;
      return {
        concurrency,
        wallMs,
        cpuMs,
        ownCpuMs: ownMs,
        perState,
        waitMs,
        idleMs,
        otherMs,
        slowestHostMs: Math.max(...hostMs),
        hostMs,
        doc,
      };
    };

    const one = await runAt(1);
    console.log(
      `c1: wall ${sec(one.wallMs)}, cpu ${sec(one.cpuMs)}, waiting ${sec(one.waitMs)}, slowest host ${sec(one.slowestHostMs)}, load ${loadavg()[0]!.toFixed(1)}`,
    );
    for (const h of hosts) await reset(h);
    const eight = await runAt(8);
    console.log(
      `c8: wall ${sec(eight.wallMs)}, cpu ${sec(eight.cpuMs)}, waiting ${sec(eight.waitMs)}, slowest host ${sec(eight.slowestHostMs)}, load ${loadavg()[0]!.toFixed(1)}`,
    );
    for (const m of [one, eight])
      console.log(
        `c${m.concurrency}: CPU here ${sec(m.ownCpuMs)}, in what it started ${sec(m.cpuMs - m.ownCpuMs)}; mean per host: ${Object.entries(
          m.perState,
        )
          .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
          .join(', ')}`,
      );
    const bound = Math.max(eight.cpuMs / 2, one.slowestHostMs);
    const ratio = eight.wallMs / bound;
    console.log(
      `\n| run | wall | CPU (here + started) | cores idle | other busy | waiting | slowest host |\n| --- | --- | --- | --- | --- | --- | --- |\n` +
        [one, eight]
          .map(
            (m) =>
              `| concurrency ${m.concurrency} | ${sec(m.wallMs)} | ${sec(m.cpuMs)} (${sec(m.ownCpuMs)} + ${sec(m.cpuMs - m.ownCpuMs)}) | ${sec(m.idleMs)} | ${sec(m.otherMs)} | ${sec(m.waitMs)} | ${sec(m.slowestHostMs)} |`,
          )
          .join('\n'),
    );
    console.log(
      `\nbound = max(c8 CPU / 2 = ${sec(eight.cpuMs / 2)}, slowest single host at c1 = ${sec(one.slowestHostMs)}) = ${sec(bound)}`,
    );
    console.log(
      `c8 wall / bound = ${ratio.toFixed(2)} (target ≤ 1.30: ${ratio <= 1.3 ? 'met' : 'NOT met'}); speed-up c1→c8 ${(one.wallMs / eight.wallMs).toFixed(2)}×; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    for (const h of hosts) await reset(h);
  } finally {
    await world.close();
    await cgroup.leave();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
