#!/usr/bin/env bash
# Runs the product: builds the widget (installing the build tools when missing) and starts the
# relay with the demo site on SQLite. Open the printed address.
#   BATON_BIND=0.0.0.0:8080 scripts/run.sh   to listen elsewhere; see README.md for settings.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=3
source scripts/tools.sh
ensure_build_tools
step "building the release widget (trunk build --release)"
trunk build --release
step "building and starting the relay (demo site, SQLite at data/baton.db)"
exec cargo run --quiet -p baton-relay
