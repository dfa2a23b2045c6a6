#!/usr/bin/env bash
# The fuzzing stage of `npm test`: builds the cargo-fuzz targets (fuzz/) and runs each for a
# few seconds (SMSOTP_FUZZ_SECONDS, default 5) from its committed seeds alone, in a
# temporary folder, so that the stage is the same on every machine. Any finding fails it.
# Longer runs: `npm run fuzz [seconds]` (scripts/fuzz.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

new_temp corpus -d
FUZZ_WORK_CORPUS=$corpus bash scripts/fuzz.sh "${SMSOTP_FUZZ_SECONDS:-5}"
