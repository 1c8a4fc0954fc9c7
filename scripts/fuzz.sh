#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ (fuzz/README.md) for a set time each and fails on any
# crash, panic, timeout or memory blow-up. One line per target: runs, coverage, result.
#   scripts/fuzz.sh                 300 s per target (a local run)
#   scripts/fuzz.sh --seconds 10    what scripts/test.sh runs in CI
#   scripts/fuzz.sh --target triggers --seconds 600
# Installs cargo-fuzz when missing. cargo-fuzz needs nightly flags: `cargo +nightly fuzz` when a
# nightly toolchain is installed, else stable with RUSTC_BOOTSTRAP=1 (same flags, no download).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

seconds=300
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --target) only="$2"; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--seconds N] [--target NAME]" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[fuzz]\033[0m %s\n' "$*" >&2; }

CARGO_FUZZ_VERSION="0.13.2"
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (a few minutes on 2 cores, once)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  log "no nightly toolchain: stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
# The fuzz crate is its own workspace with its own build directory (fuzz/target, git-ignored),
# whatever CARGO_TARGET_DIR the caller uses for the main workspace.
unset CARGO_TARGET_DIR
# No sanitizer by default: the relay forbids unsafe code, and AddressSanitizer would make the
# instrumented build (which CI pays for every run) slower still. Memory blow-ups are caught by
# -rss_limit_mb; FUZZ_SANITIZER=address also enforces -malloc_limit_mb (a single allocation).
sanitizer="${FUZZ_SANITIZER:-none}"
flags=(--fuzz-dir fuzz --release --debug-assertions --sanitizer "$sanitizer")

targets=$(sed -n 's/^name = "\([a-z_]*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^baton-fuzz$' || true)
[ -n "$only" ] && targets="$only"

start=$(date +%s)
log "building the fuzz targets (instrumented release build)"
"${fuzz[@]}" build "${flags[@]}" >&2
log "built in $(( $(date +%s) - start )) s"

mkdir -p fuzz/target/logs
failed=0
printf '%-18s %10s %8s %8s  %s\n' target runs cov ft result
for target in $targets; do
  work="fuzz/target/corpus/$target"
  mkdir -p "$work" "fuzz/artifacts/$target"
  log_file="fuzz/target/logs/$target.log"
  # New inputs go to the work corpus (first directory); the committed seeds are only read.
  # -timeout: one input may take at most 10 s; -rss_limit_mb: no input may make the process
  # grow past 2 GB; -malloc_limit_mb (with a sanitizer): nor ask for 512 MB at once.
  if "${fuzz[@]}" run "${flags[@]}" "$target" \
      "$work" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
      -max_len=20000 -print_final_stats=1 \
      -artifact_prefix="fuzz/artifacts/$target/" >"$log_file" 2>&1; then
    result="ok"
  else
    result="FAILED (log: $log_file; reproducer in fuzz/artifacts/$target/)"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file" | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log_file" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-18s %10s %8s %8s  %s\n' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log_file" | head -n 8 >&2 || true
  fi
done
log "fuzzing took $(( $(date +%s) - start )) s in all"
exit "$failed"
