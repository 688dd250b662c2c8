/**
 * The unit files and the self-destruction script an SSH host gets. The server unit carries upstream's
 * `velociraptor_server` settings (vql/tools/packaging/fixtures/TestDEBServer.golden: User/Group
 * velociraptor, LimitNOFILE=20000, CAP_NET_BIND_SERVICE and CAP_SYS_RESOURCE, Restart=always) plus the
 * profile's limits (MemoryMax, CPUQuota, TasksMax). The rapid profile's expiry is enforced by the host
 * itself: a timer at the auto-destroy instant starts a oneshot service whose script stops the server
 * and removes exactly what the deployment made there — whether or not the responder's laptop is on.
 */
import type { ResourceLimits } from '../profiles';
import type { ServiceManager } from '../ssh/services';
import { sh } from '../ssh/shell';
import { execLine, onCalendarAt, renderUnit } from '../ssh/systemd-unit';
import type { HostLayout } from './layout';

export function serverUnit(input: {
  layout: HostLayout;
  user: string;
  limits: ResourceLimits;
  deploymentId: string;
  name: string;
}): string {
  const { layout, limits } = input;
  return renderUnit(
    [
      [
        'Unit',
        [
          ['Description', `Velociraptor server (Megaraptor deployment ${input.deploymentId})`],
          ['After', 'network.target'],
        ],
      ],
      [
        'Service',
        [
          ['Type', 'simple'],
          ['Restart', 'always'],
          ['RestartSec', '120'],
          ['LimitNOFILE', '20000'],
          ['Environment', 'LANG=en_US.UTF-8'],
          ['ExecStart', execLine([layout.binary, '--config', layout.config, 'frontend'])],
          ['User', input.user],
          ['Group', input.user],
          ['CapabilityBoundingSet', 'CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE'],
          ['AmbientCapabilities', 'CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE'],
          ['MemoryMax', String(limits.memoryBytes)],
          // NanoCpus are 1e-9 CPU; CPUQuota is percent of one CPU.
          ['CPUQuota', `${Math.round(limits.nanoCpus / 1e7)}%`],
          ['TasksMax', String(limits.pids)],
        ],
      ],
      ['Install', [['WantedBy', 'multi-user.target']]],
    ],
    `Installed by Megaraptor Desktop for deployment ${input.deploymentId} ("${input.name.replace(/[\r\n]/g, ' ')}").\nRemoved with the deployment; do not edit by hand.`,
  );
}

export function expireServiceUnit(layout: HostLayout, deploymentId: string): string {
  return renderUnit(
    [
      ['Unit', [['Description', `Self-destruction of Megaraptor deployment ${deploymentId}`]]],
      [
        'Service',
        [
          ['Type', 'oneshot'],
          ['ExecStart', execLine(['/bin/sh', layout.expireScript])],
        ],
      ],
    ],
    `Installed by Megaraptor Desktop: run once by ${layout.expireTimer}.`,
  );
}

export function expireTimerUnit(layout: HostLayout, deploymentId: string, at: Date): string {
  return renderUnit(
    [
      ['Unit', [['Description', `Self-destruction time of Megaraptor deployment ${deploymentId}`]]],
      [
        'Timer',
        [
          ['OnCalendar', onCalendarAt(at)],
          // Fires at the next boot when the host was off at that instant.
          ['Persistent', 'true'],
          ['AccuracySec', '1min'],
          ['Unit', layout.expireService],
        ],
      ],
      ['Install', [['WantedBy', 'timers.target']]],
    ],
    `Installed by Megaraptor Desktop: destroys deployment ${deploymentId} at ${at.toISOString()} (rapid profile).`,
  );
}

/**
 * The script the timer runs: stop and forget the units, then remove the files, folders and user the
 * deployment made (each line tolerates what is already gone, so a second run or the app's own clean-up
 * afterwards find nothing to trip on), and finally itself.
 */
export function expireScript(input: {
  layout: HostLayout;
  deploymentId: string;
  at: Date;
  services: ServiceManager;
  /** Removed with `rm -f`. */
  files: string[];
  /** Removed with `rm -rf --one-file-system` (folders the deployment made). */
  folders: string[];
  /** The service user, when the deployment created it. */
  user: string | null;
}): string {
  const { layout } = input;
  return [
    '#!/bin/sh',
    `# Megaraptor Desktop — self-destruction of deployment ${input.deploymentId} at ${input.at.toISOString()}.`,
    '# Run once by its timer; removes exactly what the deployment made on this host.',
    'set -u',
    ...input.services.teardownLines([layout.expireTimer, layout.serverUnit], layout.expireService),
    ...input.folders.map((f) => `rm -rf --one-file-system -- ${sh([f])}`),
    ...input.files.map((f) => `rm -f -- ${sh([f])}`),
    ...(input.user
      ? [
          `if id -u ${sh([input.user])} >/dev/null 2>&1; then userdel ${sh([input.user])} || deluser ${sh([input.user])}; fi`,
          `if getent group ${sh([input.user])} >/dev/null 2>&1; then groupdel ${sh([input.user])} || delgroup ${sh([input.user])}; fi`,
        ]
      : []),
    `rm -f -- ${sh([layout.expireScript])}`,
    'exit 0',
    '',
  ].join('\n');
}
