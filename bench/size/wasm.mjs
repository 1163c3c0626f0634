// Reads the parts of a Wasm binary the size report needs: section sizes, every function
// body (with its name when the binary keeps a name section, e.g. --profiling-funcs), and the
// initial memory image the data segments write. No dependency beyond Node.

export function readWasm(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a Wasm binary');
  let p = 8;
  const u32 = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = buf[p++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const name = () => {
    const n = u32();
    const s = buf.toString('utf8', p, p + n);
    p += n;
    return s;
  };
  const limits = () => {
    const flags = buf[p++];
    u32();
    if (flags & 1) u32();
  };
  // A constant offset expression of a data segment: i32.const N end.
  const constExpr = () => {
    const op = buf[p++];
    let value = 0;
    if (op === 0x41) {
      let shift = 0;
      let byte;
      do {
        byte = buf[p++];
        value |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
    } else {
      while (buf[p] !== 0x0b) p++;
    }
    p++;  // end
    return value;
  };

  const sections = [];
  const functions = [];
  const names = new Map();
  const segments = [];
  let importedFunctions = 0;
  while (p < buf.length) {
    const id = buf[p++];
    const size = u32();
    const start = p;
    const end = p + size;
    let label = SECTION_NAMES[id] || `section ${id}`;
    if (id === 0) {
      label = `custom "${name()}"`;
      if (label === 'custom "name"') {
        while (p < end) {
          const sub = buf[p++];
          const subEnd = u32() + p;
          if (sub === 1) {
            const count = u32();
            for (let i = 0; i < count; i++) {
              const index = u32();
              names.set(index, name());
            }
          }
          p = subEnd;
        }
      }
    } else if (id === 2) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        name();
        name();
        const kind = buf[p++];
        if (kind === 0) {
          u32();
          importedFunctions++;
        } else if (kind === 1) {
          p++;
          limits();
        } else if (kind === 2) {
          limits();
        } else if (kind === 3) {
          p += 2;
        }
      }
    } else if (id === 10) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        const bodySize = u32();
        functions.push({ index: importedFunctions + i, offset: p, size: bodySize });
        p += bodySize;
      }
    } else if (id === 11) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        const flags = u32();
        const address = flags === 1 ? null : (flags === 2 && u32(), constExpr());
        const length = u32();
        segments.push({ address, bytes: buf.subarray(p, p + length) });
        p += length;
      }
    }
    sections.push({ id, label, size, start });
    p = end;
  }
  for (const f of functions) {
    f.name = names.get(f.index) || `function[${f.index}]`;
    f.bytes = buf.subarray(f.offset, f.offset + f.size);
  }
  return { sections, functions, segments, importedFunctions, hasNames: names.size > 0 };
}

// The bytes data segments place in memory, as one image from the lowest address written.
export function memoryImage(segments) {
  const active = segments.filter((s) => s.address !== null);
  if (!active.length) return { base: 0, bytes: Buffer.alloc(0) };
  const base = Math.min(...active.map((s) => s.address));
  const top = Math.max(...active.map((s) => s.address + s.bytes.length));
  const bytes = Buffer.alloc(top - base);
  for (const s of active) s.bytes.copy(bytes, s.address - base);
  return { base, bytes };
}

const SECTION_NAMES = {
  1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global', 7: 'export',
  8: 'start', 9: 'element', 10: 'code', 11: 'data', 12: 'data count',
};
