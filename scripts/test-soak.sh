#!/usr/bin/env bash
# `npm run test:soak` (a stage of `npm test`): the soak with faults, 500 OTP lifecycles on the
# built worker (workerd) through both APIs while the local SMS provider, KV and the callback
# receivers fail on purpose; everything on 127.0.0.1. About 2 minutes: the expiry
# lifecycles wait out a real 60 s TTL, overlapping the rest. `npm run soak`: 10,000. Then the
# delivery soak: 150 OTPs, Twilio failing in batches, each delivered by Vonage (about 30 s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh worker

step "soak: build the worker (worker-build), when missing or stale"
ensure_worker
step "soak: ${SOAK_LIFECYCLES:-500} OTP lifecycles, provider 5xx/timeouts/malformed, KV faults, failing callback receivers"
run_tests "$(system_node)" --test --test-reporter=tap tests/soak/soak.test.mjs
stage_done
