#!/usr/bin/env bash
# Builds the npm package `smsotp` into crates/web/pkg (`npm run build`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# wasm-pack uses the first wasm-opt on PATH (binaryen 132 from npm) and the cargo-installed
# wasm-bindgen of the pinned version (TOOLCHAIN.md).
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
wasm-pack build crates/web --release --target web --out-dir pkg --out-name smsotp --no-pack
# The entry `smsotp/phone`: the same crate without the default feature `full`.
wasm-pack build crates/web --release --target web --out-dir pkg-phone --out-name smsotp_phone --no-pack \
  -- --no-default-features
cp crates/web/pkg-phone/smsotp_phone.js crates/web/pkg-phone/smsotp_phone_bg.wasm crates/web/pkg/
rm -rf crates/web/pkg-phone
types=$(mktemp)
trap 'rm -f "$types"' EXIT
cargo run -q -p smsotp-core --features typescript --example typescript >"$types"
node crates/web/js/assemble.mjs "$types"
