# Shared by the stage scripts (sourced, not run): where the tools are, how a step is
# announced, and the one closing line over every test runner.
#
# Every runner's output (cargo test, node --test) is appended to one log, and the closing
# line `smsotp: N passed, N failed` sums it. `scripts/test.sh` sets SMSOTP_TEST_LOG so that
# its stages write to its log and it alone prints the line; a stage run by itself keeps its
# own log and prints its own line.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# In CI (a clean clone, built once) incremental compilation only costs disk: 0.8 GB of
# target/debug/incremental measured 2026-12-05.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

# The machine's Node — the first `node` on PATH outside a node_modules/.bin, wherever it is
# installed (a system package, nvm, …): builds and tests run on it (the oldest Node the
# package supports, 20, on this machine kind), not on the Node 22 in node_modules/.bin that
# only wrangler needs.
system_node() {
  local dir IFS=:
  for dir in $PATH; do
    case "$dir" in "" | */node_modules/.bin) continue ;; esac
    if [ -x "$dir/node" ] && [ ! -d "$dir/node" ]; then
      printf '%s\n' "$dir/node"
      return 0
    fi
  done
  echo "smsotp: no node on PATH (outside node_modules/.bin): install Node >= 20.19" >&2
  return 1
}

# Temporary files and folders, removed when the script exits: `new_temp VAR [-d]`.
TEMP_PATHS=()
trap 'rm -rf "${TEMP_PATHS[@]}"' EXIT
new_temp() { # <variable> [-d]
  local path
  path=$(mktemp ${2:-})
  TEMP_PATHS+=("$path")
  printf -v "$1" '%s' "$path"
}

if [ -n "${SMSOTP_TEST_LOG:-}" ]; then
  RUNNER_LOG=$SMSOTP_TEST_LOG
  OWN_RUNNER_LOG=
else
  new_temp RUNNER_LOG
  OWN_RUNNER_LOG=1
fi

# Whether anything in this script failed: a runner (run_tests) or a gate. Steps go on after
# a failure, so that one run shows every failure; stage_done then exits non-zero.
STAGE_FAILED=

# Runs a test runner, showing its output and keeping it for the closing line. A failing
# runner marks the stage failed and the stage goes on (its output already counts the
# failures); `cargo test` runners should be given --no-fail-fast for the same reason.
run_tests() {
  local status=0 from
  from=$(wc -l <"$RUNNER_LOG")
  "$@" 2>&1 | tee -a "$RUNNER_LOG" || status=$?
  if [ "$status" -ne 0 ]; then
    STAGE_FAILED=1
    # A runner that failed without counting a failure (it did not build, or crashed before
    # its summary) still counts as one.
    count_failure_since "$from" "$* (exit $status, no failing test reported)"
  fi
  return 0
}

# Appends `not ok - <what>` + `# fail 1` to the runners' log unless a failure was counted
# there after its line <from> (a failed runner's own counts, a failed gate).
count_failure_since() { # <from line> <what>
  if ! tail -n +"$(($1 + 1))" "$RUNNER_LOG" \
    | grep -qE '^test result: FAILED|^# (fail|cancelled) [1-9]'; then
    printf 'not ok - %s\n# fail 1\n' "$2" | tee -a "$RUNNER_LOG"
  fi
}

# A check that is not a test runner (a check.sh gate, the worker's dry run), counted in the
# closing line as one result: `ok - <name>` + `# pass 1`, or `not ok - <name>` + `# fail 1`,
# TAP-like, in the runners' log. The command runs in a background subshell so that
# `set -e` holds inside it (it would not in a function called from an `if` or `||`); it
# sees the script's functions and variables, but what it sets stays in it.
gate() { # <name> <command...>
  local name=$1 status=0
  shift
  ( "$@" ) &
  wait $! || status=$?
  if [ "$status" -eq 0 ]; then
    printf 'ok - %s\n# pass 1\n' "$name" | tee -a "$RUNNER_LOG"
  else
    STAGE_FAILED=1
    printf 'not ok - %s (exit %d)\n# fail 1\n' "$name" "$status" | tee -a "$RUNNER_LOG"
  fi
  return 0
}

# A test that skips because a tool is missing says so with this prefix in its reason
# (node: `{ skip: 'missing tool: python3 …' }`; the core's oracles print a line
# `skipped (missing tool: node): …`). Under CI=true such a skip counts as a failure: CI must
# have every tool, and a test that silently did nothing there would hide a broken setup.
MISSING_TOOL_PREFIX='missing tool:'

# The closing line over the runners' own summaries: cargo's and wasm-bindgen-test's
# `test result: ok. N passed; N failed; N ignored; …`, node's TAP `# pass N` / `# fail N` /
# `# cancelled N` (a cancelled test did not pass), and the gates' `# pass 1` / `# fail 1`.
# Before it, every skipped test by name: node's `ok N - name # SKIP reason` and cargo's
# `test name ... ignored`, and the oracle tests that returned early for a missing tool
# (cargo counts those as passed: they are moved to skipped). Under CI=true a skip for a
# missing tool is a failure. Ends with exactly `smsotp: N passed, N failed, N skipped` and
# exits non-zero when something failed or nothing ran.
summarize() {
  awk -v ci="${CI:-}" -v prefix="$MISSING_TOOL_PREFIX" '
    function skipped(name, reason) {
      if (ci == "true" && index(reason, prefix) == 1) {
        f++
        lines = lines sprintf("  FAILED (CI=true, a tool is missing): %s (%s)\n", name, reason)
      } else {
        s++
        lines = lines sprintf("  skipped: %s%s\n", name, reason == "" ? "" : " (" reason ")")
      }
    }
    /^test result:/ { p += $4; f += $6; next }
    /^# pass / { p += $3; next }
    /^# fail / { f += $3; next }
    /^# cancelled / { f += $3; next }
    /^[ \t]*(not )?ok [0-9]+ - .* # SKIP/ {
      line = $0
      sub(/^[ \t]*(not )?ok [0-9]+ - /, "", line)
      i = index(line, " # SKIP")
      reason = substr(line, i + 7)
      sub(/^ +/, "", reason)
      skipped(substr(line, 1, i - 1), reason)
      next
    }
    /^test .* \.\.\. ignored/ {
      line = $0
      sub(/^test /, "", line)
      i = index(line, " ... ignored")
      reason = substr(line, i + 12)
      sub(/^[, ]+/, "", reason)
      skipped(substr(line, 1, i - 1), reason)
      next
    }
    /^skipped \(missing tool: / {
      # A cargo test that returned early (counted by cargo as passed).
      p--
      reason = $0
      sub(/^skipped \(/, "", reason)
      sub(/\):.*/, "", reason)
      name = $0
      sub(/^skipped \([^)]*\): /, "", name)
      skipped(name, reason)
      next
    }
    END {
      if (lines != "") printf "\nskipped tests:\n%s", lines
      printf "\nsmsotp: %d passed, %d failed, %d skipped\n", p, f, s
      exit (p <= 0 || f > 0)
    }' "$RUNNER_LOG"
}

# A stage ends with the closing line only when it runs alone; either way it exits non-zero
# when any of its steps failed.
stage_done() {
  if [ -n "$OWN_RUNNER_LOG" ]; then
    summarize
  elif [ -n "$STAGE_FAILED" ]; then
    exit 1
  fi
}

# The npm package in crates/web/pkg, built when missing or when any of its inputs changed
# since it was built (a hash of their contents, not file times, which git checkouts reset).
pkg_inputs_hash() {
  find Cargo.toml Cargo.lock crates/core/Cargo.toml crates/core/src crates/core/examples \
    crates/web/Cargo.toml crates/web/src crates/web/js crates/web/README.md \
    LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES.md scripts/build-web.sh \
    -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64
}
ensure_pkg() {
  local want
  want=$(pkg_inputs_hash)
  if [ -f crates/web/pkg/package.json ] && [ "$(cat crates/web/pkg/.inputs-hash 2>/dev/null)" = "$want" ]; then
    echo "crates/web/pkg is up to date"
    return 0
  fi
  bash scripts/build-web.sh
}

# The worker in worker/build (and its dashboard in worker/public/admin), built when missing or when any of its inputs changed since it
# was built (as ensure_pkg): several stages test the same build, and worker-build's
# wasm-bindgen + wasm-opt steps take ~15 s even when cargo has nothing to do.
worker_inputs_hash() {
  find Cargo.toml Cargo.lock crates/core/Cargo.toml crates/core/src crates/edge/Cargo.toml \
    crates/edge/src worker/Cargo.toml worker/src docs/openapi.json scripts/build-worker.sh \
    -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64
}
ensure_worker() {
  local want
  want=$(worker_inputs_hash)
  if [ -f worker/build/index.js ] && [ "$(cat worker/build/.inputs-hash 2>/dev/null)" = "$want" ]; then
    echo "worker/build is up to date"
    # The dashboard's files (worker/public/admin) are assembled anyway: under a second.
    bash scripts/build-admin.sh
    return 0
  fi
  # The marker only after a build that succeeded: an old index.js must not pass for new.
  bash scripts/build-worker.sh || return 1
  echo "$want" > worker/build/.inputs-hash
}

# Packs crates/web/pkg as `npm publish` would and installs the tarball into <dir>'s
# node_modules, as a user's `npm install smsotp` does.
install_packed_pkg() { # <dir>
  local dir=$1 pack_dir
  new_temp pack_dir -d
  (cd crates/web/pkg && npm pack --silent --pack-destination "$pack_dir" >/dev/null)
  rm -rf "$dir/node_modules"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "$pack_dir"/smsotp-*.tgz >/dev/null
}

# The grapheme tables (crates/core/src/grapheme/data.rs) are generated from the Unicode
# character database of their UNICODE_VERSION, read from the source distribution of the PyPI
# package unicodedata2 of that version (scripts/setup.sh, part unicode, downloads it and
# checks its hash), so that any Python 3 reproduces them byte for byte, whatever Unicode
# version its own unicodedata has. Sets PYTHON (SMSOTP_PYTHON, else python3) and UCD_SDIST.
GRAPHEME_DATA=crates/core/src/grapheme/data.rs
grapheme_inputs() {
  local want
  want=$(sed -n 's/^pub const UNICODE_VERSION: &str = "\(.*\)";$/\1/p' "$GRAPHEME_DATA")
  PYTHON=${SMSOTP_PYTHON:-python3}
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "smsotp: no $PYTHON: install Python 3 (scripts/setup.sh installs it with apt-get)" >&2
    return 1
  fi
  UCD_SDIST=target/unicodedata2/unicodedata2-$want.tar.gz
  if [ ! -f "$UCD_SDIST" ]; then
    echo "smsotp: $UCD_SDIST is missing, the Unicode $want data of $GRAPHEME_DATA:" >&2
    echo "  'bash scripts/setup.sh unicode' downloads it (pinned in scripts/setup.sh)." >&2
    return 1
  fi
}
