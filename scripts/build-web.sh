#!/usr/bin/env bash
# Builds the npm package `smsotp` into crates/web/pkg (`npm run build`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web
# wasm-pack uses the first wasm-opt on PATH (binaryen 132 from npm, first via lib.sh) and the
# cargo-installed wasm-bindgen of the pinned version (docs/toolchain.md).
# Both entries with `lazy-phone`: the phone metadata's index in the wasm, each region's
# metadata a separate asset (phone-data/, below).
wasm-pack build crates/web --release --target web --out-dir pkg --out-name smsotp --no-pack \
  -- --features lazy-phone
# The entry `smsotp/phone`: the same crate without the default feature `full`.
wasm-pack build crates/web --release --target web --out-dir pkg-phone --out-name smsotp_phone --no-pack \
  -- --no-default-features --features lazy-phone
cp crates/web/pkg-phone/smsotp_phone.js crates/web/pkg-phone/smsotp_phone_bg.wasm crates/web/pkg/
rm -rf crates/web/pkg-phone
new_temp types
cargo run -q -p smsotp-core --features typescript --example typescript >"$types"
# Each region's phone metadata asset, made by the core from its compiled-in metadata.
rm -rf crates/web/pkg/phone-data
cargo run -q -p smsotp-core --example phone_assets -- crates/web/pkg/phone-data >/dev/null
node crates/web/js/assemble.mjs "$types"
# What the package was built from, so that the stages rebuild it only when that changes.
pkg_inputs_hash >crates/web/pkg/.inputs-hash
