// Attributes every function and data byte of a Wasm build to the part of the program it
// comes from: our runtime files, the bindings, Embind, nlohmann/json, libc++, musl's printf
// and strtod, the long-double soft-float they pull, the allocator...
//
// Sources: wasm-ld's link map (`-Wl,--print-map`: input object → function/data symbol, before
// wasm-opt), the final binary's name section (`--profiling-funcs`: what survived wasm-opt,
// with its final size) and, for LTO builds, whose map names one "lto.tmp" object, the symbol
// tables of the inputs (llvm-nm reads the bitcode) to find where each symbol was defined. A
// final function is matched to its object through its name; functions wasm-opt merged or
// renamed stay "unattributed". Code inlined into a caller counts for the caller: the
// attribution build turns off binaryen's inlining of single-caller functions (bench/size.mjs),
// LTO's cross-file inlining stays.

// Parses `wasm-ld --print-map` output: code symbols { object, mangled, name } and data
// symbols { address, size, object, symbol }. `owners` (from symbolOwners) replaces the LTO
// placeholder object "lto.tmp" with the object that defined the symbol.
export function parseLinkMap(text, owners = null) {
  const code = [];
  const data = [];
  let section = '';
  let current = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+) (.*)$/.exec(line);
    if (!m) continue;
    const rest = m[4];
    const indent = rest.length - rest.trimStart().length;
    const entry = rest.trim();
    if (indent === 0) {
      // An output section (CODE, DATA) or, with an address, a data segment inside DATA.
      if (m[1] === '-') section = entry;
      continue;
    }
    if (indent <= 8) {
      // An input section: "path/to/file.o:(symbol)" or "lib.a(member.o):(symbol)".
      const at = entry.lastIndexOf(':(');
      const object = at > 0 ? entry.slice(0, at) : entry;
      const symbol = at > 0 ? entry.slice(at + 2, -1) : '';
      current = null;
      if (section === 'CODE') code.push((current = { object, mangled: symbol, name: symbol }));
      if (section === 'DATA' && m[1] !== '-') {
        const mangled = symbol.replace(/^\.(rodata|data|bss|tdata)\./, '');
        data.push({ address: parseInt(m[1], 16), size: parseInt(m[3], 16), object, symbol: mangled });
      }
      continue;
    }
    if (section === 'CODE' && current) current.name = entry;  // the demangled name
  }
  if (owners) {
    // Objects the link pulled in: those defining (strongly) a function of the output. A
    // template instantiated in several files is counted for the first of those.
    const linked = new Set(code.map((c) => owners.strong.get(c.mangled)).filter(Boolean));
    const resolve = (entry, symbol) => {
      if (entry.object !== 'lto.tmp') return;
      const weak = owners.weak.get(symbol) || [];
      entry.object = owners.strong.get(symbol) || weak.find((o) => linked.has(o)) || weak[0] || 'lto.tmp';
    };
    for (const c of code) resolve(c, c.mangled);
    for (const d of data) resolve(d, d.symbol);
  }
  const functions = new Map();
  for (const c of code) {
    functions.set(c.name, c.object);
    functions.set(c.mangled, c.object);
  }
  return { functions, data };
}

// Where each symbol is defined, from `llvm-nm -A --defined-only` output of the link's inputs
// (objects, our archives, the system libraries): { strong: symbol → object, weak: symbol →
// [objects] } (weak: templates and inline functions, defined in every file that uses them).
export function symbolOwners(nmOutputs) {
  const strong = new Map();
  const weak = new Map();
  for (const text of nmOutputs) {
    for (const line of text.split('\n')) {
      const m = /^(.*?): (?:[0-9a-f]+|-+) ([A-Za-z]) (.+)$/.exec(line);
      if (!m) continue;
      const [, where, kind, symbol] = m;
      // "lib.a:member.o" → "lib.a(member.o)", the link map's spelling.
      const object = where.replace(/^(.*\.a):([^:]+)$/, '$1($2)');
      if (/[WwVv]/.test(kind)) {
        if (!weak.has(symbol)) weak.set(symbol, []);
        weak.get(symbol).push(object);
      } else if (!strong.has(symbol)) {
        strong.set(symbol, object);
      }
    }
  }
  return { strong, weak };
}

// The part a function belongs to: by its object file, refined by its name (template
// instantiations land in the object that used them).
export function partOf(object, functionName = '') {
  if (object === undefined) return 'unattributed (merged or renamed by wasm-opt)';
  if (object === 'lto.tmp') return 'unattributed (made by LTO)';
  const name = functionName;
  if (/\bnlohmann::/.test(name)) return 'nlohmann/json';
  if (/^(void |bool |unsigned int |int |char const\* )?emscripten::|__embind_|EmscriptenBindingInitializer/.test(name)) {
    return 'Embind (C++ side)';
  }
  const member = /\(([^()]+)\.o\)$/.exec(object);
  const lib = /([^/]+)\.a\([^)]*\)$/.exec(object);
  if (/attune_(core|full)\.a\(/.test(object) || /CMakeFiles\/.*\.o$/.test(object)) {
    const file = member ? member[1].replace(/\.cpp$/, '') : object.replace(/^.*\//, '').replace(/\.cpp\.o$/, '');
    const dir = /attune_full\.a/.test(object) ? 'runtime/compiler/' : /bindings\//.test(object) ? 'bindings/' : 'runtime/';
    if (isStdTemplate(name)) return `libc++ templates (${dir}${file})`;
    return `${dir}${file}`;
  }
  if (!lib) return object === '<internal>' ? 'linker-generated' : object;
  const library = lib[1];
  const m = member ? member[1] : '';
  if (/^libembind/.test(library)) return 'Embind (C++ side)';
  if (/^libc\+\+abi/.test(library)) return 'libc++abi (RTTI, typeinfo)';
  if (/^libc\+\+/.test(library)) return 'libc++ (library)';
  if (/^lib(em|dl)malloc/.test(library)) return `malloc (${library.replace(/^lib/, '').replace(/-.*$/, '')})`;
  if (/^libcompiler_rt/.test(library)) {
    return /tf[23]?$|tf2$|^(extend|trunc|fix|float|compare|unord).*tf|tf[0-9]$/.test(m)
      ? 'long double soft-float (compiler-rt)' : 'compiler-rt (other)';
  }
  if (/^libc/.test(library)) {
    if (PRINTF.has(m)) return 'musl printf';
    if (STRTOD.has(m)) return 'musl strtod';
    if (/^(exp|log|pow|fmod|scalbn|frexp|__math_|exp2|log2|sqrt|floor|ceil|round|trunc|modf|ldexp|cos|sin)/.test(m)) return 'musl math';
    if (/^(mem|str|emscripten_mem|isspace|isdigit|atoi|tolower|toupper)/.test(m)) return 'musl string/memory';
    return 'musl other';
  }
  return library;
}

const PRINTF = new Set([
  'vfprintf', 'vsnprintf', 'snprintf', 'sprintf', 'fprintf', 'printf', 'vsprintf', 'fwrite',
  '__towrite', 'wctomb', 'wcrtomb', 'fputs', '__stdio_write', '__lockfile', '__fpclassifyl',
  'frexpl', 'frexp', 'copysignl', 'fabsl', 'fmodl', 'scalbnl',
]);
const STRTOD = new Set(['strtod', 'floatscan', 'shgetc', '__uflow', '__toread', 'intscan', 'strtol']);

function isStdTemplate(name) {
  return /^([a-zA-Z_:<>*&, ]+ )?std::__2::/.test(name) && !/^attune::/.test(name);
}

// Groups a build's final functions and data into parts with raw bytes and gzip costs.
// gzipAlone: the part's bytes compressed on their own. gzipMarginal: how much smaller the
// whole (code + data) compresses without the part: what removing it would save.
export function attribute(wasm, image, map, gzip) {
  const partBytes = new Map();
  const add = (part, kind, bytes, label, size) => {
    let entry = partBytes.get(part);
    if (!entry) partBytes.set(part, (entry = { part, code: 0, data: 0, chunks: [], functions: [] }));
    entry[kind] += bytes.length;
    entry.chunks.push(bytes);
    if (label) entry.functions.push({ name: label, size });
  };
  const order = [];
  for (const f of wasm.functions) {
    const object = map.functions.get(f.name) ?? map.functions.get(f.name.replace(/\.\d+$/, ''));
    const part = partOf(object, f.name);
    add(part, 'code', f.bytes, f.name, f.size);
    order.push({ part, bytes: f.bytes });
  }
  // Data: every byte of the memory image belongs to at most one data symbol of the map.
  const owner = new Array(image.bytes.length).fill(null);
  for (const d of map.data) {
    const part = d.object === '<internal>' || /\.L\.str|\.str\.\d|^\.rodata\.str/.test(d.symbol)
      ? 'merged string literals (unattributed)' : partOf(d.object, d.symbol);
    for (let a = d.address; a < d.address + d.size; a++) {
      const i = a - image.base;
      if (i >= 0 && i < owner.length) owner[i] = part;
    }
  }
  let runStart = 0;
  for (let i = 1; i <= owner.length; i++) {
    if (i < owner.length && owner[i] === owner[runStart]) continue;
    const part = owner[runStart] || 'data (zero fill / unmapped)';
    const bytes = image.bytes.subarray(runStart, i);
    add(part, 'data', bytes);
    order.push({ part, bytes });
    runStart = i;
  }

  const whole = gzip(Buffer.concat(order.map((o) => o.bytes)));
  const parts = [...partBytes.values()].map((entry) => {
    const without = Buffer.concat(order.filter((o) => o.part !== entry.part).map((o) => o.bytes));
    return {
      part: entry.part,
      code: entry.code,
      data: entry.data,
      raw: entry.code + entry.data,
      gzipAlone: gzip(Buffer.concat(entry.chunks)),
      gzipMarginal: whole - gzip(without),
      functions: entry.functions.sort((a, b) => b.size - a.size),
    };
  });
  parts.sort((a, b) => b.gzipMarginal - a.gzipMarginal || b.raw - a.raw);
  return { whole, parts };
}
