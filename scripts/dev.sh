#!/usr/bin/env bash
# Starts the local edge API (wrangler dev on workerd, local KV and Durable Objects) and the
# demo page. The worker is not built yet: it arrives with the edge-worker issue.
set -euo pipefail
cd "$(dirname "$0")/.."
cat <<'MSG'
smsotp: the local edge API and the demo are not there yet (they arrive with the worker
issue). What runs today:
  npm test            every check and test (installs what it lacks)
  npm run bench       the core's benchmarks (criterion)
MSG
