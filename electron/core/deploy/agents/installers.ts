/**
 * Installers as real files, built HERE by the verified Velociraptor binary's own subcommands (no
 * server round trip, nothing of the target OS needed):
 *
 *   deb  velociraptor --config client.yaml debian client --binary <linux client> --output DIR
 *   rpm  velociraptor --config client.yaml rpm client --binary <linux client> --output DIR
 *   msi  velociraptor config repack --msi <official MSI> client.yaml OUT.msi
 *
 * Chosen over the server artifacts Server.Utils.CreateLinuxPackages / CreateMSI because those need
 * the server's tool inventory to hold (or download) the binaries and MSI, and write into the
 * server's filestore; locally the same upstream code runs on the binary the app already verified.
 * Facts from the source (0.77.2 bin/debian.go, bin/rpm.go, vql/tools/repack.go): debian/rpm take the
 * config file byte for byte into /etc/velociraptor/client.config.yaml and the binary as
 * /usr/local/bin/velociraptor_client, and print `[{"OSPath": …}]`; repack of an MSI overwrites the
 * placeholder config's 4 KiB OLE pages inside the MSI in place (found by its "## Velociraptor client
 * configuration (offset)" markers) with the config byte for byte and zeroes the CAB checksum — which
 * breaks the MSI's Authenticode signature: re-sign it before handing it out (MSI_RESIGN_NOTE).
 * Velociraptor says nothing and exits 0 when an MSI has no placeholder, and fails with "Insufficient
 * space reserved in MSI file!" when the config needs more pages than the placeholder spans: both are
 * turned into errors that say what to do (msiRepackProblem, repackRefusal).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { BuiltInstaller, InstallerKind } from '../../../../shared/agent-kits';
import { AppError } from '../../../../shared/errors';
import { sha256File } from '../releases/cache';

const run = promisify(execFile);

export const MSI_RESIGN_NOTE =
  'Repacking rewrites bytes inside the MSI, so its Authenticode signature (Velocidex) no longer verifies and Windows shows it as unsigned. Re-sign it with your code-signing certificate before deployment: osslsigncode sign -pkcs12 codesign.pfx -readpass pass.txt -n "Velociraptor" -t http://timestamp.digicert.com -in repacked.msi -out signed.msi (Linux/macOS), or signtool sign /fd SHA256 /f codesign.pfx /tr http://timestamp.digicert.com /td SHA256 repacked.msi (Windows). Then check it: osslsigncode verify signed.msi / signtool verify /pa signed.msi.';

export interface InstallerInput {
  kind: InstallerKind;
  /** The agent config to embed (agentConfig(...).yaml). */
  configYaml: string;
  /** The Velociraptor executable that runs on this machine (verified). */
  runBinary: string;
  /** deb/rpm: the Linux client binary to package (verified). */
  packBinary?: string;
  /** msi: the official MSI to repack (verified). */
  msi?: string;
  outDir: string;
  /** The verified sha256 of what is packed (binary or MSI), for the record. */
  binarySha256: string;
  signal?: AbortSignal;
}

export function installerCommand(i: InstallerInput, configPath: string): string[] {
  if (i.kind === 'msi') {
    if (!i.msi) throw new AppError('INVALID_ARGUMENT', 'Repacking an MSI needs the official MSI.');
    return ['config', 'repack', '--msi', i.msi, configPath, join(i.outDir, repackedName(i.msi))];
  }
  if (!i.packBinary) throw new AppError('INVALID_ARGUMENT', `A ${i.kind} package needs the Linux binary.`);
  return [
    '--config',
    configPath,
    i.kind === 'deb' ? 'debian' : 'rpm',
    'client',
    '--binary',
    i.packBinary,
    '--output',
    i.outDir,
  ];
}

function repackedName(msi: string): string {
  return basename(msi).replace(/\.msi$/i, '') + '-repacked.msi';
}

/** The first 8 bytes of every MSI (an OLE compound file). */
export const MSI_MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex');
/** The first line of the placeholder config Velociraptor's repack looks for (any MSI generation). */
const PLACEHOLDER_MARKER = Buffer.from('## Velociraptor client configuration');

/**
 * Why `config repack --msi` cannot work on this file, or null. Checked before running it because the
 * binary itself exits 0 and writes nothing when the placeholder is missing.
 */
export function msiRepackProblem(msi: Buffer, name: string): string | null {
  if (msi.length <= 8 || !msi.subarray(0, 8).equals(MSI_MAGIC))
    return `${name} is not an MSI (no OLE compound file header): give Velociraptor's Windows MSI (velociraptor-v<version>-windows-amd64.msi).`;
  if (!msi.includes(PLACEHOLDER_MARKER))
    return `${name} carries no Velociraptor placeholder config (no "## Velociraptor client configuration" markers), so config repack cannot put the agent config into it. Use the official MSI of the release, or build yours from Velociraptor's placeholder config (docs/wix/output/client.config.yaml in its source) with the config in an uncompressed cabinet.`;
  return null;
}

/** An error for what Velociraptor refused while repacking, when it is one the user can fix. */
function repackRefusal(said: string, configBytes: number, msiName: string, cause: unknown): AppError | null {
  if (/Insufficient space reserved in MSI file/.test(said))
    return new AppError(
      'INVALID_ARGUMENT',
      `The agent config (${configBytes} bytes) is larger than the placeholder ${msiName} reserves for it (about 24 KB in the official MSI; Velociraptor: ${said.replace(/^.*client_repack: /, '')}). Shorten the config — fewer labels or frontends — or build an MSI with a larger placeholder.`,
      { cause },
    );
  if (/Provided config file not valid/.test(said))
    return new AppError(
      'INVALID_ARGUMENT',
      `Velociraptor rejected the agent config: ${said.replace(/^.*Provided config file not valid: /, '')}.`,
      { cause },
    );
  return null;
}

function lastWords(output: string | undefined): string {
  return (output ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\[(INFO|DEBUG)\]/.test(l))
    .slice(-3)
    .join(' ');
}

export async function buildInstaller(i: InstallerInput): Promise<BuiltInstaller> {
  const outDir = resolve(i.outDir);
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'megaraptor-installer-'));
  try {
    // The config holds the CA and the nonce: owner-only, removed with the work folder.
    const configPath = join(work, 'client.config.yaml');
    await writeFile(configPath, i.configYaml, { mode: 0o600 });
    const command = installerCommand({ ...i, outDir }, configPath);
    if (i.kind === 'msi' && i.msi) {
      const problem = msiRepackProblem(await readFile(i.msi), basename(i.msi));
      if (problem) throw new AppError('INVALID_ARGUMENT', problem);
    }
    let stdout: string;
    try {
      ({ stdout } = await run(i.runBinary, command, {
        cwd: work,
        timeout: 10 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(i.signal ? { signal: i.signal } : {}),
      }));
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; code?: unknown };
      // Velociraptor's error is on stderr; stdout then only holds its `[{"RepackInfo": null}]` row.
      const said = lastWords(err.stderr) || lastWords(err.stdout);
      const refusal =
        i.kind === 'msi'
          ? repackRefusal(said, Buffer.byteLength(i.configYaml), basename(i.msi ?? ''), e)
          : null;
      if (refusal) throw refusal;
      throw new AppError(
        'DEPLOY_FAILED',
        `Velociraptor could not build the ${i.kind} (${command.slice(0, 4).join(' ')} …): ${said || `exit ${String(err.code)}`}.`,
        { cause: e },
      );
    }
    const path =
      i.kind === 'msi' ? (command.at(-1) ?? '') : (/"OSPath":\s*("(?:[^"\\]|\\.)*")/.exec(stdout)?.[1] ?? '');
    const file = i.kind === 'msi' ? path : (JSON.parse(path || '""') as string);
    const info = file ? await stat(file).catch(() => null) : null;
    // Checked on stdout, not on the file: an MSI left in the folder by an earlier run is not this one.
    if (i.kind === 'msi' && /"RepackInfo":\s*null/.test(stdout))
      throw new AppError(
        'DEPLOY_FAILED',
        `Velociraptor found no placeholder config it could replace in ${basename(i.msi ?? '')} and wrote no MSI: use the official MSI of the release.`,
      );
    if (!info?.isFile() || info.size === 0)
      throw new AppError(
        'DEPLOY_FAILED',
        `Velociraptor built no ${i.kind} file (it printed: ${stdout.slice(0, 200)}).`,
      );
    return {
      kind: i.kind,
      file: { path: file, name: basename(file), bytes: info.size, sha256: await sha256File(file) },
      command: [basename(i.runBinary), ...command.map((a) => (a === configPath ? 'client.config.yaml' : a))],
      binarySha256: i.binarySha256,
      notes:
        i.kind === 'msi'
          ? [MSI_RESIGN_NOTE]
          : [
              `Installs /usr/local/bin/velociraptor_client and /etc/velociraptor/client.config.yaml and starts the velociraptor_client service (systemd).`,
            ],
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
