#!/usr/bin/env bash
# Runs every test: installs what is missing (wasm target, trunk, wasm-bindgen-cli, wasm-opt,
# Chromium + chromedriver, Prism), builds the release widget, then runs formatting and lint checks,
# the unit, protocol and relay integration tests, and the browser end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_build_tools
ensure_browser
ensure_prism
start=$(date +%s)

log "building the release widget"
trunk build --release

log "checking formatting"
cargo fmt --all -- --check

log "running the tests"
cargo test --workspace --no-fail-fast

log "widget size"
scripts/size-report.sh --no-build

log "all tests passed in $(( $(date +%s) - start )) s"
