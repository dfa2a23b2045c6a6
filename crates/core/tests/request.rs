//! `POST /otp` validation: every create-error row of the contract, the seed's request
//! bodies, defaults, numbers sent as strings, and the extension fields.

use serde_json::{json, Value};
use smsotp_core::{render_message, validate_request, CallbackPolicy, Config, Defaults, PinType};

/// The body of the curl sample in the SMS.cx API documentation (the compatible API's own
/// example request), with the documentation's masked digits `xx` filled in, and its callback
/// host `my-callback` given a public domain (a single-label name is not a public DNS name:
/// refused since security review item 11; `callback_policy` below).
fn seed_body() -> Value {
    json!({
        "phoneNumber": "+33612424199",
        "from": "Verify",
        "template": "Your verification code is {{pin}}",
        "template_fr": "Votre code de vérification est {{pin}}",
        "template_de": "Ihr Bestätigungscode lautet {{pin}}",
        "template_es": "Tu código de verificación es {{pin}}",
        "template_it": "Il tuo codice di verifica è {{pin}}",
        "template_bg": "Вашият код за потвърждение е {{pin}}",
        "ttl": 600,
        "maxAttempts": 6,
        "pinType": "numbers",
        "pinLength": 5,
        "otpCallbackUrl": "https://my-callback.example.com/receive-otp-status"
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut body = seed_body();
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = seed_body();
    body.as_object_mut().unwrap().remove(field);
    body
}

/// The codes of the errors a body gets, in order.
fn codes(body: &Value) -> Vec<u16> {
    match validate_request(body, &Config::default()) {
        Ok(_) => vec![],
        Err(errors) => errors.iter().map(|e| e.code.code()).collect(),
    }
}

#[test]
fn seed_bodies_are_accepted_as_sent() {
    let r = validate_request(&seed_body(), &Config::default()).unwrap();
    assert_eq!(r.phone_number, "+33612424199");
    assert_eq!(r.country_iso, "FR");
    assert_eq!(
        (r.ttl, r.max_attempts, r.pin_type, r.pin_length),
        (600, 6, PinType::Numbers, 5)
    );
    assert_eq!(
        r.templates.keys().collect::<Vec<_>>(),
        ["bg", "de", "es", "fr", "it"]
    );
    assert_eq!(
        r.otp_callback_url.as_deref(),
        Some("https://my-callback.example.com/receive-otp-status")
    );
    // The Python/Node samples' variant: ttl 300, maxAttempts 5, and the Node sample's stray
    // quote after {{pin}} in template_fr.
    let mut node = with("ttl", json!(300));
    node["maxAttempts"] = json!(5);
    node["template_fr"] = json!("Votre code de vérification est {{pin}}\"");
    assert_eq!(codes(&node), Vec::<u16>::new());
}

#[test]
fn every_create_error_of_the_contract() {
    let rows: Vec<(Value, u16)> = vec![
        (without("phoneNumber"), 2001),
        (with("phoneNumber", json!("")), 2001),
        (with("phoneNumber", json!("0612345678")), 2002),
        (
            {
                let mut b = with("phoneNumber", json!("0612345678"));
                b["countryIso"] = json!("XX");
                b
            },
            2003,
        ),
        (with("from", json!("")), 2004),
        (with("from", json!(null)), 2004),
        (with("from", json!("AB")), 2005),
        (with("from", json!("ThisIsWayTooLongSender")), 2005),
        (with("template", json!("")), 2006),
        (with("template", json!("no placeholder")), 2006),
        (with("template_fr", json!("pas de code")), 2006),
        (with("ttl", json!("ten")), 2007),
        (with("ttl", json!(59)), 2008),
        (with("ttl", json!(1801)), 2009),
        (with("maxAttempts", json!(true)), 2010),
        (with("maxAttempts", json!(0)), 2011),
        (with("maxAttempts", json!(11)), 2012),
        (with("pinType", json!("")), 2013),
        (with("pinType", json!("emoji")), 2014),
        (with("pinLength", json!("six")), 2015),
        (with("pinLength", json!(3)), 2016),
        (with("pinLength", json!(11)), 2017),
        (with("trackId", json!("not-a-uuid")), 2018),
        (with("otpCallbackUrl", json!("not a url")), 2019),
        (with("phoneNumber", json!("+336124241xx")), 2020),
        (with("phoneNumber", json!("+33 1")), 2020),
    ];
    for (body, code) in rows {
        assert_eq!(codes(&body), vec![code], "body {body}");
    }
}

#[test]
fn error_details() {
    let errors = validate_request(&with("ttl", json!(30)), &Config::default()).unwrap_err();
    let e = &errors[0];
    assert_eq!(
        (e.http_status(), e.code.error_type()),
        (400, "invalid_param")
    );
    assert_eq!(e.message, "Min value for 'ttl' is 60 seconds");
    assert_eq!(e.field.as_deref(), Some("ttl"));
    let errors = validate_request(
        &with("template", json!("{{pin}} {{code}}")),
        &Config::default(),
    )
    .unwrap_err();
    assert!(
        errors[0].message.contains("{{code}}"),
        "{}",
        errors[0].message
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let body =
        json!({"phoneNumber": "", "ttl": 5, "maxAttempts": 50, "pinType": "x", "trackId": 1});
    assert_eq!(codes(&body), vec![2001, 2018, 2008, 2012, 2014]);
}

#[test]
fn numbers_may_be_strings() {
    let mut body = with("ttl", json!("600"));
    body["maxAttempts"] = json!(" 3 ");
    body["pinLength"] = json!(8.0);
    let r = validate_request(&body, &Config::default()).unwrap();
    assert_eq!((r.ttl, r.max_attempts, r.pin_length), (600, 3, 8));
    assert_eq!(codes(&with("ttl", json!(600.5))), vec![2007]);
    assert_eq!(codes(&with("ttl", json!("600s"))), vec![2007]);
    assert_eq!(codes(&with("ttl", json!(1e300))), vec![2009]);
    assert_eq!(codes(&with("ttl", json!(-1e300))), vec![2008]);
    assert_eq!(codes(&with("pinLength", json!([6]))), vec![2015]);
}

#[test]
fn defaults_fill_omitted_fields() {
    let r = validate_request(
        &json!({"phoneNumber": "+4915123456789"}),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(
        (r.ttl, r.max_attempts, r.pin_type, r.pin_length),
        (300, 5, PinType::Numbers, 6)
    );
    assert_eq!(r.from, "Verify");
    assert_eq!(r.template, "Your verification code is {{pin}}");
    assert_eq!(r.country_iso, "DE");
    // A deployment may have no default sender or template: then they are required.
    let strict = Config {
        defaults: Defaults {
            from: None,
            template: None,
            ..Defaults::default()
        },
        ..Config::default()
    };
    let errors = validate_request(&json!({"phoneNumber": "+4915123456789"}), &strict).unwrap_err();
    let codes: Vec<u16> = errors.iter().map(|e| e.code.code()).collect();
    assert_eq!(codes, vec![2004, 2006]);
}

#[test]
fn national_numbers_and_country() {
    let mut body = with("phoneNumber", json!("06 12 34 56 78"));
    body["countryIso"] = json!("fr");
    let r = validate_request(&body, &Config::default()).unwrap();
    assert_eq!(
        (r.phone_number.as_str(), r.country_iso.as_str()),
        ("+33612345678", "FR")
    );
    body["countryIso"] = json!("");
    assert_eq!(codes(&body), vec![2002]);
    body["countryIso"] = json!(33);
    assert_eq!(codes(&body), vec![2003]);
}

#[test]
fn senders() {
    for ok in ["Verify", "ACME Bank", "+4915123456789", "12345", "A1B"] {
        assert_eq!(codes(&with("from", json!(ok))), Vec::<u16>::new(), "{ok}");
    }
    for bad in [
        "AB",
        "12",
        "Acme-Bank",
        "123456789012345678",
        "Ünïcode",
        "   1 2 ",
    ] {
        assert_eq!(codes(&with("from", json!(bad))), vec![2005], "{bad}");
    }
}

#[test]
fn track_ids() {
    let v4 = "9b2f1f4e-3b1a-4c7e-8f0a-1d2e3f4a5b6c";
    let r = validate_request(
        &with("trackId", json!(v4.to_uppercase())),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(r.track_id.as_deref(), Some(v4));
    assert_eq!(codes(&with("trackId", json!(null))), Vec::<u16>::new());
    // Version 7 and the nil UUID are not versions 1–5; the braced form is not accepted.
    for bad in [
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f",
        "00000000-0000-0000-0000-000000000000",
        "{9b2f1f4e-3b1a-4c7e-8f0a-1d2e3f4a5b6c}",
        "9b2f1f4e3b1a4c7e8f0a1d2e3f4a5b6c",
    ] {
        assert_eq!(codes(&with("trackId", json!(bad))), vec![2018], "{bad}");
    }
}

#[test]
fn callback_policy() {
    let local = with("otpCallbackUrl", json!("http://127.0.0.1:9999/cb"));
    assert_eq!(codes(&local), vec![2019]);
    let dev = Config {
        callback_policy: CallbackPolicy::AllowLoopback,
        ..Config::default()
    };
    assert!(validate_request(&local, &dev).is_ok());
    assert_eq!(
        codes(&with("otpCallbackUrl", json!("http://example.com/cb"))),
        vec![2019]
    );
    assert_eq!(codes(&with("otpCallbackUrl", json!(""))), Vec::<u16>::new());
    // The documentation's single-label host, and a loopback address spelled in hex.
    for (url, why) in [
        (
            "https://my-callback/receive-otp-status",
            "must point to a public host",
        ),
        ("https://0x7f.1/cb", "must point to a public host"),
        ("https://hooks.example.com:8443/cb", "must use port 443"),
    ] {
        let errors =
            validate_request(&with("otpCallbackUrl", json!(url)), &Config::default()).unwrap_err();
        assert_eq!(
            errors[0].message,
            format!("'otpCallbackUrl' is not a valid URL: {why}"),
            "{url}"
        );
    }
    // What is kept (stored, then fetched) is the parsed URL, serialized.
    let r = validate_request(
        &with(
            "otpCallbackUrl",
            json!("HTTPS://Hooks.Example.com:443/a/../cb"),
        ),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(
        r.otp_callback_url.as_deref(),
        Some("https://hooks.example.com/cb")
    );
}

#[test]
fn template_keys() {
    assert_eq!(codes(&with("template_zz", json!("{{pin}}"))), vec![2006]);
    assert_eq!(codes(&with("template_pt_br", json!("{{pin}}"))), vec![2006]);
    let r = validate_request(
        &with("template_PT", json!("Código {{pin}}")),
        &Config::default(),
    )
    .unwrap();
    assert!(r.templates.contains_key("pt"));
    // Unknown keys that are not templates are ignored.
    assert_eq!(
        codes(&with("somethingElse", json!({"a": 1}))),
        Vec::<u16>::new()
    );
}

#[test]
fn extensions() {
    let mut pay = with("template", json!("Pay {{amount}} to {{payee}}: {{pin}}"));
    assert_eq!(codes(&pay), vec![2006, 2006]);
    pay["amount"] = json!(12.5);
    pay["payee"] = json!("Shop Ltd");
    let r = validate_request(&pay, &Config::default()).unwrap();
    assert_eq!(
        (r.amount.as_deref(), r.payee.as_deref()),
        (Some("12.5"), Some("Shop Ltd"))
    );
    pay["payee"] = json!("x".repeat(65));
    assert_eq!(codes(&pay), vec![2105]);
    assert_eq!(codes(&with("language", json!("xx"))), vec![2101]);
    assert_eq!(
        codes(&with("webOtpDomain", json!("https://example.com"))),
        vec![2102]
    );
    assert_eq!(codes(&with("appHash", json!("short"))), vec![2103]);
    let mut both = with("webOtpDomain", json!("example.com"));
    both["appHash"] = json!("FA+9qCX9VSu");
    assert_eq!(codes(&both), vec![2103]);
}

#[test]
fn messages_longer_than_the_limit_are_refused() {
    let long = format!("{} {{{{pin}}}}", "word ".repeat(200));
    let errors = validate_request(&with("template", json!(long)), &Config::default()).unwrap_err();
    assert_eq!(errors[0].code.code(), 2106);
    assert!(
        errors[0].message.contains("SMS parts"),
        "{}",
        errors[0].message
    );
}

#[test]
fn non_objects_and_bad_json() {
    assert_eq!(codes(&json!([1, 2])), vec![400]);
    assert_eq!(codes(&json!("text")), vec![400]);
    let e = smsotp_core::validate_request_text("{not json", &Config::default()).unwrap_err();
    assert_eq!((e[0].code.code(), e[0].http_status()), (400, 400));
}

#[test]
fn verify_bodies() {
    use smsotp_core::request::{is_otp_id, verify_pin};
    assert_eq!(verify_pin(r#"{"pin":"123456"}"#), Ok("123456".into()));
    assert_eq!(verify_pin(r#"{"pin":123456}"#), Ok("123456".into()));
    for bad in [
        r#"{}"#,
        r#"{"pin":""}"#,
        r#"{"pin":"  "}"#,
        r#"{"pin":null}"#,
        r#"{"pin":-1}"#,
        r#"{"pin":[1]}"#,
    ] {
        assert_eq!(verify_pin(bad).unwrap_err().code.code(), 2022, "{bad}");
    }
    assert_eq!(verify_pin("pin=1").unwrap_err().code.code(), 400);
    assert!(is_otp_id("4e1c2a6a-0b0e-4f6e-9a55-7d8f1f0c2b11"));
    assert!(!is_otp_id("not-an-id") && !is_otp_id("../../x"));
}

/// The text and language a body's recipient gets, with the PIN 12345, through the whole
/// request path (validation, then the template choice).
fn rendered(body: &Value) -> (String, String) {
    let request = validate_request(body, &Config::default()).unwrap();
    let m = render_message(&request, Some("12345"), None);
    (m.text, m.language)
}

fn pair(text: &str, language: &str) -> (String, String) {
    (text.to_owned(), language.to_owned())
}

#[test]
fn the_seed_body_sends_english_to_a_us_number() {
    let us = with("phoneNumber", json!("+1 202 555 0143"));
    assert_eq!(rendered(&us), pair("Your verification code is 12345", "en"));
    // The seed body as sent (a French number) still gets French.
    assert_eq!(
        rendered(&seed_body()),
        pair("Votre code de vérification est 12345", "fr")
    );
}

#[test]
fn the_first_language_of_the_country_with_a_template_wins() {
    let body = |phone: &str, lang: &str, text: &str| {
        json!({"phoneNumber": phone, "template": "Your code is {{pin}}",
            format!("template_{lang}"): text})
    };
    // Canada (en fr) with a French template: English comes first, so the default.
    assert_eq!(
        rendered(&body("+1 613 555 0143", "fr", "Votre code est {{pin}}")),
        pair("Your code is 12345", "en")
    );
    // Belgium (nl fr de) with a French template: French.
    assert_eq!(
        rendered(&body("+32 470 12 34 56", "fr", "Votre code est {{pin}}")),
        pair("Votre code est 12345", "fr")
    );
    // Switzerland (de fr it rm) with a German template: German.
    assert_eq!(
        rendered(&body("+41 79 123 45 67", "de", "Ihr Code ist {{pin}}")),
        pair("Ihr Code ist 12345", "de")
    );
    // Mexico (es) with a Spanish template: Spanish.
    assert_eq!(
        rendered(&body("+52 55 1234 5678", "es", "Tu código es {{pin}}")),
        pair("Tu código es 12345", "es")
    );
    // Brazil (pt) without a Portuguese template: the default.
    assert_eq!(
        rendered(&body("+55 11 91234 5678", "es", "Tu código es {{pin}}")),
        pair("Your code is 12345", "en")
    );
}

#[test]
fn template_language_names_the_language_of_the_default_template() {
    let mut body = json!({"phoneNumber": "+33 6 12 34 56 78", "template": "Votre code {{pin}}",
        "templateLanguage": "FR", "template_de": "Ihr Code {{pin}}"});
    let r = validate_request(&body, &Config::default()).unwrap();
    assert_eq!(r.template_language, "fr");
    // A French number gets the default template, written in French.
    assert_eq!(rendered(&body), pair("Votre code 12345", "fr"));
    // The same body without templateLanguage: the default is English, still the fallback.
    body.as_object_mut().unwrap().remove("templateLanguage");
    assert_eq!(rendered(&body), pair("Votre code 12345", "en"));
    // The deployment's default language is used when the request has none.
    let config = Config::from_json_text(r#"{"defaults": {"templateLanguage": "fr"}}"#).unwrap();
    let r = validate_request(&body, &config).unwrap();
    assert_eq!(r.template_language, "fr");
    // An explicit language without a template falls back to the default template.
    let m = render_message(&r, Some("12345"), Some("it"));
    assert_eq!(
        (m.text.as_str(), m.language.as_str()),
        ("Votre code 12345", "fr")
    );
    let m = render_message(&r, Some("12345"), Some("de"));
    assert_eq!(
        (m.text.as_str(), m.language.as_str()),
        ("Ihr Code 12345", "de")
    );
}

#[test]
fn an_invalid_template_language_is_2107() {
    for bad in [
        json!("xx"),
        json!("english"),
        json!(""),
        json!(null),
        json!(7),
        json!(["fr"]),
    ] {
        let errors = validate_request(&with("templateLanguage", bad.clone()), &Config::default())
            .unwrap_err();
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        let e = &errors[0];
        assert_eq!(
            (
                e.code.code(),
                e.http_status(),
                e.code.error_type(),
                e.field.as_deref()
            ),
            (2107, 400, "invalid_param", Some("templateLanguage")),
            "{bad}"
        );
        assert_eq!(
            e.message,
            "'templateLanguage' is not an ISO 639-1 language code"
        );
    }
}

/// The fields of a body and the error each gets when it is unusable.
const FIELD_CODES: [(&str, u16); 17] = [
    ("phoneNumber", 2020),
    ("from", 2005),
    ("template", 2006),
    ("template_fr", 2006),
    ("trackId", 2018),
    ("ttl", 2007),
    ("maxAttempts", 2010),
    ("pinType", 2014),
    ("pinLength", 2015),
    ("otpCallbackUrl", 2019),
    ("language", 2101),
    ("templateLanguage", 2107),
    ("webOtpDomain", 2102),
    ("appHash", 2103),
    ("amount", 2104),
    ("payee", 2105),
    ("countryIso", 2003),
];

/// `{"phoneNumber": …}` plus `field: value`; `countryIso` only matters for a national number.
fn body_with(field: &str, value: Value) -> Value {
    let mut body = if field == "countryIso" {
        json!({"phoneNumber": "06 12 34 56 78"})
    } else {
        json!({"phoneNumber": "+33612345678"})
    };
    body[field] = value;
    body
}

/// The errors of a body, as (code, field).
fn errors_of(body: &Value) -> Vec<(u16, Option<String>)> {
    match validate_request(body, &Config::default()) {
        Ok(_) => vec![],
        Err(errors) => errors
            .iter()
            .map(|e| (e.code.code(), e.field.clone()))
            .collect(),
    }
}

#[test]
fn odd_json_types_are_errors_of_their_field() {
    for odd in [
        json!(true),
        json!([]),
        json!({}),
        json!([1, "a"]),
        json!({"a": {"b": []}}),
    ] {
        for (field, code) in FIELD_CODES {
            assert_eq!(
                errors_of(&body_with(field, odd.clone())),
                [(code, Some(field.to_owned()))],
                "{field}: {odd}"
            );
        }
    }
}

#[test]
fn strings_of_100_kb_are_errors_of_their_field() {
    let digits = "1".repeat(100_000);
    let letters = "a".repeat(100_000);
    let values = [
        ("phoneNumber", format!("+{digits}")),
        ("from", letters.clone()),
        ("template", format!("{letters} {{{{pin}}}}")),
        ("template_fr", format!("{{{{pin}}}} {letters}")),
        ("trackId", letters.clone()),
        ("ttl", digits.clone()),
        ("maxAttempts", digits.clone()),
        ("pinType", letters.clone()),
        ("pinLength", digits.clone()),
        ("otpCallbackUrl", format!("https://{letters}.com/")),
        ("language", letters.clone()),
        ("templateLanguage", letters.clone()),
        ("webOtpDomain", format!("{letters}.com")),
        ("appHash", letters.clone()),
        ("amount", digits.clone()),
        ("payee", letters.clone()),
        ("countryIso", letters.clone()),
    ];
    for (field, value) in values {
        let code = FIELD_CODES.iter().find(|(f, _)| *f == field).unwrap().1;
        assert_eq!(
            errors_of(&body_with(field, json!(value))),
            [(code, Some(field.to_owned()))],
            "{field}"
        );
    }
    // A 100 KB template key that is not a language, and a 100 KB unknown key (ignored).
    let key = format!("template_{letters}");
    assert_eq!(
        errors_of(&body_with(&key, json!("{{pin}}"))),
        [(2006, Some(key.clone()))]
    );
    assert_eq!(errors_of(&body_with(&letters, json!(letters))), []);
    // 100 KB of characters outside GSM-7 in a template: too long before any rendering.
    let cyrillic = format!("{} {{{{pin}}}}", "Ж".repeat(50_000));
    assert_eq!(
        errors_of(&body_with("template", json!(cyrillic))),
        [(2006, Some("template".to_owned()))]
    );
}

#[test]
fn empty_and_malformed_bodies_are_400() {
    let deep = "[".repeat(100_000);
    let long_string = format!("\"{}\"", "x".repeat(100_000));
    for body in [
        "",
        "   ",
        "null",
        "true",
        "12",
        "1e400",
        "[]",
        "{",
        "{\"phoneNumber\": \"+33612345678\"",
        "{\"a\": 1} trailing",
        "\u{FEFF}{}",
        deep.as_str(),
        long_string.as_str(),
    ] {
        let errors = smsotp_core::validate_request_text(body, &Config::default()).unwrap_err();
        let shown: String = body.chars().take(20).collect();
        assert_eq!(errors.len(), 1, "{shown}");
        assert_eq!(
            (errors[0].code.code(), errors[0].http_status()),
            (400, 400),
            "{shown}"
        );
    }
    // `{}` is an object: every required field is reported, not a 400.
    assert_eq!(
        smsotp_core::validate_request_text("{}", &Config::default())
            .unwrap_err()
            .iter()
            .map(|e| e.code.code())
            .collect::<Vec<_>>(),
        [2001]
    );
}

#[test]
fn odd_verify_bodies_are_errors() {
    use smsotp_core::request::verify_pin;
    let deep = "{\"pin\":".repeat(10_000);
    for (body, code) in [
        ("", 400),
        ("[", 400),
        (deep.as_str(), 400),
        ("[]", 2022),
        ("null", 2022),
        ("\"123456\"", 2022),
        (r#"{"pin": true}"#, 2022),
        (r#"{"pin": {}}"#, 2022),
        (r#"{"pin": 1.5}"#, 2022),
        (r#"{"pin": 1e400}"#, 400),
    ] {
        assert_eq!(
            verify_pin(body).unwrap_err().code.code(),
            code,
            "{}",
            &body[..body.len().min(20)]
        );
    }
    // A 100 KB PIN is taken as sent; the state machine refuses it as a wrong PIN.
    let long = format!(r#"{{"pin": "{}"}}"#, "1".repeat(100_000));
    assert_eq!(verify_pin(&long).map(|p| p.len()), Ok(100_000));
}

#[test]
fn rendering_with_odd_languages_and_pins_falls_back() {
    let r = validate_request(&seed_body(), &Config::default()).unwrap();
    let long = "x".repeat(100_000);
    for language in ["", "EN", "zz", "template_fr", long.as_str()] {
        let m = render_message(&r, Some("12345"), Some(language));
        assert_eq!(
            (m.text.as_str(), m.language.as_str()),
            ("Your verification code is 12345", "en"),
            "{}",
            &language[..language.len().min(20)]
        );
    }
    // A 100 KB PIN (a preview given anything) still renders and is counted.
    let m = render_message(&r, Some(&long), Some("en"));
    assert_eq!(m.sms.units, 100_026);
    assert_eq!(m.sms.parts, 654);
}

#[test]
fn odd_configurations_are_errors() {
    let long = "x".repeat(100_000);
    for text in [
        String::new(),
        "null".into(),
        "[]".into(),
        "\"x\"".into(),
        r#"{"defaults": []}"#.into(),
        r#"{"defaults": {"ttl": "600"}}"#.into(),
        r#"{"defaults": {"ttl": -1}}"#.into(),
        r#"{"defaults": {"ttl": 1e400}}"#.into(),
        r#"{"defaults": {"pinLength": 99999999999}}"#.into(),
        r#"{"defaults": {"from": 5}}"#.into(),
        r#"{"defaults": {"template": []}}"#.into(),
        format!(r#"{{"defaults": {{"templateLanguage": "{long}"}}}}"#),
        format!(r#"{{"defaults": {{"from": "{long}"}}}}"#),
        format!(r#"{{"defaults": {{"template": "{{{{pin}}}} {long}"}}}}"#),
        format!(r#"{{"{long}": 1}}"#),
        r#"{"maxParts": 0}"#.into(),
        r#"{"maxParts": true}"#.into(),
        r#"{"callbackPolicy": 1}"#.into(),
    ] {
        // Not `unwrap_err`: its panic would print a 100 KB configuration.
        let shown = &text[..text.len().min(40)];
        match Config::from_json_text(&text) {
            Ok(_) => panic!("accepted: {shown}"),
            Err(problems) => assert!(!problems.is_empty(), "{shown}"),
        }
    }
}
