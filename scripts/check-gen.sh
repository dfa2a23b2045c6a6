#!/usr/bin/env bash
# Part of `npm run check`: the generated data in crates/core is what `npm run gen` makes from
# the committed generators and the pinned inputs, byte for byte. The generators run on a
# copy of crates/core in a temporary folder, so the work tree is never modified, and every
# file they write there (whatever it is) is compared with the tree's. So is the widget's
# crates/web/js/widget/error-codes.js, with what smsotp-core's ErrorCode gives now.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh npm unicode

grapheme_inputs
new_temp copy -d
mkdir -p "$copy/crates"
cp -R crates/core "$copy/crates/core"
# The phone generator resolves libphonenumber-js from its own location.
ln -s "$PWD/node_modules" "$copy/node_modules"

touch "$copy/.before"
"$(system_node)" "$copy/crates/core/data/gen-phone-data.mjs" >/dev/null
"$PYTHON" "$copy/crates/core/data/gen-grapheme-data.py" --ucd "$UCD_SDIST" >/dev/null
# As `npm run gen` does: the Rust files written are formatted as `cargo fmt` would.
mapfile -t written < <(cd "$copy" && find crates/core -type f -newer .before | sort)
for f in "${written[@]}"; do
  case "$f" in *.rs) rustfmt --edition 2021 "$copy/$f" ;; esac
done

if ! diff -r -q crates/core "$copy/crates/core" >/dev/null; then
  echo "Generated data differs from the tree's (run 'npm run gen' and commit the result):" >&2
  diff -r -u crates/core "$copy/crates/core" | head -60 >&2
  exit 1
fi
echo "generated data reproduces byte for byte: ${written[*]}"

# The widget's error codes, written to a temporary file as `npm run gen` writes the tree's.
new_temp codes
cargo run -q -p smsotp-core --example error_codes | "$(system_node)" crates/web/js/gen-error-codes.mjs "$codes"
if ! cmp -s crates/web/js/widget/error-codes.js "$codes"; then
  echo "crates/web/js/widget/error-codes.js is not what smsotp-core's ErrorCode gives (run 'npm run gen' and commit the result):" >&2
  diff -u crates/web/js/widget/error-codes.js "$codes" | head -60 >&2
  exit 1
fi
echo "crates/web/js/widget/error-codes.js reproduces byte for byte from smsotp-core's ErrorCode"
