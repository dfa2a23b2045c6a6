//! wasm-bindgen bindings of `smsotp-core` for the npm package `smsotp`.
//!
//! These are the package's raw exports: arguments and results cross as JSON text and the
//! package's JS layer (`crates/web/js/api.js`) turns them into the documented API, with the
//! argument checks. No rule lives here: every function calls the core.

use serde::Serialize;
use smsotp_core::{
    generate_pin, phone, render_message, sms, validate_request_text, ApiError, Config, Encoding,
    FieldError, PinType, RandomSource,
};
use wasm_bindgen::prelude::*;

/// `crypto.getRandomValues` through getrandom. A failure (no CSPRNG) is remembered so the
/// caller can report it instead of using the bytes.
struct WebRandom {
    failed: bool,
}

impl RandomSource for WebRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if getrandom::fill(dest).is_err() {
            self.failed = true;
            dest.fill(0);
        }
    }
}

fn json<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn config(config_json: Option<String>) -> Result<Config, String> {
    match config_json {
        None => Ok(Config::default()),
        Some(text) => {
            let value = serde_json::from_str(&text).map_err(|e| format!("invalid config: {e}"))?;
            Config::from_json(&value).map_err(|p| format!("invalid config: {}", p.join("; ")))
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

/// The phone check, packed for speed (JSON.parse would cost more than the parse):
/// `1;<e164>;<countryIso>;<callingCode>;<nationalNumber>;<numberType>` or `0;<why>`.
#[wasm_bindgen(js_name = phonePacked)]
pub fn phone_packed(input: &str, country_iso: Option<String>) -> String {
    match phone::parse(input, country_iso.as_deref()) {
        Ok(p) => format!(
            "1;{};{};{};{};{}",
            p.e164,
            p.country_iso,
            p.calling_code,
            p.national_number,
            p.number_type.as_str()
        ),
        Err(e) => format!("0;{}", e.reason()),
    }
}

thread_local! {
    /// The characters that forced UCS-2 in the last `segmentsPacked` text, kept so that
    /// `takeNonGsmCharacters` does not analyse the text again.
    static LAST_NON_GSM: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The SMS analysis, packed for speed: `ucs2 << 31 | parts << 20 | units`. For UCS-2 text,
/// `takeNonGsmCharacters` then returns the characters that forced it.
#[wasm_bindgen(js_name = segmentsPacked)]
pub fn segments_packed(text: &str) -> u32 {
    let spans = sms::analyze_spans(text);
    if spans.encoding == Encoding::Ucs2 {
        LAST_NON_GSM.with_borrow_mut(|out| {
            out.clear();
            for (i, range) in spans.non_gsm.iter().enumerate() {
                if i > 0 {
                    // A line feed is GSM-7, so it never appears in one of these characters.
                    out.push('\n');
                }
                out.push_str(&text[range.clone()]);
            }
        });
    }
    let ucs2 = u32::from(spans.encoding == Encoding::Ucs2);
    ucs2 << 31 | spans.parts.min(0x7FF) << 20 | spans.units.min(0xF_FFFF)
}

/// The characters that forced UCS-2 in the last `segmentsPacked` text, line-feed separated.
#[wasm_bindgen(js_name = takeNonGsmCharacters)]
pub fn take_non_gsm_characters() -> String {
    LAST_NON_GSM.with_borrow_mut(std::mem::take)
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
    let mut rng = WebRandom { failed: false };
    let pin = generate_pin(pin_type, length, &mut rng);
    if rng.failed {
        return Err("no cryptographic random source (crypto.getRandomValues) is available".into());
    }
    Ok(pin)
}
