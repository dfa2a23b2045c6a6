#!/usr/bin/env bash
# `npm run test:widget`: the `<smsotp-verify>` widget's modules by unit tests
# (tests/widget-unit/) and the dashboard's (tests/admin-unit/), then the widget, the demo
# pages and the dashboard (/admin/) as a person uses them — in headless Chromium
# (Playwright, axe-core) and headless Firefox (WebDriver) — against the built worker on
# workerd (Miniflare) with the demo and dashboard assets (worker/public).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web worker browser firefox

# The widget's pure parts (code sanitising, country search, caret, messages, state machine,
# error outcomes) on their sources, first: they need no build and fail in a second.
step "widget: unit tests of its modules (node:test, crates/web/js/widget/)"
run_tests "$(system_node)" --test --test-reporter=tap tests/widget-unit/
step "dashboard: unit tests of its pure modules (node:test, www/admin/range.js and stats.js)"
run_tests "$(system_node)" --test --test-reporter=tap tests/admin-unit/
step "widget: build the npm package (when missing or stale), the worker and the demo assets"
ensure_pkg
ensure_worker >/dev/null
bash scripts/build-demo.sh
step "widget: Chromium (Playwright + axe-core) and Firefox (geckodriver) against the local worker"
run_tests "$(system_node)" --test --test-concurrency=1 --test-reporter=tap tests/widget/
stage_done
