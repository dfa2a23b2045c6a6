//! SMS analysis: the UTF-8 path (`analyze`, `analyze_spans`: the worker and the core) and
//! the UTF-16 path (`analyze_utf16`: the npm package, on a JavaScript string's code units)
//! must agree exactly.
//!
//! Two readings of the input:
//! - as UTF-8 text (when it is): `analyze_utf16(text as UTF-16)` equals
//!   `analyze_spans(text)`, the ranges mapped from bytes to code units;
//! - as UTF-16LE code units, unpaired surrogates included (any JavaScript string):
//!   `analyze_utf16(units)` equals the UTF-8 path on the text those units send, where
//!   each unpaired surrogate is U+FFFD (one code unit, so positions do not move).
//!
//! And of either result: at least one part; GSM-7 exactly when no character forced UCS-2;
//! UCS-2 units are UTF-16 code units; the non-GSM characters are distinct, in order,
//! non-empty ranges on character boundaries; `analyze` names the same characters.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smsotp_core::sms::{analyze, analyze_spans, analyze_utf16, Encoding, SmsSpans};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        agree(text);
    }
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    let from_js = analyze_utf16(&units);
    let sent = String::from_utf16_lossy(&units);
    assert_eq!(sent.encode_utf16().count(), units.len());
    assert_eq!(
        from_js,
        agree(&sent),
        "code units {units:04x?} vs the text sent {sent:?}"
    );
});

/// Checks one text both ways and returns the UTF-16 result.
fn agree(text: &str) -> SmsSpans {
    let utf8 = analyze_spans(text);
    let units: Vec<u16> = text.encode_utf16().collect();
    let utf16 = analyze_utf16(&units);
    check(text, &utf8);

    // Byte offsets → code-unit offsets (one table: texts may name hundreds of characters).
    let mut units_before = vec![0; text.len() + 1];
    let mut count = 0;
    for (byte, c) in text.char_indices() {
        units_before[byte] = count;
        count += c.len_utf16();
    }
    units_before[text.len()] = count;
    let unit_at = |byte: usize| units_before[byte];
    let mapped: Vec<_> = utf8
        .non_gsm
        .iter()
        .map(|r| unit_at(r.start)..unit_at(r.end))
        .collect();
    assert_eq!(
        (utf16.encoding, utf16.parts, utf16.units, &utf16.non_gsm),
        (utf8.encoding, utf8.parts, utf8.units, &mapped),
        "UTF-16 vs UTF-8 on {text:?}"
    );

    let info = analyze(text);
    assert_eq!(
        (info.encoding, info.parts, info.units),
        (utf8.encoding, utf8.parts, utf8.units)
    );
    let named: Vec<&str> = utf8.non_gsm.iter().map(|r| &text[r.clone()]).collect();
    assert_eq!(info.non_gsm_characters, named);
    utf16
}

fn check(text: &str, s: &SmsSpans) {
    assert!(s.parts >= 1);
    assert_eq!(
        s.encoding == Encoding::Gsm7,
        s.non_gsm.is_empty(),
        "{text:?}"
    );
    match s.encoding {
        Encoding::Ucs2 => {
            assert_eq!(s.units as usize, text.encode_utf16().count());
            // 70 units in one part, else at most 67 a part (graphemes move whole).
            assert_eq!(s.units <= 70, s.parts == 1, "{text:?}: {s:?}");
            assert!(s.parts == 1 || s.parts as usize * 67 >= s.units as usize);
        }
        Encoding::Gsm7 => {
            // Every character one septet, or two (escape + character).
            let chars = text.chars().count();
            assert!((chars..=2 * chars).contains(&(s.units as usize)));
            assert_eq!(s.units <= 160, s.parts == 1, "{text:?}: {s:?}");
            assert!(s.parts == 1 || s.parts as usize * 153 >= s.units as usize);
        }
    }
    let mut seen = Vec::new();
    let mut end = 0;
    for r in &s.non_gsm {
        assert!(r.start >= end && r.start < r.end, "{:?}", s.non_gsm);
        let g = text.get(r.clone()).expect("on character boundaries");
        assert!(!seen.contains(&g), "{g:?} named twice");
        seen.push(g);
        end = r.end;
    }
}
