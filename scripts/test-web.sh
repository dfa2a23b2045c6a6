#!/usr/bin/env bash
# `npm run test:web`: builds the npm package (crates/web/pkg) when missing or stale, and runs
# the bindings' wasm-bindgen tests in Node and in headless Chromium.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web browser

step "npm package: build (wasm-pack + assemble into crates/web/pkg)"
ensure_pkg
step "npm package: the bindings' tests in Node and headless Chromium (wasm-bindgen-test)"
run_tests cargo test -p smsotp-web --target wasm32-unknown-unknown --tests
stage_done
