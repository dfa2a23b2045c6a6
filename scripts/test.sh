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

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

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
cargo test --workspace --lib --tests 2>&1 | tee -a "$log"

# One closing line over every runner above.
awk '/^test result:/ { p += $4; f += $6 } END { printf "\nsmsotp: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$log"
