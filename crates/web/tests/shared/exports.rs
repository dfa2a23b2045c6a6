// The raw exports of crates/web, exercised in wasm. Included by `node.rs` (run in Node) and
// `browser.rs` (run in headless Chromium), so both platforms run the same assertions,
// including crypto.getRandomValues behind generatePin.

use smsotp_web::*;
use wasm_bindgen_test::*;

fn parse(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("valid JSON")
}

#[wasm_bindgen_test]
fn validate_accepts_and_normalises() {
    let out = parse(&validate_json(r#"{"phoneNumber":"06 12 34 56 78","countryIso":"FR","ttl":"600"}"#, None).unwrap());
    assert_eq!(out["ok"], true);
    assert_eq!(out["request"]["phoneNumber"], "+33612345678");
    assert_eq!(out["request"]["ttl"], 600);
}

#[wasm_bindgen_test]
fn validate_reports_contract_codes() {
    let out = parse(&validate_json(r#"{"phoneNumber":"","ttl":30,"pinType":"x"}"#, None).unwrap());
    assert_eq!(out["ok"], false);
    let codes: Vec<u64> = out["errors"].as_array().unwrap().iter().map(|e| e["code"].as_u64().unwrap()).collect();
    assert_eq!(codes, [2001, 2008, 2014]);
    assert_eq!(out["errors"][1]["field"], "ttl");
    assert_eq!(out["errors"][1]["type"], "invalid_param");
    let bad_json = parse(&validate_json("{nope", None).unwrap());
    assert_eq!(bad_json["errors"][0]["code"], 400);
}

#[wasm_bindgen_test]
fn config_applies_and_is_checked() {
    let strict = r#"{"defaults":{"from":null}}"#;
    let out = parse(&validate_json(r#"{"phoneNumber":"+33612345678"}"#, Some(strict.into())).unwrap());
    assert_eq!(out["errors"][0]["code"], 2004);
    let err = validate_json("{}", Some(r#"{"defaults":{"ttl":5}}"#.into())).unwrap_err();
    assert!(err.contains("ttl"), "{err}");
}

#[wasm_bindgen_test]
fn render_picks_the_language() {
    let body = r#"{"phoneNumber":"+359888123456","template":"Code {{pin}}","template_bg":"Кодът е {{pin}}"}"#;
    let out = parse(&render_json(body, Some("4321".into()), None, None).unwrap());
    assert_eq!(out["message"]["text"], "Кодът е 4321");
    assert_eq!(out["message"]["language"], "bg");
    assert_eq!(out["message"]["encoding"], "UCS-2");
    let sample = parse(&render_json(body, None, Some("en".into()), None).unwrap());
    assert_eq!(sample["message"]["text"], "Code 123456");
}

#[wasm_bindgen_test]
fn phone_check_is_packed() {
    assert_eq!(phone_packed("+1 (212) 555-0123", None), "1;+12125550123;US;1;2125550123;FIXED_LINE_OR_MOBILE");
    assert!(phone_packed("0612345678", None).starts_with("0;"));
    assert!(phone_packed(&"9".repeat(10_000), Some("FR".into())).starts_with("0;"));
}

#[wasm_bindgen_test]
fn segments_are_packed_with_the_non_gsm_characters() {
    let packed = segments_packed(&"a".repeat(161));
    assert_eq!((packed >> 31, (packed >> 20) & 0x7ff, packed & 0xfffff), (0, 2, 161));
    let packed = segments_packed("Код 1234 👍");
    assert_eq!((packed >> 31, (packed >> 20) & 0x7ff), (1, 1));
    assert_eq!(take_non_gsm_characters(), "К\nо\nд\n👍");
}

#[wasm_bindgen_test]
fn pins_come_from_the_platform_csprng() {
    let a = pin("numbers", 10).unwrap();
    let b = pin("numbers", 10).unwrap();
    assert_eq!(a.len(), 10);
    assert!(a.bytes().all(|c| c.is_ascii_digit()));
    assert_ne!(a, b, "two 10-digit PINs in a row are equal with probability 1e-10");
    let alnum = pin("alphanumeric", 8).unwrap();
    assert!(alnum.bytes().all(|c| b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(&c)));
    assert!(pin("emoji", 6).is_err());
}
