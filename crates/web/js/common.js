// Helpers shared by the package's entries (assembled into each by assemble.mjs, which
// puts `import * as wasm from './<the entry's wasm glue>.js'` first): argument checks that
// throw a TypeError with a clear message (never a wasm trap), and the transport of the hot
// calls (UTF-16 code units in, numbers out; see crates/web/src/transport.rs).

function fail(message) {
  throw new TypeError(`smsotp: ${message}`);
}

/** Runs a wasm export; its string errors become TypeErrors. */
function call(fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    if (typeof e === 'string') fail(e);
    throw e;
  }
}

function optionalString(value, name, max) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(`${name} must be a string`);
  if (value.length > max) fail(`${name} is longer than ${max} characters`);
  return value;
}

// Views of the module's memory for the hot calls (see crates/web/src/transport.rs): JS
// writes UTF-16 code units in, reads numbers out. Renewed when memory grows (a grown
// memory detaches the old buffer, whose views then have length 0).
let memory;
let units16;
let words32;
function views() {
  if (units16 === undefined || units16.byteLength === 0) {
    memory ??= wasm.wasmMemory();
    units16 = new Uint16Array(memory.buffer);
    words32 = new Uint32Array(memory.buffer);
  }
}

/** Copies `a` then `b` (code units) into the wasm input buffer. */
function writeInput(a, b = '') {
  const at = wasm.inputBuffer(a.length + b.length) >>> 1;
  views();
  for (let i = 0; i < a.length; i++) units16[at + i] = a.charCodeAt(i);
  for (let i = 0; i < b.length; i++) units16[at + a.length + i] = b.charCodeAt(i);
}

/** The static string at `address` (reasons a number is refused), decoded once. */
const statics = new Map();
function staticString(address, length) {
  let text = statics.get(address);
  if (text === undefined) {
    text = new TextDecoder().decode(new Uint8Array(memory.buffer, address, length));
    statics.set(address, text);
  }
  return text;
}
