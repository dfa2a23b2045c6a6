#!/usr/bin/env bash
# `npm test`, and what CI runs (.ci/run): every check, then the test stages, each of
# which also runs alone (`npm run check`, `npm run test:core`, `test:web`, `test:package`,
# `test:worker`, `test:conformance`, `test:soak`, `test:widget`). Installs what is missing first. Ends with ONE line summing every test
# runner of every stage: `smsotp: N passed, N failed`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bash scripts/setup.sh
export SMSOTP_TEST_LOG=$RUNNER_LOG
export SMSOTP_REQUIRE_ORACLES=1

started=$SECONDS
for stage in check test-core test-web test-package test-worker test-conformance test-soak test-widget; do
  printf '\n\033[1;35m#### %s\033[0m\n' "$stage"
  stage_started=$SECONDS
  bash "scripts/$stage.sh"
  printf '\033[1;35m#### %s: %d s\033[0m\n' "$stage" $((SECONDS - stage_started))
done
printf '\nnpm test: %d s\n' $((SECONDS - started))

summarize
