// What the widget's wasm and its wasm-bindgen glue say to each other, made small: ~4 KB of the
// first open's brotli (issue 13's budget, docs/benchmarks.md "Widget size"). Run by
// scripts/precompress.mjs (Trunk's post-build hook) on `<name>_bg.wasm` and `<name>.js`, after
// Trunk's wasm-opt and before compressing.
//
// 1. The glue's exported classes whose wasm side is gone are dropped, with the imports the wasm
//    no longer has. widget/index.html's wasm-opt removes the exports of wasm-streams' classes
//    (`--remove-exports`): Leptos' server_fn brings them in, and a client-side widget without
//    server functions never makes one.
// 2. The names are shortened. wasm-bindgen names each import after its function and a hash
//    (`__wbg_querySelector_729c5470ea4b43e8`, from the module "./baton-widget_bg.js"), each
//    closure export and its glue function after its whole Rust type; they are written in the
//    wasm and in the glue, and hashes do not compress. Binaryen's own pass
//    (`wasm-opt --minify-imports-and-exports-and-modules`, as Emscripten uses it) renames them
//    in the wasm (`$`, `a`, ...; every module "a") and prints the map, by which the glue is
//    rewritten here: its import object's keys and module, and every `wasm.<export>`. The same
//    call drops the `producers` section, which no browser reads (`target_features` stays:
//    wasm-opt reads the wasm's features from it).
//
// It exits non-zero when the glue does not have the shape it expects (wasm-bindgen 0.2.130's),
// so a newer wasm-bindgen fails the build instead of shipping a widget that cannot load.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function fail(message) {
  console.error(`minify-boundary: ${message}`);
  process.exit(1);
}

// The wasm's imports (module names, in order) and export names, from its sections.
function boundary(bytes) {
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
  const modules = [];
  const imports = new Set();
  const exports = new Set();
  while (p < bytes.length) {
    const id = bytes[p++];
    const end = leb() + p;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        modules.push(string());
        imports.add(string());
        // The import's description; wasm-bindgen's imports are all functions.
        if (bytes[p++] !== 0) fail("an import that is not a function");
        leb();
      }
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        exports.add(string());
        p++;
        leb();
      }
    }
    p = end;
  }
  return { modules, imports, exports };
}

// The glue's import object: its entries, one `        <name>: function(...` line each and
// what follows up to the next entry.
const IMPORTS_START = "    const import0 = {\n        __proto__: null,\n";
const IMPORTS_END = "    };\n    return {\n";

function importEntries(glue) {
  const start = glue.indexOf(IMPORTS_START);
  const end = glue.indexOf(IMPORTS_END, start);
  if (start < 0 || end < 0) fail("the glue's import object is not where wasm-bindgen 0.2.130 puts it");
  const body = glue.slice(start + IMPORTS_START.length, end);
  const entries = body.split(/^(?=        [\w$]+: function)/m);
  for (const entry of entries) {
    if (!/^        [\w$]+: function/.test(entry)) fail(`an import entry of an unknown shape: ${entry.slice(0, 80)}`);
  }
  return { start: start + IMPORTS_START.length, end, entries };
}

// Step 1: drops the exported classes that use exports the wasm no longer has, with their
// finalization registries, and the import entries for imports the wasm no longer has.
function dropUnused(glue, wasm) {
  const missing = (text) => [...text.matchAll(/(?<![\w$.])wasm\.([\w$]+)/g)].some(([, name]) => !wasm.exports.has(name));
  const dropped = [];
  glue = glue.replace(/^export class ([\w$]+) \{\n[\s\S]*?^\}\n(?:if \(Symbol\.dispose\) \1\.prototype.*\n)?\n?/gm, (block, name) => {
    if (!missing(block)) return block;
    dropped.push(name);
    return "";
  });
  for (const name of dropped) {
    const registry = new RegExp(`^const ${name}Finalization = [^;]*;\\n`, "m");
    if (!registry.test(glue)) fail(`no finalization registry for the dropped class ${name}`);
    glue = glue.replace(registry, "");
    if (new RegExp(`\\b${name}\\b`).test(glue)) fail(`the glue still uses the dropped class ${name}`);
  }
  // Enum tables only the dropped classes read.
  glue = glue.replace(/^const (__wbindgen_enum_[\w$]+) = .*;\n/gm, (line, name) =>
    glue.split(name).length === 2 ? "" : line,
  );
  const { start, end, entries } = importEntries(glue);
  const kept = entries.filter((entry) => wasm.imports.has(entry.match(/^        ([\w$]+):/)[1]));
  glue = glue.slice(0, start) + kept.join("") + glue.slice(end);
  return { glue, classes: dropped, imports: entries.length - kept.length };
}

// Step 2: the glue rewritten by wasm-opt's map (the wasm is already renamed).
function rename(glue, map, oldModule, newModule) {
  const moduleKey = `"${oldModule}": `;
  if (glue.split(moduleKey).length !== 2) fail(`the glue names the module ${oldModule} other than once`);
  glue = glue.replace(moduleKey, `"${newModule}": `);
  // One pass each, so a short name is never taken for an original one.
  const imports = new Map(map.imports.map(([, name, short]) => [name, short]));
  const seen = new Map();
  glue = glue.replace(/^        ([\w$]+): function/gm, (line, name) => {
    if (!imports.has(name)) fail(`the glue imports ${name}, which the wasm does not`);
    seen.set(name, (seen.get(name) ?? 0) + 1);
    return `        ${imports.get(name)}: function`;
  });
  for (const name of imports.keys()) {
    if (seen.get(name) !== 1) fail(`the import ${name} is a key of the glue ${seen.get(name) ?? 0} times, not once`);
  }
  const exports = new Map(map.exports);
  glue = glue.replace(/(?<![\w$.])wasm\.([\w$]+)(?![\w$])/g, (access, name) => {
    if (!exports.has(name)) fail(`the glue uses wasm.${name}, which the wasm does not export`);
    return `wasm.${exports.get(name)}`;
  });
  // The glue's own functions that call the closures' exports, named after their Rust types.
  let n = 0;
  for (const [, name] of glue.matchAll(/^function (wasm_bindgen_[0-9a-f]+___[\w$]+)\(/gm)) {
    let short;
    do short = `__wbg_c${n++}`;
    while (glue.includes(short));
    glue = glue.replace(new RegExp(`(?<![\\w$])${name}(?![\\w$])`, "g"), short);
  }
  for (const name of imports.keys()) {
    if (glue.includes(name)) fail(`the glue still names the import ${name}`);
  }
  return glue;
}

/** Trims and minifies what `<dir>/<stem>_bg.wasm` and `<dir>/<stem>.js` say to each other, in
 * place; null when that was done already. */
export function minifyBoundary(dir, stem) {
  const wasmPath = join(dir, `${stem}_bg.wasm`);
  const gluePath = join(dir, `${stem}.js`);
  if (!existsSync(wasmPath) || !existsSync(gluePath)) fail(`${stem}_bg.wasm or ${stem}.js missing in ${dir}`);
  const before = boundary(readFileSync(wasmPath));
  const oldModules = new Set(before.modules);
  if (oldModules.size !== 1) fail(`expected one import module, found ${[...oldModules].join(", ")}`);
  const [oldModule] = oldModules;
  // Already done (the hook run again by hand on dist/): wasm-bindgen's module is the glue's file.
  if (!oldModule.endsWith(".js")) return null;

  const trimmed = dropUnused(readFileSync(gluePath, "utf8"), before);
  const printed = execFileSync(
    "wasm-opt",
    [wasmPath, "-o", wasmPath, "--minify-imports-and-exports-and-modules", "--strip-producers"],
    { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] },
  );
  const map = JSON.parse(printed);
  const newModules = new Set(boundary(readFileSync(wasmPath)).modules);
  if (newModules.size !== 1) fail("wasm-opt left more than one import module");
  const [newModule] = newModules;
  writeFileSync(gluePath, rename(trimmed.glue, map, oldModule, newModule));
  return { imports: map.imports.length, exports: map.exports.length, classes: trimmed.classes, unused: trimmed.imports };
}
