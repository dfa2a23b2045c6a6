// What the widget loads, each once per page however many elements there are: the package's
// small phone-data.js (the regions and their calling codes, and the per-region metadata
// assets: the country list works and the default region is fetched before any wasm), the
// wasm of `smsotp/phone` (parsing and as-you-type formatting; or the full `smsotp` entry
// when a preview needs its SMS rendering), the tenant's browser config, and Cloudflare's
// Turnstile script. Nothing is loaded at import: the first connected element asks, so that a page that
// imports the widget and never shows it fetches no wasm (a browser test checks it).
//
// A failed load is not kept: the next element (or "Try again") asks again, since the cause
// is often passing (a network error, a deployment in progress). The imports stay
// `./phone.js`, `./index.js` and `./phone-data.js` as written: esbuild leaves them to the browser
// (assemble.mjs, `external`), which resolves them next to the shipped widget.js.

/** Cloudflare's Turnstile script, unless the element's `turnstile-script` names another. */
export const TURNSTILE_SCRIPT = 'https://challenges.cloudflare.com/turnstile/v0/api.js';

let phoneData;
let phoneEntry;
let fullEntry;
let turnstileScript;
const configs = new Map();

/** The regions and the per-region metadata assets (no wasm), next to widget.js. */
export function loadPhoneData() {
  phoneData ??= import('./phone-data.js').catch((err) => {
    phoneData = undefined;
    throw err;
  });
  return phoneData;
}

/** `smsotp/phone`: the phone functions and their smaller wasm, next to widget.js. */
export function loadPhone() {
  phoneEntry ??= import('./phone.js').catch((err) => {
    phoneEntry = undefined;
    throw err;
  });
  return phoneEntry;
}

/** The full `smsotp` entry (its phone functions too, so a preview loads one wasm, not two). */
export function loadFull() {
  fullEntry ??= import('./index.js').catch((err) => {
    fullEntry = undefined;
    throw err;
  });
  return fullEntry;
}

/** The tenant's browser config (`BrowserClient.config()`), fetched once per API and key. */
export function configOf(client) {
  const key = `${client.api}\n${client.publishableKey}`;
  if (!configs.has(key)) {
    const p = client.config();
    p.catch(() => configs.delete(key));
    configs.set(key, p);
  }
  return configs.get(key);
}

/**
 * `use(turnstile)` once Cloudflare's Turnstile script (from `src`) is on the page — added to
 * its head once, unless already there — and what it returns. A failure to load the script or
 * in `use` (the script defined no `turnstile`) forgets the script: the next element adds it
 * again.
 */
export function withTurnstile(src, use) {
  turnstileScript ??= new Promise((resolve, reject) => {
    if (globalThis.turnstile) return resolve();
    const s = document.createElement('script');
    s.src = src;
    s.async = true;
    s.onload = () => resolve();
    s.onerror = reject;
    document.head.append(s);
  });
  return turnstileScript
    .then(() => use(globalThis.turnstile))
    .catch((err) => {
      turnstileScript = undefined;
      throw err;
    });
}
