// Consent on the browser side (SPEC §7): checking what a site passes to setConsent, reading
// Global Privacy Control, and picking up a TC string from an IAB TCF v2.2 CMP. What the
// purposes mean, how sources combine and what a withdrawal erases is decided in the core
// (runtime/consent.h); this file only gathers the inputs. docs/CONSENT.md has the whole picture.

export const PURPOSES = Object.freeze(['storage', 'personalization', 'measurement', 'marketing', 'sensitive']);

const MAX_TC_STRING = 65536;  // the core refuses longer strings; say so before copying them in
const SOURCE = /^[A-Za-z0-9_.:-]{1,32}$/;

// setConsent's input: `{storage: true, …, tcString: '…'}`. Returns `{json}` (the text the core
// takes) or `{error}`. GPC is refused here on purpose: it is a signal read for every decision,
// not a choice to record.
export function readConsentInput(input) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { error: 'consent: must be an object of purpose flags (storage, personalization, measurement, marketing, sensitive) and/or tcString' };
  }
  const out = {};
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (PURPOSES.includes(key)) {
      if (typeof value !== 'boolean') return { error: `consent.${key}: must be true or false` };
      out[key] = value;
    } else if (key === 'tcString') {
      if (typeof value !== 'string' || value === '') return { error: 'consent.tcString: must be a non-empty string' };
      if (value.length > MAX_TC_STRING) {
        return { error: `consent.tcString: ${value.length} characters; at most ${MAX_TC_STRING}` };
      }
      out.tcString = value;
    } else if (key === 'gpc') {
      return {
        error: 'consent.gpc: Global Privacy Control is read for each decision (navigator.globalPrivacyControl or the gpc option), not recorded',
      };
    } else {
      return { error: `consent.${clip(key)}: unknown; expected ${PURPOSES.join(', ')} or tcString` };
    }
  }
  if (Object.keys(out).length === 0) return { error: 'consent: give at least one purpose flag or a tcString' };
  return { json: JSON.stringify(out) };
}

// Where a consent change came from, kept in the record: 'api' unless the site says otherwise.
export function readSource(options, fallback) {
  if (options === undefined || options === null) return { source: fallback };
  if (typeof options !== 'object' || Array.isArray(options)) return { error: 'options: must be an object like {source}' };
  if (options.source === undefined) return { source: fallback };
  if (typeof options.source !== 'string' || !SOURCE.test(options.source)) {
    return { error: 'options.source: must be 1-32 characters of letters, digits, _ . : -' };
  }
  return { source: options.source };
}

// The `gpc` option: undefined reads navigator.globalPrivacyControl at every call (a browser
// may change it while the page is open), a boolean fixes it, a function is asked each time.
// A reader that throws counts as GPC on: when unsure, do not sell or share.
export function gpcReader(option) {
  if (typeof option === 'boolean') return () => option;
  if (typeof option === 'function') {
    return () => {
      try {
        return option() === true;
      } catch {
        return true;
      }
    };
  }
  return () => {
    try {
      const nav = globalThis.navigator;
      return Boolean(nav) && nav.globalPrivacyControl === true;
    } catch {
      return true;
    }
  };
}

export function checkGpcOption(option) {
  if (option === undefined || typeof option === 'boolean' || typeof option === 'function') return null;
  return 'gpc: must be true, false or a function returning whether Global Privacy Control is on';
}

export function checkTcfApiOption(option) {
  if (option === undefined || option === false || typeof option === 'function') return null;
  return 'tcfApi: must be false (no CMP pickup) or a __tcfapi-compatible function';
}

// Listens to the page's CMP through the standard `__tcfapi('addEventListener', 2, cb)` and
// hands every TC string the visitor has settled on (`tcloaded`: an earlier choice;
// `useractioncomplete`: a choice just made) to `onTcString`. `cmpuishown` is ignored: the
// banner is open and nothing is decided yet. A CMP stub usually exists before any script
// runs; if none does yet, it is looked for again once the page has loaded.
//
// Returns `{status(), stop()}`; `stop` removes the CMP listener (with its listenerId).
export function listenToCmp(option, onTcString) {
  let state = { state: option === false ? 'disabled' : 'absent' };
  let api = null;
  let listenerId;
  let stopped = option === false;
  let removeLoadListener = () => {};

  const callback = (tcData, success) => {
    if (stopped) return;
    if (tcData && tcData.listenerId !== undefined && tcData.listenerId !== null) listenerId = tcData.listenerId;
    if (!success || typeof tcData !== 'object' || tcData === null) {
      state = { state: 'error', reason: 'the CMP reported a failure' };
      return;
    }
    const eventStatus = typeof tcData.eventStatus === 'string' ? tcData.eventStatus : '';
    if (eventStatus !== 'tcloaded' && eventStatus !== 'useractioncomplete') {
      state = { state: 'listening', eventStatus };
      return;
    }
    if (typeof tcData.tcString !== 'string' || tcData.tcString === '') {
      // gdprApplies false: the CMP gives no string and the policy default stays in force.
      state = { state: 'listening', eventStatus, reason: 'the CMP gave no TC string' };
      return;
    }
    const result = onTcString(tcData.tcString);
    state = result.error
      ? { state: 'refused', eventStatus, reason: result.error }
      : { state: 'applied', eventStatus, changed: result.changed };
  };

  const attach = (found) => {
    api = found;
    state = { state: 'listening' };
    try {
      api('addEventListener', 2, callback);
    } catch (e) {
      state = { state: 'error', reason: `__tcfapi('addEventListener') threw: ${String(e && e.message ? e.message : e)}` };
    }
  };

  const pageCmp = () => {
    try {
      return typeof globalThis.__tcfapi === 'function' ? globalThis.__tcfapi : null;
    } catch {
      return null;
    }
  };

  if (typeof option === 'function') {
    attach(option);
  } else if (option !== false) {
    const found = pageCmp();
    if (found) {
      attach(found);
    } else if (globalThis.document && globalThis.document.readyState !== 'complete'
      && typeof globalThis.addEventListener === 'function') {
      const onLoad = () => {
        removeLoadListener();
        const late = pageCmp();
        if (late && !stopped) attach(late);
      };
      globalThis.addEventListener('load', onLoad);
      removeLoadListener = () => globalThis.removeEventListener('load', onLoad);
    }
  }

  return {
    status: () => ({ ...state }),
    stop() {
      if (stopped) return;
      stopped = true;
      removeLoadListener();
      if (api && listenerId !== undefined) {
        try {
          api('removeEventListener', 2, () => {}, listenerId);
        } catch {
          // the CMP is gone with the page; nothing left to remove
        }
      }
      state = { ...state, closed: true };
    },
  };
}

function clip(key) {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}
