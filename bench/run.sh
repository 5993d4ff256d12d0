#!/usr/bin/env bash
# The whole benchmark on a fresh Debian/Ubuntu machine (bench/README.md):
# installs wrk (apt) and the peer (npm, pinned in bench/peer/package.json),
# builds LicenseDesk in release mode, then
#   1. dataset M on PostgreSQL at stock settings: LicenseDesk vs PostGraphile 5,
#      alternating rounds (the primary result); with BENCH_TUNED=1 the same
#      again with random_page_cost = 1.1 (the second column);
#   2. LicenseDesk alone, req/s, p50 and peak RSS on datasets S and L
#      (PostgreSQL) and S and M on SQLite.
# Tables are printed and appended to ${BENCH_OUT:-bench/results-<date>.md};
# each workload's statements and EXPLAIN plans to the same name with -plans.
# Environment: BENCH_POSTGRES_URL (a superuser URL, default
# postgres://postgres@127.0.0.1:5432/postgres), BENCH_PG_LOG (the server log,
# for statement counts and plans), BENCH_ROUNDS (2), BENCH_SECONDS (10),
# BENCH_SKIP_L=1, BENCH_TUNED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
# CARGO_INCREMENTAL is left as the caller has it: a different value would
# rebuild the workspace crates that `cargo test` or `cargo build` just built.

if ! command -v wrk >/dev/null; then
  if command -v apt-get >/dev/null; then
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get install -y wrk
  else
    echo "install wrk (https://github.com/wg/wrk)" >&2; exit 1
  fi
fi
command -v pgbench >/dev/null || { echo "pgbench (postgresql-client) is needed" >&2; exit 1; }
(cd bench/peer && npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund)

gen=$(bench/bin-path.sh gen --release)
ld=target/release/licensedesk
out=${BENCH_OUT:-bench/results-$(date -u +%Y%m%d-%H%M).md}
rounds=${BENCH_ROUNDS:-2}
seconds=${BENCH_SECONDS:-10}
{
  echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
  echo
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB," \
       "$(psql -XAtc 'select version()' "${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" | cut -d, -f1)," \
       "LicenseDesk $(git rev-parse --short HEAD), PostGraphile $(node -p "require('./bench/peer/node_modules/postgraphile/package.json').version"), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo
} >> "$out"
plans=${out%.md}-plans.md
py="python3 bench/harness.py --ld $ld --gen $gen --rounds $rounds --seconds $seconds --out $out --plans $plans"
$py compare --size M
if [ "${BENCH_TUNED:-0}" = 1 ]; then $py compare --size M --pg-setting random_page_cost=1.1; fi
$py latency --size S
if [ "${BENCH_SKIP_L:-0}" != 1 ]; then $py latency --size L; fi
$py latency --size S --engine sqlite --workdir "$(mktemp -d)"
$py latency --size M --engine sqlite --workdir "$(mktemp -d)"
echo "tables appended to $out, statements and plans to $plans"
