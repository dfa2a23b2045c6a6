// The package in headless Chromium, two ways: loaded by a plain <script type="module">
// straight from the installed package's files, and bundled by Vite (production build).
// Both pages run exercise() against the fake API served from the same origin, and
// exerciseBrowserClient() against a second fake API on another origin (another port), so
// BrowserClient's calls go through CORS (preflights included) as on a real site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { listen } from './fake-api.mjs';
import { serveFile, launchChromium } from './serve.mjs';
import { checkExercise, checkBrowserClient } from './assertions.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, 'node_modules', 'smsotp');
let server, url, browser, viteOut, browserApi;

// The browser API's URL comes in the query (`?browserApi=`), as for the Vite page.
const PLAIN_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as smsotp from '/pkg/index.js';
import { exercise, exerciseBrowserClient } from '/tests/exercise.mjs';
const done = (p) => p.then((r) => JSON.stringify(r), (e) => 'ERROR ' + e.stack);
window.__result = done(exercise(smsotp, location.origin));
window.__browser = done(exerciseBrowserClient(smsotp, new URLSearchParams(location.search).get('browserApi')));
</script>`;

before(async () => {
  viteOut = await mkdtemp(join(tmpdir(), 'smsotp-vite-'));
  await build({
    root: join(here, 'vite-app'),
    base: '/vite/',
    logLevel: 'warn',
    build: { outDir: viteOut, emptyOutDir: true },
  });
  ({ server, url } = await listen((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/plain.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PLAIN_PAGE);
    if (path.startsWith('/pkg/')) return serveFile(res, pkgDir, path.slice(5));
    if (path === '/tests/exercise.mjs') return serveFile(res, here, 'exercise.mjs');
    if (path.startsWith('/vite/')) return serveFile(res, viteOut, path.slice(6) || 'index.html');
    res.writeHead(404).end();
  }));
  browserApi = await listen();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  browserApi?.server.close();
  if (viteOut) await rm(viteOut, { recursive: true, force: true });
});

async function run(path) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}${path}?browserApi=${encodeURIComponent(browserApi.url)}`);
  const results = [];
  for (const name of ['__result', '__browser']) {
    await page.waitForFunction((n) => window[n] !== undefined, name, { timeout: 20000 });
    results.push(await page.evaluate((n) => window[n], name));
  }
  await page.close();
  for (const text of results) if (text.startsWith('ERROR')) throw new Error(text);
  assert_noErrors(errors);
  return results.map((text) => JSON.parse(text));
}

function assert_noErrors(errors) {
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
}

// What the browser API received from the page's origin: the publishable key only, after
// preflights that asked for no header but Authorization and Content-Type (so no secret-key
// header was even attempted).
function checkBrowserRequests(since) {
  const seen = browserApi.api.seen.slice(since).filter((r) => r.path.startsWith('/v1/browser/'));
  const preflights = seen.filter((r) => r.method === 'OPTIONS');
  const requests = seen.filter((r) => r.method !== 'OPTIONS');
  assert.ok(preflights.length > 0 && requests.length >= 20, `${preflights.length} ${requests.length}`);
  for (const r of preflights) {
    assert.equal(r.headers.origin, url);
    assert.match(r.headers['access-control-request-headers'], /^authorization(,content-type)?$/);
  }
  for (const r of requests) {
    assert.equal(r.headers.origin, url);
    assert.equal(r.headers['x-api-key'], undefined);
    assert.match(r.headers.authorization, /^Bearer pk_test_/);
  }
}

test('plain <script type="module"> in Chromium: every export; BrowserClient across origins', async () => {
  const since = browserApi.api.seen.length;
  const [all, client] = await run('/plain.html');
  checkExercise(all);
  checkBrowserClient(client, { inBrowser: true });
  checkBrowserRequests(since);
});

test('bundled by Vite (production build) in Chromium: every export; BrowserClient across origins', async () => {
  const since = browserApi.api.seen.length;
  const [all, client] = await run('/vite/index.html');
  checkExercise(all);
  checkBrowserClient(client, { inBrowser: true });
  checkBrowserRequests(since);
});
