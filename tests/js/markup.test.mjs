// The markup rules shared by the DOM helper and the edge (web/lib/markup.mjs): which URLs,
// attributes and fields may be written, and how text is cleaned. Pure functions, in Node.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HOSTILE_URLS } from './hosts/hostile_corpus.mjs';
import { attributeText, cleanText, fieldValue, parsePairs, refusedAttribute, urlAttributeValue } from '../../web/lib/markup.mjs';

test('URLs: http(s), mailto, tel and relative are written; every other scheme and every trick is refused', () => {
  for (const ok of ['https://shop.example/a?b=1&c=<x>"', 'http://x.example', '/p/1', 'p/1', '?q=1', '#top', 'mailto:a@example.com', 'tel:+431234', 'HTTPS://X.EXAMPLE', '  /trimmed  ', 'jav&#x09;ascript:x' /* setAttribute decodes nothing: a relative path and a fragment */]) {
    assert.notEqual(urlAttributeValue('href', ok), null, ok);
  }
  assert.equal(urlAttributeValue('href', '  /trimmed  '), '/trimmed');
  for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', 'java\tscript:x', 'https://a.example/\u202Eevil', 'https://a.example/\u200Bx', '\uD800', '', '   ', '1javascript:x']) {
    assert.equal(urlAttributeValue('href', bad), null, JSON.stringify(bad));
  }
  const refused = HOSTILE_URLS.filter((u) => urlAttributeValue('href', u) === null);
  // Only the protocol-relative URL (another host, but inert) and an attribute breaker that
  // parses as a relative path pass: written with setAttribute (or escaped at the edge) both
  // stay a URL that runs nothing. Whitespace refuses the rest.
  assert.deepEqual(HOSTILE_URLS.filter((u) => !refused.includes(u)), ['//evil.example/%0aattuneOwned()', '"><script>attuneOwned()</script>']);
});

test('srcset: every candidate URL is checked and descriptors are widths or densities', () => {
  assert.equal(urlAttributeValue('srcset', '/a.png 1x, //cdn.example/b.png 2x'), '/a.png 1x, //cdn.example/b.png 2x');
  assert.equal(urlAttributeValue('srcset', '/a.png 640w, /b.png 1.5x'), '/a.png 640w, /b.png 1.5x');
  assert.equal(urlAttributeValue('srcset', '/a.png, javascript:x 2x'), null);
  assert.equal(urlAttributeValue('srcset', 'java\nscript:x'), null, 'text after whitespace is not a descriptor');
  assert.equal(urlAttributeValue('srcset', '/a.png 1x 2x'), null);
  assert.equal(urlAttributeValue('ping', '/a /b'), '/a /b');
  assert.equal(urlAttributeValue('ping', '/a javascript:x'), null);
});

test('attributes: handlers, style, srcdoc, our own markers and script-capable elements are refused', () => {
  assert.equal(refusedAttribute('a', 'title'), '');
  assert.equal(refusedAttribute('a', 'href'), '');
  assert.match(refusedAttribute('a', 'onclick'), /event handler/);
  assert.match(refusedAttribute('img', 'onerror'), /event handler/);
  for (const name of ['style', 'srcdoc', 'http-equiv', 'is', 'data-attune-placement']) assert.match(refusedAttribute('div', name), /refused/, name);
  for (const tag of ['script', 'iframe', 'object', 'embed', 'base', 'meta', 'link', 'animate', 'set', 'use', 'svg']) {
    assert.match(refusedAttribute(tag, 'title'), /not written/, tag);
  }
  assert.match(refusedAttribute('a', 'x y'), /name/);
  assert.deepEqual(attributeText('a', 'href', 'javascript:x'), { refused: 'href is not an http(s), mailto, tel or relative URL' });
  assert.deepEqual(attributeText('a', 'title', 'a\u202Eb\u0000c'), { text: 'abc' });
});

test('pairs, fields and text cleaning', () => {
  assert.deepEqual(parsePairs('href:url, title:headline,xlink:href:u, bad, :x, y:'), [['href', 'url'], ['title', 'headline'], ['xlink:href', 'u']]);
  assert.equal(parsePairs(Array.from({ length: 40 }, (_, i) => `a${i}:f`).join(',')).length, 16);
  assert.deepEqual(parsePairs(null), []);
  assert.equal(fieldValue({ a: 'x', n: 3, o: {}, ['__proto__']: 'p' }, 'a'), 'x');
  assert.equal(fieldValue({ n: 3 }, 'n'), '3');
  assert.equal(fieldValue({ o: {} }, 'o'), null);
  assert.equal(fieldValue({ a: 'x' }, 'toString'), null, 'own fields only');
  assert.equal(fieldValue(null, 'a'), null);
  assert.equal(fieldValue({ 'a b': 'x' }, 'a b'), null);
  assert.equal(cleanText('A\u202Eb\u2066c\u0007d\te\nf\uD800'), 'Abcd\te\nf\uFFFD');
});
