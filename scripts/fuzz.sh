#!/usr/bin/env bash
# `npm run fuzz [seconds] [target...]`: builds the cargo-fuzz targets of fuzz/ (nightly,
# libFuzzer) and runs each for `seconds` (default 60), starting from the committed seeds
# (fuzz/corpus/<target>/, written by `node fuzz/seed.mjs`). Prints each target's runs and
# executions per second; a finding (a panic: an invariant broken) fails the run and leaves
# the input in fuzz/artifacts/<target>/.
#
# What each run finds new is kept in fuzz/target/corpus/<target>/ (not committed), so that
# later runs start from it. `scripts/test-fuzz.sh` (npm test) runs every target a few
# seconds from the seeds alone, in a temporary folder.
#
# Environment: FUZZ_WORK_CORPUS=<dir> grows the corpora there instead.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh fuzz

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(request_json phone template sms verify_body state_machine twilio_form)
fi
work=${FUZZ_WORK_CORPUS:-fuzz/target/corpus}

step "fuzz: build (cargo +nightly fuzz build, no sanitizer: the core forbids unsafe code)"
# Debug assertions and overflow checks are on (cargo fuzz's default): an overflow is a finding.
# `cargo fuzz build` takes one target or builds them all.
if [ ${#targets[@]} -eq 1 ]; then
  cargo +nightly fuzz build --sanitizer none "${targets[0]}"
else
  cargo +nightly fuzz build --sanitizer none
fi

# libFuzzer's own output, one file per target (made here: fuzz_all runs in a subshell).
new_temp logs -d

# One target: libFuzzer for `seconds`, its output kept aside; one TAP line with the figures.
fuzz_one() { # <n> <target>
  local n=$1 target=$2 log="$logs/$2.log" status=0
  mkdir -p "$work/$target"
  # -timeout: an input taking 10 s is a finding (a request must not stall the worker).
  cargo +nightly fuzz run --sanitizer none "$target" "$work/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  local runs execs cov
  runs=$(awk '/^stat::number_of_executed_units/ {print $NF}' "$log")
  execs=$(awk '/^stat::average_exec_per_sec/ {print $NF}' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ]; then
    printf 'ok %d - fuzz %s: %s runs in %s s, %s exec/s, %s coverage points, corpus %s files\n' \
      "$n" "$target" "${runs:-?}" "$seconds" "${execs:-?}" "${cov:-?}" \
      "$(find "$work/$target" -type f | wc -l)"
  else
    printf 'not ok %d - fuzz %s: exit %d\n' "$n" "$target" "$status"
    if grep -q "Test unit written to" "$log"; then
      grep -E -A12 "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | head -40 | sed 's/^/#   /'
      grep -E "Test unit written to" "$log" | sed 's/^/#   /'
      printf '#   reproduce: cargo +nightly fuzz run --sanitizer none %s <that file>\n' "$target"
    else
      tail -20 "$log" | sed 's/^/#   /'
    fi
    return 1
  fi
}

fuzz_all() {
  local n=0 pass=0 fail=0
  printf 'TAP version 13\n1..%d\n' "${#targets[@]}"
  for target in "${targets[@]}"; do
    n=$((n + 1))
    if fuzz_one "$n" "$target"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  done
  printf '# pass %d\n# fail %d\n' "$pass" "$fail"
  [ "$fail" -eq 0 ]
}

step "fuzz: ${#targets[@]} targets, ${seconds} s each (libFuzzer, one process)"
run_tests fuzz_all
stage_done
