// Headless Chromium for the browser suites: Debian's build, without the background services
// that would try to reach the (closed) network; every wait bounded.

import { chromium } from 'playwright-core';

export const BROWSER_TIMEOUT_MS = 30_000;

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: BROWSER_TIMEOUT_MS,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A strict Content-Security-Policy for pages that load the package: scripts from the page's
// own origin only (Wasm compiled from them), no inline script, no plugins, frames, <base>
// or form targets; images from anywhere, as real sites allow.
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src * data:; "
  + "object-src 'none'; base-uri 'none'; frame-src 'none'; form-action 'none'";
