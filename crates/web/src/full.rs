//! Exports of the full build only: request validation, message rendering, SMS counting,
//! PINs.

use serde::Serialize;
use smsotp_core::{
    generate_pin, phone, render_message, sms, validate_request_text, ApiError, Config, Encoding,
    FallibleSource, FieldError, PinType,
};
use wasm_bindgen::prelude::*;

use crate::transport::{set_output, with_input};

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

/// `{"missing":"FR"}`: the answer needed a region's phone metadata, not loaded (the JS
/// layer throws `METADATA_MISSING`); no other answer is given.
fn missing_json(missing: phone::MetadataMissing) -> String {
    format!("{{\"missing\":\"{}\"}}", missing.0)
}

/// `{ok: true, request}` or `{ok: false, errors}` (or `missing_json`) for a `POST /otp`
/// body given as JSON.
#[wasm_bindgen(js_name = validateJson)]
pub fn validate_json(body: &str, config_json: Option<String>) -> Result<String, String> {
    let config = config(config_json)?;
    Ok(
        match phone::needing_metadata(|| validate_request_text(body, &config)) {
            Ok(result) => outcome("request", result),
            Err(missing) => missing_json(missing),
        },
    )
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
    let rendered = phone::needing_metadata(|| {
        validate_request_text(body, &config)
            .map(|request| render_message(&request, pin.as_deref(), language.as_deref()))
    });
    Ok(match rendered {
        Ok(result) => outcome("message", result),
        Err(missing) => missing_json(missing),
    })
}

/// The SMS analysis of the `units` code units in `INPUT`, packed:
/// `ucs2 << 31 | parts << 20 | units`. For UCS-2 text, `OUTPUT` holds the number of
/// characters that forced it, then each one's `[start, end)` code-unit range.
#[wasm_bindgen(js_name = segmentsUtf16)]
pub fn segments_utf16(units: usize) -> u32 {
    let spans = with_input(units, sms::analyze_utf16);
    let ucs2 = u32::from(spans.encoding == Encoding::Ucs2);
    set_output(
        std::iter::once(spans.non_gsm.len() as u32).chain(
            spans
                .non_gsm
                .iter()
                .flat_map(|r| [r.start as u32, r.end as u32]),
        ),
    );
    ucs2 << 31 | spans.parts.min(0x7FF) << 20 | spans.units.min(0xF_FFFF)
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
