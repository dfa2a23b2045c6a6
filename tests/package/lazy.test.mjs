// The phone metadata loaded per region (`loadCountries`), in both entries, as users get it:
// Node 20 (assets read from disk), a plain <script type="module"> page in Chromium and in
// Firefox (assets fetched next to the module), a Vite production build and a webpack 5
// production build (each copies the assets its `new URL(…, import.meta.url)` names). Before
// its region is loaded a call throws METADATA_MISSING with the region; after, it answers;
// a page fetches the assets of the regions it loads and no other.
// Its own file: node --test runs it in a fresh process, where nothing is loaded yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, mkdtemp, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import webpack from 'webpack';
import { Builder } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import * as phone from 'smsotp/phone';
import * as full from 'smsotp';
import { listen } from './fake-api.mjs';
import { serveFile, launchChromium } from './serve.mjs';
import { lazyScenario, EXPECTED } from './lazy-scenario.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, 'node_modules', 'smsotp');
const GECKODRIVER = process.env.GECKODRIVER ?? join(homedir(), '.cargo/bin/geckodriver');
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

/** The scenario's answers, without the assets fetched (checked per platform). */
function answers(result) {
  const { assetsBefore, assetsAfterFR, assetsAfterCA, assetsAtEnd, ...rest } = result;
  return rest;
}

/**
 * A page fetches FR's asset when it loads FR, then US and CA's for CA, and nothing twice.
 * `dir` and `prefix`: where the served paths are on disk (a bundler renames the assets: an
 * asset's region is its first line's).
 */
async function checkAssets(result, where, dir, prefix) {
  const regions = async (paths) => (await Promise.all(paths.map(async (p) => {
    assert.ok(p.startsWith(prefix), p);
    return (await readFile(join(dir, p.slice(prefix.length)), 'utf8')).slice(0, 2);
  }))).sort();
  assert.deepEqual(result.assetsBefore, [], `${where}: no asset before loadCountries`);
  assert.deepEqual(await regions(result.assetsAfterFR), ['FR'], `${where}: FR's asset only`);
  assert.deepEqual(await regions(result.assetsAfterCA), ['CA', 'FR', 'US'], `${where}: CA with its main region`);
  assert.deepEqual(await regions(result.assetsAtEnd), ['CA', 'FR', 'US'], `${where}: a loaded region is not fetched again`);
}

test('smsotp/phone in Node: METADATA_MISSING before a region is loaded, its answers after', async () => {
  assert.deepEqual(answers(await lazyScenario(phone)), EXPECTED);
});

test('smsotp (main entry) in Node: the same, and request validation waits for the region too', async () => {
  assert.throws(() => full.validateOtpRequest({ phoneNumber: '+49 1512 3456789' }), { code: 'METADATA_MISSING', country: 'DE' });
  assert.throws(() => full.renderMessage({ phoneNumber: '+49 1512 3456789' }), { code: 'METADATA_MISSING', country: 'DE' });
  assert.deepEqual(answers(await lazyScenario(full)), EXPECTED);
  assert.equal(full.validateOtpRequest({ phoneNumber: '+49 1512 3456789' }).ok, true);
});

test('the package ships one small asset per region, listed in its files', async () => {
  const names = (await readdir(join(pkgDir, 'phone-data'))).sort();
  assert.equal(names.length, 245);
  assert.deepEqual(names.map((n) => n.slice(0, 2)), phone.countries().map((c) => c.countryIso));
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  assert.ok(manifest.files.includes('phone-data/'));
});

let server, url, browser, viteOut, webpackOut;

const PLAIN_PAGE = (entry) => `<!doctype html><meta charset="utf-8"><script type="module">
import * as m from '/pkg/${entry}';
import { lazyScenario } from '/tests/lazy-scenario.mjs';
window.__result = lazyScenario(m).then((r) => JSON.stringify(r), (e) => 'ERROR ' + e.stack);
</script>`;
const APP = `import * as m from 'smsotp/phone';
import { lazyScenario } from './lazy-scenario.mjs';
window.__result = lazyScenario(m).then((r) => JSON.stringify(r), (e) => 'ERROR ' + e.stack);
`;

/** A folder with the app's sources and the installed package, as a user's project. */
async function appFolder(prefix) {
  const app = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(app, 'node_modules'));
  await symlink(pkgDir, join(app, 'node_modules', 'smsotp'), 'dir');
  await writeFile(join(app, 'lazy-scenario.mjs'), await readFile(join(here, 'lazy-scenario.mjs')));
  await writeFile(join(app, 'main.js'), APP);
  return app;
}

before(async () => {
  const viteApp = await appFolder('smsotp-vite-lazy-src-');
  await writeFile(join(viteApp, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>');
  viteOut = await mkdtemp(join(tmpdir(), 'smsotp-vite-lazy-'));
  await build({ root: viteApp, base: '/vite/', logLevel: 'warn', build: { outDir: viteOut, emptyOutDir: true } });
  await rm(viteApp, { recursive: true, force: true });

  const webpackApp = await appFolder('smsotp-webpack-lazy-src-');
  webpackOut = await mkdtemp(join(tmpdir(), 'smsotp-webpack-lazy-'));
  const stats = await new Promise((resolve, reject) => {
    webpack({
      mode: 'production',
      context: webpackApp,
      entry: './main.js',
      output: { path: webpackOut, filename: 'main.js', publicPath: 'auto' },
      performance: { hints: false },
    }, (e, s) => (e ? reject(e) : resolve(s)));
  });
  assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
  await writeFile(join(webpackOut, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="./main.js"></script>');
  await rm(webpackApp, { recursive: true, force: true });

  ({ server, url } = await listen((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/phone.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PLAIN_PAGE('phone.js'));
    if (path === '/full.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PLAIN_PAGE('index.js'));
    if (path.startsWith('/pkg/')) return serveFile(res, pkgDir, path.slice(5));
    if (path === '/tests/lazy-scenario.mjs') return serveFile(res, here, 'lazy-scenario.mjs');
    if (path.startsWith('/vite/')) return serveFile(res, viteOut, path.slice(6) || 'index.html');
    if (path.startsWith('/webpack/')) return serveFile(res, webpackOut, path.slice(9) || 'index.html');
    res.writeHead(404).end();
  }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  for (const dir of [viteOut, webpackOut]) if (dir) await rm(dir, { recursive: true, force: true });
});

async function inChromium(path) {
  const tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  await tab.goto(url + path);
  await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 30000 });
  const text = await tab.evaluate(() => window.__result);
  await tab.close();
  if (text.startsWith('ERROR')) throw new Error(text);
  assert.deepEqual(errors, []);
  return JSON.parse(text);
}

for (const [entry, name] of [['phone.js', 'smsotp/phone'], ['index.js', 'smsotp']]) {
  test(`${name} in Chromium (plain module page): the same answers, each region's asset fetched once`, async () => {
    const result = await inChromium(`/${entry === 'phone.js' ? 'phone' : 'full'}.html`);
    assert.deepEqual(answers(result), EXPECTED);
    await checkAssets(result, `${name} (Chromium)`, pkgDir, '/pkg/');
  });
}

test('smsotp/phone in Firefox (plain module page): the same answers, each region\'s asset fetched once', async () => {
  assert.ok(existsSync(GECKODRIVER), `geckodriver at ${GECKODRIVER} (scripts/setup.sh firefox installs it)`);
  // The driver's path is given, so Selenium Manager never tries to download one (offline).
  const driver = await new Builder()
    .forBrowser('firefox')
    .setFirefoxService(new firefox.ServiceBuilder(GECKODRIVER))
    .setFirefoxOptions(new firefox.Options().addArguments('-headless').setBinary(FIREFOX))
    .build();
  try {
    await driver.get(`${url}/phone.html`);
    await driver.wait(async () => (await driver.executeScript('return window.__result !== undefined')), 30000);
    const text = await driver.executeAsyncScript('const done = arguments[arguments.length - 1]; window.__result.then(done);');
    if (text.startsWith('ERROR')) throw new Error(text);
    const result = JSON.parse(text);
    assert.deepEqual(answers(result), EXPECTED);
    await checkAssets(result, 'smsotp/phone (Firefox)', pkgDir, '/pkg/');
  } finally {
    await driver.quit();
  }
});

test('smsotp/phone bundled by Vite: every asset copied, only the loaded ones fetched', async () => {
  const copied = (await readdir(join(viteOut, 'assets'))).filter((f) => f.endsWith('.txt'));
  assert.equal(copied.length, 245, 'each region asset is a file of the build (not inlined)');
  const result = await inChromium('/vite/index.html');
  assert.deepEqual(answers(result), EXPECTED);
  await checkAssets(result, 'Vite build', viteOut, '/vite/');
});

test('smsotp/phone bundled by webpack 5: every asset copied, only the loaded ones fetched', async () => {
  const copied = (await readdir(webpackOut)).filter((f) => f.endsWith('.txt'));
  assert.equal(copied.length, 245, 'each region asset is a file of the build');
  const result = await inChromium('/webpack/index.html');
  assert.deepEqual(answers(result), EXPECTED);
  await checkAssets(result, 'webpack 5 build', webpackOut, '/webpack/');
});
