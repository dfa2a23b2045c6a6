#!/usr/bin/env bash
# Builds the Worker into worker/build (worker-build: cargo → wasm-bindgen → wasm-opt → esbuild),
# and its dashboard's static files into worker/public/admin (scripts/build-admin.sh).
# worker-build would download wasm-bindgen, wasm-opt and esbuild; these point it at the
# installed ones (docs/toolchain.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
WASM_BINDGEN_BIN=$(command -v wasm-bindgen)
export WASM_BINDGEN_BIN
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/esbuild/bin/esbuild"
bash scripts/build-admin.sh
cd worker
worker-build --release "$@"
