//! Verify bodies: arbitrary bytes → the server API's PIN body (`POST /otp/{id}`,
//! `request::verify_pin`) and the browser API's (`POST /v1/browser/otp/{id}`,
//! `browser_verify_pin`), as the worker calls them (only UTF-8 reaches the core), and the
//! browser resend body (`browser_resend`).
//!
//! Invariants:
//! - a PIN is returned exactly when the body is a JSON object whose `pin` is a non-blank
//!   string (returned as sent) or a non-negative integer (returned in decimal);
//! - otherwise the error is 400 `invalid_request` (not JSON / not an object) or 2022;
//! - the browser parser returns the same PIN when `pin` is the only key, and 2121 for
//!   every other key otherwise;
//! - checking the returned PIN against an OTP never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use smsotp_core::request::verify_pin;
use smsotp_core::{ErrorCode, PinHasher};
use smsotp_edge::browser::request::{browser_resend, browser_verify_pin};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let json: Option<Value> = serde_json::from_str(body).ok();
    let expected = match json.as_ref().and_then(|v| v.get("pin")) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    };
    let server = verify_pin(body);
    match (&server, &expected) {
        (Ok(pin), Some(want)) => assert_eq!(pin, want),
        (Err(e), None) => {
            let want = if json.is_none() {
                ErrorCode::BadRequest
            } else {
                ErrorCode::PinMissing
            };
            assert_eq!(e.code, want, "{body:?}: {e:?}");
            assert!(!e.message.is_empty());
        }
        _ => panic!("{body:?}: {server:?}, expected {expected:?}"),
    }

    let browser = browser_verify_pin(body);
    match json.as_ref() {
        Some(Value::Object(obj)) => {
            let others: Vec<&String> = obj.keys().filter(|k| *k != "pin").collect();
            match &browser {
                Ok(pin) => {
                    assert!(others.is_empty(), "{body:?}: accepted with {others:?}");
                    assert_eq!(Some(pin), server.as_ref().ok());
                }
                Err(errors) if others.is_empty() => {
                    let codes: Vec<_> = errors.iter().map(|e| e.code).collect();
                    assert_eq!(codes, [ErrorCode::PinMissing], "{body:?}");
                }
                Err(errors) => {
                    let fields: Vec<_> = errors.iter().map(|e| e.field.as_ref()).collect();
                    assert_eq!(fields, others.iter().map(|k| Some(*k)).collect::<Vec<_>>());
                    assert!(errors
                        .iter()
                        .all(|e| e.code == ErrorCode::BrowserFieldNotAllowed));
                }
            }
        }
        _ => {
            let codes: Vec<_> = browser.unwrap_err().iter().map(|e| e.code).collect();
            assert_eq!(codes, [ErrorCode::BadRequest], "{body:?}");
        }
    }

    match browser_resend(body) {
        Ok((token, _channel)) => {
            if let Some(token) = token {
                assert!(!token.trim().is_empty() && token.chars().count() <= 2048);
            }
        }
        Err(errors) => assert!(!errors.is_empty()),
    }

    if let Ok(pin) = &server {
        let hasher = PinHasher::new(b"fuzz key, sixteen bytes or more").unwrap();
        let id = "4e1c2a6a-0b0e-4f6e-9a55-7d8f1f0c2b11";
        let stored = hasher.hash(id, "123456");
        let _ = hasher.verify(id, pin, &stored);
    }
});
