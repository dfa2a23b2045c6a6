#!/usr/bin/env bash
# Benchmarks (not tests): the core's create and verify paths and their pieces, natively,
# then the npm package against sms-segments-calculator, split-sms and libphonenumber-js, then
# the widget on a "Fast 3G" connection.
# Figures are machine-dependent; compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bash scripts/setup.sh web
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
echo "== smsotp-core, native (criterion)"
cargo bench -p smsotp-core --bench otp "$@"
echo
echo "== the npm package smsotp in Node, side by side with its JS peers"
bash scripts/build-web.sh >/dev/null
node crates/web/bench/bench.mjs
echo
echo "== <smsotp-verify> on a throttled connection (Fast 3G), against the built worker"
ensure_worker >/dev/null
node crates/web/bench/fast3g.mjs
