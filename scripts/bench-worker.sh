#!/usr/bin/env bash
# `npm run bench:worker` (not a test): the worker's bundle size (wrangler deploy --dry-run)
# and a bounded load run on local workerd: create+verify cycles vs the trivial route.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh worker
bash scripts/build-worker.sh >/dev/null
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
(cd worker && wrangler deploy --dry-run --outdir dist 2>&1 | grep -E "Total Upload")
node worker/bench/load.mjs
