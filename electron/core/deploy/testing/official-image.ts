/**
 * A TEST image of our own laid out like upstream's server image, for the Docker target's "official"
 * path without a registry. Nothing here comes from ghcr.io and nothing is pulled: the image is imported
 * into the test engine from a root filesystem and tagged with upstream's name, so the deployer finds it
 * on the engine.
 *
 * What it copies from upstream's image, as facts from Velociraptor's Docker/Dockerfile, Docker/entrypoint
 * and magefile.go (Container target), 0.77.2:
 *   - the binary at /bin/velociraptor; no USER (root); `CMD ["/bin/sh", "/bin/entrypoint"]`, no
 *     ENTRYPOINT; WORKDIR /; EXPOSE 8000 and 8889; the label `version=<VERSION>`; linux/amd64.
 *   - the entrypoint's choice: with no config at $VELOCIRAPTOR_CONFIG_PATH (default
 *     /etc/velociraptor/server.config.yaml) and no VELOCIRAPTOR_LITERAL_CONFIG it is a first start —
 *     generate a config, add admin/"password", start with the Container.InitializeServer artifact, which
 *     builds the MSI and Linux packages (the first-start downloads); with a config, run
 *     `frontend -v` on it.
 * What differs: the "binary" is the simulator's launcher (or, by hand, a real Velociraptor:
 * MEGARAPTOR_REAL_VELOCIRAPTOR); the shell is this machine's dash with its libraries, not Alpine's
 * busybox; the entrypoint is our own script that announces every run and, on a first start, says what
 * upstream's would do and stops there (this test image downloads nothing and generates no config).
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { followProgress } from '../docker/engine';
import { OFFICIAL_BINARY_PATH } from '../docker/spec';
import { tarBuffer, tarStream, type TarEntry } from '../docker/tar';
import type { SimRuntime } from './sim-runtime';

/** Printed by the test image's entrypoint whenever it runs: a deployment must never run it. */
export const ENTRYPOINT_MARK = 'TEST-IMAGE entrypoint';
/** Printed on the first-start path (upstream's: generate a config, then the package downloads). */
export const FIRST_START_MARK = 'TEST-IMAGE first start: would generate a config and download';

const CONFIG_DEFAULT = '/etc/velociraptor/server.config.yaml';

/** Our own script, POSIX sh, with the decisions of upstream's entrypoint (see the module comment). */
export function testEntrypoint(): string {
  return [
    `echo "${ENTRYPOINT_MARK} (Megaraptor test image, not Velociraptor's)"`,
    `CONFIG="\${VELOCIRAPTOR_CONFIG_PATH:-${CONFIG_DEFAULT}}"`,
    'if [ -n "$VELOCIRAPTOR_LITERAL_CONFIG" ]; then',
    `  exec ${OFFICIAL_BINARY_PATH} frontend -v`,
    'fi',
    'if [ ! -f "$CONFIG" ]; then',
    `  echo "${FIRST_START_MARK} (Container.InitializeServer: MSI and Linux packages) — stopping: test image"`,
    '  exit 10',
    'fi',
    `exec ${OFFICIAL_BINARY_PATH} --config "$CONFIG" frontend -v`,
    '',
  ].join('\n');
}

function parents(path: string, seen: Set<string>): TarEntry[] {
  const parts = path.replace(/^\//, '').split('/').slice(0, -1);
  const out: TarEntry[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const d = parts.slice(0, i).join('/');
    if (seen.has(d)) continue;
    seen.add(d);
    out.push({ path: d, type: 'dir', mode: 0o755 });
  }
  return out;
}

/**
 * Imports the test image as `reference` (e.g. ghcr.io/velocidex/velociraptor-server:0.77.2) with
 * `binary` at /bin/velociraptor.
 */
export async function importOfficialLikeImage(
  docker: Docker,
  o: { reference: string; version: string; binary: string; runtime: SimRuntime },
): Promise<string> {
  const seen = new Set<string>();
  const file = (path: string, source: string, mode: number): TarEntry[] => [
    ...parents(path, seen),
    { path: path.slice(1), type: 'file', mode, source },
  ];
  const entries: TarEntry[] = [
    ...parents('/etc/passwd', seen),
    { path: 'etc/passwd', type: 'file', mode: 0o644, data: 'root:x:0:0:root:/root:/bin/sh\n' },
    { path: 'etc/group', type: 'file', mode: 0o644, data: 'root:x:0:root\n' },
    { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    ...file(OFFICIAL_BINARY_PATH, o.binary, 0o755),
    ...file('/bin/sh', await realpath('/bin/sh'), 0o755),
    ...parents('/bin/entrypoint', seen),
    { path: 'bin/entrypoint', type: 'file', mode: 0o644, data: testEntrypoint() },
    // node, its libraries (also dash's: libc, the loader) and the CLI bundle behind the launcher.
    ...o.runtime.extraFiles.flatMap((f) => file(f.path, f.source, f.mode)),
  ];
  const [repo, tag] = splitReference(o.reference);
  const res = await docker.importImage(tarStream(entries), {
    repo,
    tag,
    changes: [
      'WORKDIR /',
      'CMD ["/bin/sh", "/bin/entrypoint"]',
      'EXPOSE 8000',
      'EXPOSE 8889',
      `LABEL version=${JSON.stringify(o.version)}`,
      'LABEL description="Megaraptor TEST image laid out like ghcr.io/velocidex/velociraptor-server"',
    ],
  } as unknown as Record<string, unknown>);
  await followProgress(docker, res, 'importing the test image');
  return (await docker.getImage(o.reference).inspect()).Id;
}

/**
 * An image of another architecture under `reference`, loaded (`docker load` format: manifest.json, the
 * image config, one layer) because the engine's import ignores a foreign platform. Only its platform
 * matters: the deployer must refuse it before running anything from it.
 */
export async function loadForeignImage(
  docker: Docker,
  reference: string,
  architecture: string,
): Promise<string> {
  const layer = await tarBuffer([
    { path: 'README', type: 'file', mode: 0o644, data: `Megaraptor TEST image, ${architecture}\n` },
  ]);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = JSON.stringify({
    architecture,
    os: 'linux',
    config: { Cmd: ['/bin/sh', '/bin/entrypoint'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'Megaraptor test' }],
  });
  const archive = await tarBuffer([
    { path: 'config.json', type: 'file', mode: 0o644, data: config },
    { path: 'layer.tar', type: 'file', mode: 0o644, data: layer },
    {
      path: 'manifest.json',
      type: 'file',
      mode: 0o644,
      data: JSON.stringify([{ Config: 'config.json', RepoTags: [reference], Layers: ['layer.tar'] }]),
    },
  ]);
  const res = await docker.loadImage(Readable.from([archive]));
  await followProgress(docker, res, 'loading the foreign test image');
  return (await docker.getImage(reference).inspect()).Id;
}

function splitReference(reference: string): [string, string] {
  const i = reference.lastIndexOf(':');
  return [reference.slice(0, i), reference.slice(i + 1)];
}

/** One file out of a container (GET archive): the content of the single file in the tar. */
export async function readContainerFile(container: Docker.Container, path: string): Promise<string> {
  const stream = await container.getArchive({ path });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  const tar = Buffer.concat(chunks);
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim(), 8);
  return tar.subarray(512, 512 + size).toString('utf8');
}
