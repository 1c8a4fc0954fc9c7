#!/usr/bin/env bash
# Baton against a minimal Node.js `ws` relay, every row measured in this one run, printed as one
# Markdown table (tests/src/bin/bench/): idle sockets and memory per socket, visitor message ->
# ack and -> bot answer at a sustained 1,000 msg/s, agent -> visitor, stored messages per second,
# webhook acks, the widget's bytes on the wire. docs/benchmarks.md has the last table.
#
# Installs the baseline's `ws` (pinned in bench/node/package-lock.json) into bench/node/node_modules
# with npm, builds the release relay and the load generator (several minutes on 2 cores the
# first time) and raises the open-file limit as far as the hard limit allows. Past 20,000 idle
# sockets the generator connects from 127.0.0.2, .3, ... (Linux routes all of 127/8 to lo), each
# source address with its own ephemeral port range.
#   BENCH_IDLE_SOCKETS=50000 BENCH_RATE=1000 BENCH_SECONDS=10 scripts/bench.sh
# One row alone: BENCH_ONLY=idle (idle sockets, Baton and Node), BENCH_ONLY=chat (visitor message
# -> ack / bot answer at BENCH_RATE, Baton then Node; also the ack timed from the real send and the
# generator's own lateness), BENCH_ONLY=store (stored messages per second, SQLite and PostgreSQL),
# BENCH_ONLY=agent (agent -> visitor, one relay, Baton then Node), BENCH_ONLY=scaled (the
# three-relay rows: PostgreSQL + Redis).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "bench: Node.js is needed for the baseline (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d bench/node/node_modules/ws ]; then
  (cd bench/node && npm ci --no-audit --no-fund --silent)
fi

# Sockets need file descriptors: as many as the hard limit allows (the relay, the Node process
# and the load generator inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The widget's bytes on the wire are measured on the built widget (dist/).
if [ ! -f dist/baton-widget_bg.wasm ] && command -v trunk >/dev/null; then
  source scripts/tools.sh
  build_widget
fi

cargo build --release -p baton-relay --bin baton-relay
cargo build --release -p baton-tests --bin bench
target_dir="${CARGO_TARGET_DIR:-target}"
BATON_RELAY_BIN="$target_dir/release/baton-relay" RELAY_LOG=warn "$target_dir/release/bench"
