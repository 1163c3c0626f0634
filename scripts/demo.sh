#!/usr/bin/env bash
# The main job: installs what is missing, builds the Wasm runtime (and the CLI), then serves
# the marketer's demo page on 127.0.0.1 and prints its URL; Ctrl-C stops it.
#   DEMO_PORT=9000 bash scripts/demo.sh   # another port (default 8080; a free one if taken)
# The page runs the real Wasm runtime in the browser; the server only hands out files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
echo "demo: building the Wasm runtime (web/dist) and the CLI (build/attune)"
bash scripts/build-wasm.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target attune >/dev/null
build/attune validate demo/campaigns.json

exec node demo/server.mjs
