#!/usr/bin/env bash
# `npm run conformance`: the contract stage (scripts/test-conformance.sh) at length: many
# more generated requests per operation, then fuzzing and stateful sequences repeated until
# the time budget is spent (CONFORMANCE_MAX_TIME seconds, default 480).
set -euo pipefail
export CONFORMANCE_MAX_EXAMPLES=${CONFORMANCE_MAX_EXAMPLES:-200}
exec bash "$(dirname "$0")/test-conformance.sh" --max-time "${CONFORMANCE_MAX_TIME:-480}" "$@"
