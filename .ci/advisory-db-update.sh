#!/usr/bin/env bash
# Refreshes .ci/advisory-db, the vendored part of the RustSec advisory
# database (https://github.com/rustsec/advisory-db, CC0) that CI's
# `cargo audit` reads offline: the advisories of every crate in Cargo.lock.
# Usage: .ci/advisory-db-update.sh [path to an advisory-db checkout]
# (without one it clones the database, which needs internet access).
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-}"
if [ -z "$src" ]; then
  src="$(mktemp -d)/advisory-db"
  git clone --depth 1 https://github.com/rustsec/advisory-db "$src"
fi
out=.ci/advisory-db
rm -rf "$out"
mkdir -p "$out/crates"
cp "$src/LICENSE.txt" "$src/support.toml" "$out/" 2>/dev/null || true
for name in $(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.lock | sort -u); do
  if [ -d "$src/crates/$name" ]; then
    cp -r "$src/crates/$name" "$out/crates/"
  fi
done
commit=$(git -C "$src" log -1 --format='%H %cI' 2>/dev/null || echo "${ADVISORY_DB_COMMIT:-unknown}")
echo "$commit" > "$out/SOURCE"
echo "vendored $(find "$out/crates" -name '*.md' | wc -l) advisories of $(ls "$out/crates" | wc -l) crates from advisory-db $commit"
