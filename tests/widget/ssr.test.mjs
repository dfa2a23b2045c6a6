// `import 'smsotp/widget'` during server rendering (Node: no DOM, no customElements) must not
// throw, so a page's module graph can be imported on the server as is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PKG } from './support.mjs';

test('importing the widget in Node (no DOM) does not throw, twice', async () => {
  const file = join(PKG, 'widget.js');
  assert.ok(existsSync(file), `${file} (npm run build)`);
  assert.equal(typeof globalThis.HTMLElement, 'undefined');
  await import(pathToFileURL(file).href);
  await import(`${pathToFileURL(file).href}?again`);
  assert.equal(typeof globalThis.customElements, 'undefined', 'nothing defined globally');
});

test('the package exports ./widget with its types', async () => {
  const manifest = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(PKG, 'package.json'), 'utf8')));
  assert.deepEqual(manifest.exports['./widget'], { types: './widget.d.ts', default: './widget.js' });
  assert.ok(manifest.files.includes('widget.js') && manifest.files.includes('widget.d.ts'), JSON.stringify(manifest.files));
});
