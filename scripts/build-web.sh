#!/usr/bin/env bash
# Builds the npm package `smsotp` into crates/web/pkg (`npm run build`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# wasm-pack uses the first wasm-opt on PATH (binaryen 132 from npm) and the cargo-installed
# wasm-bindgen of the pinned version (docs/toolchain.md).
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
wasm-pack build crates/web --release --target web --out-dir pkg --out-name smsotp --no-pack
types=$(mktemp)
trap 'rm -f "$types"' EXIT
cargo run -q -p smsotp-core --features typescript --example typescript >"$types"
node crates/web/js/assemble.mjs "$types"
