#!/usr/bin/env bash
# Installs what building and testing Baton needs, each tool only when it is missing.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run on its own.
#   wasm32 target, trunk, wasm-bindgen-cli (same version as the crate), wasm-opt (npm binaryen),
#   and, with `tools.sh browser`, Debian's chromium + chromium-driver and npm axe-core;
#   `tools.sh widget` then builds the release widget into dist/ (build_widget).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
# Must equal the `wasm-bindgen` version pinned in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml")"
BINARYEN_VERSION="132.0.0"
PRISM_VERSION="5.14.2"
MOTO_VERSION="==5.2.1"
AXE_VERSION="4.14.1"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

log() { printf '\033[1;34m[tools]\033[0m %s\n' "$*" >&2; }

# One progress line per step of a script: `step "building the widget"` prints
# "[baton 3/7 +12s] building the widget" (steps counted by the script's STEPS, time since start).
BATON_START="${BATON_START:-$(date +%s)}"
BATON_STEP=0
step() {
  BATON_STEP=$((BATON_STEP + 1))
  printf '\033[1;32m[baton %s/%s +%ss]\033[0m %s\n' "$BATON_STEP" "${STEPS:-?}" "$(( $(date +%s) - BATON_START ))" "$*" >&2
}

# Runs an install command and says how long it took (the first run on a fresh machine spends
# most of its time here).
# Build settings for installing tools from source: trunk's own release profile asks for fat LTO
# in one codegen unit, most of a 15-25 minute install on 2 cores; these tools orchestrate and
# call wasm-bindgen / wasm-opt, so a quicker, less optimised build of them costs nothing later.
fast_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false CARGO_INCREMENTAL=0 \
    cargo install "$@"
}

timed() {
  local what="$1"; shift
  local began; began=$(date +%s)
  log "$what"
  "$@"
  log "$what: done in $(( $(date +%s) - began )) s"
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    timed "adding rust target wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
  fi
  # The release widget rebuilds std from the toolchain's own sources (build_widget below).
  if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    timed "adding rust component rust-src" rustup component add rust-src
  fi
}

# The release widget's build: `trunk build --release` with std rebuilt for the widget alone
# (cargo -Zbuild-std, from the toolchain's rust-src): without its panic machinery (a panic is
# an immediate wasm trap, `-Cpanic=immediate-abort`; the widget was already `panic = "abort"`
# and never catches one), without source locations and `Debug` output
# (`-Zlocation-detail=none -Zfmt-debug=none`), with std's size-over-speed choices
# (`optimize_for_size`): ~16 KB less brotli (issue 13's budget, docs/benchmarks.md "Widget
# size"). These are unstable options: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them,
# for this one command only, so the relay's builds and every other cargo command are
# untouched. They are set through cargo's environment (CARGO_UNSTABLE_*, the wasm target's
# rustflags), as Trunk passes no arguments of ours to cargo; a bare `trunk build --release`
# still works and gives the larger widget.
build_widget() {
  RUSTC_BOOTSTRAP=1 \
    CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
    CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none" \
    trunk build --release "$@"
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    timed "installing trunk $TRUNK_VERSION from source (the longest step, once)" \
      fast_install trunk --version "$TRUNK_VERSION" --locked
  fi
}

ensure_wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    timed "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from source (once)" \
      fast_install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_wasm_opt() {
  if ! wasm-opt --version 2>/dev/null | grep -q 'version 132'; then
    log "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into .tools/"
    mkdir -p "$ROOT/.tools"
    (cd "$ROOT/.tools" && [ -f package.json ] || echo '{"private":true}' > package.json
     npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION")
  fi
}

# Prism serves the vendors' official OpenAPI files as validating mocks for contract tests.
ensure_prism() {
  if ! "$ROOT/.tools/node_modules/.bin/prism" --version 2>/dev/null | grep -q "$PRISM_VERSION"; then
    log "installing prism (npm @stoplight/prism-cli@$PRISM_VERSION) into .tools/"
    mkdir -p "$ROOT/.tools"
    (cd "$ROOT/.tools" && [ -f package.json ] || echo '{"private":true}' > package.json
     npm install --no-audit --no-fund --silent "@stoplight/prism-cli@$PRISM_VERSION")
  fi
}

# moto_server (PyPI moto[server]) is the local S3-compatible server the attachment tests run
# the S3 storage against (tests/src/s3.rs); installed for the user when missing.
ensure_moto() {
  if ! command -v moto_server >/dev/null 2>&1; then
    log "installing moto_server (pip moto[server]$MOTO_VERSION)"
    python3 -m pip install --quiet --user "moto[server]$MOTO_VERSION"
  fi
}

# axe-core checks the dashboard's pages and the widget's states in Chromium
# (tests/src/axe.rs reads .tools/node_modules/axe-core/axe.min.js; nothing is fetched at test time).
ensure_axe() {
  if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$ROOT/.tools/node_modules/axe-core/package.json"; then
    log "installing npm axe-core@$AXE_VERSION into .tools/"
    mkdir -p "$ROOT/.tools"
    (cd "$ROOT/.tools" && [ -f package.json ] || echo '{"private":true}' > package.json
     npm install --no-audit --no-fund --silent --save-exact "axe-core@$AXE_VERSION")
  fi
}

ensure_browser() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    timed "apt-get update" $sudo apt-get update -qq
    timed "installing Debian chromium + chromium-driver" \
      env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

# Trunk.toml builds with `offline = true` (cargo --offline): fetch every crate first, so a
# fresh machine can build the widget, std's own crates.io dependencies included (rust-src's
# Cargo.lock: dlmalloc, hashbrown, ...; build_widget). Fast when they are already in cargo's cache.
ensure_crates() {
  cargo fetch --quiet
  RUSTC_BOOTSTRAP=1 cargo fetch --quiet --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
}

ensure_build_tools() {
  step "build tools: wasm32 target and rust-src, crates, wasm-opt, wasm-bindgen-cli, trunk (installed only when missing)"
  ensure_wasm_target
  ensure_crates
  ensure_wasm_opt
  ensure_wasm_bindgen
  ensure_trunk
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_build_tools
  if [ "${1:-}" = "browser" ]; then ensure_browser; ensure_axe; fi
  if [ "${1:-}" = "widget" ]; then build_widget; fi
fi
