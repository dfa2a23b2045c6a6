// /admin/, the operator's dashboard (worker/src/admin.rs, its files assembled by
// scripts/build-admin.sh into worker/public/admin): served in production as in development,
// every answer under /admin/ with the strict Content-Security-Policy and the other security
// headers; /admin redirects; only GET and HEAD. The page's own files hold no inline script
// or style and nothing the CSP would block, and uPlot comes from npm with its licence. The
// page in a browser: tests/widget/admin.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ASSETS = join(root, 'worker/public');
const ADMIN = join(ASSETS, 'admin');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let prod;
before(async () => {
  assert.ok(existsSync(join(ADMIN, 'index.html')), `${ADMIN} (bash scripts/build-admin.sh)`);
  prod = await startWorker(
    { ENVIRONMENT: 'production', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example/send' },
    { assets: ASSETS },
  );
});
after(async () => {
  await prod?.dispose();
});

/** The security headers every /admin/ answer carries. */
function assertHeaders(r, what) {
  assert.equal(r.headers.get('content-security-policy'), CSP, what);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(r.headers.get('x-frame-options'), 'DENY', what);
  assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin', what);
}

test('in production: /admin/ and its files are served, each with the CSP and the security headers', async () => {
  const page = await prod.fetch('/admin/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assertHeaders(page, '/admin/');
  const html = await page.text();
  assert.match(html, /<input id="key" name="key" type="password"/);
  for (const [path, type] of [
    ['/admin/main.js', /javascript/], ['/admin/admin.css', /text\/css/], ['/admin/vendor/uplot.js', /javascript/],
    ['/admin/vendor/uplot.css', /text\/css/], ['/admin/refusals.js', /javascript/], ['/admin/icon.svg', /image\/svg\+xml/],
    ['/admin/vendor/uplot.LICENSE.txt', /text\/plain/],
  ]) {
    const r = await prod.fetch(path);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), type, path);
    assertHeaders(r, path);
    await r.arrayBuffer();
  }
  // HEAD too, without a body.
  const head = await prod.fetch('/admin/', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assertHeaders(head, 'HEAD /admin/');
  // The demo stays development-only beside it.
  const demo = await prod.fetch('/demo/');
  assert.equal(demo.status, 404);
  await demo.text();
});

test('/admin redirects to /admin/; an unknown file is a 404 with the headers; other methods are 405', async () => {
  const bare = await prod.fetch('/admin', { redirect: 'manual' });
  assert.equal(bare.status, 308);
  assert.equal(new URL(bare.headers.get('location')).pathname, '/admin/');
  assertHeaders(bare, '/admin');
  await bare.text();
  const missing = await prod.fetch('/admin/nothing-here.js');
  assert.equal(missing.status, 404);
  assertHeaders(missing, 'a missing file');
  await missing.text();
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const r = await prod.fetch('/admin/', { method, body: method === 'OPTIONS' ? undefined : '{}' });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get('allow'), 'GET, HEAD', method);
    assertHeaders(r, method);
    await r.text();
  }
  // Paths that only start like it are the API's (404 there).
  const other = await prod.fetch('/administrator');
  assert.equal(other.status, 404);
  assert.equal(other.headers.get('content-security-policy'), null);
  await other.text();
});

test('the page\'s files: no inline script or style, no eval, no HTML parsed from strings; uPlot pinned, minified, with its licence', () => {
  const files = (dir) => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
  for (const file of files(ADMIN)) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.html')) {
      assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)[^>]*>/, `${file}: an inline <script>`);
      assert.doesNotMatch(text, /<style|\sstyle=/, `${file}: inline style`);
      assert.doesNotMatch(text, /\son[a-z]+=/, `${file}: an inline event handler`);
    }
    if (file.endsWith('.js')) {
      // The code, without its comments (which may name what it avoids).
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|setAttribute\(\s*['"]style|cssText/, file);
      assert.doesNotMatch(code, /\b(localStorage|sessionStorage|indexedDB)\s*[.[]|document\.cookie/, `${file}: storage`);
    }
  }
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.uplot;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'uplot is pinned to an exact version');
  const uplot = readFileSync(join(ADMIN, 'vendor/uplot.js'), 'utf8');
  assert.ok(uplot.startsWith(`/*! uPlot ${pinned} `), 'the notice names the version shipped');
  assert.match(readFileSync(join(ADMIN, 'vendor/uplot.LICENSE.txt'), 'utf8'), /MIT License[\s\S]*Leon Sorokin/);
});
