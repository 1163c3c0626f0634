#!/usr/bin/env bash
# Serves the Attune edge worker locally in one command: installs what is missing, builds the
# Wasm module if it is missing or older than its sources, starts the demo origin
# (demo/edge/origin.mjs) and workerd in front of it, both on 127.0.0.1, and prints the
# URL. Ctrl-C stops both.
#
#   bash scripts/edge.sh                     # edge on :8787, origin on :8788
#   EDGE_PORT=9000 ORIGIN_PORT=9001 bash scripts/edge.sh
#   ATTUNE_ORIGIN=https://www.example.com bash scripts/edge.sh   # in front of another origin
#
# Every ATTUNE_* variable of web/edge/worker.mjs is passed to the worker (workerd.capnp reads
# them with fromEnvironment), e.g. ATTUNE_TZ_HEADER=X-Timezone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

edge_port="${EDGE_PORT:-8787}"
origin_port="${ORIGIN_PORT:-8788}"

bash scripts/setup.sh
wasm=web/dist/attune.wasm
if [[ ! -f "$wasm" || ! -f web/dist/attune.mjs ]] ||
  [[ -n "$(find runtime bindings CMakeLists.txt -newer "$wasm" -print -quit 2>/dev/null)" ]]; then
  echo "edge: building the Wasm module (a few minutes)"
  bash scripts/build-wasm.sh >/dev/null
fi

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

if [[ -z "${ATTUNE_ORIGIN:-}" ]]; then
  node demo/edge/origin.mjs --port "$origin_port" >/dev/null &
  pids+=($!)
  export ATTUNE_ORIGIN="http://127.0.0.1:$origin_port"
fi

node_modules/.bin/workerd serve web/edge/workerd.capnp --socket-addr "http=127.0.0.1:$edge_port" &
pids+=($!)

# Ready when workerd answers at all (the status is the origin's).
for _ in $(seq 1 100); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$edge_port/health" 2>/dev/null || true)"
  if [[ -n "$code" && "$code" != "000" ]]; then
    echo "Attune edge: http://127.0.0.1:$edge_port/  (origin: $ATTUNE_ORIGIN)  — Ctrl-C stops"
    wait -n "${pids[@]}"
    exit $?
  fi
  sleep 0.1
done
echo "edge: workerd did not answer on 127.0.0.1:$edge_port within 10 s" >&2
exit 1
