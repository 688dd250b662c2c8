/**
 * TEST STAND-IN for a cloud VM — no VM runs here (moto does not run user-data, and Azure has no
 * emulator). It runs the deployment's REAL boot script (the user-data / custom data the cloud holds),
 * unchanged, the way cloud-init would: as root, under `bash`, in a mount namespace of its own where the
 * deployer's VM root folder is this VM's private folder (every VM of a deployment has the same paths,
 * as on separate machines). Commands a VM has and this machine must not run for real are small stubs
 * on PATH, each recording its calls:
 *
 *   systemctl    units run as detached processes (ExecStart of the unit file), oneshots in the
 *                foreground, timers recorded with their OnCalendar (fireTimers runs the due ones)
 *   useradd, id, runuser, chown   a user list in a file; runuser runs the command as root
 *   mount, mountpoint, mount.nfs4  an NFS mount is a symlink to the test's shared folder (the "EFS")
 *   shutdown     records the request and stops the VM's units (the fleet then terminates the instance)
 *   curl         IMDS (169.254.169.254) answered from files the fleet writes; anything else is the real
 *                curl (CURL_CA_BUNDLE trusts the test release server), with --connect-to rules so a
 *                cloud host name (a Key Vault) reaches the test's endpoint
 *   aws          `aws secretsmanager get-secret-value` through boto3 against moto (the real AWS CLI
 *                is not installed here), with the CLI's error text and exit code 254
 *   dnf          refuses (nothing may be installed)
 *
 * Everything the VM does stays on loopback; nothing reaches 169.254.169.254 or the internet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../../test/real-parts';

export interface CloudVmOptions {
  /** The deployer's VM root (the same path for every VM; a mount point here). */
  root: string;
  /** This VM's private folder, bind-mounted on `root` inside its namespace. */
  dir: string;
  /** Folder of the "shared file store" (EFS): an NFS mount becomes a symlink into it. */
  sharedDir: string;
  /** For the stubs (AWS endpoint and credentials, CURL_CA_BUNDLE, STANDIN_CONNECT_TO, …). */
  env: Record<string, string>;
}

export interface CommandResult {
  code: number | null;
  output: string;
}

const NODE = process.execPath;
const PYTHON = join(REPO_ROOT, '.venv-test', 'bin', 'python');

const SYSTEMCTL = `#!${NODE}
// TEST STAND-IN for systemctl on a cloud VM (no systemd here).
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const run = process.env.STANDIN_RUN;
const unitDir = process.env.STANDIN_UNIT_DIR;
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(run, 'calls.log'), 'systemctl ' + argv.join(' ') + '\\n');
function unit(name) {
  const text = fs.readFileSync(path.join(unitDir, name), 'utf8');
  const out = {};
  for (const line of text.split('\\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}
function pidFile(name) { return path.join(run, name + '.pid'); }
function alive(pid) { try { process.kill(pid, 0); return true; } catch { return false; } }
function start(name) {
  const u = unit(name);
  if (name.endsWith('.timer')) {
    fs.mkdirSync(path.join(run, 'timers'), { recursive: true });
    fs.writeFileSync(path.join(run, 'timers', name), JSON.stringify({ onCalendar: u.OnCalendar, unit: u.Unit || name.replace(/\\.timer$/, '.service') }));
    return 0;
  }
  const args = u.ExecStart.split(' ').filter(Boolean).map((a) => a.replace(/^"|"$/g, '').replaceAll('$$', '$'));
  if (u.Type === 'oneshot') return cp.spawnSync(args[0], args.slice(1), { stdio: 'inherit' }).status ?? 1;
  if (fs.existsSync(pidFile(name)) && alive(Number(fs.readFileSync(pidFile(name), 'utf8')))) return 0;
  const log = fs.openSync(path.join(run, name + '.log'), 'a');
  const child = cp.spawn(args[0], args.slice(1), { detached: true, stdio: ['ignore', log, log] });
  fs.writeFileSync(pidFile(name), String(child.pid));
  child.unref();
  return 0;
}
function stop(name) {
  if (name.endsWith('.timer')) { fs.rmSync(path.join(run, 'timers', name), { force: true }); return 0; }
  if (!fs.existsSync(pidFile(name))) return 0;
  const pid = Number(fs.readFileSync(pidFile(name), 'utf8'));
  try { process.kill(-pid, 'SIGTERM'); } catch {}
  for (let i = 0; i < 100 && alive(pid); i++) cp.spawnSync('sleep', ['0.05']);
  try { process.kill(-pid, 'SIGKILL'); } catch {}
  fs.rmSync(pidFile(name), { force: true });
  return 0;
}
const verb = argv[0];
const names = argv.slice(1).filter((a) => !a.startsWith('-'));
const now = argv.includes('--now');
let code = 0;
for (const n of names) {
  if (verb === 'start' || (verb === 'enable' && now)) code ||= start(n);
  else if (verb === 'stop' || (verb === 'disable' && now)) code ||= stop(n);
  else if (verb === 'restart') { stop(n); code ||= start(n); }
  else if (verb === 'is-active') code ||= fs.existsSync(pidFile(n)) ? 0 : 3;
}
process.exit(code);
`;

const AWS = `#!${PYTHON}
# TEST STAND-IN for the AWS CLI (not installed here): the one call the boot script makes, through boto3
# against moto, with the CLI's error text and exit code.
import os, sys, boto3, botocore.exceptions
a = sys.argv[1:]
open(os.path.join(os.environ["STANDIN_RUN"], "calls.log"), "a").write("aws " + " ".join(x for x in a[:2]) + "\\n")
def opt(name):
    return a[a.index(name) + 1] if name in a else None
if a[:2] != ["secretsmanager", "get-secret-value"] or opt("--query") != "SecretString":
    print("stand-in aws: unsupported call: " + " ".join(a), file=sys.stderr); sys.exit(2)
c = boto3.client("secretsmanager", region_name=opt("--region"), endpoint_url=os.environ["STANDIN_AWS_ENDPOINT"],
                 aws_access_key_id="testing", aws_secret_access_key="testing")
try:
    print(c.get_secret_value(SecretId=opt("--secret-id"))["SecretString"])
except botocore.exceptions.ClientError as e:
    print("\\n" + str(e), file=sys.stderr); sys.exit(254)
`;

const CURL = `#!/bin/sh
# TEST STAND-IN for curl: IMDS answered from files; everything else is the real curl.
for a in "$@"; do
  case "$a" in
    http://169.254.169.254/*)
      p=\${a#http://169.254.169.254/}; p=\${p%%\\?*}
      echo "curl imds $p" >>"$STANDIN_RUN/calls.log"
      f="$STANDIN_IMDS/$p"
      [ -f "$f" ] || exit 22
      cat "$f"; exit 0;;
  esac
done
set -- $STANDIN_CONNECT_TO "$@"
exec /usr/bin/curl "$@"
`;

const SMALL_STUBS: Record<string, string> = {
  useradd: `#!/bin/sh\necho "useradd $*" >>"$STANDIN_RUN/calls.log"\nfor u; do :; done\nmkdir -p "$STANDIN_RUN/users" && touch "$STANDIN_RUN/users/$u"\n`,
  id: `#!/bin/sh\n[ "$1" = -u ] && [ -e "$STANDIN_RUN/users/$2" ] && { echo 999; exit 0; }\nexit 1\n`,
  runuser: `#!/bin/sh\necho "runuser $1 $2" >>"$STANDIN_RUN/calls.log"\nshift 3\nexec "$@"\n`,
  chown: `#!/bin/sh\necho "chown $*" >>"$STANDIN_RUN/calls.log"\n`,
  'mount.nfs4': '#!/bin/sh\nexit 1\n',
  mount: `#!/bin/sh\necho "mount $*" >>"$STANDIN_RUN/calls.log"\nfor a; do src=$dst; dst=$a; done\nkey=$(printf %s "$src" | tr -c 'A-Za-z0-9.-' _)\nmkdir -p "$STANDIN_SHARED/$key"\nrm -rf "$dst" && ln -s "$STANDIN_SHARED/$key" "$dst"\n`,
  mountpoint: `#!/bin/sh\nfor a; do d=$a; done\n[ -L "$d" ]\n`,
  shutdown: `#!/bin/sh\necho "shutdown $*" >>"$STANDIN_RUN/calls.log"\ntouch "$STANDIN_RUN/shutdown"\nfor p in "$STANDIN_RUN"/*.pid; do [ -f "$p" ] && kill -TERM -"$(cat "$p")" 2>/dev/null; rm -f "$p"; done\nexit 0\n`,
  dnf: '#!/bin/sh\necho "stand-in: nothing may be installed (dnf $*)" >&2\nexit 1\n',
};

export class CloudVm {
  private holder: ChildProcess | undefined;
  private readonly running = new Set<ChildProcess>();
  readonly run: string;
  readonly imds: string;
  private readonly bin: string;

  constructor(readonly o: CloudVmOptions) {
    this.run = join(o.dir, '.standin', 'run');
    this.imds = join(o.dir, '.standin', 'imds');
    this.bin = join(o.dir, '.standin', 'bin');
  }

  /** Makes the private folder, the stubs and the namespace (a holder process keeps it alive). */
  async create(): Promise<void> {
    await mkdir(this.o.root, { recursive: true });
    // A machine has its /etc (the boot script adds the shared store to its fstab).
    for (const d of [this.run, this.imds, this.bin, this.o.sharedDir, join(this.o.dir, 'etc')])
      await mkdir(d, { recursive: true });
    const stubs: Record<string, string> = { systemctl: SYSTEMCTL, aws: AWS, curl: CURL, ...SMALL_STUBS };
    for (const [name, text] of Object.entries(stubs)) {
      await writeFile(join(this.bin, name), text);
      await chmod(join(this.bin, name), 0o755);
    }
    const holder = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" "$2" && echo ready && exec sleep infinity',
        'sh',
        this.o.dir,
        this.o.root,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.holder = holder;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      holder.stderr.on('data', (d: Buffer) => (err += d.toString()));
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the VM namespace did not start (${code}): ${err}`)));
    });
  }

  private env(): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      HOME: '/root',
      LANG: 'C.UTF-8',
      STANDIN_RUN: this.run,
      STANDIN_IMDS: this.imds,
      STANDIN_SHARED: this.o.sharedDir,
      STANDIN_UNIT_DIR: join(this.o.root, 'etc', 'systemd', 'system'),
      STANDIN_CONNECT_TO: '',
      ...this.o.env,
    };
  }

  /** Runs a command inside the VM (its namespace), bounded. */
  exec(argv: string[], timeoutMs = 120_000): Promise<CommandResult> {
    const pid = this.holder?.pid;
    if (!pid) return Promise.reject(new Error('the VM is not created'));
    return new Promise((resolve) => {
      const child = spawn('nsenter', ['-t', String(pid), '-m', '--', ...argv], {
        env: this.env(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      this.running.add(child);
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => killGroup(child), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        this.running.delete(child);
        resolve({ code, output });
      });
    });
  }

  /** cloud-init's part: the first-boot script, under bash, as root. */
  async boot(script: string): Promise<CommandResult> {
    const file = join(this.o.dir, '.standin', 'user-data');
    await writeFile(file, script, { mode: 0o700 });
    const r = await this.exec(['bash', file], 600_000);
    await writeFile(join(this.run, 'boot.log'), r.output);
    return r;
  }

  /** A reboot: the units stop, the config unit runs again, the server starts again. */
  async reboot(configUnit: string, serverUnit: string): Promise<CommandResult> {
    await this.exec(['systemctl', 'stop', serverUnit]);
    const fetched = await this.exec(['systemctl', 'start', configUnit]);
    const started = await this.exec(['systemctl', 'start', serverUnit]);
    return { code: fetched.code || started.code, output: fetched.output + started.output };
  }

  /** Runs every timer whose OnCalendar is at or before `now`. */
  async fireTimers(now: Date): Promise<CommandResult[]> {
    const dir = join(this.run, 'timers');
    const out: CommandResult[] = [];
    for (const name of existsSync(dir) ? await readdir(dir) : []) {
      const t = JSON.parse(await readFile(join(dir, name), 'utf8')) as { onCalendar: string; unit: string };
      const at = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/.exec(t.onCalendar);
      if (!at || new Date(`${at[1]}T${at[2]}Z`) > now) continue;
      out.push(await this.exec(['systemctl', 'start', t.unit]));
    }
    return out;
  }

  async setImds(path: string, value: string | null): Promise<void> {
    const file = join(this.imds, path);
    if (value === null) await rm(file, { force: true });
    else {
      await mkdir(join(file, '..'), { recursive: true });
      // Written aside and renamed: a curl reading meanwhile sees the old value or the new, never "".
      await writeFile(`${file}.new`, value);
      await rename(`${file}.new`, file);
    }
  }

  /** What the instance metadata answers at `path` now (null: nothing there). */
  imdsValue(path: string): Promise<string | null> {
    return readFile(join(this.imds, path), 'utf8').catch(() => null);
  }

  calls(): Promise<string> {
    return readFile(join(this.run, 'calls.log'), 'utf8').catch(() => '');
  }

  shutdownRequested(): boolean {
    return existsSync(join(this.run, 'shutdown'));
  }

  /** The VM is gone: its units' processes and its namespace end. */
  async destroy(): Promise<void> {
    for (const c of this.running) killGroup(c);
    for (const f of existsSync(this.run) ? await readdir(this.run) : []) {
      if (!f.endsWith('.pid')) continue;
      const pid = Number(await readFile(join(this.run, f), 'utf8'));
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await rm(join(this.run, f), { force: true });
    }
    this.holder?.kill('SIGKILL');
    this.holder = undefined;
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
