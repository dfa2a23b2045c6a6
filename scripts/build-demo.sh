#!/usr/bin/env bash
# Assembles the widget's demo pages into worker/public/demo/ (wrangler.toml `[assets]`):
# the pages of www/, and the npm package's runtime files (crates/web/pkg: the modules, the
# wasm and the phone metadata assets, as a user's `npm install smsotp` gets them) in
# demo/pkg/. Run by `npm run dev` and the widget tests; builds the package first when it is
# missing or stale. The worker serves /demo/ only in development (worker/src/dev.rs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_pkg >/dev/null
out=worker/public/demo
rm -rf "$out"
mkdir -p "$out/pkg"
cp -R www/. "$out/"
rm -f "$out/README.md"
# The dashboard is not part of the demo: scripts/build-admin.sh serves it at /admin/.
rm -rf "$out/admin"
# The package's own file list (package.json `files`), runtime files only.
node --input-type=module -e '
import { readFileSync } from "node:fs";
const files = JSON.parse(readFileSync("crates/web/pkg/package.json", "utf8")).files;
console.log(files.filter((f) => /\.(js|wasm)$|\/$/.test(f) && !f.endsWith(".node.js")).join("\n"));
' | while read -r f; do cp -R "crates/web/pkg/$f" "$out/pkg/$f"; done
echo "demo: assembled $out ($(find "$out" -type f | wc -l) files)"
