// `npm run bench` (size part): where the bytes of the npm package are.
//
// 1. What ships: each entry's files (JS + wasm), raw and gzipped, and each wasm's sections.
// 2. Why: each wasm build is linked again with a linker map (`--Map`, symbols kept) in a
//    separate target directory, and every function body and data symbol of that link is
//    attributed to a group (the crate and module for code; the named static or the crate's
//    anonymous constants for data). A group's gzipped contribution is measured by leaving
//    it out: gzip(all bytes) − gzip(all bytes without the group). That link is before
//    wasm-opt, so its code is larger than what ships (the totals of part 1 are the truth);
//    the ranking is what tells where to cut.
//
// Usage: node crates/web/bench/size.mjs [--top N]   (after `npm run build`)
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const root = new URL('../../../', import.meta.url);
const pkg = new URL('crates/web/pkg/', root);
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 12;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

const entries = {
  'smsotp (main entry)': ['index.js', 'smsotp.js', 'smsotp_bg.wasm', 'phone-data.js'],
  'smsotp/phone': ['phone.js', 'smsotp_phone.js', 'smsotp_phone_bg.wasm', 'phone-data.js'],
  'OtpClient (imported by the main entry)': ['otp-client.js'],
};
console.log('\n== Size: what ships (crates/web/pkg), gzip -9');
const totals = {};
for (const [entry, files] of Object.entries(entries)) {
  let raw = 0;
  let packed = 0;
  for (const f of files) {
    const bytes = readFileSync(new URL(f, pkg));
    raw += bytes.length;
    packed += gz(bytes);
    console.log(`  ${entry.padEnd(40)} ${f.padEnd(22)} ${kb(bytes.length).padStart(9)} ${kb(gz(bytes)).padStart(9)} gz`);
  }
  totals[entry] = { raw, packed };
  console.log(`  ${entry.padEnd(40)} ${'total'.padEnd(22)} ${kb(raw).padStart(9)} ${kb(packed).padStart(9)} gz`);
}
const full = totals['smsotp (main entry)'].packed + totals['OtpClient (imported by the main entry)'].packed;
console.log(`  the full package (main entry + OtpClient): ${kb(full)} gzipped; smsotp/phone: ${kb(totals['smsotp/phone'].packed)} gzipped`);

// The widget: its own module (JS + CSS, BrowserClient bundled in, minified by assemble.mjs),
// and what a page's first load of an element fetches — the widget, then smsotp/phone's JS,
// wasm and phone-data.js, and its default country's metadata (US here; the full entry only
// with `preview`). Targets: ≤ 15 KB (issue 11) and ≤ 45 KB gzipped (issue 19).
const widget = gz(readFileSync(new URL('widget.js', pkg)));
const firstLoad = widget + totals['smsotp/phone'].packed + gz(readFileSync(new URL('phone-data/US.txt', pkg)));
const mark = (n, target) => `${kb(n)} gz (target ≤ ${kb(target)}: ${n <= target ? 'met' : `over by ${kb(n - target)}`})`;
console.log(`  <smsotp-verify> widget.js: ${kb(readFileSync(new URL('widget.js', pkg)).length)}, ${mark(widget, 15000)}`);
console.log(`  <smsotp-verify> first load (widget.js + smsotp/phone JS + wasm + phone-data.js + US.txt): ${mark(firstLoad, 45000)}`);
console.log(`  <smsotp-verify preview> first load (widget.js + the main entry, which has the phone functions too): ${kb(widget + full)} gz`);

/** The sections of a wasm module: [{ id, name, start, end }]. */
function sections(bytes) {
  const out = [];
  let p = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    let x;
    do {
      x = bytes[p++];
      r += (x & 127) * 2 ** s;
      s += 7;
    } while (x & 128);
    return r;
  };
  const names = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];
  while (p < bytes.length) {
    const id = bytes[p++];
    const len = leb();
    out.push({ id, name: names[id] ?? `#${id}`, start: p, end: p + len });
    p += len;
  }
  return out;
}

for (const wasm of ['smsotp_bg.wasm', 'smsotp_phone_bg.wasm']) {
  const bytes = readFileSync(new URL(wasm, pkg));
  const parts = sections(bytes).filter((s) => s.name === 'code' || s.name === 'data');
  const rest = bytes.length - parts.reduce((n, s) => n + s.end - s.start, 0);
  console.log(`  ${wasm}: ${parts.map((s) => `${s.name} ${kb(s.end - s.start)} (${kb(gz(bytes.subarray(s.start, s.end)))} gz)`).join(', ')}, other sections ${kb(rest)}`);
}

// 2. The analysis links.
const target = new URL('target/size-analysis/', root).pathname;
function analysisLink(features, map) {
  execFileSync('cargo', ['build', '-q', '-p', 'smsotp-web', '--release', '--target', 'wasm32-unknown-unknown', '--target-dir', target, ...features], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CARGO_PROFILE_RELEASE_STRIP: 'false', RUSTFLAGS: `-C link-arg=--Map=${map}` },
  });
  return readFileSync(`${target}/wasm32-unknown-unknown/release/smsotp_web.wasm`);
}

/** Legacy (`_ZN…E`) and v0 (`_R…`) Rust symbol names, reduced to their path's words. */
function pathOf(symbol) {
  const legacy = symbol.match(/^_ZN(.*)E$/);
  if (legacy) {
    const parts = [];
    let s = legacy[1];
    while (/^\d/.test(s)) {
      const n = s.match(/^\d+/)[0];
      s = s.slice(n.length);
      parts.push(s.slice(0, Number(n)));
      s = s.slice(Number(n));
    }
    return parts.join('::').replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ').replace(/\.\./g, '::');
  }
  // v0: the identifiers are <length><name>; keep those that look like paths.
  const words = [...symbol.matchAll(/\d+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]).filter((w) => !/^Cs/.test(w));
  return words.join('::');
}

const MODULE_GROUPS = [
  /smsotp_core::phone::[a-z_]+/, /smsotp_core::[a-z_]+/, /smsotp_web/, /serde_json::[a-z_]+/, /serde/,
  /core::fmt/, /core::unicode/, /core::str/, /alloc::collections/, /alloc::/, /core::/, /std::/,
  /talc/, /dlmalloc/, /uuid/, /zmij/, /itoa/, /wasm_bindgen/, /getrandom/,
];
function codeGroup(symbol) {
  const path = pathOf(symbol);
  // The innermost smsotp module in the path names the rule a generic function serves.
  for (const re of MODULE_GROUPS) {
    const m = path.match(re);
    if (m) return `code: ${m[0]}`;
  }
  return 'code: other';
}
function dataGroup(object, symbol) {
  const crate = object.match(/lib([a-z_0-9]+)-[0-9a-f]+\.rlib/)?.[1] ?? object.match(/deps\/([a-z_0-9]+)\./)?.[1] ?? (object.includes('rustlib') ? 'std' : 'linker');
  const named = symbol.match(/^\.(?:rodata|data|bss)\.(_ZN.*E|_R\w+)$/);
  if (named && crate === 'smsotp_core') return `data: ${pathOf(named[1]).replace(/::h[0-9a-f]{16}$/, '')}`;
  return `data: ${crate}${named ? '' : ' (anonymous constants)'}`;
}

function attribute(mapText, bytes) {
  const groups = new Map();
  let section = '';
  for (const line of mapText.split('\n')) {
    const head = line.match(/^\s+(?:[0-9a-f]+|-)\s+([0-9a-f]+)\s+([0-9a-f]+)\s(\S+)$/);
    if (head && !head[3].startsWith('/') && !head[3].startsWith('<')) {
      section = head[3];
      continue;
    }
    // Input sections (object file and symbol) sit one level in; their symbols two levels.
    const input = line.match(/^\s+(?:[0-9a-f]+|-)\s+([0-9a-f]+)\s+([0-9a-f]+)\s{9}(\S.*)$/);
    if (!input || input[3].startsWith(' ')) continue;
    const offset = parseInt(input[1], 16);
    const size = parseInt(input[2], 16);
    if (size === 0 || (section !== 'CODE' && section !== '.rodata' && section !== '.data')) continue;
    const [, object, symbol] = input[3].match(/^(.*):\((.*)\)$/) ?? [null, input[3], ''];
    const group = section === 'CODE' ? codeGroup(symbol) : dataGroup(object, symbol);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(bytes.subarray(offset, offset + size));
  }
  const all = [...groups.values()].flat();
  const whole = gz(Buffer.concat(all));
  const rows = [...groups].map(([name, chunks]) => {
    const raw = chunks.reduce((n, c) => n + c.length, 0);
    const without = gz(Buffer.concat([...groups].filter(([g]) => g !== name).flatMap(([, c]) => c)));
    return { name, raw, gz: whole - without };
  });
  rows.sort((a, b) => b.gz - a.gz);
  return { rows, whole };
}

// As build-web.sh builds them: with `lazy-phone` (the phone metadata loaded per region).
for (const [label, features] of [['smsotp (full build)', ['--features', 'lazy-phone']], ['smsotp/phone (phone build)', ['--no-default-features', '--features', 'lazy-phone']]]) {
  const map = `${target}/${features.includes('--no-default-features') ? 'phone' : 'full'}.map`;
  let bytes;
  try {
    bytes = analysisLink(features, map);
  } catch (e) {
    console.log(`  (analysis link failed: ${e.message})`);
    continue;
  }
  if (!existsSync(map)) continue;
  const { rows, whole } = attribute(readFileSync(map, 'utf8'), bytes);
  console.log(`\n== Size: where the bytes of ${label} are (linker map, before wasm-opt; code + data ${kb(whole)} gz)`);
  console.log(`  ${'group'.padEnd(52)} ${'raw'.padStart(9)} ${'gz (leave-one-out)'.padStart(19)}`);
  for (const r of rows.slice(0, top)) console.log(`  ${r.name.padEnd(52)} ${kb(r.raw).padStart(9)} ${kb(r.gz).padStart(19)}`);
  const restRaw = rows.slice(top).reduce((n, r) => n + r.raw, 0);
  console.log(`  ${`${rows.length - top} more groups`.padEnd(52)} ${kb(restRaw).padStart(9)}`);
}
