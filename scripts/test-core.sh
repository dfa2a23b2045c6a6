#!/usr/bin/env bash
# `npm run test:core`: smsotp-core's unit, integration, property and doc tests, and the
# oracle tests that compare it with libphonenumber-js and Twilio's sms-segments-calculator
# (required here: SMSOTP_REQUIRE_ORACLES=1 turns their "skipped" into a failure).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh npm

step "smsotp-core: unit, integration, property and oracle tests"
run_tests env SMSOTP_REQUIRE_ORACLES="${SMSOTP_REQUIRE_ORACLES:-1}" cargo test --no-fail-fast -p smsotp-core --lib --tests
step "smsotp-core: doc tests"
run_tests cargo test --no-fail-fast -p smsotp-core --doc
stage_done
