//! wasm-bindgen bindings of `smsotp-core` for the npm package `smsotp`.
//!
//! These are the package's raw exports: arguments and results cross as JSON text and the
//! package's JS layer (`crates/web/js/api.js`) turns them into the documented API, with the
//! argument checks. No rule lives here: every function calls the core.

use serde::Serialize;
use smsotp_core::{
    count_segments, generate_pin, phone, render_message, validate_request_text, ApiError, Config,
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
            let config: Config =
                serde_json::from_str(&text).map_err(|e| format!("invalid config: {e}"))?;
            config.validate().map_err(|p| format!("invalid config: {}", p.join("; ")))?;
            Ok(config)
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

/// The phone check as JSON.
#[wasm_bindgen(js_name = phoneJson)]
pub fn phone_json(input: &str, country_iso: Option<String>) -> String {
    json(&phone::check(input, country_iso.as_deref()))
}

/// The SMS analysis as JSON.
#[wasm_bindgen(js_name = segmentsJson)]
pub fn segments_json(text: &str) -> String {
    json(&count_segments(text))
}

/// A PIN from the platform's CSPRNG. `pin_type` and `length` are checked by the caller.
#[wasm_bindgen(js_name = pin)]
pub fn pin(pin_type: &str, length: u8) -> Result<String, String> {
    let pin_type = PinType::parse(pin_type).ok_or("unknown pinType")?;
    let mut rng = WebRandom { failed: false };
    let pin = generate_pin(pin_type, length, &mut rng);
    if rng.failed {
        return Err("no cryptographic random source (crypto.getRandomValues) is available".into());
    }
    Ok(pin)
}
