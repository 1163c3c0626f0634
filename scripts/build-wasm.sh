#!/usr/bin/env bash
# Builds the Wasm module(s) with Emscripten and copies them into web/dist/, where the JS
# package (web/attune.mjs) and the JS tests load them. Run from anywhere; builds in
# build-wasm/ at the repo root. See shared/TOOLCHAIN.md for why each variable is set.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Emscripten's JS optimizer needs Debian's acorn; --closure needs a Closure Compiler
# (the Debian config points at a missing one).
export NODE_PATH=/usr/share/nodejs
closure="$root/node_modules/.bin/google-closure-compiler"
if [[ -x "$closure" ]]; then
  export EM_CLOSURE_COMPILER="$closure"
else
  echo "build-wasm: $closure missing (run npm ci); building without --closure" >&2
fi

emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release
cmake --build build-wasm -j2

mkdir -p web/dist
cp build-wasm/attune.mjs build-wasm/attune.wasm web/dist/
for lean in build-wasm/attune-lean.mjs build-wasm/attune-lean.wasm; do
  if [[ -f "$lean" ]]; then cp "$lean" web/dist/; fi
done
ls -l web/dist/
