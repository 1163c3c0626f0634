// Escaping for each place the edge writes decided content into HTML. Content is text
// (SPEC §5): a marketer's template filled with visitor values (a name, a trait, a city), and
// any of those may be hostile. Each context gets its own rule:
//   text        setInnerContent(cleanText(v), {html: false}): HTMLRewriter escapes & < >
//   attribute   escapeAttribute(cleanText(v)) — HTMLRewriter's setAttribute escapes only
//               the double quote and writes the rest verbatim, so & (and < > ') are ours
//   URL attr    urlAttributeValue(): http(s), mailto, tel and relative only; null = refuse
//   script data scriptJson(): JSON whose every non-ASCII and < > & is a \u escape
// cleanText and urlAttributeValue are the DOM helper's (web/lib/markup.mjs): the browser and
// the edge write the same content the same way.

const ATTRIBUTE_ESCAPES = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };
const ATTRIBUTE_SPECIAL = /[&"'<>]/;

export function escapeAttribute(text) {
  return ATTRIBUTE_SPECIAL.test(text) ? text.replace(/[&"'<>]/g, (c) => ATTRIBUTE_ESCAPES[c]) : text;
}

// JSON for a <script type="application/json"> element: nothing in it can end the element
// (</script>), open a comment (<!--) or depend on the page's charset.
export function scriptJson(value) {
  return scriptSafe(JSON.stringify(value));
}

// Runs of characters to escape; within a run, each UTF-16 unit becomes its \uXXXX escape
// (kept once made: a page's payloads use the same few hundred characters over and over).
const SCRIPT_UNSAFE_RUN = /[^\u0020-\u007E]+|[<>&]/g;
const unitEscapes = new Map();
const MAX_UNIT_ESCAPES = 4096;

function escapeRun(run) {
  let out = '';
  for (let i = 0; i < run.length; i++) {
    const unit = run.charCodeAt(i);
    let escaped = unitEscapes.get(unit);
    if (escaped === undefined) {
      escaped = `\\u${unit.toString(16).padStart(4, '0')}`;
      if (unitEscapes.size < MAX_UNIT_ESCAPES) unitEscapes.set(unit, escaped);
    }
    out += escaped;
  }
  return out;
}

// Compact JSON text (no whitespace between tokens, as JSON.stringify and the engine write it)
// with every character outside printable ASCII, and < > &, as a \uXXXX escape: such
// characters can only be inside its strings, where the escape means the same character.
export function scriptSafe(json) {
  return json.replace(SCRIPT_UNSAFE_RUN, escapeRun);
}
