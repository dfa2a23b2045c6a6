// `npm run bench` (web part): the package `smsotp` side by side with its JS peers, in one
// run, on the same inputs. Prints ns/op and ratios, cold first-call costs and sizes.
// Not a test: figures depend on the machine.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const root = new URL('../../../', import.meta.url);
// SMSOTP_BENCH_PKG: another build of the package to measure (a checkout's crates/web/pkg, to
// compare with the build before a change); by default this tree's.
const pkgDir = process.env.SMSOTP_BENCH_PKG ? new URL(`file://${process.env.SMSOTP_BENCH_PKG.replace(/\/?$/, '/')}`) : new URL('crates/web/pkg/', root);

// Cold first calls, each in a fresh process: import, loading the number's region (the
// package loads each region's phone metadata on demand; a build without loadCountries has
// it compiled in), first call.
function cold(code) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root }).toString();
  return JSON.parse(out);
}
const coldOurs = cold(`
  const t0 = performance.now();
  const m = await import(${JSON.stringify(new URL('index.node.js', pkgDir).href)});
  const t1 = performance.now();
  await m.loadCountries?.(['FR']);
  const t2 = performance.now();
  m.parsePhoneNumber('+33612424199');
  const t3 = performance.now();
  console.log(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, firstCallMs: t3 - t2 }));`);
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
const { isValidPhoneNumber, parsePhoneNumberFromString, AsYouType: PeerAsYouType } = await import('libphonenumber-js/max');
const phoneEntry = await import(new URL('phone.node.js', pkgDir).href);
// Per-call speed once loaded: every region, as a server loads them.
await smsotp.loadAllCountries?.();
await phoneEntry.loadAllCountries?.();

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
// Formatting: the same 8 valid numbers in INTERNATIONAL format, and typing a number one
// digit at a time into a new formatter (what a phone field does), for both libraries.
const valid = ['+33612424199', '+4915123456789', '+12125550123', '+447400123456', '+919876543210', '+5511987654321', '+390669881234', '+61412345678'];
for (const n of valid) {
  if (smsotp.formatPhoneNumber(n, undefined, 'INTERNATIONAL') !== parsePhoneNumberFromString(n).format('INTERNATIONAL')) throw new Error(`format disagrees on ${n}`);
}
const formatGroup = 'formatPhoneNumber INTERNATIONAL (8 numbers)';
cases.push({ group: formatGroup, name: 'smsotp formatPhoneNumber', fn: () => smsotp.formatPhoneNumber(valid[k++ & 7], undefined, 'INTERNATIONAL') });
cases.push({ group: formatGroup, name: 'smsotp/phone formatPhoneNumber', fn: () => phoneEntry.formatPhoneNumber(valid[k++ & 7], undefined, 'INTERNATIONAL') });
cases.push({ group: formatGroup, name: 'libphonenumber-js/max parse + format', fn: () => parsePhoneNumberFromString(valid[k++ & 7]).format('INTERNATIONAL') });
const typedNumber = '+447400123456';
const typeIt = (Formatter) => () => {
  const f = new Formatter();
  let out;
  for (const c of typedNumber) out = f.input(c);
  return out;
};
if (typeIt(smsotp.AsYouType)() !== typeIt(PeerAsYouType)()) throw new Error('AsYouType disagrees');
const typeGroup = 'AsYouType: type +447400123456 one character at a time';
cases.push({ group: typeGroup, name: 'smsotp AsYouType', fn: typeIt(smsotp.AsYouType) });
cases.push({ group: typeGroup, name: 'libphonenumber-js/max AsYouType', fn: typeIt(PeerAsYouType) });
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

console.log('\ncold start (fresh process): import, loadCountries([FR]) (its asset read from disk), first phone call');
console.table([
  { library: 'smsotp', 'import ms': coldOurs.importMs.toFixed(2), 'load FR ms': coldOurs.loadMs.toFixed(2), 'first call ms': coldOurs.firstCallMs.toFixed(3) },
  { library: 'libphonenumber-js/max', 'import ms': coldPeer.importMs.toFixed(2), 'load FR ms': '—', 'first call ms': coldPeer.firstCallMs.toFixed(3) },
]);

// Sizes: ours (crates/web/bench/size.mjs prints the full breakdown) against libphonenumber-js
// bundled by esbuild (minified) with the functions the same job needs.
const esbuild = require('esbuild');
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const ours = (files) => files.reduce((n, f) => n + gz(readFileSync(new URL(f, pkgDir))), 0);
const peerBundle = async (contents) => {
  const out = await esbuild.build({ stdin: { contents, resolveDir: new URL('.', root).pathname }, bundle: true, minify: true, format: 'esm', write: false });
  return gz(out.outputFiles[0].contents);
};
// The issue-19 targets, each printed with its figure. What a page loads: an entry's JS, its
// wasm glue and wasm, and (for the browser entries) phone-data.js, the regions' index and
// asset URLs; then each region it uses, one asset each.
const has = (f) => existsSync(new URL(f, pkgDir));
const withData = (files) => (has('phone-data.js') ? [...files, 'phone-data.js'] : files);
const assets = has('phone-data/')
  ? readdirSync(new URL('phone-data/', pkgDir)).map((f) => gz(readFileSync(new URL(`phone-data/${f}`, pkgDir)))).sort((a, b) => a - b)
  : [];
const phoneInitial = ours(withData(['smsotp_phone_bg.wasm', 'smsotp_phone.js', 'phone.js']));
const mainInitial = ours(withData(['smsotp_bg.wasm', 'smsotp.js', 'index.js']));
const us = has('phone-data/US.txt') ? ours(['phone-data/US.txt']) : 0;
const widgetFirst = ours(['widget.js']) + phoneInitial + us;
const kbOf = (n) => (n / 1000).toFixed(1);
const target = (n, max) => `${n <= max ? 'met' : `over by ${kbOf(n - max)}`} (≤ ${kbOf(max)})`;
const peerMax = await peerBundle("export { parsePhoneNumberFromString, AsYouType, getCountries, getCountryCallingCode } from 'libphonenumber-js/max'");
const peerMin = await peerBundle("export { parsePhoneNumberFromString, AsYouType, getCountries, getCountryCallingCode } from 'libphonenumber-js/min'");
console.log('\npackage size, gzip -9');
console.table([
  { what: 'smsotp (main entry: every function; JS + wasm + index)', 'KB gz': kbOf(mainInitial), target: target(mainInitial, 80000) },
  { what: 'smsotp/phone initial load (JS + wasm + index)', 'KB gz': kbOf(phoneInitial), target: target(phoneInitial, 30000) },
  ...(assets.length ? [
    { what: `a region's metadata asset, median of ${assets.length}`, 'KB gz': kbOf(assets[assets.length >> 1]), target: target(assets[assets.length >> 1], 1000) },
    { what: "a region's metadata asset, largest", 'KB gz': kbOf(assets[assets.length - 1]), target: target(assets[assets.length - 1], 4000) },
  ] : []),
  { what: '<smsotp-verify> first load (widget.js + smsotp/phone initial + its default country, US)', 'KB gz': kbOf(widgetFirst), target: target(widgetFirst, 45000) },
  { what: 'libphonenumber-js/max: parsePhoneNumberFromString, AsYouType, getCountries (esbuild, minified)', 'KB gz': kbOf(peerMax), target: '' },
  { what: 'libphonenumber-js/min: the same (min metadata: validity by general pattern only)', 'KB gz': kbOf(peerMin), target: '' },
]);

// Chromium: the same entry in a plain module page, served locally (no throttling): the first
// call for a region with its load (fetch + load into the wasm), then the per-call speed once
// every region is loaded.
{
  const { chromium } = await import('playwright-core');
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><meta charset="utf-8">');
    let body;
    try {
      body = readFileSync(new URL(`.${path}`, pkgDir));
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'Content-Type': types[path.slice(path.lastIndexOf('.'))] ?? 'text/plain' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const r = await page.evaluate(async ({ numbers, valid }) => {
      const t0 = performance.now();
      const m = await import('/phone.js');
      const t1 = performance.now();
      await m.loadCountries?.(['FR']);
      const t2 = performance.now();
      m.parsePhoneNumber('+33612424199');
      const t3 = performance.now();
      await m.loadAllCountries?.();
      const per = (fn) => {
        for (let i = 0; i < 3000; i++) fn(i);
        const rounds = [];
        for (let r = 0; r < 7; r++) {
          const s = performance.now();
          for (let i = 0; i < 20000; i++) fn(i);
          rounds.push(((performance.now() - s) * 1e6) / 20000);
        }
        return rounds.sort((a, b) => a - b)[3];
      };
      return {
        importMs: t1 - t0, loadMs: t2 - t1, firstCallMs: t3 - t2,
        parseNs: per((i) => m.parsePhoneNumber(numbers[i & 7])),
        formatNs: per((i) => m.formatPhoneNumber(valid[i & 7], undefined, 'INTERNATIONAL')),
      };
    }, { numbers, valid });
    console.log('\nsmsotp/phone in Chromium (plain module page, local server)');
    console.table([
      { what: 'import (wasm fetched and compiled)', value: `${r.importMs.toFixed(1)} ms` },
      { what: 'loadCountries([FR]) (fetch + load)', value: `${r.loadMs.toFixed(1)} ms` },
      { what: 'first call for FR after its load', value: `${r.firstCallMs.toFixed(2)} ms` },
      { what: 'parsePhoneNumber per call, 8 numbers, all regions loaded', value: `${r.parseNs.toFixed(0)} ns` },
      { what: 'formatPhoneNumber INTERNATIONAL per call, 8 numbers', value: `${r.formatNs.toFixed(0)} ns` },
    ]);
  } finally {
    await browser.close();
    server.close();
  }
}
if (!process.env.SMSOTP_BENCH_PKG) execFileSync(process.execPath, [new URL('size.mjs', import.meta.url).pathname], { stdio: 'inherit' });
