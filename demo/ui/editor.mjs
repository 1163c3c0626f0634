// The campaign editor: the config as JSON text, validated by the real compiler (in Wasm)
// shortly after every edit. Problems are listed with their JSON paths (clicking one puts
// the caret there); while the text is invalid, the last valid config stays live and a note
// says so. Load from / save to a file, and a small form for common edits (form_view.mjs).

import { clear, h } from './dom.mjs';
import { mountFormView } from './form_view.mjs';
import { locateLineColumn, locatePath } from './json_locate.mjs';

const DEBOUNCE_MS = 150;
const MAX_LISTED = 50;

// onConfig(config, text) runs with each new valid config (not for an unchanged one).
export function mountEditor(root, { attune, text, onConfig, reloadSample }) {
  const textarea = h('textarea', {
    id: 'config-text', spellcheck: false, autocomplete: 'off', wrap: 'off', rows: 30,
    'aria-describedby': 'config-status', value: text,
  });
  const status = h('p', { id: 'config-status', class: 'status', role: 'status' });
  const stale = h('p', { id: 'config-stale', class: 'stale', hidden: true },
    'The JSON has problems: the preview is showing the last valid config.');
  const problems = h('ul', { id: 'config-errors', class: 'errors', 'aria-label': 'Config problems' });
  const fileInput = h('input', { id: 'config-file', type: 'file', accept: '.json,application/json', class: 'visually-hidden' });
  const fileLabel = h('label', { for: fileInput.id, class: 'button' }, 'Load from file…');
  const saveButton = h('button', { type: 'button', id: 'config-save' }, 'Save to file');
  const sampleButton = h('button', { type: 'button', id: 'config-sample' }, 'Reload sample campaigns');
  const formRoot = h('div', { id: 'config-form' });
  const form = mountFormView(formRoot, { readConfig: parseText, applyEdit });

  let timer = null;
  let liveText = null;  // canonical JSON of the live config

  textarea.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(validateNow, DEBOUNCE_MS);
  });
  // Tab inserts two spaces only with a modifier-free Tab while editing would trap keyboard
  // users, so Tab keeps moving focus; indentation is Ctrl+] as in many editors.
  textarea.addEventListener('keydown', (e) => {
    if (e.key === ']' && e.ctrlKey) {
      e.preventDefault();
      textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionStart, 'end');
      textarea.dispatchEvent(new Event('input'));
    }
  });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    setText(await file.text());
    status.textContent = `Loaded ${file.name}. ${status.textContent}`;
    fileInput.value = '';
  });
  saveButton.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([textarea.value], { type: 'application/json' }));
    const link = h('a', { href: url, download: 'attune-config.json', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  sampleButton.addEventListener('click', async () => setText(await reloadSample()));

  function parseText() {
    try {
      return JSON.parse(textarea.value);
    } catch {
      return null;
    }
  }

  function applyEdit(mutate) {
    const config = parseText();
    if (!config) return;
    mutate(config);
    setText(JSON.stringify(config, null, 2));
  }

  function setText(next) {
    textarea.value = next;
    validateNow();
  }

  function validateNow() {
    clearTimeout(timer);
    const source = textarea.value;
    const errors = attune.validate(source);
    showProblems(errors, source);
    form.refresh();
    if (errors.length > 0) return;
    const config = JSON.parse(source);
    const canonical = JSON.stringify(config);
    if (canonical === liveText) return;
    liveText = canonical;
    onConfig(config, source);
  }

  function showProblems(errors, source) {
    clear(problems);
    stale.hidden = errors.length === 0 || liveText === null;
    if (errors.length === 0) {
      const config = JSON.parse(source);
      const n = (key) => (Array.isArray(config[key]) ? config[key].length : 0);
      status.textContent = `Valid: ${n('campaigns')} campaigns, ${n('placements')} placements — live in the preview.`;
      status.classList.remove('problem');
      return;
    }
    status.textContent = `${errors.length} ${errors.length === 1 ? 'problem' : 'problems'} in the config.`;
    status.classList.add('problem');
    for (const error of errors.slice(0, MAX_LISTED)) {
      const jump = h('button', {
        type: 'button', class: 'error-path', dataset: { path: error.path },
        'aria-label': `Go to ${error.path || 'the document'}`,
        onclick: () => select(locatePath(textarea.value, error.path) || locateLineColumn(textarea.value, error.message)),
      }, error.path || '(document)');
      problems.append(h('li', null, jump, ' ', h('span', { class: 'error-message' }, error.message)));
    }
    if (errors.length > MAX_LISTED) problems.append(h('li', null, `… and ${errors.length - MAX_LISTED} more`));
  }

  // Puts the caret on a span of the text and scrolls it into view.
  function select(span) {
    textarea.focus();
    if (!span) return;
    textarea.setSelectionRange(span.start, span.end);
    const line = textarea.value.slice(0, span.start).split('\n').length - 1;
    const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
    textarea.scrollTop = Math.max(0, line * lineHeight - textarea.clientHeight / 3);
  }

  root.append(
    h('div', { class: 'buttons' }, fileInput, fileLabel, saveButton, sampleButton),
    h('label', { for: textarea.id, class: 'editor-label' }, 'Config (JSON)'),
    textarea,
    status,
    stale,
    problems,
    h('details', { class: 'form-view', id: 'form-view' }, h('summary', null, 'Form view: priority, audience, schedule, caps, variants, copy'), formRoot),
  );
  validateNow();
  return { setText, getText: () => textarea.value };
}
