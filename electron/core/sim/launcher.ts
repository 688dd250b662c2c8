/**
 * A launcher named `velociraptor` for the simulator: an executable script run by node that hands its
 * arguments to `megaraptor sim` in the bundled CLI, so a deployment (container image, SSH host, local
 * lab) runs `velociraptor --config F frontend -v` exactly as with the real binary. The kernel runs it
 * through its `#!` line; no shell is needed (a minimal image has none).
 */
export function velociraptorLauncher(cliBundlePath: string, nodePath = '/usr/bin/node'): string {
  return [
    `#!${nodePath}`,
    '// Megaraptor Velociraptor SIMULATOR launcher — not Velociraptor. Runs `megaraptor sim <args>`.',
    "'use strict';",
    // The CLI bundle starts itself when argv[1] is its own file name.
    `process.argv.splice(1, 1, ${JSON.stringify(cliBundlePath)}, 'sim');`,
    `import(${JSON.stringify(cliBundlePath)});`,
    '',
  ].join('\n');
}
