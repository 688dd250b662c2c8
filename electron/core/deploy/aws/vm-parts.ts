/**
 * The AWS parts of the boot script (cloud/vm-script.ts), for Amazon Linux 2023 (AWS CLI v2, curl,
 * systemd): the config read from Secrets Manager with the instance role's credentials (the CLI takes
 * them from IMDSv2 itself), the self-destruction as an OS shutdown (the instance's shutdown behaviour
 * is terminate), an extension read from the instance's own `megaraptor:destroy-at` tag (instance
 * metadata tags), and the EFS file store of a multi-frontend deployment mounted over NFS 4.1.
 */
import type { VmCloudParts } from '../cloud/vm-script';
import { FILE_SYSTEM_TOKEN, TAG } from './names';

export function awsVmParts(input: {
  region: string;
  secretName: string;
  /** Multi-frontend: mount the shared file store at the datastore. */
  sharedStore: boolean;
  fstab: string;
}): VmCloudParts {
  return {
    storeDescription: `AWS Secrets Manager secret ${input.secretName}`,
    vars: {
      REGION: input.region,
      SECRET_ID: input.secretName,
      DESTROY_TAG: TAG.destroyAt,
      ...(input.sharedStore ? { FILE_SYSTEM_ID: FILE_SYSTEM_TOKEN, FSTAB: input.fstab } : {}),
    },
    fetchConfig: [
      'fetch_config() {',
      '  err=$(mktemp)',
      '  if aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ID" --query SecretString --output text 2>"$err"; then',
      '    rm -f "$err"; return 0',
      '  fi',
      // Not there yet (first boot), or deleted once verified (later boots).
      '  if grep -q -e \'ResourceNotFoundException\' -e \'marked for deletion\' "$err"; then rm -f "$err"; return 3; fi',
      '  cat "$err" >&2; rm -f "$err"; return 1',
      '}',
    ].join('\n'),
    selfDestruct: [
      'self_destruct() {',
      '  log "shutting down: AWS terminates this instance (its shutdown behaviour is terminate)"',
      '  shutdown -h now',
      '}',
    ].join('\n'),
    destroyAtNow: [
      'destroy_at_now() {',
      "  t=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) || return 1",
      '  curl -sf -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/meta-data/tags/instance/$DESTROY_TAG"',
      '}',
    ].join('\n'),
    ...(input.sharedStore
      ? {
          mountShared: [
            'mount_shared() {',
            '  src="$FILE_SYSTEM_ID.efs.$REGION.amazonaws.com:/"',
            '  opts=nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport',
            '  mkdir -p "$DATASTORE"',
            '  mountpoint -q "$DATASTORE" && return 0',
            '  command -v mount.nfs4 >/dev/null 2>&1 || dnf install -y nfs-utils',
            '  grep -qs " $DATASTORE nfs4 " "$FSTAB" || echo "$src $DATASTORE nfs4 $opts,_netdev 0 0" >>"$FSTAB"',
            '  i=0',
            // The mount target's name resolves a minute or two after the stack says it exists.
            '  until mount -t nfs4 -o "$opts" "$src" "$DATASTORE"; do',
            '    i=$((i + 1)); [ "$i" -ge 30 ] && fail "cannot mount the shared file store $src"',
            '    sleep 10',
            '  done',
            '  log "shared file store $src mounted at $DATASTORE"',
            '}',
          ].join('\n'),
        }
      : {}),
  };
}
