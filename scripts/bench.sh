#!/usr/bin/env bash
# Prints the relay's speed and memory figures (tests/src/bin/bench.rs): answer latency
# percentiles and throughput under many concurrent visitors, and memory per idle connection.
# Builds the release relay first (several minutes on 2 cores the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
cargo build --release -p baton-relay
cargo run --release -p baton-tests --bin bench
