//! The transport of the hot calls. `parsePhoneNumber`, `countSegments` and the formatting
//! calls skip wasm-bindgen's string passing, whose TextEncoder/TextDecoder round trips cost
//! more than the work itself: JS writes the string's UTF-16 code units straight into
//! `INPUT` (its address from `inputBuffer`), and reads numbers back from `OUTPUT` (address
//! from `outputBuffer`) through views of `wasmMemory()`. Transport only; the answers are
//! the core's.

use wasm_bindgen::prelude::*;

thread_local! {
    /// UTF-16 input, written by JS. Only grows, so that a call does not clear it.
    static INPUT: std::cell::RefCell<Vec<u16>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Numbers for JS after a call (layout per function).
    static OUTPUT: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The module's memory, for the JS views of `INPUT` and `OUTPUT`.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The address of `INPUT` with room for `units` code units (2-byte aligned). Memory may
/// grow here: JS renews its views after this call.
#[wasm_bindgen(js_name = inputBuffer)]
pub fn input_buffer(units: usize) -> *mut u16 {
    INPUT.with_borrow_mut(|input| {
        if input.len() < units {
            input.resize(units, 0);
        }
        input.as_mut_ptr()
    })
}

/// The address of `OUTPUT` (4-byte aligned), valid until the next call.
#[wasm_bindgen(js_name = outputBuffer)]
pub fn output_buffer() -> *const u32 {
    OUTPUT.with_borrow(|output| output.as_ptr())
}

/// Runs `f` on the first `units` code units of `INPUT`.
pub(crate) fn with_input<T>(units: usize, f: impl FnOnce(&[u16]) -> T) -> T {
    INPUT.with_borrow(|input| f(&input[..units.min(input.len())]))
}

/// Replaces `OUTPUT`'s content with `words`.
pub(crate) fn set_output(words: impl IntoIterator<Item = u32>) {
    OUTPUT.with_borrow_mut(|out| {
        out.clear();
        out.extend(words);
    });
}
