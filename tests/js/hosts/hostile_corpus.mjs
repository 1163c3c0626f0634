// Hostile strings for every place visitor data or authored copy reaches a page: names,
// traits, page data (path, url, utm), templates and URL fields. Each payload, if it were
// ever parsed as markup or followed as a URL, would run `attuneOwned()` (which sets a global
// flag and counts), call alert(), or both; pages under test define all of them as traps.
// Shared by the DOM helper, demo and edge suites (tests/js/chromium_hostile*.test.mjs).

const RUN = 'attuneOwned()';

export const HOSTILE_TEXT = [
  // script tags, plain and broken up
  `<script>${RUN}</script>`,
  `<SCRIPT SRC=data:text/javascript,${RUN}></SCRIPT>`,
  `<scr<script>ipt>${RUN}</scr</script>ipt>`,
  `</title></textarea></style></script><script>${RUN}</script>`,
  `<!--<script>${RUN}</script>-->`,
  `<![CDATA[<script>${RUN}</script>]]>`,
  // event-handler attributes
  `<img src=x onerror="${RUN}">`,
  `<img src=x onerror=alert(1)>`,
  `<body onload=${RUN}>`,
  `<details open ontoggle=${RUN}>`,
  `<input autofocus onfocus=${RUN}>`,
  `<video><source onerror="${RUN}"></video>`,
  `<marquee onstart=${RUN}>x</marquee>`,
  // attribute breakers (for values written into attributes)
  `" onmouseover="${RUN}" x="`,
  `' onfocus='${RUN}' autofocus x='`,
  `"><script>${RUN}</script>`,
  `'><img src=x onerror=${RUN}>`,
  '`onerror=alert(1)`',
  `" style="background:url(javascript:${RUN})`,
  // javascript: and friends
  `javascript:${RUN}`,
  `JaVaScRiPt:${RUN}`,
  `java\tscript:${RUN}`,
  `java\u0000script:${RUN}`,
  ` \u0001javascript:${RUN}`,
  `javascript&colon;${RUN}`,
  `&#106;avascript:${RUN}`,
  `data:text/html,<script>${RUN}</script>`,
  `vbscript:msgbox(1)`,
  // SVG and MathML
  `<svg onload=${RUN}>`,
  `<svg><script>${RUN}</script></svg>`,
  `<svg><a xlink:href="javascript:${RUN}"><text y="20">x</text></a></svg>`,
  `<svg><animate attributeName=href to="javascript:${RUN}"/></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${RUN}>`,
  `<math href="javascript:${RUN}">x</math>`,
  // template injection and markup in the content language itself
  `{{name}}{{traits.link}}<b>{{`,
  '${alert(1)}',
  `<iframe srcdoc="<script>parent.${RUN}</script>"></iframe>`,
  `<object data="javascript:${RUN}"></object>`,
  `<base href="javascript:${RUN}//">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${RUN}">`,
  `<a href="javascript:${RUN}">click</a>`,
  `<form><button formaction=javascript:${RUN}>x</button></form>`,
  // unicode tricks: bidi overrides, isolates, zero-width, homoglyphs, lone surrogates
  `\u202Egnp.exe\u202C<script>${RUN}</script>`,
  `Ada\u2066\u2067\u2068\u2069\u200B\u200D\uFEFF`,
  `＜script＞${RUN}＜/script＞`,
  `\uFF1Cimg src=x onerror=${RUN}\uFF1E`,
  `jаvascript:${RUN}`,  // Cyrillic а
  `\uD800<script>${RUN}</script>\uDFFF`,
  `\u0000<script>${RUN}</script>`,
  `Ａｄａ \u0627\u0644\u0639\u0631\u0628\u064A\u0629 \u05E2\u05D1\u05E8\u05D9\u05EA`,
  // very long strings
  `${'<b>'.repeat(4000)}${RUN}`,
  `${'A'.repeat(100_000)}<script>${RUN}</script>`,
];

// Values for URL-carrying fields: every one must be refused (the page keeps its own URL) or
// written as an inert http(s)/relative URL.
export const HOSTILE_URLS = [
  `javascript:${RUN}`,
  `JAVASCRIPT:${RUN}`,
  ` javascript:${RUN}`,
  `java\nscript:${RUN}`,
  `java\u200Bscript:${RUN}`,
  `javascript\u0000:${RUN}`,
  `data:text/html;base64,PHNjcmlwdD5hdHR1bmVPd25lZCgpPC9zY3JpcHQ+`,
  `vbscript:${RUN}`,
  `jаvascript:${RUN}`,
  `//evil.example/%0a${RUN}`,
  `https://ok.example/\u202Eevil`,
  `"><script>${RUN}</script>`,
  `x onerror=${RUN}`,
];

// What a URL attribute may hold after rendering: one of the page's own URLs (`pageUrls`), or
// an inert URL (http(s), mailto, tel or relative, with no control, whitespace or format
// character inside); for a srcset or ping, every URL of the list.
export function isInertUrl(value, name, pageUrls) {
  if (pageUrls.has(value)) return true;
  if (name === 'srcset') return value.split(',').every((c) => isInertUrl(c.trim().split(/[ \t\n\f\r]+/)[0], 'src', pageUrls));
  if (name === 'ping') return value.split(/[ \t\n\f\r]+/).every((u) => isInertUrl(u, 'href', pageUrls));
  const trimmed = value.trim();
  if (/[\u0000-\u001F\u007F-\u009F\s\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/.test(trimmed)) return false;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(trimmed);
  return !scheme || ['http', 'https', 'mailto', 'tel'].includes(scheme[1].toLowerCase());
}
