#!/usr/bin/env bash
# Install what the project needs on a fresh Debian 12 machine. Idempotent: it skips what is there.
#   scripts/setup.sh            Python environment (.venv) with the services
#   scripts/setup.sh --chains   also litecoind (Debian) and anvil (npm, pinned in package.json)
#   scripts/setup.sh --demo     also redis-server and django-helpdesk: the whole desk (scripts/serve.sh --demo)
#   scripts/setup.sh --test     also everything the test suite runs against (chains, redis-server, chromium,
#                               promtool)
set -euo pipefail
cd "$(dirname "$0")/.."

want_chains=0 want_demo=0 want_test=0
for arg in "$@"; do
  case "$arg" in
    --chains) want_chains=1 ;;
    --demo) want_chains=1 want_demo=1 ;;
    --test) want_chains=1 want_demo=1 want_test=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

apt_packages=()
command -v python3 >/dev/null || apt_packages+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
if [ "$want_chains" = 1 ]; then
  command -v litecoind >/dev/null || apt_packages+=(litecoind)
  command -v npm >/dev/null || apt_packages+=(npm)
fi
if [ "$want_demo" = 1 ]; then
  command -v redis-server >/dev/null || apt_packages+=(redis-server)
fi
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null || apt_packages+=(chromium)  # the agent form's browser tests
  command -v promtool >/dev/null || apt_packages+=(prometheus)  # promtool: the alert rules' checks and unit tests
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "setup: apt-get install ${apt_packages[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  if [[ " ${apt_packages[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    # Only promtool is wanted: the package also enables a Prometheus server on :9090.
    "${sudo_cmd[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
extras=""
[ "$want_demo" = 1 ] && extras="[demo]"
[ "$want_test" = 1 ] && extras="[test]"  # includes [demo]
.venv/bin/pip install -q --disable-pip-version-check -e ".${extras}"

if [ "$want_chains" = 1 ] && [ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
  echo "setup: npm ci (anvil)"
  npm ci --silent --no-audit --no-fund
fi
