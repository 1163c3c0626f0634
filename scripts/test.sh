#!/usr/bin/env bash
# Every test: native (Catch2) in a Release build and again under ASan+UBSan, each fuzz target
# for a few seconds (scripts/fuzz.sh), then the Wasm module on Node, headless Chromium and
# workerd, the GrowthBook differential test and the API/bad-input suites (node --test). One
# Emscripten build serves every Wasm host.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh

echo "== native build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2
./build/attune_tests

echo "== native tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DATTUNE_SANITIZE=ON >/dev/null
cmake --build build-asan -j2 --target attune_tests
./build-asan/attune_tests

echo "== fuzz: every libFuzzer target for 5 s on its committed seeds (ASan + UBSan)"
bash scripts/fuzz.sh --seconds 5

echo "== wasm build"
bash scripts/build-wasm.sh

echo "== bench self-check (peers agree; no timing)"
node bench/selfcheck.mjs

echo "== edge load bench self-check (three workers on workerd answer correctly; no timing)"
node bench/edge/run.mjs --selfcheck

echo "== JS tests: Node, Chromium, workerd"
node --test tests/js/
