/**
 * The Azure parts of the boot script (cloud/vm-script.ts), for Ubuntu 22.04 (curl, python3, systemd):
 * the config read from Key Vault with the VM's system-assigned identity (a token from the instance
 * metadata service, then the vault's REST API), the self-destruction as an OS shutdown (the app's
 * reaper deletes the resource group; Azure's auto-shutdown deallocates a short-lived VM), and an
 * extension read from the VM's own `megaraptor-destroy-at` tag in the instance metadata.
 */
import type { VmCloudParts } from '../cloud/vm-script';
import { AZURE_TAG } from './names';

/** The Key Vault REST API version the script speaks. */
export const KEY_VAULT_API = '7.4';

export function azureVmParts(input: { vaultUri: string; secretName: string }): VmCloudParts {
  return {
    storeDescription: `Azure Key Vault secret ${input.secretName} in ${input.vaultUri}`,
    vars: {
      VAULT_URI: input.vaultUri.replace(/\/$/, ''),
      SECRET_NAME: input.secretName,
      DESTROY_TAG: AZURE_TAG.destroyAt,
    },
    fetchConfig: [
      'fetch_config() {',
      '  tok=$(curl -sf -H Metadata:true "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net") || return 1',
      '  tok=$(printf %s "$tok" | python3 -c \'import json,sys; print(json.load(sys.stdin)["access_token"])\') || return 1',
      '  out=$(mktemp)',
      `  code=$(curl -s -o "$out" -w '%{http_code}' -H "Authorization: Bearer $tok" "$VAULT_URI/secrets/$SECRET_NAME?api-version=${KEY_VAULT_API}") || { rm -f "$out"; return 1; }`,
      '  case "$code" in',
      '    200) python3 -c \'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["value"])\' "$out"; rc=$?; rm -f "$out"; return $rc;;',
      // Not there yet (first boot), or deleted once verified (later boots).
      '    404) rm -f "$out"; return 3;;',
      '    *) cat "$out" >&2; rm -f "$out"; return 1;;',
      '  esac',
      '}',
    ].join('\n'),
    selfDestruct: [
      'self_destruct() {',
      '  log "shutting down; the app deletes the resource group (Azure keeps a stopped VM allocated)"',
      '  shutdown -h now',
      '}',
    ].join('\n'),
    destroyAtNow: [
      'destroy_at_now() {',
      '  curl -sf -H Metadata:true "http://169.254.169.254/metadata/instance/compute/tagsList?api-version=2021-02-01" |',
      '    DESTROY_TAG="$DESTROY_TAG" python3 -c \'import json,os,sys; print(next((t["value"] for t in json.load(sys.stdin) if t["name"] == os.environ["DESTROY_TAG"]), ""))\'',
      '}',
    ].join('\n'),
  };
}
