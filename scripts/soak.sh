#!/usr/bin/env bash
# The soak (tests/src/bin/soak): many simulated visitors with random disconnects, resumes and
# duplicate sends, an inbox agent on the agent socket, the Intercom simulator with bursts of
# 503/429, and a relay process restarted halfway. Prints sent / delivered / lost / duplicated
# per direction; fails unless lost and duplicated are zero.
#   scripts/soak.sh                                   the short form scripts/test.sh runs (40 s)
#   scripts/soak.sh --seconds 300 --visitors 40       longer; also --seed N, --messages N, --kill
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 8192 2>/dev/null || true
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --quiet -p baton-relay --bin baton-relay -p baton-tests --bin soak
# The relay runs as its own process (tests/src/process.rs), from the binary just built.
bin="$(cd "$target_dir/debug" && pwd)"
BATON_RELAY_BIN="$bin/baton-relay" exec "$bin/soak" "$@"
