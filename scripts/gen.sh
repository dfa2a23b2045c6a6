#!/usr/bin/env bash
# `npm run gen`: regenerates the data compiled into smsotp-core, in place:
#   crates/core/src/phone/data.rs     from libphonenumber-js's metadata (the version in
#                                     package-lock.json), by crates/core/data/gen-phone-data.mjs
#   crates/core/src/grapheme/data.rs  from the Unicode character database (unicodedata2's
#                                     sources, pinned in setup.sh), by gen-grapheme-data.py
#   crates/web/js/widget/error-codes.js  from smsotp-core's ErrorCode (its example
#                                     error_codes), by crates/web/js/gen-error-codes.mjs
#   docs/api.md's error table         from the core's ErrorCode::ALL, by
#                                     scripts/gen-error-table.mjs
# `npm run check` verifies that this reproduces the committed files byte for byte.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh npm unicode

step "phone metadata (libphonenumber-js)"
"$(system_node)" crates/core/data/gen-phone-data.mjs
if [ -n "${SMSOTP_UNICODE_CHANGE:-}" ]; then
  # On purpose: the grapheme tables move to this Python's Unicode version (then pin the
  # unicodedata2 release of that version in scripts/setup.sh).
  PYTHON=${SMSOTP_PYTHON:-python3}
  step "grapheme tables ($PYTHON's unicodedata: Unicode $("$PYTHON" -c 'import unicodedata; print(unicodedata.unidata_version)'))"
  "$PYTHON" crates/core/data/gen-grapheme-data.py
else
  grapheme_inputs
  step "grapheme tables ($UCD_SDIST, with $PYTHON)"
  "$PYTHON" crates/core/data/gen-grapheme-data.py --ucd "$UCD_SDIST"
fi
# The committed files are formatted as `cargo fmt --check` expects.
cargo fmt -p smsotp-core
step "the widget's error codes (smsotp-core's ErrorCode)"
cargo run -q -p smsotp-core --example error_codes | "$(system_node)" crates/web/js/gen-error-codes.mjs
step "docs/api.md: the error table (ErrorCode::ALL)"
"$(system_node)" scripts/gen-error-table.mjs
echo
git status --short -- crates/core crates/web/js/widget/error-codes.js docs/api.md
