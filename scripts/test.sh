#!/usr/bin/env bash
# `npm test`, and what CI runs (.ci/run): every check, then the test stages, each of
# which also runs alone (`npm run check`, `npm run test:core`, `test:fuzz`, `test:web`, `test:package`,
# `test:worker`, `test:conformance`, `test:soak`, `test:widget`). Installs what is missing first.
# Every stage runs, also after one failed; a stage that fails without a failing test of its
# own (a build that broke, a script error) counts as one failure. Always ends with ONE line
# summing every test runner and gate of every stage, skipped tests listed by name above it:
# `smsotp: N passed, N failed, N skipped` (scripts/lib.sh, summarize); exits non-zero when
# anything failed. Under CI=true a test skipped for a missing tool is a failure.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

export SMSOTP_TEST_LOG=$RUNNER_LOG
export SMSOTP_REQUIRE_ORACLES=1

# Runs one step of the run (setup or a stage), counting its failure when nothing it ran did.
run_stage() { # <name> <command...>
  local name=$1 from status=0
  shift
  from=$(wc -l <"$RUNNER_LOG")
  "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    failed_stages+=("$name")
    count_failure_since "$from" "$name exited $status"
  fi
}

failed_stages=()
started=$SECONDS
run_stage setup bash scripts/setup.sh
# SMSOTP_STAGES="check test-worker …" runs only those stages (to try the chain itself).
for stage in ${SMSOTP_STAGES:-check test-core test-fuzz test-web test-package test-worker test-conformance test-soak test-widget}; do
  printf '\n\033[1;35m#### %s\033[0m\n' "$stage"
  stage_started=$SECONDS
  run_stage "$stage" bash "scripts/$stage.sh"
  printf '\033[1;35m#### %s: %d s\033[0m\n' "$stage" $((SECONDS - stage_started))
done
printf '\nnpm test: %d s\n' $((SECONDS - started))
if [ ${#failed_stages[@]} -gt 0 ]; then
  printf 'failed stages: %s\n' "${failed_stages[*]}"
fi

summarize
