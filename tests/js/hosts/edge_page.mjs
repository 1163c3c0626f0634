// The browser side of tests/js/chromium_edge.test.mjs: the shipped package on a page an edge
// worker personalised. It records what the page showed before the module ran (the edge's
// rendering), then starts the runtime, which must adopt the edge's decisions and cookie.

import { createAttune } from '/web/runtime.mjs';

const headlineBeforeModule = document.getElementById('headline').textContent;
const config = await (await fetch('/tests/js/hosts/edge_page_config.json')).json();
const rt = await createAttune({ config, wasmUrl: '/web/dist/attune.wasm' });

window.attuneEdge = {
  headlineBeforeModule: () => headlineBeforeModule,
  headlineNow: () => document.getElementById('headline').textContent,
  payload: () => JSON.parse(document.getElementById('attune-edge').textContent),
  edgeStatus: () => rt.edgeStatus,
  storageStatus: () => rt.storageStatus,
  visitorId: () => rt.visitorId,
  decide: (placement, overrides) => rt.decide(placement, overrides),
  impression: (token) => rt.impression(token),
  click: (token) => rt.click(token),
  setConsent: (input) => rt.setConsent(input),
  track: (type, props) => rt.track(type, props),
  flush: async () => rt.flush(),
  cookie: () => document.cookie,
  purposes: () => rt.purposes(),
};
window.attuneEdgeReady = true;
