#!/usr/bin/env bash
# `npm run test:core`: the rules' crates — smsotp-core (shared by the browser package and the
# edge) and smsotp-edge (the edge's own) — their unit, integration, property and doc tests,
# and the oracle tests that compare them with libphonenumber-js, Twilio's
# sms-segments-calculator, Node's `node:net` and `jose` (required here:
# SMSOTP_REQUIRE_ORACLES=1 turns their "skipped" into a failure).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh npm

step "smsotp-core, smsotp-edge: unit, integration, property and oracle tests"
run_tests env SMSOTP_REQUIRE_ORACLES="${SMSOTP_REQUIRE_ORACLES:-1}" cargo test --no-fail-fast -p smsotp-core -p smsotp-edge --lib --tests
step "smsotp-core, smsotp-edge: doc tests"
run_tests cargo test --no-fail-fast -p smsotp-core -p smsotp-edge --doc
# The npm package's build of the core loads each region's phone metadata at run time: the
# same oracles through that path (regions loaded as the calls ask for them), 0 disagreements.
step "smsotp-core with lazy-metadata: the phone oracle tests through per-region loading"
run_tests env SMSOTP_REQUIRE_ORACLES="${SMSOTP_REQUIRE_ORACLES:-1}" cargo test --no-fail-fast -p smsotp-core \
  --features lazy-metadata --test phone_oracle --test phone_format_oracle --test phone_lazy
stage_done
