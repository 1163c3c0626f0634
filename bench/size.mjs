#!/usr/bin/env node
// What each part of the Wasm builds costs, in gzip bytes (bench/README.md, "Size").
//
//   node bench/size.mjs            relink both Wasm builds with names kept, then report
//   node bench/size.mjs --no-build report on the last names build (build-size/)
//   node bench/size.mjs --variants also relink with other link settings (dlmalloc, a -Oz
//                                  Binaryen link, no closure, ...) and print their sizes
//
// The attribution build is the release link (build-wasm/, from scripts/build-wasm.sh) again
// with --profiling-funcs (a name section), wasm-ld's link map and binaryen's inlining of
// single-caller functions turned off: otherwise a binding that calls loadEngine() once would
// own all of the binary loader. With LTO the map names one "lto.tmp" object, so the symbol
// tables of the link's inputs (llvm-nm reads their bitcode) say where each symbol came from.
// That build's code is a few % larger than the shipped one (the report prints both); the
// shipped files' sizes are measured directly. Sizes are measured, never asserted.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { attribute, parseLinkMap, symbolOwners } from './size/attribute.mjs';
import { memoryImage, readWasm } from './size/wasm.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BUILD = path.join(ROOT, 'build-wasm');
const OUT = path.join(ROOT, 'build-size');
const DIST = path.join(ROOT, 'web', 'dist');
const BUILDS = [
  { name: 'attune', target: 'attune_wasm', what: 'full: JSON config compiler + runtime + tools' },
  { name: 'attune-lean', target: 'attune_lean_wasm', what: 'lean: binary config + runtime (what pages load)' },
];

const gzip = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;

function parseArgs(argv) {
  const opts = { build: true, json: false, top: 12, parts: 40, variants: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') opts.build = false;
    else if (a === '--json') opts.json = true;
    else if (a === '--variants') opts.variants = true;
    else if (a === '--top') opts.top = Number(argv[++i]);
    else if (a === '--parts') opts.parts = Number(argv[++i]);
    else {
      console.error(`size: unknown argument ${a}\nusage: node bench/size.mjs [--no-build] [--variants] [--json] [--top N] [--parts N]`);
      process.exit(2);
    }
  }
  return opts;
}

// Relinks `target` exactly as CMake does, plus names and a link map, into build-size/.
function linkWithNames(build) {
  const linkTxt = path.join(BUILD, 'CMakeFiles', `${build.target}.dir`, 'link.txt');
  if (!fs.existsSync(linkTxt)) throw new Error(`${path.relative(ROOT, linkTxt)} missing: run scripts/build-wasm.sh first`);
  const original = fs.readFileSync(linkTxt, 'utf8').trim();
  const output = path.join(OUT, `${build.name}.mjs`);
  const command = original
    .replace(/ --closure 1/g, '')  // the JS is not analysed here; closure only costs time
    .replace(/ -o \S+/, ` -o ${output}`) + ' --profiling-funcs -Wl,--print-map -sBINARYEN_EXTRA_PASSES=-ocimfs=0';
  const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };
  const run = spawnSync('sh', ['-c', command], { cwd: BUILD, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (run.status !== 0) throw new Error(`names link of ${build.target} failed:\n${run.stderr}`);
  fs.writeFileSync(path.join(OUT, `${build.name}.map`), run.stdout);
}

// llvm-nm over the link's inputs: our objects and archives, and the system libraries in the
// directory the link map shows (the lto/ one for LTO builds).
function nmOfInputs(build, mapText) {
  const dir = path.join(BUILD, 'CMakeFiles', `${build.target}.dir`);
  const objects = fs.readFileSync(path.join(dir, 'objects1'), 'utf8').trim().split(/\s+/);
  const libs = fs.readFileSync(path.join(dir, 'linkLibs.rsp'), 'utf8').trim().split(/\s+/).filter((f) => f.endsWith('.a'));
  const sysroot = /(\/\S+\/wasm32-emscripten(?:\/lto)?)\/lib[^/\s]+\.a\(/.exec(mapText);
  const system = sysroot
    ? ['c', 'c++-noexcept', 'c++abi-noexcept', 'compiler_rt', 'emmalloc', 'dlmalloc', 'stubs', 'noexit', 'sockets']
      .map((n) => path.join(sysroot[1], `lib${n}.a`)).filter((f) => fs.existsSync(f))
    : [];
  // Debian's emscripten depends on llvm-14, which may not put llvm-nm on the PATH.
  const nm = ['llvm-nm', 'llvm-nm-14', '/usr/lib/llvm-14/bin/llvm-nm'].find((c) => !spawnSync(c, ['--version']).error);
  if (!nm) throw new Error('llvm-nm not found (it comes with llvm-14, which emscripten depends on)');
  const outputs = [];
  for (const input of [...objects, ...libs, ...system]) {
    const run = spawnSync(nm, ['-A', '--defined-only', input], { cwd: BUILD, encoding: 'utf8', maxBuffer: 256 << 20 });
    if (run.status !== 0) throw new Error(`llvm-nm ${input} failed: ${run.stderr}`);
    outputs.push(run.stdout);
  }
  return outputs;
}

// Link settings whose cost the report shows by relinking the same objects (what each
// choice in CMakeLists.txt saves or would cost). Speed is bench/run.mjs's job.
const VARIANTS = [
  { name: 'dlmalloc instead of emmalloc', edit: (c) => c.replace('-sMALLOC=emmalloc', '-sMALLOC=dlmalloc') },
  { name: 'Binaryen link -Oz (decides ~40% slower)', edit: (c) => c.replace(/ -O3(?= )/g, ' -Oz') },
  { name: 'Binaryen link -O2', edit: (c) => c.replace(/ -O3(?= )/g, ' -O2') },
  { name: 'no --closure (JS not minified)', edit: (c) => c.replace(/ --closure 1/g, '') },
  { name: 'FILESYSTEM=1 (the default)', edit: (c) => c.replace('-sFILESYSTEM=0', '') },
];

function linkVariants() {
  const rows = [];
  const measure = (dir, name) => Object.fromEntries(['wasm', 'mjs'].map((ext) => {
    const file = path.join(dir, `${name}.${ext}`);
    return [ext, fs.existsSync(file) ? gzip(fs.readFileSync(file)) : NaN];
  }));
  for (const variant of [{ name: 'as shipped', edit: (c) => c }, ...VARIANTS]) {
    const dir = path.join(OUT, 'variants', variant.name.replace(/[^a-z0-9]+/gi, '-'));
    fs.mkdirSync(dir, { recursive: true });
    const row = { variant: variant.name };
    for (const build of BUILDS) {
      const linkTxt = path.join(BUILD, 'CMakeFiles', `${build.target}.dir`, 'link.txt');
      const command = variant.edit(fs.readFileSync(linkTxt, 'utf8').trim()).replace(/ -o \S+/, ` -o ${path.join(dir, build.name)}.mjs`);
      const run = spawnSync('sh', ['-c', command], { cwd: BUILD, env: { ...process.env, NODE_PATH: '/usr/share/nodejs' }, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`variant ${variant.name} of ${build.target} failed:\n${run.stderr}`);
      row[build.name] = measure(dir, build.name);
    }
    rows.push(row);
  }
  const base = rows[0];
  const delta = (v, b) => (v === b ? '' : ` (${v > b ? '+' : ''}${n(v - b)})`);
  console.log(`\nLink variants (gzip -9 bytes; the same objects relinked; deltas against "as shipped"):`);
  console.log(table(['variant', ...BUILDS.flatMap((b) => [`${b.name}.wasm`, `${b.name}.mjs`])], rows.map((r) => [
    r.variant, ...BUILDS.flatMap((b) => ['wasm', 'mjs'].map((ext) => `${n(r[b.name][ext])}${delta(r[b.name][ext], base[b.name][ext])}`)),
  ])));
}

function analyse(build) {
  const wasmFile = path.join(OUT, `${build.name}.wasm`);
  const mapFile = path.join(OUT, `${build.name}.map`);
  if (!fs.existsSync(wasmFile) || !fs.existsSync(mapFile)) return null;
  const named = readWasm(fs.readFileSync(wasmFile));
  const mapText = fs.readFileSync(mapFile, 'utf8');
  const lto = mapText.includes('lto.tmp:(');
  const map = parseLinkMap(mapText, lto ? symbolOwners(nmOfInputs(build, mapText)) : undefined);
  const { whole, parts } = attribute(named, memoryImage(named.segments), map, gzip);

  // The shipped files, and whether the names build has the same code.
  const shipped = {};
  for (const ext of ['wasm', 'mjs']) {
    const file = path.join(DIST, `${build.name}.${ext}`);
    if (fs.existsSync(file)) {
      const bytes = fs.readFileSync(file);
      shipped[ext] = { raw: bytes.length, gzip: gzip(bytes) };
      if (ext === 'wasm') {
        const code = readWasm(bytes).sections.find((s) => s.id === 10);
        shipped.codeSection = code ? code.size : 0;
      }
    }
  }
  const namedCode = named.sections.find((s) => s.id === 10).size;
  const sections = named.sections.map((s) => ({ label: s.label, size: s.size }));
  return { ...build, lto, shipped, namedCode, sections, wholeGzip: whole, parts };
}

const n = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');

function table(headers, rows) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function print(report, opts) {
  for (const b of report) {
    const s = b.shipped;
    console.log(`\n${b.name} — ${b.what}${b.lto ? ' (LTO)' : ''}`);
    if (s.wasm && s.mjs) {
      console.log(`  shipped: ${b.name}.wasm ${n(s.wasm.raw)} B → ${n(s.wasm.gzip)} B gz; ${b.name}.mjs ${n(s.mjs.raw)} B → ` +
        `${n(s.mjs.gzip)} B gz; total ${n(s.wasm.gzip + s.mjs.gzip)} B gz (${(((s.wasm.gzip + s.mjs.gzip) / 1024)).toFixed(1)} KB)`);
        console.log(`  code section: shipped ${n(s.codeSection)} B; attribution build (no single-caller inlining) ` +
        `${n(b.namedCode)} B (${b.namedCode >= s.codeSection ? '+' : ''}${(((b.namedCode / s.codeSection) - 1) * 100).toFixed(1)}%)`);
    } else {
      console.log('  web/dist not built; figures are for the names build only');
    }
    console.log(`  sections: ${b.sections.filter((x) => !x.label.startsWith('custom')).map((x) => `${x.label} ${n(x.size)}`).join(', ')}`);
    const total = b.parts.reduce((a, p) => a + p.raw, 0);
    const shown = b.parts.slice(0, opts.parts);
    const rest = b.parts.slice(opts.parts);
    const rows = shown.map((p) => [p.part, n(p.code), n(p.data), n(p.gzipAlone), n(p.gzipMarginal),
      `${((p.gzipMarginal / b.wholeGzip) * 100).toFixed(1)}%`]);
    if (rest.length) {
      rows.push([`(${rest.length} more parts)`, n(rest.reduce((a, p) => a + p.code, 0)), n(rest.reduce((a, p) => a + p.data, 0)),
        n(rest.reduce((a, p) => a + p.gzipAlone, 0)), n(rest.reduce((a, p) => a + p.gzipMarginal, 0)), '']);
    }
    rows.push(['all code + data', n(b.parts.reduce((a, p) => a + p.code, 0)), n(b.parts.reduce((a, p) => a + p.data, 0)), '', n(b.wholeGzip), '100%']);
    console.log(`\n${table(['part', 'code B', 'data B', 'gz alone', 'gz saved if removed', 'share'], rows)}`);
    console.log(`  (${n(total)} B raw; "gz saved if removed" = gzip of all code+data minus gzip without the part;` +
      ' parts compress together, so the column sums to less than the whole)');
    if (opts.top > 0) {
      const top = b.parts.flatMap((p) => p.functions.map((f) => ({ ...f, part: p.part })))
        .sort((x, y) => y.size - x.size).slice(0, opts.top);
      console.log(`\n  largest functions:\n${top.map((f) => `  ${n(f.size).padStart(8)}  ${f.name.slice(0, 110)}  [${f.part}]`).join('\n')}`);
    }
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(OUT, { recursive: true });
  if (opts.build) for (const b of BUILDS) linkWithNames(b);
  const report = BUILDS.map(analyse).filter(Boolean);
  if (!report.length) {
    console.error('size: no names build in build-size/; run without --no-build (needs scripts/build-wasm.sh first)');
    process.exit(1);
  }
  // A summary for bench/run.mjs, which prints the largest parts next to its size lines.
  fs.writeFileSync(path.join(OUT, 'size-report.json'), JSON.stringify(report.map((b) => ({
    build: b.name, lto: b.lto, shipped: b.shipped, wholeGzip: b.wholeGzip,
    parts: b.parts.map(({ part, code, data, gzipMarginal }) => ({ part, code, data, gzipMarginal })),
  }))));
  if (opts.json) {
    console.log(JSON.stringify(report.map((b) => ({ ...b, parts: b.parts.map(({ functions, ...p }) => ({ ...p, functions: functions.slice(0, opts.top) })) })), null, 2));
  } else {
    print(report, opts);
  }
  if (opts.variants && !opts.json) {
    if (!process.env.EM_CLOSURE_COMPILER) {
      const closure = path.join(ROOT, 'node_modules', '.bin', 'google-closure-compiler');
      if (fs.existsSync(closure)) process.env.EM_CLOSURE_COMPILER = closure;
    }
    linkVariants();
  }
}

main();
