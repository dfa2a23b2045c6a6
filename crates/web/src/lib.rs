//! wasm-bindgen bindings of `smsotp-core` for the npm package `smsotp`.
//!
//! These are the package's raw exports: arguments and results cross as JSON text (the two
//! hot calls: as UTF-16 code units and numbers in wasm memory, below) and the package's JS
//! layer (`crates/web/js/api.js`) turns them into the documented API, with the
//! argument checks. No rule lives here: every function calls the core.

use serde::Serialize;
use smsotp_core::{
    generate_pin, phone, render_message, sms, validate_request_text, ApiError, Config, Encoding,
    FallibleSource, FieldError, PinType,
};
use wasm_bindgen::prelude::*;

fn json<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn config(config_json: Option<String>) -> Result<Config, String> {
    match config_json {
        None => Ok(Config::default()),
        Some(text) => {
            Config::from_json_text(&text).map_err(|p| format!("invalid config: {}", p.join("; ")))
        }
    }
}

/// `{"ok":true,"<key>":value}` or `{"ok":false,"errors":[…]}`.
fn outcome<T: Serialize>(key: &str, result: Result<T, Vec<ApiError>>) -> String {
    match result {
        Ok(value) => format!("{{\"ok\":true,\"{key}\":{}}}", json(&value)),
        Err(list) => {
            let errors: Vec<FieldError> = list.iter().map(FieldError::from).collect();
            format!("{{\"ok\":false,\"errors\":{}}}", json(&errors))
        }
    }
}

/// `{ok: true, request}` or `{ok: false, errors}` for a `POST /otp` body given as JSON.
#[wasm_bindgen(js_name = validateJson)]
pub fn validate_json(body: &str, config_json: Option<String>) -> Result<String, String> {
    let config = config(config_json)?;
    Ok(outcome("request", validate_request_text(body, &config)))
}

/// `{ok: true, message}` (the rendered SMS) or `{ok: false, errors}`.
#[wasm_bindgen(js_name = renderJson)]
pub fn render_json(
    body: &str,
    pin: Option<String>,
    language: Option<String>,
    config_json: Option<String>,
) -> Result<String, String> {
    let config = config(config_json)?;
    let rendered = validate_request_text(body, &config)
        .map(|request| render_message(&request, pin.as_deref(), language.as_deref()));
    Ok(outcome("message", rendered))
}

// The two hot calls (`parsePhoneNumber`, `countSegments`) skip wasm-bindgen's string
// passing, whose TextEncoder/TextDecoder round trips cost more than the work itself: JS
// writes the string's UTF-16 code units straight into `INPUT` (its address from
// `inputBuffer`), and reads numbers back from `OUTPUT` (address from `outputBuffer`)
// through views of `wasmMemory()`. Transport only; the answers are the core's.

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

fn with_input<T>(units: usize, f: impl FnOnce(&[u16]) -> T) -> T {
    INPUT.with_borrow(|input| f(&input[..units.min(input.len())]))
}

/// The SMS analysis of the `units` code units in `INPUT`, packed:
/// `ucs2 << 31 | parts << 20 | units`. For UCS-2 text, `OUTPUT` holds the number of
/// characters that forced it, then each one's `[start, end)` code-unit range.
#[wasm_bindgen(js_name = segmentsUtf16)]
pub fn segments_utf16(units: usize) -> u32 {
    let spans = with_input(units, sms::analyze_utf16);
    let ucs2 = u32::from(spans.encoding == Encoding::Ucs2);
    OUTPUT.with_borrow_mut(|out| {
        out.clear();
        out.push(spans.non_gsm.len() as u32);
        for range in &spans.non_gsm {
            out.extend([range.start as u32, range.end as u32]);
        }
    });
    ucs2 << 31 | spans.parts.min(0x7FF) << 20 | spans.units.min(0xF_FFFF)
}

/// `phone::parse` of the `number_units` code units in `INPUT`, with the region in the
/// `country_units` after them (none: 0). Valid: returns the E.164 digits as a number
/// (at most 15 digits: exact in a double) and `OUTPUT[0]` = `calling code | region letter
/// 1 << 10 | letter 2 << 15 | number type << 20 | national number length << 24` (letters
/// as `A` = 0, types as in `numberTypes`). Invalid: returns 0 and `OUTPUT` = the reason's
/// address and length (a static string, which JS decodes once and caches).
#[wasm_bindgen(js_name = phoneUtf16)]
pub fn phone_utf16(number_units: usize, country_units: usize) -> f64 {
    let (number, country) = with_input(number_units + country_units, |input| {
        let (number, country) = input.split_at(number_units.min(input.len()));
        (
            String::from_utf16_lossy(number),
            (country_units > 0).then(|| String::from_utf16_lossy(country)),
        )
    });
    let result = phone::parse(&number, country.as_deref());
    OUTPUT.with_borrow_mut(|out| {
        out.clear();
        match result {
            Ok(p) => {
                let letter =
                    |i: usize| u32::from(p.country_iso.as_bytes()[i].wrapping_sub(b'A') & 31);
                let kind = phone::NumberType::ALL
                    .iter()
                    .position(|t| *t == p.number_type)
                    .unwrap_or(0) as u32;
                out.push(
                    u32::from(p.calling_code)
                        | letter(0) << 10
                        | letter(1) << 15
                        | kind << 20
                        | (p.national_number.len() as u32 & 31) << 24,
                );
                // "+" then at most 15 digits (no float parsing: its code is large).
                p.e164
                    .bytes()
                    .skip(1)
                    .fold(0u64, |n, d| n * 10 + u64::from(d.wrapping_sub(b'0') % 10))
                    as f64
            }
            Err(e) => {
                let why = e.reason();
                out.extend([why.as_ptr() as u32, why.len() as u32]);
                0.0
            }
        }
    })
}

/// The number types' names in `phoneUtf16`'s order, comma separated (read once by JS).
#[wasm_bindgen(js_name = numberTypes)]
pub fn number_types() -> String {
    let names: Vec<&str> = phone::NumberType::ALL.iter().map(|t| t.as_str()).collect();
    names.join(",")
}

/// A PIN from the platform's CSPRNG.
#[wasm_bindgen(js_name = pin)]
pub fn pin(pin_type: &str, length: u32) -> Result<String, String> {
    let pin_type = PinType::parse(pin_type)
        .ok_or("generatePin: pinType must be one of numbers, letters, alphanumeric")?;
    if !smsotp_core::pin::is_pin_length(length) {
        return Err("generatePin: pinLength must be an integer from 4 to 10".into());
    }
    let length = length as u8;
    // crypto.getRandomValues; a failure is reported, never turned into a PIN.
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    FallibleSource::run(fill, |rng| generate_pin(pin_type, length, rng)).map_err(|_| {
        "no cryptographic random source (crypto.getRandomValues) is available".to_owned()
    })
}
