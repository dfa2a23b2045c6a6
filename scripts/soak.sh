#!/usr/bin/env bash
# `npm run soak`: the long soak with faults — 10,000 OTP lifecycles (SOAK_LIFECYCLES) on the
# built worker (workerd) through both APIs while the local SMS provider fails on purpose
# (5 % 5xx, 2 % timeouts, 1 % malformed answers), KV fails in windows and callback receivers
# fail and recover; bounded in count and in time (SOAK_MAX_SECONDS, 1800 unless set: past it
# no new lifecycle starts and the run fails). Local addresses only. Prints the counts, p50/p99
# per route and requests/s; exits non-zero on any failure. SOAK_SEED repeats a run's plan
# (the lifecycles' kinds, in order); which request meets which draw depends on the
# interleaving. Then the delivery soak (tests/soak/delivery-soak.mjs): DELIVERY_SOAK_OTPS
# OTPs (2,000 unless set) routed Twilio then Vonage, in batches where Twilio answers 5xx,
# never answers, reports a failure or stays silent; each must reach Vonage with the same PIN.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh worker

step "soak: build the worker (worker-build)"
bash scripts/build-worker.sh
step "soak: ${SOAK_LIFECYCLES:-10000} OTP lifecycles with faults"
args=(--lifecycles "${SOAK_LIFECYCLES:-10000}" --concurrency "${SOAK_CONCURRENCY:-16}" --max-seconds "${SOAK_MAX_SECONDS:-1800}")
if [ -n "${SOAK_SEED:-}" ]; then args+=(--seed "$SOAK_SEED"); fi
"$(system_node)" tests/soak/soak.mjs "${args[@]}"
step "soak: delivery — ${DELIVERY_SOAK_OTPS:-2000} OTPs, Twilio failing, timing out, reporting failures or silent; Vonage next"
dargs=(--otps "${DELIVERY_SOAK_OTPS:-2000}" --max-seconds "${SOAK_MAX_SECONDS:-1800}")
if [ -n "${SOAK_SEED:-}" ]; then dargs+=(--seed "$SOAK_SEED"); fi
"$(system_node)" tests/soak/delivery-soak.mjs "${dargs[@]}"
