// Trunk's post_build hook on its staging folder (TRUNK_STAGING_DIR), or by hand:
// `node scripts/precompress.mjs dist`.
// 0. Trims and shortens what the wasm and its glue say to each other (scripts/minify-boundary.mjs).
// 1. Drops the comments of the stylesheet and of wasm-bindgen's glue (the JSDoc blocks and the
//    `// Cast intrinsic ...` lines): ~1.3 KB of the first open's brotli (issue 13's budget) that
//    no browser reads. Nothing else is rewritten (Trunk's minifiers are off: see Trunk.toml), and
//    the glue is checked to still parse as a module.
// 2. Writes `<file>.br` (brotli quality 11, the smallest of several windows and modes) and
//    `<file>.gz` (gzip -9) beside each .js, .wasm and .css file and each text table
//    (texts/<code>.json, written without its indentation), so the relay serves the widget
//    precompressed (tower-http ServeDir picks the variant the browser accepts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, constants, gzipSync } from "node:zlib";
import { minifyBoundary } from "./minify-boundary.mjs";

const dir = process.argv[2] || process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error("usage: node scripts/precompress.mjs <folder> (or TRUNK_STAGING_DIR)");
  process.exit(2);
}

// CSS: every /* ... */ (the stylesheet has no "/*" inside a string).
const stripCss = (text) => text.replace(/\/\*[\s\S]*?\*\/[ \t]*\n?/g, "");
// The glue: whole-line // comments and /* ... */ blocks that start a line; code and strings
// are left as they are.
const stripJs = (text) => text.replace(/^[ \t]*\/\*[\s\S]*?\*\/[ \t]*\n/gm, "").replace(/^[ \t]*\/\/.*\n/gm, "");

// Brotli at quality 11 with each window size and each mode (27 tries), the smallest kept: the
// best window and mode differ by file and by build (the wasm: window 18, mode font, 0.3 KB less
// than window 24, generic), and every browser decodes them all.
const WINDOWS = [16, 17, 18, 19, 20, 21, 22, 23, 24];
const MODES = [constants.BROTLI_MODE_GENERIC, constants.BROTLI_MODE_TEXT, constants.BROTLI_MODE_FONT];
function smallestBrotli(raw) {
  let best = null;
  for (const lgwin of WINDOWS) {
    for (const mode of MODES) {
      const br = brotliCompressSync(raw, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_LGWIN]: lgwin,
          [constants.BROTLI_PARAM_MODE]: mode,
          [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        },
      });
      if (!best || br.length < best.length) best = br;
    }
  }
  if (!brotliDecompressSync(best).equals(raw)) {
    console.error("brotli: the smallest copy does not decode to the file");
    process.exit(1);
  }
  return best;
}

function checkModule(text, name) {
  const tmp = mkdtempSync(join(tmpdir(), "baton-glue-"));
  try {
    writeFileSync(join(tmp, "glue.mjs"), text);
    execFileSync(process.execPath, ["--check", join(tmp, "glue.mjs")], { stdio: "inherit" });
  } catch {
    console.error(`${name}: the glue without its comments does not parse`);
    process.exit(1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

for (const name of readdirSync(dir)) {
  const wasm = name.match(/^(.+)_bg\.wasm$/);
  if (wasm) {
    const renamed = minifyBoundary(dir, wasm[1]);
    if (renamed) {
      const dropped = renamed.classes.length ? `; dropped from the glue: ${renamed.classes.join(", ")} and ${renamed.unused} imports` : "";
      console.log(`${name}: ${renamed.imports} imports and ${renamed.exports} exports renamed${dropped}`);
    }
  }
}

// The widget's files, and its text tables in texts/ (copied by Trunk from widget/texts).
const texts = join(dir, "texts");
const files = readdirSync(dir).filter((name) => /\.(js|wasm|css)$/.test(name));
if (existsSync(texts)) files.push(...readdirSync(texts).filter((name) => name.endsWith(".json")).map((name) => join("texts", name)));

for (const name of files) {
  const path = join(dir, name);
  let raw = readFileSync(path);
  if (name.endsWith(".json")) {
    // Written without the file's indentation; checked to be a JSON object.
    const table = JSON.parse(raw.toString("utf8"));
    if (typeof table !== "object" || table === null || Array.isArray(table)) {
      console.error(`${name}: not a JSON object`);
      process.exit(1);
    }
    raw = Buffer.from(JSON.stringify(table), "utf8");
    writeFileSync(path, raw);
  } else if (name.endsWith(".css") || name.endsWith(".js")) {
    const text = raw.toString("utf8");
    const stripped = name.endsWith(".css") ? stripCss(text) : stripJs(text);
    if (name.endsWith(".js")) checkModule(stripped, name);
    raw = Buffer.from(stripped, "utf8");
    writeFileSync(path, raw);
  }
  const br = smallestBrotli(raw);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(path + ".br", br);
  writeFileSync(path + ".gz", gz);
  console.log(`${name}: ${raw.length} B raw, ${gz.length} B gzip, ${br.length} B brotli`);
}
