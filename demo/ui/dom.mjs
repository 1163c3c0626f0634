// Building DOM nodes without markup strings: every piece of text goes in as textContent,
// so nothing a marketer types or a campaign renders can become HTML.

// h('button', {type: 'button', onclick: fn, dataset: {x: '1'}}, 'Label', child, …)
// Props: `class`, `for`, aria-* and data-* attributes become attributes; functions on `on*`
// become listeners; `dataset`/`style` objects are merged; everything else is a property.
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) setProps(node, props);
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Set as attributes: names that are not properties, or read-only ones (input.list).
const ATTRIBUTES = new Set(['class', 'for', 'role', 'list']);

function setProps(node, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (key === 'style' && typeof value === 'object') {
      Object.assign(node.style, value);
    } else if (ATTRIBUTES.has(key) || key.startsWith('aria-') || key.startsWith('data-')) {
      node.setAttribute(key === 'class' ? 'class' : key, value === true ? 'true' : String(value));
    } else {
      node[key] = value;
    }
  }
}

// A labelled control: <div class="field"><label for=id>Label</label>control</div>.
export function field(label, control, hint) {
  const children = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    children.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  return h('div', { class: 'field' }, children);
}

export function select(id, options, value) {
  const node = h('select', { id });
  for (const option of options) {
    const [optionValue, text] = Array.isArray(option) ? option : [option, option];
    node.append(h('option', { value: String(optionValue), selected: String(optionValue) === String(value) }, text));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}
