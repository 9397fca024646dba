#!/usr/bin/env bash
# Regenerate the dev contracts' artifacts (ABI + bytecode) in services/deposit_check/devnet/:
#   TestToken.sol -> test_token.json   {"abi", "bytecode"}: the test USDT
#   Payouts.sol   -> payouts.json      {"Payouts": {...}, "Relay": {...}}: native coin paid through internal calls
# Needs node/npm (fetches solc-js 0.8.37 once). Not run by CI: the JSON files are committed.
#   SOLCJS=/path/to/solcjs scripts/compile_contracts.sh   to use a solcjs already installed
set -euo pipefail
cd "$(dirname "$0")/.."

SOLC_VERSION=0.8.37
devnet=services/deposit_check/devnet
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
  *) echo "compile_contracts: want solc ${SOLC_VERSION}, got ${version}" >&2; exit 1 ;;
esac

for src in TestToken Payouts; do
  "${solcjs[@]}" --optimize --optimize-runs 200 --abi --bin --base-path . -o "$build/$src" "$devnet/$src.sol"
done

python3 - "$build" "$devnet" <<'PY'
import json, pathlib, sys

build, devnet = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])


def contract(source: str, name: str) -> dict:
    [abi] = (build / source).glob(f"*_{name}.abi")
    [binary] = (build / source).glob(f"*_{name}.bin")
    return {"abi": json.loads(abi.read_text()), "bytecode": "0x" + binary.read_text().strip()}


artifacts = {
    "test_token.json": contract("TestToken", "TestToken"),
    "payouts.json": {name: contract("Payouts", name) for name in ("Payouts", "Relay")},
}
for file, artifact in artifacts.items():
    (devnet / file).write_text(json.dumps(artifact, indent=1) + "\n")
    print(f"wrote {devnet / file}")
PY
