/**
 * What a cloud VM runs at its first boot (AWS user-data, Azure custom data) to become a Velociraptor
 * server node with OUR config — the same script on every cloud, the cloud's own parts (how the VM
 * reads its config secret with its own identity, how it destroys itself, how it mounts the shared file
 * store) handed in as shell functions by aws/ and azure/.
 *
 * The script holds no secret: user-data is readable by anyone who may describe the instance. The
 * config (with the Frontend and gateway keys, never the CA key) is read from the cloud's secret store
 * by the VM's own identity, written once to the config file (0600, owned by the service user) and
 * never regenerated here; the binary is downloaded from the release and refused unless its SHA-256 is
 * the one the app computed from the signature-verified release. In order:
 *   1. self-destruction timer (rapid profile) first, so it fires even if a later step fails
 *   2. the `velociraptor` system user
 *   3. the binary (download, SHA-256 check, install 0755)
 *   4. the shared file store at the datastore folder (multi-frontend)
 *   5. the config fetcher (a script and a oneshot unit run at every boot before the server: a config
 *      the app puts in the store later — a renewal — is picked up at the next boot), run now; it waits
 *      for the app to put the config there (the app mints it once the VM's address is known)
 *   6. the app's API identity registered with `user add` before the first start (master only)
 *   7. the server unit (upstream's velociraptor_server settings; a minion starts with --minion --node)
 * Every path comes from the layout, so the tests run this very script under a folder of their own.
 */
import type { HostLayout } from '../ssh-host/layout';
import { expireServiceUnit, expireTimerUnit, serverUnit } from '../ssh-host/units';
import { quote } from '../ssh/shell';
import { execLine, renderUnit } from '../ssh/systemd-unit';
import type { ResourceLimits } from '../profiles';

/** The parts of the script that differ per cloud, as POSIX shell function definitions. */
export interface VmCloudParts {
  /** Variables the functions use (REGION, SECRET_ID, VAULT_URI, …); values are quoted here. */
  vars: Record<string, string>;
  /** Defines `fetch_config`: the config on stdout; return 3 when the store has none (yet), 1 on error. */
  fetchConfig: string;
  /** Defines `self_destruct`: what the expiry does on this cloud (terminate, delete the resource group). */
  selfDestruct: string;
  /** Defines `destroy_at_now`: prints the destruction time the cloud asks for now (an extension), or nothing. */
  destroyAtNow?: string;
  /** Defines `mount_shared`: the shared file store mounted at $DATASTORE (multi-frontend). */
  mountShared?: string;
  /** Where the config comes from, for the script's header ("AWS Secrets Manager secret …"). */
  storeDescription: string;
}

export interface VmScriptInput {
  deploymentId: string;
  name: string;
  layout: HostLayout;
  role: 'master' | 'minion';
  /**
   * A minion's public address, for its node name (`<host>-<port>`, as ExtraFrontends lists it). The
   * token NODE_HOST_TOKEN stands for it when the cloud fills it in at launch (CloudFormation joins the
   * Elastic IP in).
   */
  nodeHost?: string;
  nodePort: number;
  release: { url: string; sha256: string };
  apiUser: string;
  serviceUser: string;
  /** ISO time of the rapid profile's self-destruction; null = none. */
  destroyAt: string | null;
  limits: ResourceLimits;
  /** How long the first boot waits for the app to put the config in the store. */
  configWaitSeconds: number;
  pollSeconds: number;
  cloud: VmCloudParts;
}

/** Where the script expects the cloud to put a minion's address. */
export const NODE_HOST_TOKEN = '@MEGARAPTOR_NODE_HOST@';

const EOF = 'MEGARAPTOR_EOF';

export function configUnitName(deploymentId: string): string {
  return `megaraptor-config-${deploymentId}.service`;
}

function fetchScriptPath(layout: HostLayout, deploymentId: string): string {
  return `${layout.prefix}/usr/local/sbin/megaraptor-config-${deploymentId}`;
}

function vars(entries: Record<string, string>): string[] {
  return Object.entries(entries).map(([k, v]) => `${k}=${quote(v)}`);
}

/** A file written from a quoted here-document (nothing in it is expanded). */
function heredoc(path: string, mode: string, content: string): string[] {
  if (content.split('\n').includes(EOF))
    throw new Error(`${path}: the content holds the here-doc end marker.`);
  return [`install_file ${quote(path)} ${mode} <<'${EOF}'`, content.replace(/\n$/, ''), EOF];
}

const COMMON_FUNCTIONS = [
  'log() { printf \'megaraptor-boot: %s\\n\' "$*"; }',
  'fail() { printf \'megaraptor-boot: FAILED: %s\\n\' "$*"; exit 1; }',
];

/** The config fetcher: run at first boot by the script and at every later boot by its unit. */
export function fetchScript(input: VmScriptInput): string {
  const l = input.layout;
  return [
    '#!/bin/sh',
    `# Megaraptor Desktop — puts the server config of deployment ${input.deploymentId} in place when`,
    `# ${input.cloud.storeDescription} holds one; keeps the config on disk when it holds none.`,
    'set -u',
    'umask 077',
    ...vars({
      CONFIG: l.config,
      SERVICE_USER: input.serviceUser,
      CONFIG_WAIT: String(input.configWaitSeconds),
      POLL: String(input.pollSeconds),
      ...input.cloud.vars,
    }),
    ...COMMON_FUNCTIONS,
    input.cloud.fetchConfig,
    'tmp="$CONFIG.new"',
    'deadline=$(( $(date +%s) + CONFIG_WAIT ))',
    'while :; do',
    '  rc=0',
    '  fetch_config >"$tmp" 2>"$tmp.err" || rc=$?',
    // Anything but a server config (an error page, an empty value) is never put in place.
    '  if [ "$rc" -eq 0 ] && grep -q \'^Frontend:\' "$tmp"; then',
    '    chown "$SERVICE_USER:$SERVICE_USER" "$tmp" && chmod 0600 "$tmp" && mv -f "$tmp" "$CONFIG" || fail "cannot write $CONFIG"',
    '    rm -f "$tmp.err"',
    '    log "server config put in place"',
    '    exit 0',
    '  fi',
    '  rm -f "$tmp"',
    '  if [ "$rc" -eq 3 ] && [ -s "$CONFIG" ]; then',
    '    rm -f "$tmp.err"',
    '    log "no new server config in the store; keeping the one on disk"',
    '    exit 0',
    '  fi',
    '  if [ "$(date +%s)" -ge "$deadline" ]; then',
    '    why=$(head -c 300 "$tmp.err" 2>/dev/null | tr "\\n" " ")',
    '    rm -f "$tmp.err"',
    '    fail "no server config in the store after ${CONFIG_WAIT}s (${why:-it is not there})"',
    '  fi',
    '  sleep "$POLL"',
    'done',
    '',
  ].join('\n');
}

/** The destruction-time tag's value while a legal hold stands: the VM's timer destroys nothing. */
export const HOLD_TAG_VALUE = 'held';
/** How long a timer that cannot ask the cloud waits (asking every 15 minutes) before it destroys. */
export const UNREACHABLE_GRACE_SECONDS = 86_400;

/**
 * Run by the self-destruction timer: asks the cloud for the destruction time now (the tag the app
 * moves on "extend"). A later time moves the timer; the hold value suspends it (asked again hourly);
 * a cloud that cannot be asked — so a hold cannot be seen — delays it by 15 minutes at a time for up
 * to a day past its time, then it destroys (the rapid profile's promise outlives a broken metadata
 * service, but not by less than a responder's day to notice).
 */
export function expireScript(input: Pick<VmScriptInput, 'deploymentId' | 'layout' | 'cloud'>): string {
  const l = input.layout;
  return [
    '#!/bin/sh',
    `# Megaraptor Desktop — self-destruction of deployment ${input.deploymentId} (rapid profile).`,
    'set -u',
    ...vars({
      DEPLOYMENT: input.deploymentId,
      TIMER: `${l.unitDir}/${l.expireTimer}`,
      TIMER_UNIT: l.expireTimer,
      SERVER_UNIT: l.serverUnit,
      UNREACHABLE_SINCE: `${l.configDir}/.megaraptor-expire-unreachable-since`,
      HOLD: HOLD_TAG_VALUE,
      GRACE: String(UNREACHABLE_GRACE_SECONDS),
      ...input.cloud.vars,
    }),
    ...COMMON_FUNCTIONS,
    input.cloud.destroyAtNow ?? 'destroy_at_now() { :; }',
    input.cloud.selfDestruct,
    'move_timer() {',
    '  sed -i "s|^OnCalendar=.*|OnCalendar=$(date -u -d "@$1" "+%Y-%m-%d %H:%M:%S") UTC|" "$TIMER"',
    '  systemctl daemon-reload',
    '  systemctl restart "$TIMER_UNIT"',
    '}',
    'now=$(date -u +%s)',
    'if later=$(destroy_at_now 2>/dev/null); then',
    '  rm -f "$UNREACHABLE_SINCE"',
    'else',
    '  [ -s "$UNREACHABLE_SINCE" ] || echo "$now" >"$UNREACHABLE_SINCE"',
    '  since=$(cat "$UNREACHABLE_SINCE")',
    '  if [ $(( now - since )) -lt "$GRACE" ]; then',
    '    move_timer $(( now + 900 ))',
    '    log "the cloud could not be asked for the destruction time (a legal hold would not be seen): asking again in 15 minutes"',
    '    exit 0',
    '  fi',
    '  log "the cloud could not be asked for the destruction time for a day: destroying as scheduled"',
    '  later=""',
    'fi',
    'if [ "$later" = "$HOLD" ]; then',
    '  move_timer $(( now + 3600 ))',
    '  log "legal hold: self-destruction suspended, asking again in an hour"',
    '  exit 0',
    'fi',
    'if [ -n "$later" ]; then',
    '  at=$(date -u -d "$later" +%s 2>/dev/null || echo 0)',
    '  if [ "$at" -gt "$now" ]; then',
    '    move_timer "$at"',
    '    log "self-destruction moved to $later"',
    '    exit 0',
    '  fi',
    'fi',
    'log "self-destruction of deployment $DEPLOYMENT now"',
    'systemctl stop "$SERVER_UNIT" || true',
    'self_destruct',
    '',
  ].join('\n');
}

/** The first-boot script (user-data / custom data). */
export function bootScript(input: VmScriptInput): string {
  const l = input.layout;
  const id = input.deploymentId;
  const fetcher = fetchScriptPath(l, id);
  const configUnit = configUnitName(id);
  const minion = input.role === 'minion';
  const serverArgs = minion
    ? ['--config', l.config, 'frontend', '--minion', '--node', '@NODE@', '-v']
    : ['--config', l.config, 'frontend', '-v'];
  const unit = serverUnit({
    layout: l,
    user: input.serviceUser,
    limits: input.limits,
    deploymentId: id,
    name: input.name,
    args: serverArgs,
    after: [configUnit],
  });
  const configUnitText = renderUnit(
    [
      [
        'Unit',
        [
          [
            'Description',
            `Server config of Megaraptor deployment ${id} from ${input.cloud.storeDescription}`,
          ],
          ['After', 'network-online.target'],
          ['Wants', 'network-online.target'],
          ['Before', l.serverUnit],
        ],
      ],
      [
        'Service',
        [
          ['Type', 'oneshot'],
          ['TimeoutStartSec', 'infinity'],
          ['ExecStart', execLine([fetcher])],
        ],
      ],
      ['Install', [['WantedBy', 'multi-user.target']]],
    ],
    `Installed by Megaraptor Desktop for deployment ${id}.`,
  );
  const destroyAt = input.destroyAt ? new Date(input.destroyAt) : null;
  return [
    '#!/bin/bash',
    `# Megaraptor Desktop — first boot of a Velociraptor server ${input.role} of deployment ${id}.`,
    '# No secret is in here: the server config is read from',
    `# ${input.cloud.storeDescription} by this VM's own identity; the binary is checked against the`,
    '# SHA-256 of the signature-verified release the app computed.',
    'set -euo pipefail',
    ...vars({
      DEPLOYMENT: id,
      ROLE: input.role,
      NODE_HOST: input.nodeHost ?? '',
      NODE_PORT: String(input.nodePort),
      RELEASE_URL: input.release.url,
      RELEASE_SHA256: input.release.sha256,
      BINARY: l.binary,
      CONFIG_DIR: l.configDir,
      CONFIG: l.config,
      DATASTORE: l.datastore,
      UNIT_DIR: l.unitDir,
      SERVER_UNIT: l.serverUnit,
      CONFIG_UNIT: configUnit,
      FETCHER: fetcher,
      SERVICE_USER: input.serviceUser,
      API_USER: input.apiUser,
      EXPIRE_TIMER: l.expireTimer,
      ...input.cloud.vars,
    }),
    ...COMMON_FUNCTIONS,
    'install_file() { mkdir -p "$(dirname "$1")"; cat >"$1.part"; chmod "$2" "$1.part"; mv -f "$1.part" "$1"; }',
    ...(input.cloud.mountShared ? [input.cloud.mountShared] : []),
    'log "deployment $DEPLOYMENT: setting up the $ROLE"',
    ...(destroyAt
      ? [
          '# 1. Self-destruction first: it fires even when a later step fails.',
          ...heredoc(l.expireScript, '0700', expireScript(input)),
          ...heredoc(`${l.unitDir}/${l.expireService}`, '0644', expireServiceUnit(l, id)),
          ...heredoc(`${l.unitDir}/${l.expireTimer}`, '0644', expireTimerUnit(l, id, destroyAt)),
          'systemctl daemon-reload',
          'systemctl enable --now "$EXPIRE_TIMER"',
          `log "this deployment destroys itself at ${destroyAt.toISOString()}"`,
        ]
      : []),
    '# 2. The service user.',
    'if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then',
    '  useradd --system --no-create-home --home-dir "$DATASTORE" --shell /sbin/nologin "$SERVICE_USER"',
    'fi',
    '# 3. The binary, only with the SHA-256 of the verified release.',
    'if ! echo "$RELEASE_SHA256  $BINARY" | sha256sum -c --status - 2>/dev/null; then',
    '  mkdir -p "$(dirname "$BINARY")"',
    '  curl -fsSL --retry 5 --retry-delay 5 -o "$BINARY.part" "$RELEASE_URL" || fail "cannot download $RELEASE_URL"',
    '  if ! echo "$RELEASE_SHA256  $BINARY.part" | sha256sum -c --status -; then',
    '    rm -f "$BINARY.part"',
    '    fail "the downloaded binary is not the verified release (SHA-256 differs from $RELEASE_SHA256)"',
    '  fi',
    '  chmod 0755 "$BINARY.part" && mv -f "$BINARY.part" "$BINARY"',
    'fi',
    'log "binary in place (SHA-256 $RELEASE_SHA256)"',
    ...(input.cloud.mountShared ? ['# 4. The shared file store of the frontends.', 'mount_shared'] : []),
    'install -d -m 0700 "$DATASTORE" "$CONFIG_DIR"',
    'chown "$SERVICE_USER:$SERVICE_USER" "$DATASTORE" "$CONFIG_DIR"',
    '# 5. The config fetcher, run now and at every later boot before the server.',
    ...heredoc(fetcher, '0700', fetchScript(input)),
    ...heredoc(`${l.unitDir}/${configUnit}`, '0644', configUnitText),
    '"$FETCHER" || fail "the server config did not arrive"',
    ...(minion
      ? []
      : [
          "# 6. The app's API identity, registered before the first start (the password is never used).",
          'if [ ! -e "$DATASTORE/.megaraptor-api-user" ]; then',
          "  pw=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)",
          '  runuser -u "$SERVICE_USER" -- "$BINARY" --config "$CONFIG" user add "$API_USER" "$pw" --role api,investigator >/dev/null',
          '  unset pw',
          '  touch "$DATASTORE/.megaraptor-api-user"',
          '  log "API identity $API_USER registered"',
          'fi',
        ]),
    '# 7. The server.',
    ...heredoc(`${l.unitDir}/${l.serverUnit}`, '0644', unit),
    ...(minion
      ? [
          'case "$NODE_HOST" in \'\'|*[!A-Za-z0-9.:-]*) fail "no usable address for this minion: \'$NODE_HOST\'";; esac',
          'sed -i "s|@NODE@|$NODE_HOST-$NODE_PORT|" "$UNIT_DIR/$SERVER_UNIT"',
        ]
      : []),
    'systemctl daemon-reload',
    'systemctl enable "$CONFIG_UNIT"',
    'systemctl enable --now "$SERVER_UNIT"',
    'log "Velociraptor $ROLE started"',
    '',
  ].join('\n');
}
