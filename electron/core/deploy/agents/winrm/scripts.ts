/**
 * The PowerShell a WinRM push runs on a Windows host, one script per step, each sent as
 * `powershell -EncodedCommand` (UTF-16LE, base64) so no value passes through cmd.exe's quoting. Every
 * value is a PowerShell single-quoted literal. The MSI and the client config come from the HTTPS
 * server the app runs for the push (its certificate pinned by SHA-256 in the script), and are checked
 * against their sha256 before anything is installed. Layout: the official MSI's (C:\Program
 * Files\Velociraptor, service "Velociraptor" reading client.config.yaml beside the binary).
 */

/** 'text' as a PowerShell single-quoted string. */
export function psQuote(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, "''")}'`;
}

export function encodedCommand(script: string): string[] {
  return [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-EncodedCommand',
    Buffer.from(script, 'utf16le').toString('base64'),
  ];
}

export const SERVICE_NAME = 'Velociraptor';
export const INSTALL_DIR = 'C:\\Program Files\\Velociraptor';
export const WRITEBACK = `${INSTALL_DIR}\\velociraptor.writeback.yaml`;

/** Markers the scripts print, read back by the push (and by the test listener's handler). */
export const MARK = {
  platform: 'MEGARAPTOR-PLATFORM',
  fetched: 'MEGARAPTOR-FETCHED',
  installed: 'MEGARAPTOR-INSTALLED',
  service: 'MEGARAPTOR-SERVICE',
  client: 'MEGARAPTOR-CLIENT',
  removed: 'MEGARAPTOR-REMOVED',
} as const;

export function platformScript(): string {
  return `$ErrorActionPreference='Stop'
$arch = if ([Environment]::Is64BitOperatingSystem) { 'amd64' } else { '386' }
$os = (Get-CimInstance Win32_OperatingSystem).Caption
Write-Output "${MARK.platform} $arch $os"`;
}

export interface Download {
  url: string;
  sha256: string;
  file: string;
}

/**
 * Downloads each file from the push's HTTPS server (only a certificate with `pinSha256` is accepted)
 * into `dir`, checks its sha256, exits 3 on a mismatch.
 */
export function fetchScript(dir: string, pinSha256: string, downloads: readonly Download[]): string {
  const pin = pinSha256.replace(/:/g, '').toUpperCase();
  return [
    "$ErrorActionPreference='Stop'",
    `$dir = ${psQuote(dir)}`,
    'New-Item -ItemType Directory -Force -Path $dir | Out-Null',
    `$pin = ${psQuote(pin)}`,
    '[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12',
    '[Net.ServicePointManager]::ServerCertificateValidationCallback = { param($s, $c, $ch, $e)',
    '  $h = [Security.Cryptography.SHA256]::Create().ComputeHash($c.GetRawCertData())',
    "  ([BitConverter]::ToString($h) -replace '-', '') -eq $pin }",
    ...downloads.flatMap((d) => [
      `$f = Join-Path $dir ${psQuote(d.file)}`,
      `(New-Object Net.WebClient).DownloadFile(${psQuote(d.url)}, $f)`,
      `$got = (Get-FileHash -Algorithm SHA256 -Path $f).Hash`,
      `if ($got -ne ${psQuote(d.sha256.toUpperCase())}) { Write-Output "sha256 of ${d.file} is $got"; exit 3 }`,
    ]),
    `Write-Output ${psQuote(`${MARK.fetched} ${downloads.map((d) => d.file).join(' ')}`)}`,
  ].join('\n');
}

/** Installs the MSI quietly, puts the config where the service reads it, (re)starts the service. */
export function installScript(dir: string, msiFile: string, configFile: string): string {
  return [
    "$ErrorActionPreference='Stop'",
    `$dir = ${psQuote(dir)}`,
    `$p = Start-Process msiexec.exe -Wait -PassThru -ArgumentList @('/i', (Join-Path $dir ${psQuote(msiFile)}), '/qn', '/norestart', '/l*v', (Join-Path $dir 'msiexec.log'))`,
    'if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { Write-Output "msiexec exit code $($p.ExitCode)"; exit 4 }',
    `Copy-Item -Force (Join-Path $dir ${psQuote(configFile)}) ${psQuote(`${INSTALL_DIR}\\client.config.yaml`)}`,
    `Restart-Service -Name ${psQuote(SERVICE_NAME)}`,
    `Remove-Item -Recurse -Force $dir`,
    `Write-Output ${psQuote(MARK.installed)}`,
  ].join('\n');
}

/** The service state and the client id in the writeback (only its client_id line is read). */
export function statusScript(): string {
  return [
    `$s = Get-Service -Name ${psQuote(SERVICE_NAME)} -ErrorAction SilentlyContinue`,
    `Write-Output "${MARK.service} $(if ($s) { $s.Status } else { 'Missing' })"`,
    `$w = ${psQuote(WRITEBACK)}`,
    "if (Test-Path $w) { $m = Select-String -Path $w -Pattern '^client_id:\\s*(C\\.[0-9a-f]{16})' | Select-Object -First 1",
    `  if ($m) { Write-Output "${MARK.client} $($m.Matches[0].Groups[1].Value)" } }`,
  ].join('\n');
}

/** Uninstalls through the MSI's product code; the writeback stays unless `dropWriteback`. */
export function uninstallScript(dropWriteback: boolean): string {
  return [
    "$ErrorActionPreference='Stop'",
    "$keys = 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*', 'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'",
    "$apps = Get-ItemProperty $keys -ErrorAction SilentlyContinue | Where-Object { $_.DisplayName -like 'Velociraptor*' }",
    'foreach ($a in $apps) {',
    "  $p = Start-Process msiexec.exe -Wait -PassThru -ArgumentList @('/x', $a.PSChildName, '/qn', '/norestart')",
    '  if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { Write-Output "msiexec exit code $($p.ExitCode)"; exit 4 } }',
    ...(dropWriteback
      ? [
          `Remove-Item -Force -ErrorAction SilentlyContinue ${psQuote(WRITEBACK)}, ${psQuote(`${WRITEBACK}.bak`)}`,
        ]
      : []),
    `Write-Output ${psQuote(MARK.removed)}`,
  ].join('\n');
}

/** A marker line's value from a script's output. */
export function marked(stdout: string, mark: string): string | null {
  const line = stdout.split(/\r?\n/).find((l) => l.startsWith(`${mark} `) || l === mark);
  return line === undefined ? null : line.slice(mark.length).trim();
}
