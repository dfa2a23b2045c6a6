// The package as a Node user gets it: installed from its tarball into ./node_modules
// (scripts/test.sh) and imported by name, with no manual initialisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as smsotp from 'smsotp';
import { exercise, exerciseBrowserClient } from './exercise.mjs';
import { checkExercise, checkBrowserClient } from './assertions.mjs';
import { listen, API_KEY, BROWSER_KEY } from './fake-api.mjs';

test('every export works in Node, OtpClient against a local HTTP server', async () => {
  const { server, api, url } = await listen();
  try {
    checkExercise(await exercise(smsotp, url));
    // The client sends the key and JSON as the contract says.
    const create = api.seen.find((r) => r.method === 'POST' && r.path === '/otp');
    assert.equal(create.headers['x-api-key'], API_KEY);
    assert.equal(create.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(create.body), { phoneNumber: '+33612345678', maxAttempts: 3 });
  } finally {
    server.close();
  }
});

test('the named import of the issue works and the package is ESM with types', async () => {
  const { countSegments } = await import('smsotp');
  assert.equal(countSegments('hello').parts, 1);
  const manifest = (await import('smsotp/package.json', { with: { type: 'json' } })).default;
  assert.equal(manifest.name, 'smsotp');
  assert.equal(manifest.type, 'module');
  // Only the widget has a side effect (it defines <smsotp-verify>): `import 'smsotp/widget'`
  // must survive tree shaking; every other module may be dropped when unused.
  assert.deepEqual(manifest.sideEffects, ['./widget.js']);
  assert.equal(manifest.exports['.'].types, './index.d.ts');
});

test('BrowserClient in Node against the fake browser API: every method and error shape', async () => {
  const { server, api, url } = await listen();
  // Node's fetch sends no Origin; a page's would be http://127.0.0.1:<port>.
  const originFetch = (target, init) => fetch(target, { ...init, headers: { ...init.headers, Origin: 'http://127.0.0.1:5173' } });
  try {
    checkBrowserClient(await exerciseBrowserClient(smsotp, url, { originFetch }), { inBrowser: false });
    // As received: the publishable key in Authorization, and no secret-key header at all.
    const browser = api.seen.filter((r) => r.path.startsWith('/v1/browser/'));
    assert.ok(browser.length >= 20, String(browser.length));
    for (const r of browser) {
      assert.equal(r.headers['x-api-key'], undefined);
      assert.match(r.headers.authorization, /^Bearer pk_test_/);
    }
    assert.ok(browser.some((r) => r.headers.authorization === `Bearer ${BROWSER_KEY}`));
    // Without an Origin (what a server's fetch sends) the browser API refuses: 2124.
    const noOrigin = await new smsotp.BrowserClient({ api: url, publishableKey: BROWSER_KEY }).config().catch((e) => e);
    assert.deepEqual([noOrigin.name, noOrigin.status, noOrigin.code], ['OtpError', 403, 2124]);
  } finally {
    server.close();
  }
});
