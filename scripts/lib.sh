# Shared by the stage scripts (sourced, not run): where the tools are, how a step is
# announced, and the one closing line over every test runner.
#
# Every runner's output (cargo test, node --test) is appended to one log, and the closing
# line `smsotp: N passed, N failed` sums it. `scripts/test.sh` sets SMSOTP_TEST_LOG so that
# its stages write to its log and it alone prints the line; a stage run by itself keeps its
# own log and prints its own line.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

# The system Node (20 on this machine kind): builds and tests run on the oldest Node the
# package supports, not on the Node 22 in node_modules/.bin that wrangler needs.
system_node() { PATH=/usr/local/bin:/usr/bin:/bin command -v node; }

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

# Runs a test runner, showing its output and keeping it for the closing line.
# (`set -o pipefail` makes a failing runner fail the stage.)
run_tests() { "$@" 2>&1 | tee -a "$RUNNER_LOG"; }

# The closing line over the runners' own summaries: cargo's `test result: ok. N passed;
# N failed; …` and node's TAP `# pass N` / `# fail N`. Exits non-zero when something failed
# or nothing ran.
summarize() {
  awk '/^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
    END { printf "\nsmsotp: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$RUNNER_LOG"
}

# A stage ends with the closing line only when it runs alone.
stage_done() { if [ -n "$OWN_RUNNER_LOG" ]; then summarize; fi; }

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

# The worker in worker/build, built when missing or when any of its inputs changed since it
# was built (as ensure_pkg): several stages test the same build, and worker-build's
# wasm-bindgen + wasm-opt steps take ~15 s even when cargo has nothing to do.
worker_inputs_hash() {
  find Cargo.toml Cargo.lock crates/core/Cargo.toml crates/core/src worker/Cargo.toml \
    worker/src docs/openapi.json scripts/build-worker.sh \
    -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64
}
ensure_worker() {
  local want
  want=$(worker_inputs_hash)
  if [ -f worker/build/index.js ] && [ "$(cat worker/build/.inputs-hash 2>/dev/null)" = "$want" ]; then
    echo "worker/build is up to date"
    return 0
  fi
  bash scripts/build-worker.sh
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

# A Python whose `unicodedata` has the Unicode version of the committed grapheme tables
# (each Python release ships one Unicode version: 3.11 has 14.0.0, 3.12 15.0.0, 3.13
# 15.1.0). Tries SMSOTP_PYTHON, python3.11, python3; sets PYTHON, or explains and fails.
GRAPHEME_DATA=crates/core/src/grapheme/data.rs
pick_python() {
  local want py have tried=""
  want=$(sed -n 's/^pub const UNICODE_VERSION: &str = "\(.*\)";$/\1/p' "$GRAPHEME_DATA")
  for py in ${SMSOTP_PYTHON:-} python3.11 python3; do
    have=$("$py" -c 'import unicodedata; print(unicodedata.unidata_version)' 2>/dev/null) || continue
    if [ "$have" = "$want" ]; then
      PYTHON=$py
      return 0
    fi
    tried+="  $py: Unicode $have"$'\n'
  done
  {
    echo "No Python with Unicode $want, the version of $GRAPHEME_DATA, was found:"
    printf '%s' "${tried:-  (no python3 at all)}"
    echo "The grapheme tables come from Python's unicodedata, so another Unicode version would"
    echo "change them. Install a Python whose unicodedata is $want (Python 3.11 for 14.0.0)"
    echo "and point SMSOTP_PYTHON at it, or, to move the tables to a new Unicode version on"
    echo "purpose, run 'SMSOTP_PYTHON=python3.X npm run gen' with SMSOTP_UNICODE_CHANGE=1."
  } >&2
  return 1
}
