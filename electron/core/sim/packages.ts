/**
 * `velociraptor debian client` for the simulator as a drop-in binary: a REAL Debian package (ar
 * archive: debian-binary "2.0", control.tar.gz, data.tar.gz) in the layout a real 0.77.2 writes
 * (read with dpkg-deb -I/-c from one it built here): package `velociraptor-client`, the config
 * byte-for-byte in etc/velociraptor/client.config.yaml, the velociraptor_client unit, the binary as
 * usr/local/bin/velociraptor_client, upstream's postinst/prerm, md5sums, an empty conffiles; the
 * file `velociraptor_client_<version>_amd64.deb` in --output. The tar and ar writers are ours.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

interface TarEntry {
  name: string;
  mode: number;
  data?: Buffer;
  dir?: boolean;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar archive (root-owned entries, one mtime). */
export function tarArchive(entries: TarEntry[], mtimeS: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const data = e.dir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    h.write(e.name, 0, 100, 'utf8');
    h.write(octal(e.mode, 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(data.length, 12), 124, 'ascii');
    h.write(octal(mtimeS, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write(e.dir ? '5' : '0', 156, 'ascii');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    h.write('root', 265, 'ascii');
    h.write('root', 297, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A System V `ar` archive as dpkg reads it. */
export function arArchive(members: Array<{ name: string; data: Buffer }>, mtimeS: number): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const m of members) {
    const header =
      m.name.padEnd(16) +
      String(mtimeS).padEnd(12) +
      '0'.padEnd(6) +
      '0'.padEnd(6) +
      '100644'.padEnd(8) +
      String(m.data.length).padEnd(10) +
      '`\n';
    parts.push(Buffer.from(header, 'ascii'), m.data);
    if (m.data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

const CONFIG = '/etc/velociraptor/client.config.yaml';
const BINARY = '/usr/local/bin/velociraptor_client';

/** The unit a real 0.77.2 puts in its client packages. */
export const CLIENT_UNIT = `
[Unit]
Description=Velociraptor client
After=syslog.target network.target

[Service]
Type=simple
Restart=always
RestartSec=120
LimitNOFILE=20000
Environment=LANG=en_US.UTF-8
ExecStart=${BINARY} --config ${CONFIG} client --quiet 

[Install]
WantedBy=multi-user.target
`;

const POSTINST = `
# Lock down permissions on the config file.
chmod -R go-r $(dirname "${CONFIG}")
chown root:root ${BINARY}
chmod 755 ${BINARY}

/bin/systemctl enable velociraptor_client.service
/bin/systemctl start velociraptor_client.service
`;

const PRERM = `
/bin/systemctl disable velociraptor_client.service
/bin/systemctl stop velociraptor_client.service
`;

/** The client .deb for `config` and `binary`; its file name is `velociraptor_client_<version>_amd64.deb`. */
export function clientDeb(
  config: Buffer,
  binary: Buffer,
  version: string,
  nowMs = Date.now(),
): { name: string; data: Buffer } {
  const mtime = Math.floor(nowMs / 1000);
  const files: Array<[string, Buffer]> = [
    [CONFIG.slice(1), config],
    ['etc/systemd/system/velociraptor_client.service', Buffer.from(CLIENT_UNIT)],
    [BINARY.slice(1), binary],
  ];
  const md5sums = files
    .map(([path, data]) => `${createHash('md5').update(data).digest('hex')}  ${path}\n`)
    .join('');
  const installedKb = Math.ceil(files.reduce((n, [, d]) => n + d.length, 0) / 1024);
  const control = [
    'Package: velociraptor-client',
    `Version: ${version}`,
    'Architecture: amd64',
    'Maintainer: Velocidex Enterprises <support@velocidex.com>',
    `Installed-Size: ${installedKb}`,
    'Homepage: https://www.velocidex.com',
    'Description: Velociraptor client package.',
    '',
  ].join('\n');
  const controlTar = tarArchive(
    [
      { name: 'postinst', mode: 0o755, data: Buffer.from(POSTINST) },
      { name: 'prerm', mode: 0o755, data: Buffer.from(PRERM) },
      { name: 'conffiles', mode: 0o644, data: Buffer.alloc(0) },
      { name: 'control', mode: 0o644, data: Buffer.from(control) },
      { name: 'md5sums', mode: 0o644, data: Buffer.from(md5sums) },
    ],
    mtime,
  );
  const dataTar = tarArchive(
    [
      { name: 'etc', mode: 0o755, dir: true },
      { name: 'etc/velociraptor', mode: 0o755, dir: true },
      { name: files[0]![0], mode: 0o644, data: config },
      { name: 'etc/systemd', mode: 0o755, dir: true },
      { name: 'etc/systemd/system', mode: 0o755, dir: true },
      { name: files[1]![0], mode: 0o644, data: files[1]![1] },
      { name: 'usr', mode: 0o755, dir: true },
      { name: 'usr/local', mode: 0o755, dir: true },
      { name: 'usr/local/bin', mode: 0o755, dir: true },
      { name: files[2]![0], mode: 0o755, data: binary },
    ],
    mtime,
  );
  return {
    name: `velociraptor_client_${version}_amd64.deb`,
    data: arArchive(
      [
        { name: 'debian-binary', data: Buffer.from('2.0\n') },
        { name: 'control.tar.gz', data: gzipSync(controlTar) },
        { name: 'data.tar.gz', data: gzipSync(dataTar) },
      ],
      mtime,
    ),
  };
}
