#!/usr/bin/env bash
# Re-runs only the package's assembly step (no wasm rebuild) after editing the JS, and
# records the inputs' hash so that ensure_pkg does not rebuild the wasm for it.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
source scripts/lib.sh
cp crates/web/pkg/types.d.ts /tmp/smsotp-widget-types.d.ts
node crates/web/js/assemble.mjs /tmp/smsotp-widget-types.d.ts
pkg_inputs_hash >crates/web/pkg/.inputs-hash
