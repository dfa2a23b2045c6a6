// The phone functions of the packed package — `smsotp/phone` (the lighter entry with its
// own wasm) and the same functions in `smsotp` — in Node 20 and headless Chromium (a plain
// <script type="module"> page and a Vite production build), each run checked against
// libphonenumber-js/max (phone-oracle.mjs) and the browsers' answers against Node's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import * as phone from 'smsotp/phone';
import * as full from 'smsotp';
import { listen } from './fake-api.mjs';
import { serveFile, launchChromium } from './serve.mjs';
import { phoneExercise } from './phone-exercise.mjs';
import { checkPhoneExercise } from './phone-oracle.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
// Every region's phone metadata, as a server or a test loads it (lazy.test.mjs: per region).
await phone.loadAllCountries();
await full.loadAllCountries();
const pkgDir = join(here, 'node_modules', 'smsotp');

test('smsotp/phone in Node: formatting, as-you-type and the region list agree with libphonenumber-js', () => {
  checkPhoneExercise(phoneExercise(phone), 'smsotp/phone (Node)');
});

test('smsotp in Node gives the same phone answers as smsotp/phone', () => {
  assert.deepEqual(phoneExercise(full), phoneExercise(phone));
});

test('smsotp/phone exports the phone functions only, and loads only its own wasm', async () => {
  assert.deepEqual(Object.keys(phone).sort(), ['AsYouType', 'countries', 'formatPhoneNumber', 'loadAllCountries', 'loadCountries', 'parsePhoneNumber']);
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.exports['./phone'], { types: './phone.d.ts', node: './phone.node.js', default: './phone.js' });
  for (const file of ['phone.js', 'phone.node.js']) {
    const text = await readFile(join(pkgDir, file), 'utf8');
    assert.match(text, /smsotp_phone_bg\.wasm/);
    assert.doesNotMatch(text, /smsotp_bg\.wasm|validateJson|renderJson/, `${file} must not load the full build`);
  }
  const wasmSize = async (name) => (await readFile(join(pkgDir, name))).length;
  assert.ok((await wasmSize('smsotp_phone_bg.wasm')) < (await wasmSize('smsotp_bg.wasm')), 'the phone wasm is the smaller one');
});

let server, url, browser, viteOut;

const page = (entry) => `<!doctype html><meta charset="utf-8"><script type="module">
import * as m from '/pkg/${entry}';
import { phoneExercise } from '/tests/phone-exercise.mjs';
window.__result = m.loadAllCountries().then(() => JSON.stringify(phoneExercise(m)), (e) => 'ERROR ' + e.stack);
</script>`;

before(async () => {
  // A Vite app that imports `smsotp/phone` by name, built for production.
  const app = await mkdtemp(join(tmpdir(), 'smsotp-vite-phone-src-'));
  await mkdir(join(app, 'node_modules'));
  await symlink(pkgDir, join(app, 'node_modules', 'smsotp'), 'dir');
  await writeFile(join(app, 'phone-exercise.mjs'), await readFile(join(here, 'phone-exercise.mjs')));
  await writeFile(join(app, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>');
  await writeFile(join(app, 'main.js'), `import * as m from 'smsotp/phone';
import { phoneExercise } from './phone-exercise.mjs';
window.__result = m.loadAllCountries().then(() => JSON.stringify(phoneExercise(m)), (e) => 'ERROR ' + e.stack);
`);
  viteOut = await mkdtemp(join(tmpdir(), 'smsotp-vite-phone-'));
  await build({ root: app, base: '/vite/', logLevel: 'warn', build: { outDir: viteOut, emptyOutDir: true } });
  await rm(app, { recursive: true, force: true });
  ({ server, url } = await listen((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/phone.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(page('phone.js'));
    if (path === '/full.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(page('index.js'));
    if (path.startsWith('/pkg/')) return serveFile(res, pkgDir, path.slice(5));
    if (path === '/tests/phone-exercise.mjs') return serveFile(res, here, 'phone-exercise.mjs');
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

async function inChromium(path) {
  const tab = await browser.newPage();
  const errors = [];
  const loaded = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  tab.on('request', (r) => loaded.push(new URL(r.url()).pathname));
  await tab.goto(url + path);
  await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 30000 });
  const text = await tab.evaluate(() => window.__result);
  await tab.close();
  if (text.startsWith('ERROR')) throw new Error(text);
  assert.deepEqual(errors, []);
  return { result: JSON.parse(text), loaded };
}

test('smsotp/phone in Chromium (plain module page) answers as in Node and loads only the phone wasm', async () => {
  const { result, loaded } = await inChromium('/phone.html');
  checkPhoneExercise(result, 'smsotp/phone (Chromium)');
  assert.deepEqual(result, JSON.parse(JSON.stringify(phoneExercise(phone))));
  assert.ok(loaded.includes('/pkg/smsotp_phone_bg.wasm'), loaded.join(' '));
  assert.ok(!loaded.includes('/pkg/smsotp_bg.wasm'), 'the full wasm must not be fetched');
});

test('smsotp (main entry) in Chromium gives the same phone answers', async () => {
  const { result } = await inChromium('/full.html');
  assert.deepEqual(result, JSON.parse(JSON.stringify(phoneExercise(phone))));
});

test('smsotp/phone bundled by Vite (production build) in Chromium', async () => {
  const { result, loaded } = await inChromium('/vite/index.html');
  assert.deepEqual(result, JSON.parse(JSON.stringify(phoneExercise(phone))));
  assert.ok(loaded.some((p) => p.endsWith('.wasm')), 'the bundle fetches its wasm');
});
