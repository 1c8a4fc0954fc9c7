// Shortens the names the widget's wasm and its wasm-bindgen glue know each other by: ~3 KB of
// the first open's brotli (issue 13's budget, docs/benchmarks.md "Widget size"). wasm-bindgen
// names each import after its function and a hash (`__wbg_querySelector_729c5470ea4b43e8`,
// from the module "./baton-widget_bg.js") and each closure export after its whole Rust type;
// the names are written twice, in the wasm and in the glue, and hashes do not compress.
// Binaryen's own pass (`wasm-opt --minify-imports-and-exports-and-modules`, as Emscripten uses
// it) renames them in the wasm (`$`, `a`, ...; every module "a") and prints the map, by which
// the glue is rewritten here: its import object's keys and module, and every `wasm.<export>`.
// The same call drops the `producers` section, which no browser reads (`target_features` stays:
// wasm-opt reads the wasm's features from it).
//
// Run by scripts/precompress.mjs (Trunk's post-build hook) on `<name>_bg.wasm` and `<name>.js`
// before compressing; it refuses (exits non-zero) when the glue does not use the names as it
// expects, so a newer wasm-bindgen whose glue is shaped otherwise fails the build instead of
// shipping a widget that cannot load.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function fail(message) {
  console.error(`minify-boundary: ${message}`);
  process.exit(1);
}

// The module names of the wasm's imports (its import section), in order.
function importModules(bytes) {
  let p = 8;
  const leb = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[p++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const string = () => {
    const length = leb();
    p += length;
    return bytes.subarray(p - length, p).toString("utf8");
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const end = leb() + p;
    if (id === 2) {
      const modules = [];
      for (let n = leb(); n > 0; n--) {
        modules.push(string());
        string();
        // The import's description; only function imports are expected from wasm-bindgen.
        if (bytes[p++] !== 0) fail("an import that is not a function");
        leb();
      }
      return modules;
    }
    p = end;
  }
  return [];
}

/** Minifies the names between `<dir>/<stem>_bg.wasm` and `<dir>/<stem>.js`, in place; null
 * when they already are. */
export function minifyBoundary(dir, stem) {
  const wasmPath = join(dir, `${stem}_bg.wasm`);
  const gluePath = join(dir, `${stem}.js`);
  if (!existsSync(wasmPath) || !existsSync(gluePath)) fail(`${stem}_bg.wasm or ${stem}.js missing in ${dir}`);
  const oldModules = new Set(importModules(readFileSync(wasmPath)));
  if (oldModules.size !== 1) fail(`expected one import module, found ${[...oldModules].join(", ")}`);
  const [oldModule] = oldModules;
  // Already done (the hook run again by hand on dist/): wasm-bindgen's module is the glue's file.
  if (!oldModule.endsWith(".js")) return null;

  const printed = execFileSync(
    "wasm-opt",
    [wasmPath, "-o", wasmPath, "--minify-imports-and-exports-and-modules", "--strip-producers"],
    { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] },
  );
  const map = JSON.parse(printed);
  const newModules = new Set(importModules(readFileSync(wasmPath)));
  if (newModules.size !== 1) fail("wasm-opt left more than one import module");
  const [newModule] = newModules;

  let glue = readFileSync(gluePath, "utf8");
  const moduleKey = `"${oldModule}": `;
  if (glue.split(moduleKey).length !== 2) fail(`the glue names the module ${oldModule} other than once`);
  glue = glue.replace(moduleKey, `"${newModule}": `);

  // One pass each, so a short name is never taken for an original one. The import object's
  // keys are one a line: `        __wbg_send_cd51063ca1be4d0f: function(...`.
  const imports = new Map(map.imports.map(([, name, short]) => [name, short]));
  const seen = new Map();
  glue = glue.replace(/^(\s+)([\w$]+):/gm, (line, indent, name) => {
    if (!imports.has(name)) return line;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    return `${indent}${imports.get(name)}:`;
  });
  for (const name of imports.keys()) {
    if (seen.get(name) !== 1) fail(`the import ${name} is a key of the glue ${seen.get(name) ?? 0} times, not once`);
  }
  const exports = new Map(map.exports);
  glue = glue.replace(/(?<![\w$.])wasm\.([\w$]+)(?![\w$])/g, (access, name) => {
    if (!exports.has(name)) fail(`the glue uses wasm.${name}, which the wasm does not export`);
    return `wasm.${exports.get(name)}`;
  });
  for (const name of imports.keys()) {
    if (glue.includes(name)) fail(`the glue still names the import ${name}`);
  }
  writeFileSync(gluePath, glue);
  return { imports: map.imports.length, exports: map.exports.length };
}
