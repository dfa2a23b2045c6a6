//! Shared by the integration tests (and, by path, the benches, smsotp-edge's tests and the
//! fuzz targets): a seeded random source, and running a Node oracle script from
//! `tests/oracle/` with the repository's npm dependencies (installed by `scripts/setup.sh`).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Set by `npm test` (scripts/test.sh): the oracle tests must run, so a missing Node or
/// missing npm dependencies fail them instead of skipping them.
pub const REQUIRE_ORACLES: &str = "SMSOTP_REQUIRE_ORACLES";

/// Runs `node tests/oracle/<script> <args>` with `stdin` — the calling crate's
/// `tests/oracle/`, else smsotp-core's (`phone.mjs`, shared) — returning its stdout; `None` (the
/// test then returns early, after one line saying why) when Node or the npm dependencies
/// are missing — plain `cargo test` on a machine with only Rust. Under `npm test`
/// ([`REQUIRE_ORACLES`] set) that is a failure instead.
pub fn run_oracle(script: &str, args: &[&str], stdin: &str) -> Option<String> {
    let root = repo_root();
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let missing = if !root.join("node_modules/libphonenumber-js").exists()
        || !root.join("node_modules/sms-segments-calculator").exists()
        || !root.join("node_modules/jose").exists()
    {
        Some("node_modules is missing".to_owned())
    } else if Command::new(&node).arg("--version").output().is_err() {
        Some(format!("Node ({node}) is not on PATH"))
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(
            std::env::var_os(REQUIRE_ORACLES).is_none(),
            "oracle {script} cannot run: {why}; npm test installs it (scripts/setup.sh)"
        );
        // Straight to stderr, past the test harness's capture of `eprintln!`, so that a plain
        // `cargo test` shows the line; its `skipped (missing tool: …)` prefix is what
        // scripts/lib.sh's summary lists as a skip (a failure under CI=true).
        let _ = writeln!(
            std::io::stderr(),
            "skipped (missing tool: node and `npm ci`): oracle {script}: {why} (npm test runs it)"
        );
        return None;
    }
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle");
    let dir = if own.join(script).exists() {
        own
    } else {
        root.join("crates/core/tests/oracle")
    };
    let mut child = Command::new(node)
        .arg(dir.join(script))
        .args(args)
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node must be on PATH (or set NODE)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write to the oracle");
    let out = child.wait_with_output().expect("oracle output");
    assert!(out.status.success(), "oracle {script} failed");
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

/// SplitMix64: a seeded, reproducible [`smsotp_core::RandomSource`] for tests and benches
/// (never for real PINs).
pub struct SplitMix(pub u64);

impl smsotp_core::RandomSource for SplitMix {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// Loads region `iso`'s metadata as the npm package does, from its asset (the text the
/// package ships, made by `phone::region_asset`); a no-op where every region is compiled in.
pub fn load_region(iso: &str) {
    let asset = smsotp_core::phone::region_asset(iso).expect("a known region");
    assert_eq!(smsotp_core::phone::load_region(&asset), Ok(iso));
}

/// `call`'s answer through the lazy path, as a page gets it: with the `lazy-metadata`
/// feature, each region the call reports missing is loaded and the call made again (at
/// most once per region: a region reported twice would be a loader bug). Without it, the
/// call's answer.
pub fn lazily<T>(
    mut call: impl FnMut() -> Result<T, smsotp_core::PhoneError>,
) -> Result<T, smsotp_core::PhoneError> {
    let mut loaded = Vec::new();
    loop {
        match call() {
            Err(smsotp_core::PhoneError::MetadataMissing(iso)) => {
                assert!(
                    !loaded.contains(&iso),
                    "{iso} reported missing after its load"
                );
                load_region(iso);
                loaded.push(iso);
            }
            answer => return answer,
        }
    }
}

/// An `AsYouType` fed through the lazy path: a region reported missing is loaded, and every
/// piece typed so far is typed again into a new formatter (as the npm package does).
pub struct LazyTyping {
    country: Option<String>,
    pieces: Vec<String>,
    pub typing: smsotp_core::AsYouType,
}

impl LazyTyping {
    pub fn new(country: Option<&str>) -> LazyTyping {
        LazyTyping {
            country: country.map(str::to_owned),
            pieces: Vec::new(),
            typing: smsotp_core::AsYouType::new(country),
        }
    }

    pub fn input(&mut self, text: &str) -> String {
        self.pieces.push(text.to_owned());
        let mut answer = self.typing.try_input(text);
        let mut loaded = Vec::new();
        while let Err(smsotp_core::phone::MetadataMissing(iso)) = answer {
            assert!(
                !loaded.contains(&iso),
                "{iso} reported missing after its load"
            );
            load_region(iso);
            loaded.push(iso);
            self.typing = smsotp_core::AsYouType::new(self.country.as_deref());
            answer = Ok(String::new());
            for piece in &self.pieces {
                answer = self.typing.try_input(piece);
                if answer.is_err() {
                    break;
                }
            }
        }
        answer.unwrap()
    }
}
