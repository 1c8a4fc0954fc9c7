// Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip -9) beside each .js, .wasm and
// .css file of a folder, so the relay serves the widget precompressed (tower-http ServeDir picks
// the variant the browser accepts). Run by Trunk as a post_build hook on its staging folder
// (TRUNK_STAGING_DIR), or by hand: `node scripts/precompress.mjs dist`.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.argv[2] || process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error("usage: node scripts/precompress.mjs <folder> (or TRUNK_STAGING_DIR)");
  process.exit(2);
}
for (const name of readdirSync(dir)) {
  if (!/\.(js|wasm|css)$/.test(name)) continue;
  const path = join(dir, name);
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_MODE]: name.endsWith(".wasm") ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(path + ".br", br);
  writeFileSync(path + ".gz", gz);
  console.log(`${name}: ${raw.length} B raw, ${gz.length} B gzip, ${br.length} B brotli`);
}
