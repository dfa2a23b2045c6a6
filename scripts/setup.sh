#!/usr/bin/env bash
# Installs, on a Debian or Ubuntu machine with rustup and Node >= 20.19 (as root, for
# apt-get), whatever the build and the tests need and is not already there. Idempotent: a
# second run only checks versions. What it needs first, and how long a first run takes:
# README.md, "Prerequisites". Versions and the reason for each pin: docs/toolchain.md.
#
#   scripts/setup.sh                 everything
#   scripts/setup.sh PART...         only these parts, so that one stage does not wait for
#                                    tools it never runs (most of a first run's time is
#                                    `cargo install`):
#     npm            the root package's npm dependencies (oracles, wasm-opt, wrangler, tsc)
#     wasm32         the Rust target wasm32-unknown-unknown, rustfmt, clippy
#     web            wasm32 + wasm-bindgen-cli + wasm-pack + npm (builds the npm package)
#     worker         wasm32 + wasm-bindgen-cli + worker-build + npm (builds the worker)
#     browser        Chromium + chromedriver (Debian)
#     firefox        Firefox ESR (Debian) + geckodriver (crates.io): the widget's Firefox run
#                    and the bindings' tests in Firefox
#     conformance    schemathesis (PyPI) in a venv, target/venv-schemathesis: the contract
#                    checks of scripts/test-conformance.sh
#     twilio         Twilio's Python SDK (PyPI `twilio`) in a venv, target/venv-twilio: the
#                    worker stage runs it against the Twilio-compatible API (tests/twilio/);
#                    its Node SDK is an npm devDependency
#     fuzz           cargo-fuzz (crates.io) for `cargo +nightly fuzz`; the nightly toolchain
#     unicode        the Unicode data the grapheme tables are generated from (PyPI's
#                    unicodedata2 sources, hash-checked): `npm run gen`, `npm run check`
# Any part that compiles also gets a C/C++ compiler (g++, Debian) when there is none: Rust
# links with `cc`, and libFuzzer is C++.
#   SETUP_SKIP_BROWSER=1 ...         everything but Chromium (kept for older callers)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate pinned in Cargo.toml
WASM_PACK_VERSION=0.15.1
WORKER_BUILD_VERSION=0.8.7
GECKODRIVER_VERSION=0.37.1
SCHEMATHESIS_VERSION=4.32.5
TWILIO_PYTHON_VERSION=9.13.0 # tests/twilio/python_sdk.py; the npm package is pinned in package.json
CARGO_FUZZ_VERSION=0.13.2
# The Unicode version of crates/core/src/grapheme/data.rs, and the hash of its sdist on PyPI.
UNICODEDATA2_VERSION=14.0.0
UNICODEDATA2_SHA256=41f7df0043f4450e84203d907a56cdd2a0a0541a9eebbaba48576b01e0b61684

log() { printf '\033[1;34msetup:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31msetup:\033[0m %s\n' "$@" >&2; exit 1; }

# Debian packages, installed only when missing (`apt-get update` once per run).
APT_UPDATED=
apt_install() { # <package...>
  [ "$(id -u)" -eq 0 ] || die "apt-get install $* needs root (see README.md, Prerequisites): run this as root, or install them first"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$APT_UPDATED" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  apt-get install -y -qq "$@" >/dev/null
}

export PATH="$HOME/.cargo/bin:$PATH"

# A C/C++ compiler, for the parts that build Rust (rustc links with `cc`) and libFuzzer (C++).
need_compiler() {
  if ! command -v cc >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then apt_install g++; fi
}
# A virtual environment of the machine's Python 3 (Debian's needs python3-venv for it).
make_venv() { # <dir>
  local dir=$1
  if ! command -v python3 >/dev/null 2>&1; then apt_install python3 python3-venv; fi
  if [ -x "$dir/bin/pip" ]; then return 0; fi
  if ! python3 -m venv "$dir" >/dev/null 2>&1; then
    rm -rf "$dir"
    apt_install python3-venv
    python3 -m venv "$dir"
  fi
}

parts=" $* "
if [ $# -eq 0 ]; then
  parts=" npm web worker conformance twilio fuzz unicode "
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

# What setup cannot install: say so plainly rather than fail later in a build.
if want wasm32 || want wasm-bindgen || want fuzz || want firefox; then
  command -v rustup >/dev/null 2>&1 && command -v cargo >/dev/null 2>&1 \
    || die "Rust is missing: install rustup with a stable toolchain of Rust 1.95 (README.md, Prerequisites)"
  need_compiler
fi
if want npm; then
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    || die "Node.js is missing: install Node >= 20.19 with npm, as 'node' on PATH (README.md, Prerequisites)"
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
    || die "Node $(node --version) is too old: install Node >= 20.19 (README.md, Prerequisites)"
fi

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
    apt_install chromium chromium-driver
  fi
fi
if want firefox; then
  if ! command -v firefox-esr >/dev/null 2>&1; then apt_install firefox-esr; fi
  # Not in Debian; npm's geckodriver wrappers download from GitHub (offline here).
  cargo_tool geckodriver geckodriver "$GECKODRIVER_VERSION" --locked
fi
if want conformance; then
  # A venv of its own: schemathesis and its dependencies stay out of the system Python.
  venv=target/venv-schemathesis
  if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "pip install schemathesis $SCHEMATHESIS_VERSION into $venv (once)"
    make_venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
fi
if want twilio; then
  # A venv of its own, like schemathesis': the SDK and its dependencies (requests, aiohttp,
  # PyJWT) stay out of the system Python.
  venv=target/venv-twilio
  if [ "$("$venv/bin/python" -c 'import twilio; print(twilio.__version__)' 2>/dev/null)" != "$TWILIO_PYTHON_VERSION" ]; then
    log "pip install twilio $TWILIO_PYTHON_VERSION into $venv (once)"
    make_venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "twilio==$TWILIO_PYTHON_VERSION"
  fi
fi
if want unicode; then
  # Only the source distribution is read (as text, by crates/core/data/gen-grapheme-data.py):
  # nothing is built or installed from it. pip fetches it (a venv of its own, for a pip).
  sdist=target/unicodedata2/unicodedata2-$UNICODEDATA2_VERSION.tar.gz
  if ! echo "$UNICODEDATA2_SHA256  $sdist" | sha256sum --check --status 2>/dev/null; then
    log "pip download unicodedata2 $UNICODEDATA2_VERSION (its sources: the Unicode data of the grapheme tables)"
    make_venv target/venv-pip
    requirement=$(mktemp)
    echo "unicodedata2==$UNICODEDATA2_VERSION --hash=sha256:$UNICODEDATA2_SHA256" >"$requirement"
    target/venv-pip/bin/pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      --require-hashes -r "$requirement" -d target/unicodedata2
    rm -f "$requirement"
    echo "$UNICODEDATA2_SHA256  $sdist" | sha256sum --check --status || die "$sdist: not the pinned file"
  fi
fi
if want fuzz; then
  # libFuzzer's instrumentation needs nightly; `cargo +nightly` leaves rust-toolchain.toml's
  # stable in charge of everything else.
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "rustup toolchain install nightly --profile minimal (cargo fuzz needs it)"
    rustup toolchain install nightly --profile minimal
  fi
  cargo_tool cargo-fuzz cargo-fuzz "$CARGO_FUZZ_VERSION" --locked
fi
log "toolchain ready"
