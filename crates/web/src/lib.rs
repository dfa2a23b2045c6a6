//! wasm-bindgen bindings of `smsotp-core` for the npm package `smsotp`.
//!
//! These are the package's raw exports: arguments and results cross as JSON text (the hot
//! calls: as UTF-16 code units and numbers in wasm memory, see [`transport`]) and the
//! package's JS layer (`crates/web/js/`) turns them into the documented API, with the
//! argument checks. No rule lives here: every function calls the core.
//!
//! One crate, two wasm builds: with the default feature `full`, every export (the entry
//! `smsotp`); without it, only [`phone`]'s (the entry `smsotp/phone`).

#[cfg(feature = "full")]
pub mod full;
pub mod phone;
pub mod transport;

#[cfg(feature = "full")]
pub use full::*;
pub use phone::*;
pub use transport::*;

/// The allocator of the wasm builds: talc instead of dlmalloc (smaller and faster; the
/// figures are in docs/benchmarks.md, "Size").
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
