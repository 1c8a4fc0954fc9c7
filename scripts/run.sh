#!/usr/bin/env bash
# Runs the product: builds the widget (installing the build tools when missing) and starts the
# relay with the demo site on SQLite. Open the printed address.
#   BATON_BIND=0.0.0.0:8080 scripts/run.sh   to listen elsewhere; see README.md for settings.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_build_tools
trunk build --release
exec cargo run --quiet -p baton-relay
