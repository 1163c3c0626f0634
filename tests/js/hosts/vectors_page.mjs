// Runs the shared vectors in the browser: the package streams dist/attune.wasm from next to
// itself (its default), exactly as a site would load it. Results go to window.attuneVectors.

import { loadAttune } from '/web/attune.mjs';
import { runVectors } from '/tests/js/run_vectors.mjs';

// The test names the vector files that exist (?files=a,b), so no request 404s: a failed
// request is a console error, and the test treats every console error as a failure.
const FILES = new URLSearchParams(location.search).get('files').split(',');

async function fetchVectors() {
  const files = {};
  for (const name of FILES) {
    const response = await fetch(`/tests/vectors/${name}.json`);
    if (!response.ok) throw new Error(`/tests/vectors/${name}.json: HTTP ${response.status}`);
    files[name] = await response.json();
  }
  return files;
}

async function main() {
  try {
    const [attune, files] = await Promise.all([loadAttune(), fetchVectors()]);
    const results = await runVectors(attune, files);
    window.attuneVectors = { version: attune.version, results };
  } catch (e) {
    window.attuneVectors = { error: String((e && e.stack) || e) };
  }
  document.getElementById('status').textContent = 'done';
}

main();
