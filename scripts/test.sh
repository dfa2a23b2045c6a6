#!/usr/bin/env bash
# Runs every check and test of the repository; installs what is missing first.
# This is the README's test command (`npm test`) and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy (native, and the wasm32 crates for wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p smsotp-web -p smsotp-worker --target wasm32-unknown-unknown --all-targets -- -D warnings

step "smsotp-core stays platform-free and builds for wasm32"
# The core takes randomness and time from its caller: none of these may be in its tree.
if cargo tree -p smsotp-core -e normal --target wasm32-unknown-unknown --prefix none \
  | grep -E '^(worker|wasm-bindgen|web-sys|js-sys|getrandom) v'; then
  echo "smsotp-core must not depend on the crates above" >&2
  exit 1
fi
cargo build -p smsotp-core --target wasm32-unknown-unknown --release

step "Rust tests (unit, property, oracle: libphonenumber-js and Twilio's segment calculator)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
SMSOTP_REQUIRE_ORACLES=1 cargo test --workspace --lib --tests 2>&1 | tee -a "$log"

step "npm package: build (wasm-pack + assemble into crates/web/pkg)"
bash scripts/build-web.sh

step "npm package: the bindings' tests in Node and headless Chromium (wasm-bindgen-test)"
cargo test -p smsotp-web --target wasm32-unknown-unknown --tests 2>&1 | tee -a "$log"

step "npm package: installed from its tarball; Node ≥ 20, plain <script type=module> and Vite in Chromium"
pack_dir=$(mktemp -d)
(cd crates/web/pkg && npm pack --silent --pack-destination "$pack_dir" >/dev/null)
rm -rf tests/package/node_modules
npm install --prefix tests/package --no-save --no-package-lock --no-audit --no-fund "$pack_dir"/smsotp-*.tgz >/dev/null
rm -rf "$pack_dir"
# The system Node (20 on this machine kind), not the Node 22 that wrangler needs.
system_node=$(PATH=/usr/local/bin:/usr/bin:/bin command -v node)
"$system_node" --version
"$system_node" --test --test-reporter=tap tests/package/ 2>&1 | tee -a "$log"

step "edge worker: build (worker-build) and tests on workerd (Miniflare), providers and callbacks on 127.0.0.1"
bash scripts/build-worker.sh
"$system_node" --test --test-concurrency=3 --test-reporter=tap tests/worker/ 2>&1 | tee -a "$log"

step "edge worker: wrangler deploy --dry-run (bundles and checks the upload offline)"
(cd worker && WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false wrangler deploy --dry-run --outdir dist 2>&1 | grep -E "Total Upload|dry-run")

# One closing line over every runner above (cargo test and node --test).
awk '/^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
  END { printf "\nsmsotp: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$log"
