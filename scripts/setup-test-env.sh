#!/usr/bin/env bash
# Installs every Debian package the test suite needs. Safe to run twice; retries transient failures.
# The suite starts its own daemons (keyring session, sshd, dockerd): nothing here starts a service.
set -euo pipefail

PACKAGES=(
  chromium              # the browser Playwright drives (never `npx playwright install`)
  xvfb xauth            # a real X display for headful runs and Electron specs
  gnome-keyring dbus dbus-x11 libsecret-tools   # Secret Service for the OS-keychain tests
  openssh-server openssh-client                 # real sshd targets on loopback
  sudo                                          # the sudo path of SSH deployments (inside the test hosts)
  docker.io runc                                # a real Docker engine on its own socket
  openssl                                       # `openssl verify` of generated chains
  python3-grpcio python3-protobuf               # the peers' client, the stream benchmark baseline
  strace                                        # proves the CLI writes no key material to disk
  dpkg unzip rpm                                # read back the .deb, the kit ZIPs and (by hand) the .rpm
  msitools wixl gcab                            # build the official-shaped test MSI, read repacked ones back
  procps iproute2 ca-certificates
)

retry() {
  local n=0
  until "$@"; do
    n=$((n + 1))
    if [ "$n" -ge 4 ]; then echo "setup: '$*' failed $n times" >&2; return 1; fi
    echo "setup: '$*' failed, retrying in $((n * 5)) s" >&2
    sleep $((n * 5))
  done
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  retry $SUDO apt-get update -q
  retry $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} Debian packages already installed"
fi

# sshd refuses to start without its privilege-separation directory.
[ -d /run/sshd ] || { mkdir -p /run/sshd 2>/dev/null || sudo mkdir -p /run/sshd; }
# The MCP Inspector CLI and the Node 22 it needs, pinned in a nested package of their own (lockfile),
# so the Inspector integration test fetches nothing and Node 22 never shadows the project's Node.
retry npm ci --prefix "$(cd "$(dirname "$0")/.." && pwd)/tools/mcp-inspector" --no-audit --no-fund
# Python test tools (moto, pywinrm, ansible-core) pinned in requirements-test.txt, in a virtual environment of the
# repo's own: the machine's python3 is not Debian's, and nothing goes into a system site-packages.
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$root/.venv-test/bin/python" ] || python3 -m venv "$root/.venv-test"
retry "$root/.venv-test/bin/pip" install -q --disable-pip-version-check -r "$root/requirements-test.txt"
echo "setup: done"
