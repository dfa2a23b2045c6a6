// The package in headless Chromium, two ways: loaded by a plain <script type="module">
// straight from the installed package's files, and bundled by Vite (production build).
// Both pages run exercise() against the fake API served from the same origin.
import { test, before, after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { listen } from './fake-api.mjs';
import { serveFile, launchChromium } from './serve.mjs';
import { checkExercise } from './assertions.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, 'node_modules', 'smsotp');
let server, url, browser, viteOut;

const PLAIN_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as smsotp from '/pkg/index.js';
import { exercise } from '/tests/exercise.mjs';
window.__result = exercise(smsotp, location.origin).then((r) => JSON.stringify(r), (e) => 'ERROR ' + e.stack);
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
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (viteOut) await rm(viteOut, { recursive: true, force: true });
});

async function run(path) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url + path);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 20000 });
  const text = await page.evaluate(() => window.__result);
  await page.close();
  if (text.startsWith('ERROR')) throw new Error(text);
  assert_noErrors(errors);
  return JSON.parse(text);
}

function assert_noErrors(errors) {
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
}

test('plain <script type="module"> in Chromium: every export', async () => {
  checkExercise(await run('/plain.html'));
});

test('bundled by Vite (production build) in Chromium: every export', async () => {
  checkExercise(await run('/vite/index.html'));
});
