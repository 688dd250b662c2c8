/**
 * `velociraptor rpm client` for the simulator as a drop-in binary: a REAL RPM (v3 lead, signature
 * header, main header, gzip'd newc cpio payload) in the layout a real 0.77.2 writes (read with
 * `rpm -qip`, `rpm -qlvp`, `rpm -qp --scripts` and a header dump of one it built here; it uses
 * google/rpmpack): package `velociraptor_client`, release `A`, the architecture from the binary's ELF
 * machine, files /etc/velociraptor/client.config.yaml (0600, the config byte for byte — the real one
 * re-serialises it) and /usr/local/bin/velociraptor_client (0755), mtimes 0, root-owned; the systemd
 * unit is written by the postinstall scriptlet, as upstream's does. The scriptlets, the header and
 * cpio writers are ours (upstream's scriptlets also fall back to SysV init; these only use systemd).
 * Digests: SHA256 of the main header in the signature header, SHA256 of the compressed payload in
 * the main header, so `rpm -K` checks them; no signature.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CLIENT_UNIT } from './packages';

const CONFIG_DIR = '/etc/velociraptor/';
const CONFIG_NAME = 'client.config.yaml';
const BIN_DIR = '/usr/local/bin/';
const BIN_NAME = 'velociraptor_client';

/** RPM header value types. */
const T = { INT16: 3, INT32: 4, STRING: 6, BIN: 7, STRING_ARRAY: 8 } as const;

interface Entry {
  tag: number;
  type: number;
  value: string | string[] | number[] | Buffer;
}

const str = (tag: number, value: string): Entry => ({ tag, type: T.STRING, value });
const strs = (tag: number, value: string[]): Entry => ({ tag, type: T.STRING_ARRAY, value });
const i32 = (tag: number, value: number[]): Entry => ({ tag, type: T.INT32, value });
const i16 = (tag: number, value: number[]): Entry => ({ tag, type: T.INT16, value });

function encode(e: Entry): { data: Buffer; count: number; align: number } {
  if (e.type === T.INT32 || e.type === T.INT16) {
    const n = e.value as number[];
    const size = e.type === T.INT32 ? 4 : 2;
    const data = Buffer.alloc(n.length * size);
    n.forEach((v, i) => (size === 4 ? data.writeUInt32BE(v >>> 0, i * 4) : data.writeUInt16BE(v, i * 2)));
    return { data, count: n.length, align: size };
  }
  if (e.type === T.STRING_ARRAY) {
    const list = e.value as string[];
    return { data: Buffer.from(list.map((s) => `${s}\0`).join('')), count: list.length, align: 1 };
  }
  if (e.type === T.BIN) return { data: e.value as Buffer, count: (e.value as Buffer).length, align: 1 };
  return { data: Buffer.from(`${e.value as string}\0`), count: 1, align: 1 };
}

/**
 * A header structure: magic, the index (the region tag first, then the tags in ascending order),
 * the data store with each value aligned to its type and the region trailer last, whose offset
 * (minus the index size) marks every entry as part of the immutable region.
 */
function header(regionTag: number, entries: Entry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const index: Buffer[] = [];
  const store: Buffer[] = [];
  let size = 0;
  for (const e of sorted) {
    const { data, count, align } = encode(e);
    const pad = (align - (size % align)) % align;
    if (pad) store.push(Buffer.alloc(pad));
    size += pad;
    const row = Buffer.alloc(16);
    row.writeUInt32BE(e.tag, 0);
    row.writeUInt32BE(e.type, 4);
    row.writeUInt32BE(size, 8);
    row.writeUInt32BE(count, 12);
    index.push(row);
    store.push(data);
    size += data.length;
  }
  const il = sorted.length + 1;
  const trailer = Buffer.alloc(16);
  trailer.writeUInt32BE(regionTag, 0);
  trailer.writeUInt32BE(T.BIN, 4);
  trailer.writeInt32BE(-il * 16, 8);
  trailer.writeUInt32BE(16, 12);
  const region = Buffer.alloc(16);
  region.writeUInt32BE(regionTag, 0);
  region.writeUInt32BE(T.BIN, 4);
  region.writeUInt32BE(size, 8);
  region.writeUInt32BE(16, 12);
  const intro = Buffer.alloc(16);
  Buffer.from('8eade80100000000', 'hex').copy(intro, 0);
  intro.writeUInt32BE(il, 8);
  intro.writeUInt32BE(size + 16, 12);
  return Buffer.concat([intro, region, ...index, ...store, trailer]);
}

/** A "newc" cpio archive (what rpm payloads are), with the inode numbers the header lists. */
function cpio(files: Array<{ path: string; mode: number; data: Buffer; ino: number }>): Buffer {
  const parts: Buffer[] = [];
  const entry = (name: string, ino: number, mode: number, data: Buffer): void => {
    const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
    const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const head = Buffer.from(`070701${fields.map(hex).join('')}${name}\0`, 'latin1');
    parts.push(
      head,
      Buffer.alloc((4 - (head.length % 4)) % 4),
      data,
      Buffer.alloc((4 - (data.length % 4)) % 4),
    );
  };
  for (const f of files) entry(f.path, f.ino, f.mode, f.data);
  entry('TRAILER!!!', 0, 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** rpm's architecture name for the binary's ELF machine, or why it cannot be packaged. */
export function rpmArch(binary: Buffer): string {
  if (binary.length < 20 || !binary.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1')))
    throw new Error('Unable to parse ELF executable: bad magic number');
  const machine = binary[5] === 2 ? binary.readUInt16BE(18) : binary.readUInt16LE(18);
  const arch = new Map([
    [0x3e, 'x86_64'],
    [0x03, 'i386'],
    [0xb7, 'aarch64'],
    [0xf3, 'riscv64'],
    [0x28, 'armhfp'],
    [0x15, 'ppc64le'],
  ]).get(machine);
  if (!arch) throw new Error(`unknown binary architecture: ELF machine ${machine}`);
  return arch;
}

const POSTIN = `
# Only root may read the config (it names the server and carries the CA).
chmod -R go-r ${CONFIG_DIR}
chown root:root ${BIN_DIR}${BIN_NAME}
chmod 755 ${BIN_DIR}${BIN_NAME}
if [ -x /bin/systemctl ]; then
cat > /etc/systemd/system/velociraptor_client.service << 'UNIT'
${CLIENT_UNIT.trim()}
UNIT
  /bin/systemctl daemon-reload
  /bin/systemctl enable velociraptor_client.service
  /bin/systemctl start velociraptor_client.service
fi
`;

const PREUN = `
# $1 is the number of versions left after this one: 0 on removal, 1 on upgrade.
if [ -x /bin/systemctl ]; then
  if [ "$1" = 0 ]; then
    /bin/systemctl disable velociraptor_client.service
    /bin/systemctl stop velociraptor_client.service
  else
    /bin/systemctl restart velociraptor_client.service
  fi
fi
`;

const POSTUN = `
if [ "$1" = 0 ]; then
  rm -f /etc/systemd/system/velociraptor_client.service
  [ -x /bin/systemctl ] && /bin/systemctl daemon-reload
fi
exit 0
`;

/** The client .rpm; its file name is `velociraptor_client_<version>_<arch>.rpm`. */
export function clientRpm(
  config: Buffer,
  binary: Buffer,
  version: string,
  release = 'A',
): { name: string; data: Buffer } {
  const arch = rpmArch(binary);
  const nvr = `${BIN_NAME}-${version}-${release}`;
  const files = [
    { path: `${CONFIG_DIR}${CONFIG_NAME}`, mode: 0o100600, data: config, ino: 1 },
    { path: `${BIN_DIR}${BIN_NAME}`, mode: 0o100755, data: binary, ino: 2 },
  ];
  const archive = cpio(files);
  const payload = gzipSync(archive, { level: 9 });
  const installed = config.length + binary.length;
  const main = header(63, [
    strs(100, ['C']), // HEADERI18NTABLE
    str(1000, BIN_NAME),
    str(1001, version),
    str(1002, release),
    i32(1003, [0]), // EPOCH
    str(1004, 'Velociraptor client (Megaraptor simulator package)'),
    str(1005, 'The Velociraptor client package written by the Megaraptor simulator.'),
    i32(1009, [installed]), // SIZE
    str(1021, 'linux'),
    str(1022, arch),
    str(1024, POSTIN),
    str(1025, PREUN),
    str(1026, POSTUN),
    i32(
      1028,
      files.map((f) => f.data.length),
    ), // FILESIZES
    i16(
      1030,
      files.map((f) => f.mode),
    ), // FILEMODES
    i16(1033, [0, 0]), // FILERDEVS
    i32(1034, [0, 0]), // FILEMTIMES
    strs(
      1035,
      files.map((f) => createHash('sha256').update(f.data).digest('hex')),
    ), // FILEDIGESTS
    strs(1036, ['', '']), // FILELINKTOS
    i32(1037, [0, 0]), // FILEFLAGS
    strs(1039, ['root', 'root']), // FILEUSERNAME
    strs(1040, ['root', 'root']), // FILEGROUPNAME
    str(1044, `${nvr}.src.rpm`), // SOURCERPM
    i32(1045, [0xffffffff, 0xffffffff]), // FILEVERIFYFLAGS
    strs(1047, [BIN_NAME]), // PROVIDENAME
    str(1086, '/bin/sh'), // POSTINPROG
    str(1087, '/bin/sh'), // PREUNPROG
    str(1088, '/bin/sh'), // POSTUNPROG
    i32(
      1096,
      files.map((f) => f.ino),
    ), // FILEINODES
    strs(1097, ['', '']), // FILELANGS
    i32(1112, [8]), // PROVIDEFLAGS: EQUAL
    strs(1113, [`${version}-${release}`]), // PROVIDEVERSION
    i32(1116, [0, 1]), // DIRINDEXES
    strs(1117, [CONFIG_NAME, BIN_NAME]), // BASENAMES
    strs(1118, [CONFIG_DIR, BIN_DIR]), // DIRNAMES
    str(1124, 'cpio'),
    str(1125, 'gzip'),
    str(1126, '9'),
    i32(5011, [8, 8]), // FILEDIGESTALGO: SHA256
    strs(5092, [createHash('sha256').update(payload).digest('hex')]), // PAYLOADDIGEST
    i32(5093, [8]), // PAYLOADDIGESTALGO: SHA256
  ]);
  const signature = header(62, [
    str(273, createHash('sha256').update(main).digest('hex')), // SHA256 of the header
    i32(1000, [main.length + payload.length]), // SIZE
    i32(1007, [archive.length]), // PAYLOADSIZE
  ]);
  const lead = Buffer.alloc(96);
  Buffer.from('edabeedb0300', 'hex').copy(lead, 0);
  lead.writeUInt16BE(0, 6); // binary package
  lead.writeUInt16BE(1, 8); // archnum
  lead.write(nvr.slice(0, 65), 10, 'latin1');
  lead.writeUInt16BE(1, 76); // osnum: Linux
  lead.writeUInt16BE(5, 78); // signature type: header-style
  return {
    name: `${BIN_NAME}_${version}_${arch}.rpm`,
    data: Buffer.concat([lead, signature, Buffer.alloc((8 - (signature.length % 8)) % 8), main, payload]),
  };
}
