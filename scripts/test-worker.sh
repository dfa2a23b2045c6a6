#!/usr/bin/env bash
# `npm run test:worker`: builds the edge worker (and the npm package, whose types the OpenAPI
# test compares with the document), tests it on workerd (Miniflare) with local
# stand-ins for SMS providers and callback receivers, runs Twilio's own SDKs (Node and
# Python, tests/twilio/) against its Twilio-compatible API through the README's migration
# recipe, runs `npm run deploy` with wrangler against a local stand-in of the Cloudflare API
# (tests/deploy/), and bundles it as a deploy would (`wrangler deploy --dry-run`, offline).
# The SDK and deploy tests share this stage's build and its test run rather than being
# stages of their own: one build check, one pool of test files on the 2 cores.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web worker twilio

step "edge worker: native unit tests (provider request building and reply parsing, auth)"
run_tests cargo test --no-fail-fast -p smsotp-worker --lib
step "edge worker: build (worker-build), when missing or stale"
ensure_worker
# tests/worker/openapi.test.mjs compares the package's generated types (crates/web/pkg/types.d.ts)
# with the OpenAPI document: the package is built for it (it fails without, never skips).
step "npm package: build (when missing or stale), for the OpenAPI comparison of its types"
ensure_pkg
step "edge worker: tests on workerd (Miniflare), providers and callbacks on 127.0.0.1; Twilio's SDKs; npm run deploy against a Cloudflare API stand-in"
run_tests "$(system_node)" --test --test-concurrency=3 --test-reporter=tap tests/worker/ tests/twilio/ tests/deploy/
step "edge worker: wrangler deploy --dry-run (bundles and checks the upload offline)"
dry_run() {
  cd worker
  WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
    wrangler deploy --dry-run --outdir dist 2>&1 | grep -E "Total Upload|dry-run"
}
gate "worker: wrangler deploy --dry-run" dry_run
stage_done
