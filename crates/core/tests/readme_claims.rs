//! Claims docs/api.md makes that no other test checked: the `amount` and `payee` extension
//! codes (2104, 2105), refusal of non-geographic numbers (+800, +870, …), CR LF counted as
//! two characters that a part boundary may fall between (as Twilio's calculator counts it;
//! the oracle test has the same texts), and cost rounding (3 parts × 0.07 = 0.21).

mod common;

use common::SplitMix;
use serde_json::{json, Value};
use smsotp_core::{
    count_segments, create_otp, phone, validate_request, Config, Encoding, PinHasher,
};

/// The codes and fields a request body is refused with (empty when it is valid).
fn refused(body: Value) -> Vec<(u16, Option<String>)> {
    match validate_request(&body, &Config::default()) {
        Ok(_) => vec![],
        Err(errors) => errors
            .iter()
            .map(|e| (e.code.code(), e.field.clone()))
            .collect(),
    }
}

fn with(extra: Value) -> Value {
    let mut body = json!({"phoneNumber": "+33612345678", "template": "Pay {{amount}} to {{payee}}: {{pin}}", "amount": "12.50 EUR", "payee": "ACME"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[test]
fn amount_and_payee_extension_codes() {
    let amount = vec![(2104, Some("amount".to_owned()))];
    let payee = vec![(2105, Some("payee".to_owned()))];
    assert_eq!(refused(with(json!({}))), vec![]);
    // ≤ 32 printable characters for amount, ≤ 64 for payee; a JSON number is an amount too.
    assert_eq!(
        refused(with(
            json!({"amount": "€".repeat(32), "payee": "é".repeat(64)})
        )),
        vec![]
    );
    assert_eq!(refused(with(json!({"amount": 12.5}))), vec![]);
    for (bad, why) in [
        (json!("1".repeat(33)), "33 characters"),
        (json!("12\n50"), "a control character"),
        (json!(true), "not text"),
        (json!({"value": 12}), "an object"),
    ] {
        assert_eq!(refused(with(json!({"amount": bad}))), amount, "{why}");
    }
    for (bad, why) in [
        (json!("x".repeat(65)), "65 characters"),
        (json!("A\u{7}B"), "BEL"),
    ] {
        assert_eq!(refused(with(json!({"payee": bad}))), payee, "{why}");
    }
}

#[test]
fn non_geographic_numbers_are_refused() {
    // Universal freephone (+800), Inmarsat (+870), universal shared cost (+808), UIFN-like
    // and satellite codes: numbers a libphonenumber "001" region would know.
    for number in [
        "+800 1234 5678",
        "+870 773 111 632",
        "+808 1234 5678",
        "+881 6 1234 5678",
        "+882 1234 5678",
    ] {
        assert!(phone::parse(number, None).is_err(), "{number}");
        let codes = refused(json!({"phoneNumber": number}));
        assert_eq!(
            codes,
            vec![(2020, Some("phoneNumber".to_owned()))],
            "{number}"
        );
    }
    // Also when typed after France's international prefix.
    assert!(phone::parse("00 800 1234 5678", Some("FR")).is_err());
}

#[test]
fn cr_lf_counts_as_two_characters_a_part_may_split() {
    let crlf = count_segments("\r\n");
    assert_eq!(
        (crlf.encoding, crlf.units, crlf.parts),
        (Encoding::Gsm7, 2, 1)
    );
    // 152 + CR | LF + 152 = 153 + 153 septets: two parts. Were CR LF one unsplittable
    // cluster, the first part would end before it and the text would need three.
    let gsm = count_segments(&format!("{}\r\n{}", "a".repeat(152), "a".repeat(152)));
    assert_eq!(
        (gsm.encoding, gsm.units, gsm.parts),
        (Encoding::Gsm7, 306, 2)
    );
    // The same in UCS-2: 66 + CR | LF + 66 = 67 + 67 units.
    let ucs2 = count_segments(&format!("{}\r\n{}", "ж".repeat(66), "ж".repeat(66)));
    assert_eq!(
        (ucs2.encoding, ucs2.units, ucs2.parts),
        (Encoding::Ucs2, 134, 2)
    );
}

#[test]
fn cost_is_parts_times_price_rounded() {
    // 3 × 0.07 is 0.21000000000000002 in binary floating point; docs/api.md's `cost` reads 0.21.
    let template = format!("{} {{{{pin}}}}", "x".repeat(320));
    let request = validate_request(
        &json!({"phoneNumber": "+33612345678", "template": template}),
        &Config::default(),
    )
    .unwrap();
    let hasher = PinHasher::new(b"readme-claims key, long enough").unwrap();
    for (price, expected) in [
        (0.07, "0.21"),
        (0.1, "0.3"),
        (0.0, "0.0"),
        (0.0123, "0.0369"),
    ] {
        let new = create_otp(
            &request,
            "acme",
            &hasher,
            &mut SplitMix(1),
            1_800_000_000_000,
            price,
        );
        assert_eq!(new.message.sms.parts, 3);
        let object = serde_json::to_string(&new.record.to_object(1_800_000_000_000)).unwrap();
        assert!(
            object.contains(&format!("\"cost\":{expected},")),
            "{price}: {object}"
        );
    }
}
