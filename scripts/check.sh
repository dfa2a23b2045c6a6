#!/usr/bin/env bash
# `npm run check`: every check that is not a test run — the toolchain version, formatting,
# clippy (native and wasm32), rustdoc, the rules' platform freedom, the npm package's crate
# tree (no edge-only crate), the third-party notices, the generated data and the generated
# error table of docs/api.md, the docs' links, the npm package's contents and its TypeScript
# declarations. Installs what it lacks first, and builds the npm package when it is missing
# or stale (the last two checks need it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh web

# Each gate below is one counted result in the closing line (`ok - check: …` / `not ok -
# check: …`, scripts/lib.sh gate); a failing gate does not stop the others.

toolchain() {
  local rustc_version
  rustc_version=$(rustc --version)
  echo "$rustc_version"
  case "$rustc_version" in
    "rustc 1.95."*) ;;
    *)
      echo "This repository is formatted and linted with Rust 1.95 (rust-toolchain.toml names" >&2
      echo "the machine's 'stable'; see docs/toolchain.md): clippy and rustfmt of other versions" >&2
      echo "disagree about what is clean. Use a Rust 1.95 toolchain as 'stable'." >&2
      exit 1
      ;;
  esac
}
step "Rust toolchain: 1.95 (rust-toolchain.toml)"
gate "check: Rust toolchain 1.95" toolchain

step "format (cargo fmt --check)"
gate "check: cargo fmt --check" cargo fmt --all -- --check

step "clippy, native: every crate and target"
gate "check: clippy, native, -D warnings" cargo clippy --workspace --all-targets -- -D warnings
step "clippy, wasm32: the npm package's bindings and the worker"
gate "check: clippy, wasm32, -D warnings" cargo clippy -p smsotp-web -p smsotp-worker --target wasm32-unknown-unknown --all-targets -- -D warnings
# The package's builds as build-web.sh makes them (lazy-phone: the phone metadata per region),
# apart from the worker (which must have every region compiled in).
gate "check: clippy, wasm32, the package's builds, -D warnings" cargo clippy -p smsotp-web --target wasm32-unknown-unknown --all-targets --features lazy-phone -- -D warnings
gate "check: clippy, native, smsotp-core with lazy-metadata, -D warnings" cargo clippy -p smsotp-core --all-targets --features lazy-metadata -- -D warnings

step "rustdoc: the workspace's docs build without warnings"
gate "check: rustdoc -D warnings" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

platform_free() {
  # The rules' crates take randomness and time from their caller: none of these may be in
  # their trees.
  local crate
  for crate in smsotp-core smsotp-edge; do
    if cargo tree -p "$crate" -e normal --target wasm32-unknown-unknown --prefix none \
      | grep -E '^(worker|wasm-bindgen|web-sys|js-sys|getrandom) v'; then
      echo "$crate must not depend on the crates above" >&2
      exit 1
    fi
  done
  cargo build -p smsotp-core -p smsotp-edge --target wasm32-unknown-unknown --release
}
step "smsotp-core and smsotp-edge stay platform-free and build for wasm32"
gate "check: smsotp-core, smsotp-edge platform-free, build for wasm32" platform_free

web_deps() {
  # The browser package is built from smsotp-core alone: the edge's crate and what only it
  # needs (the JWT, Ed25519 and date crates of the browser API's tokens) must not reach
  # either of its wasm builds.
  local build tree status=0 flags
  # The two builds of scripts/build-web.sh: default features (`smsotp`), none (`smsotp/phone`).
  for build in default no-default; do
    flags=()
    [ "$build" = default ] || flags=(--no-default-features)
    tree=$(cargo tree -p smsotp-web -e normal --target wasm32-unknown-unknown --prefix none "${flags[@]}")
    if grep -E '^(smsotp-edge|jwt-compact|ed25519-dalek|curve25519-dalek|chrono|time) v' <<<"$tree"; then
      echo "smsotp-web ($build features) must not depend on the crates above: it takes smsotp-core only" >&2
      status=1
    else
      echo "smsotp-web ($build features): $(sort -u <<<"$tree" | wc -l) crates, no JWT, Ed25519 or date crate"
    fi
  done
  return "$status"
}
step "npm package's crate: smsotp-core only, no JWT, Ed25519 or date crate (both builds)"
gate "check: smsotp-web has no JWT, Ed25519 or date crate" web_deps

step "THIRD-PARTY-NOTICES.md: the crates each build links (scripts/notices.mjs --check)"
gate "check: THIRD-PARTY-NOTICES.md lists what the builds link" "$(system_node)" scripts/notices.mjs --check

step "generated data: regenerating reproduces the committed files"
gate "check: generated data reproduces the committed files" bash scripts/check-gen.sh

step "docs/api.md: the error table is the one generated from the core's ErrorCode::ALL"
gate "check: docs/api.md error table generated from ErrorCode::ALL" "$(system_node)" scripts/gen-error-table.mjs --check

step "README.md and docs/*.md: every link resolves, every screenshot is shown, the README stays under 300 lines"
gate "check: docs links, screenshots, README length" "$(system_node)" scripts/check-docs.mjs

step "npm package: built and up to date"
gate "check: npm package built and up to date" ensure_pkg

tarball_contents() {
  "$(system_node)" - <<'JS'
const { execFileSync } = require('node:child_process');
const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: 'crates/web/pkg', encoding: 'utf8' }));
const files = new Set(pack.files.map((f) => f.path));
const required = ['LICENSE-MIT', 'LICENSE-APACHE', 'THIRD-PARTY-NOTICES.md', 'README.md', 'package.json',
  'index.js', 'index.node.js', 'index.d.ts', 'types.d.ts', 'smsotp_bg.wasm', 'phone.js', 'phone.node.js', 'phone.d.ts', 'smsotp_phone_bg.wasm', 'widget.js', 'widget.d.ts'];
const missing = required.filter((f) => !files.has(f));
if (missing.length) {
  console.error(`${pack.filename} lacks: ${missing.join(', ')} (crates/web/js/assemble.mjs, "files")`);
  process.exit(1);
}
console.log(`${pack.filename}: ${pack.files.length} files, ${pack.size} bytes packed; has ${required.join(', ')}`);
JS
}
step "npm package: the tarball ships the licences and notices"
gate "check: the tarball ships the licences and notices" tarball_contents

# tests/types/usage.mts beside the package installed from its tarball, in a temporary folder
# (so the tree gets no node_modules), checked for Node (nodenext) and bundlers. The folders
# are made here: what a gate's subshell registers for removal would not be removed.
new_temp types_dir -d
new_temp pack_dir -d
types_check() {
  printf '{ "private": true, "type": "module" }\n' >"$types_dir/package.json"
  (cd crates/web/pkg && npm pack --silent --pack-destination "$pack_dir" >/dev/null)
  npm install --prefix "$types_dir" --no-save --no-package-lock --no-audit --no-fund "$pack_dir"/smsotp-*.tgz >/dev/null
  cp tests/types/usage.mts "$types_dir/"
  tsc --version
  for resolution in nodenext bundler; do
    module=$([ "$resolution" = nodenext ] && echo nodenext || echo esnext)
    (cd "$types_dir" && tsc --noEmit --strict --target es2022 --lib es2022,dom \
      --module "$module" --moduleResolution "$resolution" usage.mts)
    echo "types: usage.mts compiles with --moduleResolution $resolution"
  done
}
step "npm package: its TypeScript declarations, used as a user does (tsc --noEmit)"
gate "check: TypeScript declarations used as a user does (tsc, nodenext and bundler)" types_check

echo
if [ -n "$STAGE_FAILED" ]; then echo "check: FAILED (above: not ok)"; else echo "check: all passed"; fi
stage_done
