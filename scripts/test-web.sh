#!/usr/bin/env bash
# `npm run test:web`: builds the npm package (crates/web/pkg) when missing or stale, and runs
# the bindings' wasm-bindgen tests in Node and in headless Chromium, then the browser tests
# again in headless Firefox, for both builds (the main entry's, and the phone entry's
# without the default feature `full`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web browser firefox

step "npm package: build (wasm-pack + assemble into crates/web/pkg)"
ensure_pkg
# wasm-bindgen's runner picks the browser by driver: CHROMEDRIVER names Chromium's (without
# it, a geckodriver on PATH wins and these would run in Firefox too), GECKODRIVER Firefox's.
chrome="$(command -v chromedriver)"
gecko="$(command -v geckodriver)"
step "npm package: the bindings' tests in Node and headless Chromium (wasm-bindgen-test)"
run_tests env CHROMEDRIVER="$chrome" cargo test --no-fail-fast -p smsotp-web --target wasm32-unknown-unknown --tests
step "npm package: the phone build's bindings' tests (--no-default-features), Node and Chromium"
run_tests env CHROMEDRIVER="$chrome" cargo test --no-fail-fast -p smsotp-web --no-default-features --target wasm32-unknown-unknown --tests
step "npm package: the bindings' browser tests in headless Firefox, both builds"
run_tests env GECKODRIVER="$gecko" cargo test --no-fail-fast -p smsotp-web --target wasm32-unknown-unknown --test browser
run_tests env GECKODRIVER="$gecko" cargo test --no-fail-fast -p smsotp-web --no-default-features --target wasm32-unknown-unknown --test browser
stage_done
