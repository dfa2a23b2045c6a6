//! `docs/openapi.json` against the core: the error table (every code with its HTTP status
//! and `type`, and no code the table lacks), the OTP object, the error envelope and the
//! request fields the core reads. The document is compiled into this test (and into the
//! worker, which serves it), so a change to the table, a type or the document that is not
//! made on both sides fails here. (The browser API's bodies, which smsotp-edge's rules
//! read, are checked by crates/edge/tests/openapi.rs.)

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use smsotp_core::delivery::{AttemptObject, DeliveryObject};
use smsotp_core::languages::ISO_639_1;
use smsotp_core::{
    validate_request_text, ApiError, Channel, Config, DeliveryStatus, ErrorCode, FieldError,
    OtpObject, OtpStatus,
};

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON")
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "components.schemas.{name} is missing");
    s
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The document's error codes: code → (HTTP status, type), from the `Error<status>`
/// schemas (each a `oneOf` of `{code: {const}, type: {const}}`).
fn documented_codes(doc: &Value) -> BTreeMap<u64, (u16, String)> {
    let mut codes = BTreeMap::new();
    for (name, s) in doc["components"]["schemas"].as_object().unwrap() {
        let Some(status) = name
            .strip_prefix("Error")
            .and_then(|s| s.parse::<u16>().ok())
        else {
            continue;
        };
        let variants = s["properties"]["error"]["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no oneOf of codes"));
        for v in variants {
            let code = v["properties"]["code"]["const"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: a variant without a code: {v}"));
            let ty = v["properties"]["type"]["const"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: code {code} has no type"));
            let before = codes.insert(code, (status, ty.to_owned()));
            assert!(before.is_none(), "code {code} documented twice");
        }
    }
    codes
}

#[test]
fn every_error_code_is_documented_with_its_status_and_type() {
    let doc = document();
    let documented = documented_codes(&doc);
    for &c in ErrorCode::ALL {
        let got = documented.get(&u64::from(c.code()));
        assert_eq!(
            got,
            Some(&(c.http_status(), c.error_type().to_owned())),
            "{c:?} ({}): the document says {got:?}",
            c.code()
        );
    }
}

#[test]
fn every_documented_code_exists() {
    let doc = document();
    for (code, (status, ty)) in documented_codes(&doc) {
        let c = u16::try_from(code)
            .ok()
            .and_then(ErrorCode::from_code)
            .unwrap_or_else(|| panic!("the document lists code {code}, which the core lacks"));
        assert_eq!(
            (c.http_status(), c.error_type()),
            (status, ty.as_str()),
            "{code}"
        );
    }
}

/// Every error status an operation answers has its `Error<status>` schema, and each error
/// response refers to the schema of its own status (a 404 cannot carry a 400's codes).
#[test]
fn error_responses_use_their_status_schema() {
    let doc = document();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (status, r) in responses {
                let Some(reference) = r["content"]["application/json"]["schema"]["$ref"].as_str()
                else {
                    continue;
                };
                let Some(name) = reference.strip_prefix("#/components/schemas/Error") else {
                    continue;
                };
                assert_eq!(
                    name, status,
                    "{method} {path} {status} refers to {reference}"
                );
                schema(&doc, &format!("Error{status}"));
                seen += 1;
            }
        }
    }
    assert!(seen > 40, "only {seen} error responses");
}

#[test]
fn the_otp_object_schema_has_exactly_the_core_fields() {
    let doc = document();
    let s = schema(&doc, "Otp");
    let full = OtpObject {
        otp_id: "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b".into(),
        track_id: None,
        phone_number: "+33612345678".into(),
        country_iso: "FR".into(),
        status: OtpStatus::Pending,
        cost: 0.0,
        parts: 1,
        max_attempts: 5,
        attempts: 0,
        ttl: 300,
        otp_callback_url: None,
        date_created: "2026-11-26T12:00:00+00:00".into(),
        date_expires: "2026-11-26T12:05:00+00:00".into(),
        amount: Some("12.50 EUR".into()),
        payee: Some("Acme".into()),
        delivery: Some(delivery_object()),
    };
    let with_all = serde_json::to_value(&full).unwrap();
    let without_optional = serde_json::to_value(OtpObject {
        amount: None,
        payee: None,
        delivery: None,
        ..full
    })
    .unwrap();
    assert_eq!(keys(&s["properties"]), keys(&with_all), "Otp properties");
    assert_eq!(
        strings(&s["required"]),
        keys(&without_optional),
        "Otp required"
    );
    assert_eq!(s["additionalProperties"], json!(false));
    // Every status the core has, and no other.
    let statuses: BTreeSet<String> = [
        OtpStatus::Pending,
        OtpStatus::Verified,
        OtpStatus::Expired,
        OtpStatus::Cancelled,
        OtpStatus::Failed,
    ]
    .iter()
    .map(|st| {
        serde_json::to_value(st)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect();
    assert_eq!(strings(&s["properties"]["status"]["enum"]), statuses);
    // The resend's answer is the same object plus `resendAfter`.
    let resent = schema(&doc, "OtpResent");
    let mut expected = keys(&with_all);
    expected.insert("resendAfter".into());
    assert_eq!(keys(&resent["properties"]), expected);
}

fn delivery_object() -> DeliveryObject {
    DeliveryObject {
        channel: Channel::Sms,
        provider: "twilio".into(),
        status: DeliveryStatus::Queued,
        attempts: vec![AttemptObject {
            channel: Channel::Sms,
            provider: "twilio".into(),
            message_id: None,
            reference: "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b.1".into(),
            status: DeliveryStatus::Queued,
            error_code: None,
            error_text: None,
            at: "2026-11-26T12:00:00+00:00".into(),
        }],
    }
}

/// The OTP object's `delivery` (an extension): its fields and each attempt's are the
/// core's, every one always present; the channels and statuses are the core's.
#[test]
fn the_delivery_schemas_are_the_core_objects() {
    let doc = document();
    let object = serde_json::to_value(delivery_object()).unwrap();
    let delivery = schema(&doc, "Delivery");
    assert_eq!(
        keys(&delivery["properties"]),
        keys(&object),
        "Delivery properties"
    );
    assert_eq!(
        strings(&delivery["required"]),
        keys(&object),
        "Delivery required"
    );
    let attempt = schema(&doc, "DeliveryAttempt");
    let attempt_object = &object["attempts"][0];
    assert_eq!(
        keys(&attempt["properties"]),
        keys(attempt_object),
        "DeliveryAttempt properties"
    );
    assert_eq!(
        strings(&attempt["required"]),
        keys(attempt_object),
        "DeliveryAttempt required"
    );
    let channels: BTreeSet<String> = Channel::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(strings(&schema(&doc, "Channel")["enum"]), channels);
    let statuses: BTreeSet<String> = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Undelivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Expired,
    ]
    .iter()
    .map(|s| s.as_str().to_owned())
    .collect();
    assert_eq!(strings(&schema(&doc, "DeliveryStatus")["enum"]), statuses);
}

#[test]
fn the_error_envelope_schema_has_exactly_the_core_fields() {
    let doc = document();
    let e = ApiError::new(ErrorCode::InvalidPin).for_field("pin");
    let mut e = e.retry_after(3);
    e.attempts_left = Some(2);
    let body = serde_json::to_value(e.envelope("https://docs.example")).unwrap();
    let mut expected = keys(&body["error"]);
    // `errors` is added by the shells when a request has several validation errors.
    expected.insert("errors".into());
    let s = schema(&doc, "ErrorBody");
    assert_eq!(keys(&s["properties"]), expected, "ErrorBody properties");
    let minimal = serde_json::to_value(ApiError::new(ErrorCode::InvalidPin).envelope("x")).unwrap();
    assert_eq!(strings(&s["required"]), keys(&minimal["error"]));
    let field_error =
        serde_json::to_value(FieldError::from(&ApiError::new(ErrorCode::TtlTooLow))).unwrap();
    let f = schema(&doc, "FieldError");
    assert_eq!(keys(&f["properties"]), keys(&field_error));
    assert_eq!(strings(&f["required"]), keys(&field_error));
}

/// Every field the document gives `POST /otp` is one the core reads: sent with a value of
/// the wrong type, the core reports an error about that very field.
#[test]
fn every_documented_create_field_is_read_by_the_core() {
    let doc = document();
    let s = schema(&doc, "OtpRequest");
    let fields = keys(&s["properties"]);
    assert!(fields.len() >= 15, "{fields:?}");
    let config = Config::default();
    for field in &fields {
        // A national number, so that `countryIso` is read too.
        let mut body = json!({"phoneNumber": "06 12 34 56 78", "countryIso": "FR"});
        body[field.as_str()] = json!(["not", "a", "scalar"]);
        let errors = validate_request_text(&body.to_string(), &config)
            .expect_err(&format!("{field}: an array was accepted"));
        assert!(
            errors
                .iter()
                .any(|e| e.field.as_deref() == Some(field.as_str())),
            "{field}: no error about it in {errors:?}"
        );
    }
    // And the other way: every field of the core's validated request is a documented body
    // field, but the two the core derives (the number's type, and `templates`, the
    // `template_xx` fields gathered by language).
    let valid = validate_request_text(r#"{"phoneNumber": "+33612345678"}"#, &config).unwrap();
    let mut read = keys(&serde_json::to_value(valid).unwrap());
    for derived in ["numberType", "templates"] {
        assert!(read.remove(derived), "{derived} is no longer derived");
    }
    assert_eq!(read, fields, "the core's request fields vs the document's");
    // `template_xx`, documented as a pattern, is read too.
    assert!(s["patternProperties"]["^template_"].is_object());
    let body = json!({"phoneNumber": "+33612345678", "template_fr": "no pin here"});
    let errors = validate_request_text(&body.to_string(), &config).unwrap_err();
    assert_eq!(errors[0].field.as_deref(), Some("template_fr"));
}

/// The language fields list exactly the core's ISO 639-1 codes.
#[test]
fn the_language_enums_are_the_core_list() {
    let doc = document();
    let expected: BTreeSet<String> = ISO_639_1.iter().map(|c| (*c).to_owned()).collect();
    let create = schema(&doc, "OtpRequest");
    let browser = schema(&doc, "BrowserOtpRequest");
    for (what, s) in [
        ("language", &create["properties"]["language"]),
        (
            "templateLanguage",
            &create["properties"]["templateLanguage"],
        ),
        ("browser language", &browser["properties"]["language"]),
    ] {
        assert_eq!(strings(&s["enum"]), expected, "{what}");
    }
}
