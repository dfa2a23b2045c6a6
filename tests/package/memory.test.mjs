// The package's wasm memory does not grow over many calls (no leak per call), measured: the
// byte length of the module's WebAssembly.Memory after a warm-up, then after 10,000 calls of
// each export, must be the same. In its own file, so its process has run nothing else (no
// slack left in the heap by bigger calls that could hide a small leak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as smsotp from 'smsotp';
// The module instance the package entry initialised (same URL, so the same module).
import { wasmMemory, inputBuffer } from './node_modules/smsotp/smsotp.js';

// The regions the calls below use (FR, US, BG), loaded before memory is measured.
await smsotp.loadCountries(['FR', 'US', 'BG']);

const CALLS = 10000;
const seed = {
  phoneNumber: '+33612424199',
  template: 'Your verification code is {{pin}}',
  template_fr: 'Votre code de vérification est {{pin}}',
  template_bg: 'Вашият код за потвърждение е {{pin}}',
  ttl: 600,
  pinLength: 5,
};
// One call of each export, with inputs that allocate in wasm (JSON in and out, strings,
// the UTF-16 buffers), including failing ones.
const exports = {
  validateOtpRequest: (i) => {
    const r = smsotp.validateOtpRequest(i % 2 ? seed : { phoneNumber: '', ttl: 5 });
    assert.equal(r.ok, i % 2 === 1);
  },
  parsePhoneNumber: (i) => {
    const r = smsotp.parsePhoneNumber(i % 2 ? `+33 6 12 34 ${String(i % 100).padStart(2, '0')} 99` : '+336124241xx');
    assert.equal(r.valid, i % 2 === 1);
  },
  renderMessage: (i) => {
    const r = smsotp.renderMessage({ ...seed, phoneNumber: i % 2 ? '+359888123456' : '+33612424199' }, { pin: '48213' });
    assert.equal(r.language, i % 2 ? 'bg' : 'fr');
  },
  countSegments: (i) => {
    const r = smsotp.countSegments(i % 2 ? `Код ${i}` : `Code ${i}`);
    assert.equal(r.encoding, i % 2 ? 'UCS-2' : 'GSM-7');
    if (i % 2) assert.deepEqual(r.nonGsmCharacters, ['К', 'о', 'д']);
  },
  formatPhoneNumber: (i) => {
    assert.equal(smsotp.formatPhoneNumber(`+3361234${String(i % 10000).padStart(4, '0')}`, undefined, 'NATIONAL').length, 14);
  },
  AsYouType: (i) => {
    // A new formatter per call, as a field that formats its whole value on every keystroke.
    const f = new smsotp.AsYouType(i % 2 ? 'FR' : 'US');
    assert.ok(f.input(i % 2 ? '0612345678' : '2125550123').length >= 10);
  },
  countries: () => {
    assert.equal(smsotp.countries().length, 245);
  },
  generatePin: (i) => {
    assert.equal(smsotp.generatePin(i % 2 ? 'alphanumeric' : 'numbers', 4 + (i % 7)).length, 4 + (i % 7));
  },
};
const bytes = () => wasmMemory().buffer.byteLength;

test('10,000 calls of each export do not grow the wasm memory after a warm-up', () => {
  for (const call of Object.values(exports)) for (let i = 0; i < 1000; i++) call(i);
  const warm = bytes();
  const after = {};
  for (const [name, call] of Object.entries(exports)) {
    for (let i = 0; i < CALLS; i++) call(i);
    after[name] = bytes();
  }
  console.log(`wasm memory: ${warm} bytes after warm-up; after ${CALLS} calls of each: ${JSON.stringify(after)}`);
  for (const [name, size] of Object.entries(after)) assert.equal(size, warm, `${name} grew the memory`);
});

test('the measurement sees growth: holding 2 MB more in wasm grows the memory by that', () => {
  const before = bytes();
  // The input buffer (the UTF-16 text of countSegments) kept at 1 M code units: 2 MB held.
  inputBuffer(1 << 20);
  assert.ok(bytes() >= before + (1 << 21) - (1 << 16), `${before} → ${bytes()}`);
});
