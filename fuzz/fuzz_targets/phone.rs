//! Phone numbers: arbitrary text and an optional region → `parse`, `format` in every style,
//! `check`, and as-you-type formatting fed one character at a time.
//!
//! Input: `REGION\nNUMBER` (`FR\n06 12 34 56 78`), or just `NUMBER` (no region).
//!
//! Invariants:
//! - `check` says valid exactly when `parse` succeeds;
//! - a valid number: E.164 of at most 15 digits, its calling code that of its region;
//!   `format` succeeds in every style; the E.164 style is the parsed E.164; the E.164 and
//!   the international format (without a region) parse back to the same number (the
//!   national format need not: see below);
//! - as-you-type never panics; typed again after `reset` it says the same; for digits (and
//!   a leading `+`) the output, typed at once or a character at a time, keeps every digit
//!   typed, in order, and once a valid number has been typed `number()` has a value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smsotp_core::phone::{self, AsYouType, FormatStyle};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (region, input) = match text.split_once('\n') {
        Some((r, n)) => (Some(r), n),
        None => (None, text),
    };
    parse_and_format(input, region);
    as_you_type(input, region);
});

fn parse_and_format(input: &str, region: Option<&str>) {
    let parsed = phone::parse(input, region);
    assert_eq!(phone::check(input, region).valid, parsed.is_ok());
    let Ok(p) = parsed else {
        // Formatting a number that is not valid may succeed (libphonenumber-js formats
        // it) or fail, but never panics.
        for style in FormatStyle::ALL {
            let _ = phone::format(input, region, style);
        }
        return;
    };
    let digits = &p.e164[1..];
    assert!(p.e164.starts_with('+') && digits.bytes().all(|b| b.is_ascii_digit()));
    assert!(digits.len() <= 15, "{}", p.e164);
    assert_eq!(format!("+{}{}", p.calling_code, p.national_number), p.e164);
    assert_eq!(phone::calling_code_of(p.country_iso), Some(p.calling_code));

    let format = |style| {
        phone::format(input, region, style)
            .unwrap_or_else(|e| panic!("{input:?} {region:?} is valid but {style:?} fails: {e:?}"))
    };
    assert_eq!(format(FormatStyle::E164), p.e164);
    let again = |text: &str, region: Option<&str>, style: &str| {
        let q = phone::parse(text, region).unwrap_or_else(|e| {
            panic!("{input:?} {region:?} → {style} {text:?} does not parse: {e:?}")
        });
        assert_eq!(q, p, "{input:?} → {style} {text:?}");
    };
    again(&p.e164, None, "E.164");
    again(&format(FormatStyle::International), None, "INTERNATIONAL");
    // The national format need not read back, not even as a valid number: libphonenumber's
    // metadata writes Gabon's 7-digit `+241 3 85 65 67` as `03 85 65 67` (read back: the
    // 8-digit `+241 03 85 65 67`), and Argentina's `+54 11 1529 1123` as `011 1529-1123`
    // (read back: not valid); libphonenumber-js/max 1.13.16 does the same. It must format.
    format(FormatStyle::National);
}

fn as_you_type(input: &str, region: Option<&str>) {
    let type_each = |typing: &mut AsYouType| {
        let mut last = String::new();
        for c in input.chars() {
            last = typing.input(c.encode_utf8(&mut [0; 4]));
        }
        last
    };
    let mut typing = AsYouType::new(region);
    let last = type_each(&mut typing);
    let _ = typing.country();
    let number = typing.number();
    typing.reset();
    assert_eq!(type_each(&mut typing), last, "typed again after reset");
    assert_eq!(typing.number(), number);
    // Typed at once, the text may be grouped otherwise (libphonenumber-js too: `+632232336`
    // is `+63 2 2323 36` at once, `+63 2232336` a digit at a time), but never panics.
    let at_once = AsYouType::new(region).input(input);

    // Text that is a number as typed: digits, a leading `+`.
    let plain = input.strip_prefix('+').unwrap_or(input);
    if !plain.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    for shown in [&last, &at_once] {
        let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(digits, plain, "digits typed vs shown in {shown:?}");
    }
    // A valid number typed has a number value; not always the parsed one: typed in KZ,
    // `8208320000` is `+7208320000` as typed (8 read as the national prefix) but parses
    // as `+78208320000` (libphonenumber-js/max 1.13.16 says the same).
    if phone::parse(input, region).is_ok() {
        assert!(number.is_some(), "{last:?}");
    }
}
