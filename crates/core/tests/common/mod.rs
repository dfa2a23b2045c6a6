//! Shared by the oracle tests: runs a Node script from `tests/oracle/` with the repository's
//! npm dependencies (installed by `scripts/setup.sh`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `node tests/oracle/<script> <args>` with `stdin`, returning its stdout.
pub fn run_oracle(script: &str, args: &[&str], stdin: &str) -> String {
    let root = repo_root();
    assert!(
        root.join("node_modules/libphonenumber-js").exists()
            && root.join("node_modules/sms-segments-calculator").exists(),
        "the oracles need the npm dependencies: run scripts/setup.sh (or npm ci) first"
    );
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let mut child = Command::new(node)
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/oracle")
                .join(script),
        )
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
    String::from_utf8(out.stdout).expect("utf-8")
}
