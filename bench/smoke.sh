#!/usr/bin/env bash
# CI smoke run of the benchmark harness (issue 14): dataset S, LicenseDesk
# only, a few seconds per workload with the harness's own client (no wrk,
# no Node, no thresholds). On PostgreSQL when BENCH_POSTGRES_URL (or
# LICENSEDESK_TEST_POSTGRES_URL) is set, else on SQLite. Fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
# CARGO_INCREMENTAL is left as the caller has it: a different value would
# rebuild the workspace crates that `cargo test` or `cargo build` just built.
seconds=${BENCH_SMOKE_SECONDS:-3}
# The dev profile, as `cargo test` builds it (BENCH_SMOKE_RELEASE=1 for release).
if [ "${BENCH_SMOKE_RELEASE:-0}" = 1 ]; then flag=--release; dir=release; else flag=; dir=debug; fi
gen=$(bench/bin-path.sh gen $flag)
ld=target/$dir/licensedesk
pg=${BENCH_POSTGRES_URL:-${LICENSEDESK_TEST_POSTGRES_URL:-}}
if [ -n "$pg" ]; then
  python3 bench/harness.py smoke --size S --engine postgres --postgres "$pg" \
    --ld $ld --gen "$gen" --seconds "$seconds"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/harness.py smoke --size S --engine sqlite --workdir "$work" \
  --ld $ld --gen "$gen" --seconds "$seconds"
echo "bench smoke: ok"
