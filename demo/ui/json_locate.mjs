// Where a problem's JSON path is in the editor's text, so that clicking the problem can put
// the caret there. Paths are spelled as the config compiler spells them
// (runtime/compiler/json_path.h): `campaigns[1].audience["page.categories"].$foo`.

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

export function joinKey(base, key) {
  if (key !== '' && PLAIN_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}["${key.replace(/["\\]/g, (c) => `\\${c}`)}"]`;
}

// The segments of a path, as strings (keys) and numbers (indexes).
export function splitPath(path) {
  const segments = [];
  const pattern = /\.?([A-Za-z0-9_$-]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;
  let at = 0;
  while (at < path.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(path);
    if (!m) return null;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[3].replace(/\\(["\\])/g, '$1'));
    at = pattern.lastIndex;
  }
  return segments;
}

function joinSegments(segments) {
  let path = '';
  for (const s of segments) path = typeof s === 'number' ? `${path}[${s}]` : joinKey(path, s);
  return path;
}

// {start, end} of the member (key included) or element at `path`, or of its nearest
// ancestor that exists in the text; null when the text is not JSON or nothing matches.
export function locatePath(text, path) {
  const spans = spanMap(text);
  if (!spans) return null;
  const segments = splitPath(path);
  if (!segments) return spans.get('') || null;
  for (let n = segments.length; n >= 0; n--) {
    const span = spans.get(joinSegments(segments.slice(0, n)));
    if (span) return span;
  }
  return null;
}

// "line 3, column 14" in a parse error message → the offset it names.
export function locateLineColumn(text, message) {
  const m = /line (\d+), column (\d+)/.exec(message);
  if (!m) return null;
  let offset = 0;
  for (let line = 1; line < Number(m[1]); line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) break;
    offset = next + 1;
  }
  const at = Math.min(text.length, offset + Math.max(0, Number(m[2]) - 1));
  return { start: at, end: at };
}

// Every value's span keyed by its path, from one pass over the text. Returns null when the
// text is not well-formed JSON (its problems then carry a line and column instead).
function spanMap(text) {
  const spans = new Map();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = () => {
    throw new SyntaxError('not JSON');
  };
  const string = () => {
    const start = i;
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path, memberStart) => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          const keyStart = i;
          const key = string();
          ws();
          if (text[i] !== ':') fail();
          i++;
          value(joinKey(path, key), keyStart);
          ws();
          if (text[i] === ',') i++;
          else if (text[i] === '}') {
            i++;
            break;
          } else fail();
        }
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') i++;
      else {
        for (let n = 0; ; n++) {
          value(`${path}[${n}]`);
          ws();
          if (text[i] === ',') i++;
          else if (text[i] === ']') {
            i++;
            break;
          } else fail();
        }
      }
    } else if (c === '"') {
      string();
    } else {
      const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) fail();
      i += m[0].length;
    }
    spans.set(path, { start: memberStart ?? start, end: i });
  };
  try {
    value('');
    ws();
    return i === text.length ? spans : null;
  } catch {
    return null;
  }
}
