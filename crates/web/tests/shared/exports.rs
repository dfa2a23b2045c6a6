// The raw exports of crates/web, exercised in wasm. Included by `node.rs` (run in Node) and
// `browser.rs` (run in headless Chromium), so both platforms run the same assertions,
// including crypto.getRandomValues behind generatePin. The tests marked `full` need the
// default feature; the rest run in the phone build too (`--no-default-features`).

use smsotp_web::*;
use wasm_bindgen_test::*;

#[cfg(feature = "full")]
fn parse(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("valid JSON")
}

#[cfg(feature = "full")]
#[wasm_bindgen_test]
fn validate_accepts_and_normalises() {
    let out = parse(&validate_json(r#"{"phoneNumber":"06 12 34 56 78","countryIso":"FR","ttl":"600"}"#, None).unwrap());
    assert_eq!(out["ok"], true);
    assert_eq!(out["request"]["phoneNumber"], "+33612345678");
    assert_eq!(out["request"]["ttl"], 600);
}

#[cfg(feature = "full")]
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

#[cfg(feature = "full")]
#[wasm_bindgen_test]
fn config_applies_and_is_checked() {
    let strict = r#"{"defaults":{"from":null}}"#;
    let out = parse(&validate_json(r#"{"phoneNumber":"+33612345678"}"#, Some(strict.into())).unwrap());
    assert_eq!(out["errors"][0]["code"], 2004);
    let err = validate_json("{}", Some(r#"{"defaults":{"ttl":5}}"#.into())).unwrap_err();
    assert!(err.contains("ttl"), "{err}");
}

#[cfg(feature = "full")]
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

/// Writes `text` into the input buffer as JS does (UTF-16 code units).
fn write_input(text: &str) -> usize {
    let units: Vec<u16> = text.encode_utf16().collect();
    let at = input_buffer(units.len());
    // SAFETY: `input_buffer` returned room for `units.len()` code units.
    unsafe { std::slice::from_raw_parts_mut(at, units.len()) }.copy_from_slice(&units);
    units.len()
}

fn output(len: usize) -> Vec<u32> {
    // SAFETY: the previous call left at least `len` words in the output buffer.
    unsafe { std::slice::from_raw_parts(output_buffer(), len) }.to_vec()
}

fn phone(number: &str, country: &str) -> Result<(String, u32), String> {
    let n = write_input(&format!("{number}{country}"));
    let digits = phone_utf16(n - country.encode_utf16().count(), country.encode_utf16().count());
    if digits == 0.0 {
        let [at, len] = output(2)[..] else { unreachable!() };
        // SAFETY: a static string's address and length.
        let bytes = unsafe { std::slice::from_raw_parts(at as *const u8, len as usize) };
        return Err(String::from_utf8(bytes.to_vec()).unwrap());
    }
    Ok((format!("+{digits}"), output(1)[0]))
}

#[wasm_bindgen_test]
fn phone_check_is_packed_as_the_core_answers() {
    let types: Vec<String> = number_types().split(',').map(str::to_owned).collect();
    for (number, country) in [("+1 (212) 555-0123", ""), ("06 12 34 56 78", "FR"), ("+39 06 6988 1234", ""), ("+44 7400 123456", "")] {
        let core = smsotp_core::phone::parse(number, (!country.is_empty()).then_some(country)).unwrap();
        let (e164, info) = phone(number, country).unwrap();
        assert_eq!(e164, core.e164);
        assert_eq!(info & 1023, u32::from(core.calling_code));
        let iso = [b'A' + ((info >> 10) & 31) as u8, b'A' + ((info >> 15) & 31) as u8];
        assert_eq!(std::str::from_utf8(&iso).unwrap(), core.country_iso);
        assert_eq!(types[((info >> 20) & 15) as usize], core.number_type.as_str());
        assert_eq!(&e164[e164.len() - ((info >> 24) & 31) as usize..], core.national_number);
    }
    assert_eq!(phone("0612345678", "").unwrap_err(), smsotp_core::phone::PhoneError::CountryRequired.reason());
    assert!(phone(&"9".repeat(10_000), "FR").is_err());
    assert_eq!(phone("0612345678", "XX").unwrap_err(), smsotp_core::phone::PhoneError::UnknownCountry.reason());
}

#[cfg(feature = "full")]
#[wasm_bindgen_test]
fn segments_are_packed_with_the_non_gsm_character_ranges() {
    let n = write_input(&"a".repeat(161));
    let packed = segments_utf16(n);
    assert_eq!((packed >> 31, (packed >> 20) & 0x7ff, packed & 0xfffff), (0, 2, 161));
    let text = "Код 1234 👍 Кк";
    let units: Vec<u16> = text.encode_utf16().collect();
    let packed = segments_utf16(write_input(text));
    assert_eq!((packed >> 31, (packed >> 20) & 0x7ff, packed & 0xfffff), (1, 1, 14));
    let count = output(1)[0] as usize;
    let ranges = output(1 + 2 * count);
    let chars: Vec<String> =
        ranges[1..].chunks(2).map(|r| String::from_utf16_lossy(&units[r[0] as usize..r[1] as usize])).collect();
    assert_eq!(chars, ["К", "о", "д", "👍", "к"]);
}

#[cfg(feature = "full")]
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

/// The text `len` code units long that the last call left in the output buffer.
fn output_text(len: u32) -> String {
    let units: Vec<u16> = output(len as usize).into_iter().map(|u| u as u16).collect();
    String::from_utf16(&units).unwrap()
}

#[wasm_bindgen_test]
fn format_returns_the_cores_text_or_its_reason() {
    for (number, country, style, expected) in [
        ("0612345678", "FR", 1, "+33 6 12 34 56 78"),
        ("+12125550123", "", 2, "(212) 555-0123"),
        ("(212) 555-0123", "US", 0, "+12125550123"),
    ] {
        let n = write_input(&format!("{number}{country}"));
        let len = format_utf16(n - country.len(), country.len(), style);
        assert_eq!(output_text(len), expected);
    }
    let n = write_input("hello");
    assert_eq!(format_utf16(n, 0, 1), u32::MAX);
    let [at, len] = output(2)[..] else { unreachable!() };
    // SAFETY: a static string's address and length.
    let why = unsafe { std::slice::from_raw_parts(at as *const u8, len as usize) };
    assert!(!why.is_empty());
}

/// Types `text` one character at a time for JS object `owner`, replaying when told to.
fn type_into(owner: u32, text: &str, country: &str) -> Vec<(String, u32)> {
    let mut pieces: Vec<u32> = Vec::new();
    text.chars()
        .map(|c| {
            let piece = c.to_string();
            let n = write_input(&piece);
            let mut packed = as_you_type_input(owner, pieces.len() as u32, n);
            pieces.push(n as u32);
            if packed == u32::MAX {
                let all: String = text.chars().take(pieces.len()).collect();
                let n = write_input(&format!("{all}{country}"));
                packed = as_you_type_replay(owner, n - country.len(), country.len(), &pieces);
            }
            (output_text(packed & 0xFFFF), packed >> 16)
        })
        .collect()
}

#[wasm_bindgen_test]
fn as_you_type_keeps_one_live_formatter_and_replays_the_others() {
    let fr = type_into(1, "0612345678", "FR");
    assert_eq!(fr.last().unwrap().0, "06 12 34 56 78");
    // Region FR: F = 5, R = 17, known.
    assert_eq!(fr.last().unwrap().1, 5 | 17 << 5 | 1 << 10);
    // Another object takes the live formatter; the first one's next piece must replay.
    let us = type_into(2, "2125550123", "US");
    assert_eq!(us.last().unwrap().0, "(212) 555-0123");
    let n = write_input("9");
    assert_eq!(as_you_type_input(1, 10, n), u32::MAX);
    // The same object with the wrong count of pieces fed must replay too.
    let n = write_input("9");
    assert_eq!(as_you_type_input(2, 3, n), u32::MAX);
}

#[wasm_bindgen_test]
fn countries_list_every_region_once() {
    let text = countries_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), smsotp_core::phone::countries().count());
    assert!(lines.contains(&"FR,33,+33612345678,1,00"), "{}", &text[..200]);
    assert!(lines.iter().any(|l| l.starts_with("CA,1,+1") && l.ends_with(",0,011")));
}
