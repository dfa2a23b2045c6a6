//! `application/x-www-form-urlencoded`, decoded the one way every form reader here needs:
//! the Twilio Verify API's request bodies (`twilio::form`), and the delivery reports that
//! Twilio and Vonage post as forms or send as query strings (the worker's `reports/`).
//!
//! `+` is a space and `%XX` a byte (so `%2B` is `+`: Node's SDK sends spaces as `%20`,
//! Python's as `+`); a broken `%` escape, or a name or value that does not decode to UTF-8,
//! is refused rather than guessed at. Empty pairs (`a=1&&b=2`) are skipped and a name
//! without `=` has an empty value, as browsers and the WHATWG URL parser read them.

/// One name or value decoded; `None` for a broken `%` escape or bytes that are not UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Two hex digits exactly (`from_str_radix` alone would take `%+1`).
                let hex = b.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The encoded pairs of `encoded`, in order, each `(name, value)` as written (not decoded).
pub fn raw_pairs(encoded: &str) -> impl Iterator<Item = (&str, &str)> {
    encoded
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Every pair decoded, in order; `None` when any does not decode.
pub fn pairs(encoded: &str) -> Option<Vec<(String, String)>> {
    raw_pairs(encoded)
        .map(|(name, value)| Some((decode(name)?, decode(value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sdks_spaces_and_escapes_decode_alike() {
        /// An encoded form, and its pairs decoded (`None`: refused).
        type Case<'a> = (&'a str, Option<&'a [(&'a str, &'a str)]>);
        let cases: &[Case] = &[
            (
                "To=%2B15005550006&Name=My+App",
                Some(&[("To", "+15005550006"), ("Name", "My App")]),
            ),
            (
                "Name=My%20App&&flag",
                Some(&[("Name", "My App"), ("flag", "")]),
            ),
            ("", Some(&[])),
            ("a=%E2%82%AC", Some(&[("a", "€")])),
            ("a=%ZZ", None),
            ("a=%2", None),
            ("a=%FF", None),
            ("%GG=1", None),
            ("a=%+1", None),
            ("a=%-1", None),
        ];
        for (encoded, expected) in cases {
            let expected = expected.map(|p| {
                p.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(pairs(encoded), expected, "{encoded}");
        }
    }
}
