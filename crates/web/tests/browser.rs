//! The exports' tests in headless Chromium (wasm-bindgen's runner drives chromedriver).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

include!("shared/exports.rs");
