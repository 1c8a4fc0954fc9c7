#!/usr/bin/env bash
# Builds the release widget and reports what a visitor downloads to open the chat: the loader
# (public/embed.js as the relay serves it: without its leading comment, relay/src/web.rs), the
# wasm-bindgen glue, the wasm and the stylesheet, raw and gzip -9.
# Fails when what a browser accepting brotli downloads (every current browser: the relay serves
# the .br files) is over the budget (120 KB on the wire, issue 13), or the loader over its own
# (3 KB gzip).
#   scripts/size-report.sh             build (build_widget in scripts/tools.sh), then report
#   scripts/size-report.sh --no-build  report on the dist/ already built
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUDGET_BYTES=$((120 * 1024))
LOADER_BUDGET_BYTES=$((3 * 1024))

if [ "${1:-}" != "--no-build" ]; then
  source scripts/tools.sh
  ensure_build_tools
  build_widget
fi

# The loader as served (relay/src/web.rs, `Loader::read`): the relay drops the leading /* ... */
# block (the API's documentation), then, as the file has no template literal, whole-line //
# comments, indentation and empty lines.
mkdir -p target
node -e '
const fs = require("fs");
let js = fs.readFileSync(process.argv[1], "utf8").replace(/^\s*\/\*[\s\S]*?\*\/\s*/, "");
if (!js.includes("`")) js = js.split("\n").map((l) => l.trimStart()).filter((l) => l && !l.startsWith("//")).join("\n") + "\n";
fs.writeFileSync(process.argv[2], js);' public/embed.js target/embed.served.js

files=(
  "loader:target/embed.served.js"
  "JS glue:dist/baton-widget.js"
  "wasm:dist/baton-widget_bg.wasm"
  "CSS:dist/baton.css"
)

total_raw=0
total_gz=0
total_br=0
loader_gz=0
# brotli: the .br file Trunk's post-build hook wrote (what the relay sends to browsers that
# accept br); the loader is compressed by the relay on the fly, measured here with node's zlib.
brotli_size() {
  if [ -f "$1.br" ]; then wc -c < "$1.br"; else
    node -e 'const z=require("zlib");const b=require("fs").readFileSync(process.argv[1]);process.stdout.write(String(z.brotliCompressSync(b).length))' "$1"
  fi
}
printf '%-8s %-28s %10s %10s %10s\n' "part" "file" "raw B" "gzip B" "brotli B"
printf '%-8s %-28s %10s %10s %10s\n' "--------" "----------------------------" "----------" "----------" "----------"
for entry in "${files[@]}"; do
  label="${entry%%:*}"
  file="${entry#*:}"
  if [ ! -f "$file" ]; then
    echo "missing $file (build the widget: scripts/size-report.sh)" >&2
    exit 1
  fi
  raw=$(wc -c < "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  br=$(brotli_size "$file")
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  total_br=$((total_br + br))
  [ "$label" = "loader" ] && loader_gz=$gz
  printf '%-8s %-28s %10d %10d %10d\n' "$label" "$file" "$raw" "$gz" "$br"
done
printf '%-8s %-28s %10d %10d %10d\n' "total" "" "$total_raw" "$total_gz" "$total_br"

kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }
echo
echo "gzip total $(kb "$total_gz") (older browsers)"
echo "loader     $(kb "$loader_gz") of $(kb "$LOADER_BUDGET_BYTES") budget"
echo "on the wire to a browser accepting brotli (first open): $(kb "$total_br") of $(kb "$BUDGET_BYTES") budget ($(kb $((BUDGET_BYTES - total_br))) left)"

status=0
if [ "$total_br" -gt "$BUDGET_BYTES" ]; then
  echo "FAIL: the widget is over its size budget" >&2
  status=1
fi
if [ "$loader_gz" -gt "$LOADER_BUDGET_BYTES" ]; then
  echo "FAIL: the loader is over its size budget" >&2
  status=1
fi
exit "$status"
