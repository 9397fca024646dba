#!/usr/bin/env bash
# Regenerate services/deposit_check/devnet/payouts.json (ABI + bytecode of Payouts and Relay) from
# Payouts.sol: contracts that pay native coin through internal calls, for the EVM tests.
# Needs node/npm (fetches solc-js 0.8.37 once). Not run by CI: the JSON is committed.
#   SOLCJS=/path/to/solcjs scripts/compile_payouts.sh   to use a solcjs already installed
set -euo pipefail
cd "$(dirname "$0")/.."

SOLC_VERSION=0.8.37
src=services/deposit_check/devnet/Payouts.sol
out_json=services/deposit_check/devnet/payouts.json
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

if [ -n "${SOLCJS:-}" ]; then
  solcjs=("$SOLCJS")
else
  solcjs=(npx --yes --package "solc@${SOLC_VERSION}" solcjs)
fi

version=$("${solcjs[@]}" --version)
case "$version" in
  "${SOLC_VERSION}+"*) ;;
  *) echo "compile_payouts: want solc ${SOLC_VERSION}, got ${version}" >&2; exit 1 ;;
esac

"${solcjs[@]}" --optimize --optimize-runs 200 --abi --bin --base-path . -o "$build" "$src"

python3 - "$build" "$out_json" <<'PY'
import json, pathlib, sys

build, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
artifact = {}
for name in ("Payouts", "Relay"):
    [abi] = build.glob(f"*_{name}.abi")
    [binary] = build.glob(f"*_{name}.bin")
    artifact[name] = {"abi": json.loads(abi.read_text()), "bytecode": "0x" + binary.read_text().strip()}
out.write_text(json.dumps(artifact, indent=1) + "\n")
print(f"wrote {out}")
PY
