// The marketer's demo page: wires the panels to the real Wasm runtime. The config in the
// editor is compiled by createAttune (web/runtime.mjs) with the simulated visitor's clock;
// every change of config, visitor, consent or behaviour decides the page again with its
// reasons and re-renders the preview, the trace and the profile. The KPI dashboard runs
// simulated traffic in a Web Worker. Everything is served from this origin's static files.

import { createAttune, loadAttune } from '../web/attune.mjs';
import { h } from './ui/dom.mjs';
import { mountBehaviour } from './ui/behaviour.mjs';
import { mountConsent } from './ui/consent.mjs';
import { mountEditor } from './ui/editor.mjs';
import { mountKpiView } from './ui/kpi_view.mjs';
import { renderPreview } from './ui/preview.mjs';
import { renderProfile } from './ui/profile_view.mjs';
import { SHOP_LOCALES } from './ui/shop_copy.mjs';
import { mountSimulator } from './ui/simulator.mjs';
import { renderTrace } from './ui/trace.mjs';
import * as visitorActions from './visitor_actions.mjs';
import { initialState, localeRequest, startOfDemoDay } from './visitor_context.mjs';

const STATE_KEY = 'attune:demo';  // the runtime's storage key on this origin
const SAMPLE_URL = new URL('./campaigns.json', import.meta.url);
const WASM_URL = new URL('../web/dist/attune.wasm', import.meta.url);

const $ = (id) => document.getElementById(id);
const appStatus = $('app-status');

function setStatus(text, problem = false) {
  appStatus.textContent = text;
  appStatus.classList.toggle('problem', problem);
}

async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return response.text();
}

// Compiled once: the page's runtimes (one per config) and the traffic worker instantiate
// this module instead of fetching the bytes again, so nothing more is fetched after start.
async function compileWasm() {
  const response = await fetch(WASM_URL);
  if (!response.ok) throw new Error(`${WASM_URL.pathname}: HTTP ${response.status} (run scripts/build-wasm.sh)`);
  if ((response.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

async function main() {
  const [wasmModule, sampleText] = await Promise.all([compileWasm(), fetchText(SAMPLE_URL)]);
  const attune = await loadAttune({ wasmModule });
  const sim = initialState(startOfDemoDay(Date.now()));

  let rt = null;          // the runtime of the live config
  let liveConfig = null;  // its object
  let liveText = '';      // its JSON text
  let lastPage = null;    // the page decision on screen
  let switching = Promise.resolve();

  // ---- rendering ----

  function shopLocale() {
    const negotiated = attune.negotiateLocale(localeRequest(sim, SHOP_LOCALES));
    return negotiated.error ? { locale: 'en', dir: 'ltr' } : negotiated;
  }

  function render(page) {
    if (!rt) return;
    lastPage = page || visitorActions.decide(rt, sim);
    const profile = rt.profile();
    const shop = shopLocale();
    renderPreview($('preview'), lastPage, {
      config: liveConfig, locale: shop.locale, dir: shop.dir,
      cartCount: profile && profile.cart ? profile.cart.count : 0,
      onClick: (token, decision) => act(() => previewReport('click', token, decision)),
      onDismiss: (token, decision) => act(() => previewReport('dismiss', token, decision)),
    });
    renderTrace($('trace'), lastPage, { config: liveConfig, offsetMinutes: sim.offsetMinutes });
    renderProfile($('profile'), profile, rt.visitorId);
    behaviour.setPlacements(liveConfig.placements || []);
    showStorage();
  }

  // What consent is in force and what this origin stores, once pending writes are done.
  async function showStorage() {
    const current = rt;
    if (!current) return;
    await current.flush();
    if (current !== rt) return;
    consent.show({
      record: rt.consentRecord(), purposes: rt.purposes(), storedText: localStorage.getItem(STATE_KEY),
      key: STATE_KEY, storageStatus: rt.storageStatus,
    });
    document.body.dataset.storageShown = String(Number(document.body.dataset.storageShown || 0) + 1);
  }

  // A button in the preview: the item it belongs to (a recommendation grid has several).
  function previewReport(kind, token, decision) {
    const item = visitorActions.itemByToken(lastPage, token) || { placement: decision.placement };
    return visitorActions.reportItem(rt, kind, item);
  }

  // Runs a behaviour or consent action on the live runtime, logs its line, re-renders.
  function act(action) {
    if (!rt) return null;
    const line = action();
    if (line) behaviour.log(line);
    render(line && line.page);
    return null;
  }

  // ---- the runtime: one per valid config ----

  function useConfig(config, text) {
    switching = switching.then(async () => {
      const previous = rt;
      rt = null;
      if (previous) await previous.close();
      try {
        rt = await createAttune({
          config: text, wasmModule, storage: 'local', key: STATE_KEY, flushIntervalMs: 200,
          clock: () => sim.now, gpc: () => sim.gpc, tcfApi: false, edge: false,
        });
      } catch (e) {
        setStatus(`The runtime refused the config: ${e.message}`, true);
        return;
      }
      liveConfig = config;
      liveText = text;
      document.body.dataset.configVersion = String(Number(document.body.dataset.configVersion || 0) + 1);
      const n = Array.isArray(config.campaigns) ? config.campaigns.length : 0;
      setStatus(`Attune ${attune.version} (WebAssembly) — ${n} campaigns live, visitor ${rt.visitorId.slice(0, 8)}…`);
      render();
    });
    return switching;
  }

  // ---- panels ----

  mountSimulator($('simulator'), sim, () => render());

  const consent = mountConsent($('consent'), {
    setFlags(flags) {
      const result = rt ? rt.setConsent(flags, { source: 'banner' }) : { error: 'the runtime is not ready' };
      consent.say(result.error ? `Refused: ${result.error}` : 'Consent recorded from the banner.', Boolean(result.error));
      render();
    },
    applyTcString(tcString) {
      if (!tcString) {
        consent.say('Paste a TC string first (or use a sample).', true);
        return;
      }
      const decoded = attune.tcf(tcString);
      const result = rt ? rt.setConsent({ tcString }, { source: 'tcf' }) : { error: 'the runtime is not ready' };
      if (result.error) {
        consent.say(`TC string refused: ${result.error}`, true);
      } else {
        const granted = Object.entries(decoded.purposes || {}).filter(([, v]) => v).map(([k]) => k);
        consent.say(`TC string applied: it grants ${granted.length ? granted.join(', ') : 'nothing'}.`);
      }
      render();
    },
    setGpc(on) {
      sim.gpc = on;
      consent.say(on ? 'GPC on: marketing is denied whatever the record says.' : 'GPC off.');
      render();
    },
    forget() {
      const result = rt ? rt.forget() : { error: 'the runtime is not ready' };
      consent.say(result.error ? `Forget failed: ${result.error}` : 'Profile and id erased; only the consent record remains.', Boolean(result.error));
      render();
    },
  });

  const behaviour = mountBehaviour($('behaviour'), sim, {
    setPage(page) {
      sim.page = page;
      render();
    },
    pageView: (page, count) => act(() => visitorActions.pageView(rt, sim, { page, count })),
    addToCart: (category, price) => act(() => visitorActions.addToCart(rt, sim, { category, price })),
    purchase: (category, price) => act(() => visitorActions.purchase(rt, sim, { category, price, page: lastPage })),
    emailClick: () => act(() => visitorActions.emailClick(rt)),
    report: (kind, placement) => act(() => visitorActions.report(rt, lastPage, kind, placement)),
    clear() {
      if (rt) rt.forget();
      render();
    },
  });

  mountKpiView($('kpi'), {
    getConfigText: () => liveText,
    getStartMs: () => sim.now,
    wasmModule,
    wasmUrl: WASM_URL.href,
  });

  // Last: its first validation starts the runtime, which renders into the panels above.
  const editor = mountEditor($('editor'), {
    attune,
    text: sampleText,
    onConfig: (config, text) => useConfig(config, text),
    reloadSample: () => fetchText(SAMPLE_URL),
  });

  await switching;
  // For developers in the console: the live runtime and the decision on screen.
  window.attuneDemo = Object.freeze({ runtime: () => rt, page: () => lastPage, editor });
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  setStatus(`The demo could not start: ${e && e.message ? e.message : e}`, true);
  document.body.dataset.ready = 'error';
  document.body.append(h('p', { class: 'problem' }, 'Build the Wasm runtime with bash scripts/build-wasm.sh, then reload.'));
});
