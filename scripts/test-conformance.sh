#!/usr/bin/env bash
# `npm run test:conformance`: the API's contract (docs/openapi.json, as the worker serves it)
# checked by schemathesis against the built worker on local workerd: generated requests for
# every operation (examples, coverage, fuzzing) and stateful sequences over real OTPs
# (create → status/verify/cancel/resend, through the document's links), the Twilio Verify
# v2 operations (`/v2/…`, HTTP Basic with acme's Twilio credentials) included. Every answer
# must match its schema and headers and have a status the document lists, and no 5xx may
# come from our code: the launcher (tests/conformance/worker.mjs) makes the stand-in SMS
# provider fail now and then, so schemathesis accepts the documented 502 — and this script
# then matches every 502 (on `/v2`, Twilio's 503 20503) with the one SMS failed on purpose
# that must give it (by OTP id, recorded by tests/conformance/hooks.py), and checks that the
# worker logged no internal error at all (also from alarms and callbacks, which answer no
# request). Exits non-zero on any failure, under npm test too.
# A bounded number of examples per operation (CONFORMANCE_MAX_EXAMPLES, default 100: the
# stage stays under ~3 min); `npm run conformance` runs more (scripts/conformance.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh worker conformance

MAX_EXAMPLES=${CONFORMANCE_MAX_EXAMPLES:-100}
ST=target/venv-schemathesis/bin/st

step "edge worker: build (worker-build), when missing or stale"
ensure_worker

step "contract: schemathesis, $MAX_EXAMPLES examples per operation, against the worker on workerd"
new_temp report_dir -d
new_temp launcher_out
new_temp worker_log
new_temp responses
TEMP_PATHS+=("$worker_log.faults.json")
CONFORMANCE_LOG=$worker_log "$(system_node)" tests/conformance/worker.mjs >"$launcher_out" 2>&1 &
launcher=$!
# Stopped through its control URL (it then writes its log); killed if that fails.
stop_worker() {
  if kill -0 "$launcher" 2>/dev/null; then
    [ -n "${stop_url:-}" ] && "$(system_node)" -e 'fetch(process.argv[1], { method: "POST" }).catch(() => {})' "$stop_url"
    for _ in $(seq 1 40); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$launcher" 2>/dev/null || true
  fi
  wait "$launcher" 2>/dev/null || true
}
trap 'stop_worker; rm -rf "${TEMP_PATHS[@]}"' EXIT
for _ in $(seq 1 120); do
  [ -s "$launcher_out" ] && break
  kill -0 "$launcher" 2>/dev/null || { cat "$launcher_out" >&2; echo "the worker did not start" >&2; exit 1; }
  sleep 0.5
done
setting() { "$(system_node)" -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]); console.log(s[process.argv[2]])' "$launcher_out" "$1"; }
url=$(setting url)
stop_url=$(setting stop)
export SMSOTP_API_KEY=$(setting apiKey) SMSOTP_PUBLISHABLE_KEY=$(setting publishableKey) SMSOTP_ORIGIN=$(setting origin)
# The Twilio Verify v2 operations (`/v2/…`): acme's account SID and auth token (HTTP Basic),
# and its imported service, for the hooks' path parameters (the hooks also call the worker).
export SMSOTP_TWILIO_ACCOUNT_SID=$(setting twilioAccountSid) SMSOTP_TWILIO_AUTH_TOKEN=$(setting twilioAuthToken) \
  SMSOTP_TWILIO_SERVICE_SID=$(setting twilioServiceSid) SMSOTP_TWILIO_UPDATED_SERVICE_SID=$(setting twilioUpdatedServiceSid) \
  SMSOTP_URL=$url

set +e
CONFORMANCE_RESPONSES=$responses "$ST" --config-file tests/conformance/schemathesis.toml run "$url/openapi.json" \
  --max-examples "$MAX_EXAMPLES" --request-timeout 15 \
  --report junit --report-junit-path "$report_dir/junit.xml" "$@"
st_status=$?
set -e
stop_worker

# One TAP summary for the closing line: each operation is a test (its phases' checks all
# passed, or not), read from schemathesis' JUnit report.
read -r tests failures < <("$(system_node)" -e '
  const xml = require("fs").readFileSync(process.argv[1], "utf8");
  const cases = (xml.match(/<testcase\b/g) || []).length;
  const failed = (xml.match(/<testcase\b[^>]*>\s*<(failure|error)\b/g) || []).length;
  console.log(cases, failed);' "$report_dir/junit.xml" 2>/dev/null || echo "0 1")
# A failure with no failing operation (schemathesis could not run) still fails the stage.
if [ "$st_status" -ne 0 ] && [ "$failures" -eq 0 ]; then failures=1; fi
# No 5xx of our own, with no slack: every 502 matched with exactly one SMS the stand-in
# failed in a way that must give a 502 (tests/conformance/match-faults.mjs), no 500, no
# 503 (no KV faults are injected), no internal error logged. One counted result.
run_tests printf '# pass %d\n# fail %d\n' "$((tests - failures < 0 ? 0 : tests - failures))" "$failures"
if [ "$failures" -gt 0 ]; then STAGE_FAILED=1; fi
# CONFORMANCE_KEEP=<dir> keeps what the match reads (to look at, or to re-run the match).
if [ -n "${CONFORMANCE_KEEP:-}" ]; then
  mkdir -p "$CONFORMANCE_KEEP"
  cp "$worker_log" "$CONFORMANCE_KEEP/worker.log"
  cp "$worker_log.faults.json" "$CONFORMANCE_KEEP/worker.log.faults.json"
  cp "$responses" "$CONFORMANCE_KEEP/responses.jsonl"
fi
gate "conformance: every 502 matches one injected provider fault that must give it; no other 5xx" \
  "$(system_node)" tests/conformance/match-faults.mjs "$worker_log" "$responses"
stage_done
