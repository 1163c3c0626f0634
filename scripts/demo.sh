#!/usr/bin/env bash
# The main job: installs, builds the Wasm module and the CLI, and prints a sample page
# decision (with reasons) made by the Wasm runtime in Node. The marketer's demo page
# replaces this in a later issue.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
bash scripts/build-wasm.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target attune >/dev/null
node demo/sample.mjs
