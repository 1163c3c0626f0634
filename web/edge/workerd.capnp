# Local run of the edge worker in workerd (scripts/edge.sh does all of this in one command):
#
#   ATTUNE_ORIGIN=http://127.0.0.1:8788 node_modules/.bin/workerd serve web/edge/workerd.capnp \
#     --socket-addr http=127.0.0.1:8787
#
# Embeds are relative to this file; module names keep the package layout (edge/, dist/, lib/)
# so worker.mjs's relative imports resolve exactly as they do for wrangler's bundler.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "edge", worker = .edgeWorker),
    # The worker's fetch() goes here. workerd's default "internet" service refuses loopback
    # and private addresses (SSRF protection); a local origin needs them.
    (name = "origin-network", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "edge") ],
);

const edgeWorker :Workerd.Worker = (
  modules = [
    (name = "edge/worker.mjs", esModule = embed "worker.mjs"),
    (name = "edge/settings.mjs", esModule = embed "settings.mjs"),
    (name = "edge/cookies.mjs", esModule = embed "cookies.mjs"),
    (name = "edge/timezone.mjs", esModule = embed "timezone.mjs"),
    (name = "edge/inputs.mjs", esModule = embed "inputs.mjs"),
    (name = "edge/escape.mjs", esModule = embed "escape.mjs"),
    (name = "edge/payload.mjs", esModule = embed "payload.mjs"),
    (name = "edge/engine.mjs", esModule = embed "engine.mjs"),
    (name = "edge/decide.mjs", esModule = embed "decide.mjs"),
    (name = "edge/headers.mjs", esModule = embed "headers.mjs"),
    (name = "edge/origin.mjs", esModule = embed "origin.mjs"),
    (name = "edge/rewrite.mjs", esModule = embed "rewrite.mjs"),
    (name = "edge/config.json", json = embed "config.json"),
    (name = "dist/attune.mjs", esModule = embed "../dist/attune.mjs"),
    (name = "dist/attune.wasm", wasm = embed "../dist/attune.wasm"),
    (name = "lib/instantiate.mjs", esModule = embed "../lib/instantiate.mjs"),
    (name = "lib/traps.mjs", esModule = embed "../lib/traps.mjs"),
    (name = "lib/boundary.mjs", esModule = embed "../lib/boundary.mjs"),
    (name = "lib/markup.mjs", esModule = embed "../lib/markup.mjs"),
  ],
  compatibilityDate = "2026-11-01",
  bindings = [
    # Unset environment variables give null: the worker's defaults apply.
    (name = "ATTUNE_ORIGIN", fromEnvironment = "ATTUNE_ORIGIN"),
    (name = "ATTUNE_CONFIG", fromEnvironment = "ATTUNE_CONFIG"),
    (name = "ATTUNE_COOKIE", fromEnvironment = "ATTUNE_COOKIE"),
    (name = "ATTUNE_NAME_COOKIE", fromEnvironment = "ATTUNE_NAME_COOKIE"),
    (name = "ATTUNE_TRAITS_COOKIE", fromEnvironment = "ATTUNE_TRAITS_COOKIE"),
    (name = "ATTUNE_GEO_HEADER", fromEnvironment = "ATTUNE_GEO_HEADER"),
    (name = "ATTUNE_TZ_HEADER", fromEnvironment = "ATTUNE_TZ_HEADER"),
    (name = "ATTUNE_PLACEMENTS", fromEnvironment = "ATTUNE_PLACEMENTS"),
    (name = "ATTUNE_TOKEN_SECRET", fromEnvironment = "ATTUNE_TOKEN_SECRET"),
  ],
  globalOutbound = "origin-network",
);
