//! The exports' tests in Node (`cargo test -p smsotp-web --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]

include!("shared/exports.rs");
