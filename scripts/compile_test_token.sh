#!/usr/bin/env bash
# Regenerate services/deposit_check/devnet/test_token.json (ABI + bytecode) from TestToken.sol.
# Needs node/npm (fetches solc-js 0.8.37 once). Not run by CI: the JSON is committed.
#   SOLCJS=/path/to/solcjs scripts/compile_test_token.sh   to use a solcjs already installed
set -euo pipefail
cd "$(dirname "$0")/.."

SOLC_VERSION=0.8.37
src=services/deposit_check/devnet/TestToken.sol
out_json=services/deposit_check/devnet/test_token.json
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
  *) echo "compile_test_token: want solc ${SOLC_VERSION}, got ${version}" >&2; exit 1 ;;
esac

"${solcjs[@]}" --optimize --optimize-runs 200 --abi --bin --base-path . -o "$build" "$src"

python3 - "$build" "$out_json" <<'PY'
import json, pathlib, sys

build, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
[abi] = build.glob("*TestToken.abi")
[binary] = build.glob("*TestToken.bin")
artifact = {"abi": json.loads(abi.read_text()), "bytecode": "0x" + binary.read_text().strip()}
out.write_text(json.dumps(artifact, indent=1) + "\n")
print(f"wrote {out} ({len(artifact['bytecode']) // 2 - 1} bytes of init code)")
PY
