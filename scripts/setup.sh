#!/usr/bin/env bash
# Installs, on a fresh Debian + Rust + Node 20 machine (as root), whatever the build and
# the tests need and is not already there. Idempotent: a second run only checks versions.
# Versions and the reason for each pin: docs/toolchain.md.
#
#   scripts/setup.sh                 everything
#   scripts/setup.sh PART...         only these parts, so that one stage does not wait for
#                                    tools it never runs (a fresh machine spends ~15 min
#                                    on all of them, mostly in `cargo install`):
#     npm            the root package's npm dependencies (oracles, wasm-opt, wrangler, tsc)
#     wasm32         the Rust target wasm32-unknown-unknown, rustfmt, clippy
#     web            wasm32 + wasm-bindgen-cli + wasm-pack + npm (builds the npm package)
#     worker         wasm32 + wasm-bindgen-cli + worker-build + npm (builds the worker)
#     browser        Chromium + chromedriver (Debian)
#     firefox        Firefox ESR (Debian) + geckodriver (crates.io): the widget's Firefox run
#                    and the bindings' tests in Firefox
#     conformance    schemathesis (PyPI) in a venv, target/venv-schemathesis: the contract
#                    checks of scripts/test-conformance.sh
#   SETUP_SKIP_BROWSER=1 ...         everything but Chromium (kept for older callers)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate pinned in Cargo.toml
WASM_PACK_VERSION=0.15.1
WORKER_BUILD_VERSION=0.8.7
GECKODRIVER_VERSION=0.37.1
SCHEMATHESIS_VERSION=4.32.5

log() { printf '\033[1;34msetup:\033[0m %s\n' "$*" >&2; }

parts=" $* "
if [ $# -eq 0 ]; then
  parts=" npm web worker conformance "
  [ -n "${SETUP_SKIP_BROWSER:-}" ] || parts+="browser firefox "
fi
want() { case "$parts" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
want web && parts+="wasm32 wasm-bindgen npm "
want worker && parts+="wasm32 wasm-bindgen npm "

# `cargo install` only when the binary is missing or reports another version.
cargo_tool() { # <binary> <crate> <version> [extra cargo install args...]
  local bin=$1 crate=$2 version=$3
  shift 3
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -q "$version"; then
    return 0
  fi
  log "cargo install $crate $version (a few minutes, once)"
  cargo install "$crate" --version "$version" "$@"
}

export PATH="$HOME/.cargo/bin:$PATH"

if want wasm32; then
  # `rustup target add` downloads only the target's standard library for the installed
  # compiler. (Listing the target in rust-toolchain.toml instead would make rustup update
  # the whole channel first: see that file.)
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo fmt --version >/dev/null 2>&1; then rustup component add rustfmt; fi
  if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi
fi

# wasm-bindgen-cli without --locked: its lockfile names a crate version the index lacks.
if want wasm-bindgen; then cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"; fi
if want web; then cargo_tool wasm-pack wasm-pack "$WASM_PACK_VERSION" --locked; fi
if want worker; then cargo_tool worker-build worker-build "$WORKER_BUILD_VERSION" --locked; fi

# npm dependencies of the root package (wrangler, Miniflare, Node 22 for wrangler, binaryen's
# wasm-opt, esbuild, TypeScript, the oracles' and benchmarks' peers). Reinstall only when
# the lockfile changed.
if want npm; then
  if [ -L node_modules ]; then
    # A link to another checkout's node_modules (a git worktree sharing one install):
    # `npm ci` would empty the folder it points to, under that checkout's feet.
    if [ package-lock.json -nt node_modules/.package-lock.json ]; then
      log "node_modules links to $(readlink node_modules), older than package-lock.json: not reinstalling through the link (replace it with a folder to install here)"
    fi
  elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  fi
fi

if want browser; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    log "apt-get install chromium chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
if want firefox; then
  if ! command -v firefox-esr >/dev/null 2>&1; then
    log "apt-get install firefox-esr"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq firefox-esr >/dev/null
  fi
  # Not in Debian; npm's geckodriver wrappers download from GitHub (offline here).
  cargo_tool geckodriver geckodriver "$GECKODRIVER_VERSION" --locked
fi
if want conformance; then
  # A venv of its own: schemathesis and its dependencies stay out of the system Python.
  # CPython 3.11 is the one the machine kind has (docs/toolchain.md).
  venv=target/venv-schemathesis
  if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "pip install schemathesis $SCHEMATHESIS_VERSION into $venv (once)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
fi
log "toolchain ready"
