// The development-only routes (worker/src/dev.rs) on workerd: the dev inbox lists what the
// console provider "sent", and the demo pages come from the ASSETS binding — both only with
// ENVIRONMENT=development. In production (or with a real provider, for the inbox) they are
// the API's 404, with the same files uploaded: the worker runs before the assets.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, call, pinFromLogs } from './harness.mjs';

// A stand-in for worker/public (scripts/build-demo.sh's output): a page and a module.
let assets;
before(() => {
  assets = mkdtempSync(join(tmpdir(), 'smsotp-assets-'));
  mkdirSync(join(assets, 'demo', 'pkg'), { recursive: true });
  writeFileSync(join(assets, 'demo', 'index.html'), '<!doctype html><title>demo page</title>');
  writeFileSync(join(assets, 'demo', 'pkg', 'widget.js'), 'export const widget = 1;\n');
});
after(() => rmSync(assets, { recursive: true, force: true }));

const inbox = async (w, method = 'GET') => {
  const res = await w.fetch('/dev/inbox', { method });
  return { status: res.status, type: res.headers.get('Content-Type'), body: await res.json() };
};

describe('in development', () => {
  let w;
  before(async () => {
    w = await startWorker({}, { assets });
  });
  after(() => w?.dispose());

  test('the dev inbox lists each SMS sent, newest first, PIN and full number included; DELETE empties it', async () => {
    assert.deepEqual((await inbox(w, 'DELETE')).body, { messages: [] });
    const sent = [];
    for (const phoneNumber of ['+447400123456', '+33612345678']) {
      const r = await call(w, 'POST', '/otp', { phoneNumber });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      sent.push({ otpId: r.body.otpId, phoneNumber });
    }
    const listed = await inbox(w);
    assert.equal(listed.status, 200);
    assert.match(listed.type, /application\/json/);
    assert.deepEqual(listed.body.messages.map((m) => [m.otpId, m.to]), sent.reverse().map((s) => [s.otpId, s.phoneNumber]));
    for (const m of listed.body.messages) {
      // The text the console provider logged, PIN and all.
      assert.ok(m.text.endsWith(pinFromLogs(w.logs, m.otpId)), m.text);
      assert.ok(Math.abs(Date.parse(m.sentAt) - Date.now()) < 60_000, m.sentAt);
    }
    assert.deepEqual((await inbox(w, 'DELETE')).body, { messages: [] });
    assert.deepEqual((await inbox(w)).body, { messages: [] });
  });

  test('the dev inbox keeps the last 50', async () => {
    await inbox(w, 'DELETE');
    const ids = [];
    for (let i = 0; i < 52; i++) {
      const r = await call(w, 'POST', '/otp', { phoneNumber: `+4474001234${String(i).padStart(2, '0')}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.otpId);
    }
    const { messages } = (await inbox(w)).body;
    assert.deepEqual(messages.map((m) => m.otpId), ids.slice(2).reverse());
  });

  test('other methods on the inbox: 405 with Allow, also methods the worker crate reads as GET', async () => {
    for (const method of ['POST', 'PUT', 'QUERY', 'PROPFIND']) {
      const res = await w.fetch('/dev/inbox', { method, body: method === 'PROPFIND' ? undefined : '{}' });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('Allow'), 'GET, DELETE', method);
    }
  });

  test('the demo pages are served from the assets; /demo redirects to /demo/', async () => {
    const page = await w.fetch('/demo/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /demo page/);
    const module = await w.fetch('/demo/pkg/widget.js');
    assert.equal(module.status, 200);
    assert.match(module.headers.get('Content-Type'), /javascript/);
    const bare = await w.fetch('/demo', { redirect: 'manual' });
    assert.equal(bare.status, 308);
    assert.equal(new URL(bare.headers.get('Location')).pathname, '/demo/');
    assert.equal((await w.fetch('/demo/missing.html')).status, 404);
  });
});

describe('not in development', () => {
  const twilio = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000', TWILIO_AUTH_TOKEN: 'token-0123456789', TWILIO_FROM: '+15005550006' };
  const notFound = async (w, path) => {
    const res = await w.fetch(path);
    assert.equal(res.status, 404, path);
    const body = await res.json();
    assert.equal(body.error.type, 'not_found', `${path}: ${JSON.stringify(body)}`);
  };

  test('production: no demo, no inbox (the API\'s 404), the same assets uploaded', async () => {
    const w = await startWorker({ ENVIRONMENT: 'production', ...twilio }, { assets });
    try {
      for (const path of ['/demo/', '/demo', '/demo/pkg/widget.js', '/demo/index.html', '/dev/inbox']) await notFound(w, path);
      // Also when the configuration is broken (console provider refused in production).
      const broken = await startWorker({ ENVIRONMENT: 'production' }, { assets });
      try {
        for (const path of ['/demo/', '/dev/inbox']) assert.equal((await broken.fetch(path)).status, 404, path);
      } finally {
        await broken.dispose();
      }
    } finally {
      await w.dispose();
    }
  });

  test('development with a real provider: the demo, but no inbox', async () => {
    const w = await startWorker(twilio, { assets });
    try {
      assert.equal((await w.fetch('/demo/')).status, 200);
      await notFound(w, '/dev/inbox');
    } finally {
      await w.dispose();
    }
  });
});
