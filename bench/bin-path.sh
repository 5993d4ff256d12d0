#!/usr/bin/env bash
# Builds the licensedesk binary and bench/<name>.rs in one go (release with
# --release, else the dev profile the tests use) and prints the path of the
# bench executable. One build for both: building the binary alone would
# resolve crate features without the dev-dependencies and compile every
# dependency a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
cargo build "$@" --bin licensedesk --bench "$name" --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$name" | tail -1
