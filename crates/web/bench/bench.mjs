// `npm run bench` (web part): the package `smsotp` side by side with its JS peers, in one
// run, on the same inputs. Prints ns/op and ratios, cold first-call costs and sizes.
// Not a test: figures depend on the machine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const root = new URL('../../../', import.meta.url);
const pkgDir = new URL('crates/web/pkg/', root);

// Cold first calls, each in a fresh process: import + first call.
function cold(code) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root }).toString();
  return JSON.parse(out);
}
const coldOurs = cold(`
  const t0 = performance.now();
  const m = await import(${JSON.stringify(new URL('index.node.js', pkgDir).href)});
  const t1 = performance.now();
  m.parsePhoneNumber('+33612424199');
  const t2 = performance.now();
  console.log(JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1 }));`);
const coldPeer = cold(`
  const t0 = performance.now();
  const m = await import('libphonenumber-js/max');
  const t1 = performance.now();
  m.isValidPhoneNumber('+33612424199');
  const t2 = performance.now();
  console.log(JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1 }));`);

const smsotp = await import(new URL('index.node.js', pkgDir).href);
const { SegmentedMessage } = require('sms-segments-calculator');
const splitSms = require('split-sms');
const { isValidPhoneNumber } = await import('libphonenumber-js/max');

/** ns/op of one timed batch run of at least `ms` milliseconds. */
function timed(fn, ms) {
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    elapsed = performance.now() - t0;
  }
  return (elapsed * 1e6) / n;
}

/**
 * Runs every case in turn for several rounds (so that the machine's noise hits all of them
 * alike) and keeps each case's median.
 */
function benchAll(cases, { rounds = 7, ms = 120 } = {}) {
  for (const c of cases) for (let i = 0; i < 3000; i++) c.fn(); // warm up (JIT, caches)
  const samples = cases.map(() => []);
  for (let r = 0; r < rounds; r++) cases.forEach((c, i) => samples[i].push(timed(c.fn, ms)));
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]);
}

const gsm = 'Your verification code is 123456. It expires in 5 minutes. Do not share it with anyone, not even with us! Thanks, ACME Bank'.slice(0, 120);
const ucs2 = 'Вашият код за потвърждение е 123456. Валиден е 5 минути. Не го споделяйте с никого, дори и с нас! Благодарим ви, ACME Bank Ltd'.slice(0, 120);
if (gsm.length !== 120 || ucs2.length !== 120) throw new Error('inputs must be 120 characters');

// Same answers first: parts and encoding agree on the inputs.
for (const text of [gsm, ucs2]) {
  const ours = smsotp.countSegments(text);
  const twilio = new SegmentedMessage(text);
  if (ours.parts !== twilio.segmentsCount || ours.encoding !== twilio.encodingName) throw new Error('disagreement');
}

const numbers = ['+33612424199', '+4915123456789', '+12125550123', '+447400123456', '+919876543210', '+5511987654321', '+33 1', '+999123'];
let k = 0;
const cases = [];
for (const [label, text] of [['GSM-7 120 chars', gsm], ['UCS-2 120 chars', ucs2]]) {
  const group = `countSegments ${label}`;
  cases.push({ group, name: 'smsotp', fn: () => smsotp.countSegments(text) });
  cases.push({ group, name: 'sms-segments-calculator', fn: () => new SegmentedMessage(text).segmentsCount });
  cases.push({ group, name: 'split-sms', fn: () => splitSms.split(text).parts.length });
}
const phoneGroup = 'phone validity (8 numbers, valid and not)';
cases.push({ group: phoneGroup, name: 'smsotp parsePhoneNumber', fn: () => smsotp.parsePhoneNumber(numbers[k++ & 7]).valid });
cases.push({ group: phoneGroup, name: 'libphonenumber-js/max isValidPhoneNumber', fn: () => isValidPhoneNumber(numbers[k++ & 7]) });
const medians = benchAll(cases);
const base = {};
cases.forEach((c, i) => (base[c.group] ??= medians[i]));
const rows = cases.map((c, i) => ({
  group: c.group,
  name: c.name,
  'ns/op (median)': medians[i].toFixed(0),
  'vs smsotp': `${(medians[i] / base[c.group]).toFixed(2)}×`,
}));
console.table(rows);

console.log('\ncold start (fresh process): import + first phone call');
console.table([
  { library: 'smsotp', 'import ms': coldOurs.importMs.toFixed(2), 'first call ms': coldOurs.firstCallMs.toFixed(3) },
  { library: 'libphonenumber-js/max', 'import ms': coldPeer.importMs.toFixed(2), 'first call ms': coldPeer.firstCallMs.toFixed(3) },
]);

const size = (path) => {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
};
const files = ['smsotp_bg.wasm', 'smsotp.js', 'index.js'].map((f) => ({ file: f, ...size(new URL(f, pkgDir)) }));
const total = files.reduce((a, f) => ({ raw: a.raw + f.raw, gz: a.gz + f.gz }), { raw: 0, gz: 0 });
// libphonenumber-js/max as a bundle would ship it: its min bundle file has the max metadata?
// Use esbuild to bundle `isValidPhoneNumber` from libphonenumber-js/max, minified.
const esbuild = require('esbuild');
const peer = await esbuild.build({ stdin: { contents: "export { isValidPhoneNumber } from 'libphonenumber-js/max'", resolveDir: new URL('.', root).pathname }, bundle: true, minify: true, format: 'esm', write: false });
const peerBytes = peer.outputFiles[0].contents;
console.log('\npackage size (wasm + JS glue + entry)');
console.table([...files, { file: 'total smsotp', ...total }, { file: 'libphonenumber-js/max isValidPhoneNumber, esbuild minified', raw: peerBytes.length, gz: gzipSync(peerBytes, { level: 9 }).length }]);
