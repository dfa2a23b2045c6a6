#!/usr/bin/env bash
# `npm run test:package`: the npm package as a user gets it — packed, installed from the
# tarball into tests/package, and tested in Node ≥ 20, in Chromium from a plain
# <script type="module">, bundled by Vite; its phone metadata loaded per region also in
# Firefox (WebDriver) and bundled by webpack 5 (tests/package/lazy.test.mjs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web browser firefox

step "npm package: build (when missing or stale)"
ensure_pkg
step "npm package: installed from its tarball; Node ≥ 20, plain <script type=module> and Vite in Chromium"
install_packed_pkg tests/package
"$(system_node)" --version
run_tests "$(system_node)" --test --test-reporter=tap tests/package/
stage_done
