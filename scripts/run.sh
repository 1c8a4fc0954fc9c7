#!/usr/bin/env bash
# Runs the product: builds the widget (installing the build tools when missing) and starts the
# relay with the demo site on SQLite, in demo mode. Open the printed address.
#   BATON_BIND=0.0.0.0:8080 scripts/run.sh   to listen elsewhere; see README.md for settings.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=3
source scripts/tools.sh
ensure_build_tools
step "building the release widget (trunk build --release, std rebuilt for size: build_widget)"
build_widget
step "building and starting the relay (demo site, SQLite at data/baton.db)"
# Demo mode: the demo agent (token demo-agent) exists and short secrets are accepted.
# BATON_DEMO=0 scripts/run.sh runs with only the agents your configuration names.
export BATON_DEMO="${BATON_DEMO:-1}"
exec cargo run --quiet -p baton-relay
