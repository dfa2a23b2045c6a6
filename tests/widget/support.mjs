// Shared by the widget's browser tests (chromium, demo, firefox): the worker on workerd with
// the demo assets, tenants made for the widget's states, a second origin serving the test
// pages and the built package (so the widget's requests are cross-origin: CORS is exercised),
// the dev inbox, a Turnstile siteverify stand-in, axe-core and screenshots.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, jwtVerify } from 'jose';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { startWorker, pinFromLogs, WEBHOOK_SECRETS } from '../worker/harness.mjs';
import { serveFile } from '../package/serve.mjs';
import { devTenantToRecord, recordEntries } from '../../scripts/tenants-kv.mjs';

export { launchChromium } from '../package/serve.mjs';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));
/** The demo assets `scripts/build-demo.sh` assembles (served through the worker's ASSETS). */
export const ASSETS = join(root, 'worker/public');
/** The built npm package (`npm run build`). */
export const PKG = join(root, 'crates/web/pkg');
export const PUBLIC_URL = 'https://otp.example';

// Cloudflare's documented Turnstile test keys: a site key that always passes, and the
// secret that always passes.
export const TURNSTILE_SITE_KEY = '1x00000000000000000000AA';
export const TURNSTILE_PASS = '1x0000000000000000000000000000000AA';
/** The token the stand-in script (turnstile-standin.js) hands to the widget. */
export const TURNSTILE_TOKEN = 'XXXX.DUMMY.TOKEN.XXXX';

/** Publishable keys of the test tenants (each allows any port of 127.0.0.1 and localhost). */
export const PK = {
  /** acme: every country, 3 attempts, a 30 s resend cooldown, templates in en, fr, sv, bg. */
  acme: 'pk_acme_demo_0123456789',
  /** turnstile: acme's settings behind Turnstile, a 1 s resend cooldown. */
  turnstile: 'pk_turnstile_test_0123456789',
  /** nordic: only SE, NO and GB; default country SE. */
  nordic: 'pk_nordic_test_0123456789',
  /** channels: acme's settings with SMS, voice and WhatsApp, a 3 s resend cooldown. */
  channels: 'pk_channels_test_0123456789',
  /** reports: SMS, voice and WhatsApp with acme's 30 s cooldown (a report comes first), no failover. */
  reports: 'pk_reports_test_0123456789',
  /** smsonly: SMS alone (no `channels`: the default), a 3 s resend cooldown. */
  smsonly: 'pk_smsonly_test_0123456789',
};
/** The resend cooldown of the channels and smsonly tenants, seconds. */
export const SHORT_RESEND_AFTER = 3;
/** How many wrong codes lock an OTP of the test tenants. */
export const MAX_ATTEMPTS = 3;
/** The test tenants' resend cooldown, seconds. */
export const RESEND_AFTER = 30;
/** The test tenants' OTP lifetime, seconds. */
export const TTL = 120;

const origins = ['http://127.0.0.1:*', 'http://localhost:*'];
const browser = {
  template: 'Your Acme code: {{pin}}',
  template_fr: 'Votre code Acme : {{pin}}',
  template_sv: 'Din kod från Acme: {{pin}}',
  // Cyrillic: the preview must say UCS-2.
  template_bg: 'Вашият код за Acme: {{pin}}',
  maxAttempts: MAX_ATTEMPTS,
  ttl: TTL,
};
const limits = { resendCooldowns: [RESEND_AFTER] };
/** The tenants, in the dev-file form (worker/tenants.example.json). */
export const TENANTS = [
  {
    id: 'acme',
    apiKeys: ['acme-test-key-0123456789'],
    webhookSecret: WEBHOOK_SECRETS.acme,
    allowedCountries: '*',
    allowAllCountries: true,
    turnstile: 'off',
    testNumbers: { '+15005550006': '123456' },
    publishableKeys: [{ key: PK.acme, origins }],
    browser,
    limits,
  },
  {
    id: 'turnstile',
    apiKeys: ['turnstile-test-key-0123456789'],
    webhookSecret: WEBHOOK_SECRETS.globex,
    allowedCountries: '*',
    allowAllCountries: true,
    publishableKeys: [{ key: PK.turnstile, origins }],
    browser,
    // Short enough to resend for real (each send needs its own Turnstile token).
    limits: { resendCooldowns: [1] },
    turnstileSiteKey: TURNSTILE_SITE_KEY,
    turnstileSecret: TURNSTILE_PASS,
  },
  {
    id: 'nordic',
    apiKeys: ['nordic-test-key-0123456789'],
    webhookSecret: WEBHOOK_SECRETS.acme,
    allowedCountries: ['SE', 'NO', 'GB'],
    turnstile: 'off',
    publishableKeys: [{ key: PK.nordic, origins }],
    browser: { ...browser, defaultCountry: 'SE' },
    limits,
  },
];

/**
 * Tenants with delivery channels (`channels`, issue 20), stored as records (the dev-file
 * loader, scripts/tenants-kv.mjs, does not know the field yet): started with
 * `startApi(vars, { channels: true })`.
 */
export const CHANNEL_TENANTS = [
  ['channels', ['sms', 'voice', 'whatsapp'], [SHORT_RESEND_AFTER]],
  // No failover: a failed SMS stays failed (else the next step, the console in development,
  // would carry the same PIN and the delivery would be pending again).
  ['reports', ['sms', 'voice', 'whatsapp'], [RESEND_AFTER], { maxFailovers: 0 }],
  ['smsonly', undefined, [SHORT_RESEND_AFTER]],
].map(([id, channels, resendCooldowns, more]) => ({
  id,
  apiKeys: [`${id}-test-key-0123456789`],
  webhookSecret: WEBHOOK_SECRETS.acme,
  allowedCountries: '*',
  allowAllCountries: true,
  turnstile: 'off',
  publishableKeys: [{ key: PK[id], origins }],
  browser,
  limits: { resendCooldowns },
  ...(channels ? { channels } : {}),
  ...more,
}));

/** A private JWK set of one new Ed25519 key. */
function signingKey(kid) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { d, x } = privateKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', d, x, kid, use: 'sig', alg: 'EdDSA' };
}

/**
 * A local stand-in for Turnstile's siteverify, answering as Cloudflare documents its test
 * secrets; `received` lists each form it got.
 */
export async function startSiteverify() {
  const received = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      received.push(form);
      const ok = form.secret === TURNSTILE_PASS && form.response === TURNSTILE_TOKEN;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ok
        ? { success: true, 'error-codes': [], hostname: '127.0.0.1', challenge_ts: new Date().toISOString() }
        : { success: false, 'error-codes': ['invalid-input-response'] }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/siteverify`,
    received,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/**
 * The worker (development, console SMS, token signing keys, the demo assets) with the test
 * tenants (`tenants`: others, in the same dev-file form); `vars` over those. Returns the
 * harness's worker plus `siteverify`.
 */
export async function startApi(vars = {}, { assets = existsSync(ASSETS) ? ASSETS : undefined, channels = false, tenants = TENANTS } = {}) {
  const siteverify = await startSiteverify();
  const worker = await startWorker(
    {
      RATE_LIMIT_PER_MINUTE: '1000',
      BROWSER_RATE_LIMIT_PER_MINUTE: '1000',
      TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [signingKey('widget-test')] }),
      PUBLIC_URL,
      TURNSTILE_SITEVERIFY_URL: siteverify.url,
      ...vars,
    },
    // Every page request comes from 127.0.0.1: the per-IP budget would stop a run.
    {
      tenants,
      kvEntries: channels ? CHANNEL_TENANTS.flatMap((t) => recordEntries(devTenantToRecord(t))) : [],
      assets,
      ipLimit: 100000,
    },
  );
  return {
    ...worker,
    siteverify,
    dispose: async () => {
      await worker.dispose();
      await siteverify.close();
    },
  };
}

const pageTypes = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

/**
 * The test pages' origin (another port of 127.0.0.1 than the worker): `/pages/<name>.html`
 * from tests/widget/pages with `{{api}}`, `{{pk}}`, `{{lang}}`, `{{dir}}`, `{{attrs}}` and
 * `{{turnstile}}` filled from the query string (defaults: this worker, acme, en, ltr),
 * `/pkg/…` the built package, `/turnstile-standin.js` the Turnstile stand-in.
 * `requests` lists every path asked for, in order.
 */
export async function startPages(api) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    if (url.pathname.startsWith('/pkg/')) return serveFile(res, PKG, url.pathname.slice('/pkg/'.length));
    if (url.pathname === '/turnstile-standin.js') {
      return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(join(here, 'turnstile-standin.js')));
    }
    const m = url.pathname.match(/^\/pages\/([a-z0-9-]+\.html)$/);
    if (!m || !existsSync(join(here, 'pages', m[1]))) return res.writeHead(404).end();
    const q = (name, fallback) => url.searchParams.get(name) ?? fallback;
    const escape = (s) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
    const values = {
      api: api.url,
      pk: q('pk', PK.acme),
      lang: q('lang', 'en'),
      dir: q('dir', 'ltr'),
      // Extra attributes of the element, as given (`preview`, `country="FR"`, …): tests only.
      attrs: q('attrs', ''),
      turnstile: `http://127.0.0.1:${server.address().port}/turnstile-standin.js`,
    };
    const html = readFileSync(join(here, 'pages', m[1]), 'utf8')
      .replace(/\{\{(\w+)\}\}/g, (_, k) => (k === 'attrs' ? values.attrs : escape(values[k] ?? '')));
    res.writeHead(200, { 'Content-Type': pageTypes['.html'], 'Cache-Control': 'no-store' }).end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    url: base,
    requests,
    /** The URL of a test page with query parameters. */
    page: (name, params = {}) => `${base}/pages/${name}.html?${new URLSearchParams(params)}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/**
 * The dev inbox's messages (`GET /dev/inbox`), newest first; when the worker has no inbox
 * (404), the console provider's log lines stand in, as `{ otpId, text }`.
 */
export async function inbox(api) {
  const r = await api.fetch('/dev/inbox');
  if (r.status === 200) return (await r.json()).messages;
  await r.text();
  return api.logs.filter((l) => l.includes('sms.console')).reverse().map((l) => {
    const j = JSON.parse(l.slice(l.indexOf('{')));
    return { otpId: j.otpId ?? j.otp_id, to: j.to, text: j.text };
  });
}

/** Waits (polling, at most `timeout` ms) for `fn()` to return a truthy value; returns it. */
export async function eventually(fn, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The PIN of the SMS the console provider sent for `otpId`, read from the dev inbox. */
export async function pinOf(api, otpId) {
  const sms = await eventually(async () => (await inbox(api)).find((m) => m.otpId === otpId), `the SMS of ${otpId}`);
  const m = sms.text.match(/(\d{4,10})\D*$/);
  assert.ok(m, `no PIN in ${JSON.stringify(sms.text)}`);
  return m[1];
}

export { pinFromLogs };

/** The deployment's public keys, as a site's backend fetches them. */
export async function jwks(api) {
  const r = await api.fetch('/.well-known/jwks.json');
  assert.equal(r.status, 200);
  return r.json();
}

/** Checks a widget's token as the site's backend would; returns its claims. */
export async function backendCheck(api, token, audience = 'acme') {
  const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks(api)), {
    issuer: PUBLIC_URL,
    audience,
    algorithms: ['EdDSA'],
    requiredClaims: ['jti', 'sub', 'exp', 'iat'],
  });
  return payload;
}

let counter = 0;
/**
 * A UK mobile number no other test of this process uses (07400 1xxxxx: valid for
 * libphonenumber), as E.164.
 */
export function freshUkNumber() {
  const n = 100000 + ((process.pid * 97 + counter++ * 7919) % 900000);
  return `+447400${n}`;
}

/** The folder every screenshot goes to (printed once). */
export const SHOTS = join(root, 'target/widget-screenshots');
/** The documented screenshots (docs/browser.md), written only with SMSOTP_UPDATE_SCREENSHOTS=1. */
export const README_SHOTS = join(root, 'docs/screenshots');
/** Where a screenshot that differs from the documented one is written with its diff image. */
export const DIFF_SHOTS = join(SHOTS, 'diff');
/**
 * How a screenshot is compared with the committed one (docs/screenshots): the same size,
 * and at most SCREENSHOT_MAX_DIFF_PIXELS pixels whose colours differ by more than
 * pixelmatch's SCREENSHOT_THRESHOLD (its YIQ colour distance, 0–1; anti-aliased pixels
 * count as different too: includeAA), outside the `mask` areas: what differs from run to
 * run by design (the phone number, the expiry time, a PIN) is blanked in both images. Chromium
 * renders the same page to the same pixels on the same machine: outside those areas, three
 * runs on this project's machine differed from the committed screenshots by 0 pixels in each
 * of the 18 (2026-12-04; before the resend countdown was masked, one shot differed by 41: its
 * 0:28 was 0:29); the allowance covers a changed glyph or two, no layout change.
 */
export const SCREENSHOT_THRESHOLD = 0.1;
export const SCREENSHOT_MAX_DIFF_PIXELS = 100;
let announced = false;

/**
 * Compares a screenshot (PNG bytes) with the documented `docs/screenshots/<name>.png`; on a
 * difference past the tolerance writes `<name>.png` (this run's) and `<name>.diff.png`
 * (pixelmatch's: differing pixels red) to DIFF_SHOTS and throws, naming both.
 */
export function compareWithReadme(buffer, name, rects = []) {
  const committedPath = join(README_SHOTS, `${name}.png`);
  assert.ok(existsSync(committedPath), `${committedPath} is missing: SMSOTP_UPDATE_SCREENSHOTS=1 writes it`);
  const committed = PNG.sync.read(readFileSync(committedPath));
  const actual = PNG.sync.read(buffer);
  const fail = (why, diff) => {
    mkdirSync(DIFF_SHOTS, { recursive: true });
    writeFileSync(join(DIFF_SHOTS, `${name}.png`), buffer);
    if (diff) writeFileSync(join(DIFF_SHOTS, `${name}.diff.png`), PNG.sync.write(diff));
    assert.fail(`screenshot ${name} differs from docs/screenshots/${name}.png: ${why}; this run's and the diff in ${DIFF_SHOTS} (look at both; SMSOTP_UPDATE_SCREENSHOTS=1 refreshes the committed one)`);
  };
  if (committed.width !== actual.width || committed.height !== actual.height) {
    fail(`${actual.width}×${actual.height} px, committed ${committed.width}×${committed.height}`);
  }
  // The masked areas: the same neutral colour in both images.
  for (const image of [committed, actual]) {
    for (const { x, y, width, height } of rects) {
      for (let row = Math.max(0, Math.floor(y)); row < Math.min(image.height, Math.ceil(y + height)); row++) {
        for (let col = Math.max(0, Math.floor(x)); col < Math.min(image.width, Math.ceil(x + width)); col++) {
          image.data.set([128, 128, 128, 255], (row * image.width + col) * 4);
        }
      }
    }
  }
  const diff = new PNG({ width: actual.width, height: actual.height });
  const differing = pixelmatch(committed.data, actual.data, diff.data, actual.width, actual.height, { threshold: SCREENSHOT_THRESHOLD, includeAA: true });
  if (differing > SCREENSHOT_MAX_DIFF_PIXELS) {
    fail(`${differing} of ${actual.width * actual.height} pixels differ (at most ${SCREENSHOT_MAX_DIFF_PIXELS} may)`, diff);
  }
  return differing;
}

/**
 * Writes a screenshot of `target` (the page, or a locator) to SHOTS as `<name>.png`. When
 * `readme` names one of the documented screenshots (docs/browser.md), compares it with the committed one
 * (compareWithReadme: throws past the tolerance), except the areas of the `mask` locators
 * (content that changes from run to run) — or, with SMSOTP_UPDATE_SCREENSHOTS=1, writes it
 * to docs/screenshots instead.
 */
export async function shot(target, name, { readme, mask = [] } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  if (!announced) {
    announced = true;
    console.log(`screenshots: ${SHOTS}`);
  }
  const buffer = await target.screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled' });
  if (readme && process.env.SMSOTP_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(README_SHOTS, { recursive: true });
    writeFileSync(join(README_SHOTS, `${readme}.png`), buffer);
  } else if (readme) {
    // The mask areas in the screenshot's pixels (a locator's box is the page's).
    const origin = typeof target.boundingBox === 'function' ? await target.boundingBox() : { x: 0, y: 0 };
    const rects = [];
    for (const locator of mask) {
      for (const one of await locator.all()) {
        const box = await one.boundingBox();
        if (box) rects.push({ x: box.x - origin.x - 2, y: box.y - origin.y - 2, width: box.width + 4, height: box.height + 4 });
      }
    }
    const differing = compareWithReadme(buffer, readme, rects);
    console.log(`screenshot ${readme}: ${differing} pixels differ from docs/screenshots`);
  }
  return buffer;
}

/** The WCAG tags the issue asks axe to check. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];

/** Runs axe-core on `page`; fails with every violation listed readably. */
export async function assertAccessible(page, label) {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const lines = result.violations.flatMap((v) => [
    `- ${v.id} (${v.impact}): ${v.help}`,
    ...v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' | ')}`),
  ]);
  assert.equal(result.violations.length, 0, `axe, ${label}: ${result.violations.length} violation(s)\n${lines.join('\n')}`);
}
