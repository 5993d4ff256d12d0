#!/usr/bin/env bash
# Builds bench/<name>.rs (release with --release, else the dev profile the
# tests use) and prints the path of its executable.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
cargo build "$@" --bench "$name" --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$name" | tail -1
