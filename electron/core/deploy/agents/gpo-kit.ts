/**
 * A Group Policy kit for Windows agents: a folder (and its ZIP) with the repacked MSI, a README with
 * the real steps (a share the computers can read, software installation in the Group Policy
 * Management Console, or a computer startup script as the alternative), the startup script itself,
 * and SHA256SUMS over every file. Nothing secret is in it: the MSI carries the client config (CA,
 * nonce, server URLs), which every agent gets anyway.
 */
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { BuiltKit, KitFile } from '../../../../shared/agent-kits';
import { AppError } from '../../../../shared/errors';
import { buildZip } from '../../files/index';
import { sha256File } from '../releases/cache';
import { MSI_MAGIC } from './installers';

export interface GpoKitInput {
  /** The (repacked, ideally re-signed) MSI. */
  msi: string;
  dir: string;
  /** The UNC share the README and script use, e.g. \\fileserver\Velociraptor$. */
  share?: string;
  serverUrls: string[];
}

export function gpoReadme(msiName: string, share: string, serverUrls: string[]): string {
  return `# Velociraptor agent by Group Policy

This kit installs the Velociraptor client on domain computers. The MSI (${msiName}) carries the
client configuration: the agents enrol with ${serverUrls.join(', ')}.

Check the files first: \`Get-FileHash -Algorithm SHA256 *\` must match SHA256SUMS. If the MSI was
repacked, its Authenticode signature no longer verifies: re-sign it with your code-signing
certificate before rollout (signtool sign /fd SHA256 /f codesign.pfx /tr <timestamp URL> /td SHA256).

## 1. Share the MSI

1. On a file server create a folder, e.g. \`D:\\Deploy\\Velociraptor\`, and copy ${msiName} into it.
2. Share it as \`${share}\` (a trailing \`$\` hides it from browsing).
3. Share permissions: \`Authenticated Users\` Read (remove \`Everyone\`).
4. NTFS permissions: \`Domain Computers\` Read & execute, \`Authenticated Users\` Read,
   \`Administrators\` Full control. Software installation runs as the computer account
   (SYSTEM), so the computers — not only users — must be able to read the share.
5. Use the UNC path (\`${share}\\${msiName}\`) everywhere, never a mapped drive letter.

## 2. Software installation policy (Group Policy Management Console)

1. Open **Group Policy Management** (gpmc.msc) on a machine with RSAT.
2. Right-click the OU holding the target computers → **Create a GPO in this domain, and Link it
   here…**; name it e.g. "Velociraptor agent".
3. Right-click the GPO → **Edit**. Go to **Computer Configuration → Policies → Software Settings →
   Software installation**.
4. Right-click **Software installation → New → Package…**, enter \`${share}\\${msiName}\` (the UNC
   path, not a local path) and choose **Assigned**.
5. Optional: in the package's **Properties → Deployment**, tick "Uninstall this application when
   it falls out of the scope of management" only if leaving the OU should remove the agent.
6. Recommended: **Computer Configuration → Policies → Administrative Templates → System → Logon →
   Always wait for the network at computer startup and logon** = Enabled (otherwise fast logon can
   skip the installation at boot).
7. The computers install the MSI at their next restart (\`gpupdate /force\` then reboot to test on
   one machine first). Check in the app (agents → enrollment check) that they appear as clients.

## 3. Alternative: computer startup script

Where software installation is not wanted (e.g. no reboot window, or to log each run):

1. Copy \`install-velociraptor.ps1\` next to the MSI on the share.
2. In the GPO: **Computer Configuration → Policies → Windows Settings → Scripts (Startup/Shutdown)
   → Startup → PowerShell Scripts → Add…**, script \`${share}\\install-velociraptor.ps1\`.
3. The script installs only when the Velociraptor service is missing, checks the MSI's SHA-256
   against SHA256SUMS first, and logs to \`C:\\Windows\\Temp\\velociraptor-install.log\`.

## Removal

Remove the GPO link (software installation with the uninstall option removes the agent), or run
\`msiexec /x ${msiName} /qn\` on the computer. The client's identity (writeback) stays unless deleted.
`;
}

export function startupScript(msiName: string, sha256: string, share: string): string {
  return `# Installs the Velociraptor agent when its service is missing (computer startup script, runs as SYSTEM).
$ErrorActionPreference = 'Stop'
$Share = '${share.replace(/'/g, "''")}'
$Msi = Join-Path $Share '${msiName.replace(/'/g, "''")}'
$Expected = '${sha256}'
$Log = 'C:\\Windows\\Temp\\velociraptor-install.log'
if (Get-Service -Name 'Velociraptor' -ErrorAction SilentlyContinue) { exit 0 }
$Actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $Msi).Hash.ToLowerInvariant()
if ($Actual -ne $Expected) {
  Add-Content -Path $Log -Value "$(Get-Date -Format o) MSI hash $Actual is not $Expected: not installed"
  exit 1
}
$p = Start-Process -FilePath msiexec.exe -ArgumentList @('/i', "\`"$Msi\`"", '/qn', '/norestart', '/l*v', "\`"$Log\`"") -Wait -PassThru
exit $p.ExitCode
`;
}

async function kitFile(path: string): Promise<KitFile> {
  const info = await stat(path);
  return { path, name: basename(path), bytes: info.size, sha256: await sha256File(path) };
}

export async function writeGpoKit(k: GpoKitInput): Promise<BuiltKit> {
  const head = Buffer.alloc(8);
  const fh = await readFile(k.msi).catch((cause: unknown) => {
    throw new AppError('NOT_FOUND', `There is no MSI at ${k.msi}.`, { cause });
  });
  fh.copy(head, 0, 0, 8);
  if (!head.equals(MSI_MAGIC))
    throw new AppError('INVALID_ARGUMENT', `${k.msi} is not an MSI (no OLE compound file header).`);
  const share = k.share ?? '\\\\fileserver\\Velociraptor$';
  if (!/^\\\\[A-Za-z0-9._-]+\\[A-Za-z0-9 ._$-]+(\\[A-Za-z0-9 ._$-]+)*$/.test(share))
    throw new AppError('INVALID_ARGUMENT', `"${share}" is not a UNC share path (\\\\server\\share).`);
  await mkdir(k.dir, { recursive: true });
  if ((await readdir(k.dir)).length)
    throw new AppError('INVALID_ARGUMENT', `${k.dir} is not empty: give a new folder for the kit.`);
  const msiName = basename(k.msi);
  const msiPath = join(k.dir, msiName);
  await copyFile(k.msi, msiPath);
  const msiSha = await sha256File(msiPath);
  await writeFile(join(k.dir, 'README.md'), gpoReadme(msiName, share, k.serverUrls));
  await writeFile(join(k.dir, 'install-velociraptor.ps1'), startupScript(msiName, msiSha, share));
  const files = [
    await kitFile(msiPath),
    await kitFile(join(k.dir, 'README.md')),
    await kitFile(join(k.dir, 'install-velociraptor.ps1')),
  ];
  // sha256sum's format (also what Get-FileHash output is compared with by hand).
  await writeFile(join(k.dir, 'SHA256SUMS'), files.map((f) => `${f.sha256}  ${f.name}\n`).join(''));
  files.push(await kitFile(join(k.dir, 'SHA256SUMS')));
  const zipPath = `${k.dir.replace(/[\\/]+$/, '')}.zip`;
  await writeFile(
    zipPath,
    buildZip(await Promise.all(files.map(async (f) => ({ name: f.name, data: await readFile(f.path) })))),
  );
  return { folder: k.dir, zip: await kitFile(zipPath), files };
}
