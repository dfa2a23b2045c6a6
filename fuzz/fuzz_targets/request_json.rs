//! `POST /otp` bodies: arbitrary bytes → `validate_request_text`, as the worker calls it
//! (a body that is not UTF-8 is refused before, so only UTF-8 reaches the core).
//!
//! The same text also goes to the browser API's `validate_browser_otp` (a tenant's
//! settings fix everything but the visitor's fields).
//!
//! Invariants:
//! - an invalid body gives at least one error, each a 400 or 422 with a message, and only
//!   the create errors (2001–2020 and the extensions 2101–2107) or 400 `invalid_request`;
//! - a valid body gives a request inside the documented ranges, whose number re-parses to
//!   itself, that survives a serde round trip, and that, sent again as a body (every
//!   field explicit), validates to exactly the same request (normalisation is idempotent);
//! - every template of a valid request, rendered with a real PIN of the requested length
//!   (not the sample PIN validation measured with), fits in the deployment's `maxParts`;
//! - the browser API accepts a body only with the visitor's fields, refuses every other
//!   field by name (2121), and its requests keep the tenant's settings and the invariants
//!   above.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use smsotp_core::{phone, render_message, validate_request, validate_request_text, Config};
use smsotp_core::{ErrorCode, OtpRequest};
use smsotp_edge::browser::request::{validate_browser_otp, BrowserSettings, OTP_FIELDS};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = Config::default();
    match validate_request_text(text, &config) {
        Err(errors) => check_errors(&errors, &[]),
        Ok(request) => check_request(&request, &config),
    }
    browser(text, &config);
});

/// The same body as a browser API `POST /v1/browser/otp`: only the visitor's fields are
/// allowed (2121 names each other one); the rest comes from the tenant's settings.
fn browser(text: &str, config: &Config) {
    let settings = BrowserSettings::from_json(
        &json!({"template": "Your code: {{pin}}", "template_fr": "Code : {{pin}}",
                "ttl": 120, "defaultCountry": "FR"}),
        config,
    )
    .unwrap();
    let keys: Vec<String> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(obj)) => obj.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let not_allowed: Vec<&String> = keys
        .iter()
        .filter(|k| !OTP_FIELDS.contains(&k.as_str()))
        .collect();
    match validate_browser_otp(text, &settings, config) {
        Ok(otp) => {
            assert!(not_allowed.is_empty(), "accepted with {not_allowed:?}");
            check_request(&otp.request, config);
            assert_eq!(otp.request.ttl, 120, "the tenant's ttl");
            assert_eq!(otp.request.templates.keys().collect::<Vec<_>>(), ["fr"]);
            if let Some(token) = otp.turnstile_token {
                assert!(!token.trim().is_empty() && token.chars().count() <= 2048);
            }
        }
        Err(errors) => {
            check_errors(
                &errors,
                &[
                    ErrorCode::BrowserFieldNotAllowed,
                    ErrorCode::TurnstileRefused,
                ],
            );
            let refused: Vec<&str> = errors
                .iter()
                .filter(|e| e.code == ErrorCode::BrowserFieldNotAllowed)
                .filter_map(|e| e.field.as_deref())
                .collect();
            assert_eq!(
                refused,
                not_allowed.iter().map(|k| k.as_str()).collect::<Vec<_>>()
            );
        }
    }
}

/// Create errors (2001–2020, 2101–2107, 2135 a channel that is not one) and `also`, or one 400 `invalid_request` alone.
fn check_errors(errors: &[smsotp_core::ApiError], also: &[ErrorCode]) {
    assert!(!errors.is_empty(), "an invalid request with no error");
    for e in errors {
        let code = e.code.code();
        assert!(
            e.code == ErrorCode::BadRequest
                || also.contains(&e.code)
                || (2001..=2020).contains(&code)
                || (2101..=2107).contains(&code)
                || e.code == ErrorCode::ChannelInvalid,
            "{code} is not a create error"
        );
        assert!(
            matches!(e.http_status(), 400 | 422) || e.code == ErrorCode::TurnstileRefused,
            "{code}: {}",
            e.http_status()
        );
        assert!(!e.message.is_empty(), "{code} without a message");
    }
    // A body that is not an object is one 400, alone.
    if errors.iter().any(|e| e.code == ErrorCode::BadRequest) {
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}

fn check_request(r: &OtpRequest, config: &Config) {
    assert!((60..=1800).contains(&r.ttl), "ttl {}", r.ttl);
    assert!((1..=10).contains(&r.max_attempts), "{}", r.max_attempts);
    assert!((4..=10).contains(&r.pin_length), "{}", r.pin_length);
    assert!(r.template.contains("{{") && r.template.contains("}}"));

    let number = phone::parse(&r.phone_number, None).expect("the E.164 of a valid request");
    assert_eq!(number.e164, r.phone_number);
    assert_eq!(number.country_iso, r.country_iso);
    assert_eq!(number.number_type, r.number_type);

    let round_trip: OtpRequest =
        serde_json::from_value(serde_json::to_value(r).unwrap()).expect("serde round trip");
    assert_eq!(&round_trip, r);

    let again = validate_request(&as_body(r), config)
        .unwrap_or_else(|e| panic!("a normalised request is refused: {e:?}\n{r:?}"));
    assert_eq!(&again, r, "normalising twice changes the request");

    // Validation measured the messages with a sample PIN; the real PIN has other symbols of
    // the same alphabet (each one GSM-7 septet), so the real message must fit too.
    let last = *r.pin_type.alphabet().last().unwrap() as char;
    let pin: String = std::iter::repeat_n(last, r.pin_length.into()).collect();
    let languages = std::iter::once(None).chain(r.templates.keys().map(|l| Some(l.as_str())));
    for language in languages {
        let m = render_message(r, Some(&pin), language);
        assert!(
            m.text.contains(&pin),
            "{language:?}: no PIN in {:?}",
            m.text
        );
        assert!(
            m.sms.parts <= config.max_parts,
            "{language:?}: {} parts > {}",
            m.sms.parts,
            config.max_parts
        );
    }
}

/// The request as a client would send it with every field explicit.
fn as_body(r: &OtpRequest) -> Value {
    let mut body = Map::new();
    let mut put = |k: &str, v: Value| {
        body.insert(k.to_owned(), v);
    };
    put("phoneNumber", json!(r.phone_number));
    put("countryIso", json!(r.country_iso));
    put("from", json!(r.from));
    put("template", json!(r.template));
    put("templateLanguage", json!(r.template_language));
    for (lang, t) in &r.templates {
        put(&format!("template_{lang}"), json!(t));
    }
    put("trackId", json!(r.track_id));
    put("ttl", json!(r.ttl));
    put("maxAttempts", json!(r.max_attempts));
    put("pinType", json!(r.pin_type.as_str()));
    put("pinLength", json!(r.pin_length));
    put("otpCallbackUrl", json!(r.otp_callback_url));
    let optional = [
        ("language", &r.language),
        ("webOtpDomain", &r.web_otp_domain),
        ("appHash", &r.app_hash),
        ("amount", &r.amount),
        ("payee", &r.payee),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            put(k, json!(v));
        }
    }
    Value::Object(body)
}
