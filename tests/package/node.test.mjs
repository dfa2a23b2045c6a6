// The package as a Node user gets it: installed from its tarball into ./node_modules
// (scripts/test.sh) and imported by name, with no manual initialisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as smsotp from 'smsotp';
import { exercise } from './exercise.mjs';
import { checkExercise } from './assertions.mjs';
import { listen, API_KEY } from './fake-api.mjs';

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
  assert.equal(manifest.sideEffects, false);
  assert.equal(manifest.exports['.'].types, './index.d.ts');
});
