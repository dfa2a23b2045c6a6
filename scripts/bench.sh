#!/usr/bin/env bash
# Benchmarks (not tests): the core's create and verify paths and their pieces, natively.
# Figures are machine-dependent; compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo bench -p smsotp-core --bench otp "$@"
