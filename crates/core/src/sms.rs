//! SMS encoding and segment counting, as carriers and Twilio count them.
//!
//! A message is GSM-7 when every character is in the GSM 03.38 default alphabet or its
//! extension table (`^ { } \ [ ~ ] | €` and form feed, which cost two septets: escape +
//! character); otherwise it is UCS-2 (UTF-16 code units; characters outside the BMP, such as
//! most emoji, cost two). One part holds 160 septets or 70 code units; a concatenated
//! message loses 6 octets per part to the user data header, leaving 153 septets or 67 code
//! units. A part never splits a character, an escape pair or a grapheme (an emoji with its
//! modifiers, a letter with its combining accents): what does not fit moves whole to the
//! next part. This is what Twilio's `sms-segments-calculator` computes; a test runs it as
//! an oracle.

use crate::grapheme::graphemes;
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// What a text costs as an SMS.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsInfo {
    pub encoding: Encoding,
    /// Number of SMS parts (segments), at least 1.
    pub parts: u32,
    /// Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2.
    pub units: u32,
    /// The characters (graphemes) that are not GSM-7 and so forced UCS-2, each once, in
    /// order of appearance.
    pub non_gsm_characters: Vec<String>,
}

const BITS_PER_PART: u32 = 140 * 8;
const UDH_BITS: u32 = 6 * 8;

/// GSM-7 cost of each ASCII character (0: not in GSM 03.38).
const ASCII_SEPTETS: [u8; 128] = {
    let mut t = [0u8; 128];
    t[b'\n' as usize] = 1;
    t[b'\r' as usize] = 1;
    t[0x0C] = 2; // form feed: escape + character
    let mut c = b' ';
    while c <= b'z' {
        t[c as usize] = match c {
            b'[' | b'\\' | b']' | b'^' => 2,
            b'`' => 0,
            _ => 1,
        };
        c += 1;
    }
    t[b'{' as usize] = 2;
    t[b'|' as usize] = 2;
    t[b'}' as usize] = 2;
    t[b'~' as usize] = 2;
    t
};

/// Septets a character costs in GSM-7, or `None` if it is not in GSM 03.38.
#[inline]
pub fn gsm7_septets(c: char) -> Option<u32> {
    if c.is_ascii() {
        return match ASCII_SEPTETS[c as usize] {
            0 => None,
            n => Some(u32::from(n)),
        };
    }
    // The rest of GSM 03.38 lies in Latin-1, Greek capitals and €: test the ranges first so
    // that other scripts (Cyrillic, CJK, …) fall through at once.
    match c as u32 {
        0xA1..=0xFC => match c {
            '¡' | '£' | '¤' | '¥' | '§' | '¿' | 'Ä' | 'Å' | 'Æ' | 'Ç' | 'É' | 'Ñ' | 'Ö' | 'Ø'
            | 'Ü' | 'ß' | 'à' | 'ä' | 'å' | 'æ' | 'è' | 'é' | 'ì' | 'ñ' | 'ò' | 'ö' | 'ø' | 'ù'
            | 'ü' => Some(1),
            _ => None,
        },
        0x393..=0x3A9 => match c {
            'Γ' | 'Δ' | 'Θ' | 'Λ' | 'Ξ' | 'Π' | 'Σ' | 'Φ' | 'Ψ' | 'Ω' => Some(1),
            _ => None,
        },
        0x20AC => Some(2),
        _ => None,
    }
}

/// A grapheme's GSM-7 cost: only single-character graphemes can be GSM-7.
fn grapheme_septets(g: &str) -> Option<u32> {
    let mut chars = g.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => gsm7_septets(c),
        _ => None,
    }
}

/// Can `c` never share a grapheme with its neighbours? True for the scripts and symbols
/// most SMS use (Latin, Greek, Cyrillic, Hebrew and Arabic letters, CJK, kana, Hangul
/// syllables, punctuation, single emoji); false for combining marks, joiners, variation
/// selectors, emoji modifiers, regional indicators, jamo and scripts with vowel signs.
/// Text made only of such characters needs no grapheme segmentation (the fast path).
fn is_standalone(c: char) -> bool {
    matches!(c as u32,
        0x0000..=0x02FF
        | 0x0370..=0x03FF
        | 0x0400..=0x0482
        | 0x048A..=0x052F
        | 0x05D0..=0x05EA
        | 0x0621..=0x064A
        | 0x2010..=0x2027
        | 0x2030..=0x205E
        | 0x20A0..=0x20C0
        | 0x2100..=0x214F
        | 0x2190..=0x23FF
        | 0x25A0..=0x27BF
        | 0x3000..=0x3029
        | 0x3030..=0x303F
        | 0x3041..=0x3096
        | 0x30A0..=0x30FF
        | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7A3
        | 0xFF01..=0xFF5E
        | 0x1F300..=0x1F3FA
        | 0x1F400..=0x1F64F
        | 0x1F680..=0x1F6FF
        | 0x1F900..=0x1F9FF)
}

/// Greedy fill of parts that each carry a user data header; a unit of `size` bits (a
/// character, escape pair or grapheme) never splits.
fn concatenated_parts(sizes: impl Iterator<Item = u32>) -> u32 {
    let capacity = BITS_PER_PART - UDH_BITS;
    let (mut parts, mut used) = (1, 0);
    for size in sizes {
        if used + size > capacity && used > 0 {
            parts += 1;
            used = 0;
        }
        used += size;
    }
    parts
}

/// Encoding, parts, units and the characters that forced UCS-2.
pub fn analyze(text: &str) -> SmsInfo {
    let spans = analyze_spans(text);
    SmsInfo {
        encoding: spans.encoding,
        parts: spans.parts,
        units: spans.units,
        non_gsm_characters: spans
            .non_gsm
            .iter()
            .map(|r| text[r.clone()].to_owned())
            .collect(),
    }
}

/// [`analyze`] without allocating a string per character: the non-GSM characters as byte
/// ranges of `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSpans {
    pub encoding: Encoding,
    pub parts: u32,
    pub units: u32,
    pub non_gsm: Vec<std::ops::Range<usize>>,
}

/// See [`SmsSpans`].
pub fn analyze_spans(text: &str) -> SmsSpans {
    // Plain ASCII GSM-7 text (most OTP messages): one table look-up per byte.
    if text.is_ascii() {
        let mut septets = 0u32;
        let mut all_gsm = true;
        for &b in text.as_bytes() {
            let n = ASCII_SEPTETS[b as usize];
            all_gsm &= n != 0;
            septets += u32::from(n);
        }
        if all_gsm {
            let parts = if septets * 7 <= BITS_PER_PART {
                1
            } else {
                concatenated_parts(
                    text.bytes()
                        .map(|b| 7 * u32::from(ASCII_SEPTETS[b as usize])),
                )
            };
            return SmsSpans {
                encoding: Encoding::Gsm7,
                parts,
                units: septets,
                non_gsm: Vec::new(),
            };
        }
    }
    // One pass counts both encodings; graphemes are segmented only if a character that can
    // join its neighbours appears.
    let (mut septets, mut utf16) = (0u32, 0u32);
    // Distinct non-GSM characters in order, and a sorted copy for the membership test.
    let mut order: Vec<std::ops::Range<usize>> = Vec::new();
    let mut seen: Vec<char> = Vec::new();
    // Most UCS-2 text sticks to one 256-code-point block (Cyrillic, Greek, Arabic, …): a
    // bitmap of that block answers "seen before?" without searching.
    let mut block: Option<u32> = None;
    let mut in_block = [0u64; 4];
    for (at, c) in text.char_indices() {
        match gsm7_septets(c) {
            Some(n) => septets += n,
            None if is_standalone(c) => {
                let cp = c as u32;
                let fresh = if *block.get_or_insert(cp >> 8) == cp >> 8 {
                    let (word, bit) = (((cp & 0xFF) >> 6) as usize, 1u64 << (cp & 63));
                    let fresh = in_block[word] & bit == 0;
                    in_block[word] |= bit;
                    fresh
                } else {
                    match seen.binary_search(&c) {
                        Ok(_) => false,
                        Err(i) => {
                            seen.insert(i, c);
                            true
                        }
                    }
                };
                if fresh {
                    order.push(at..at + c.len_utf8());
                }
            }
            None => return analyze_graphemes(text),
        }
        utf16 += c.len_utf16() as u32;
    }
    // A second pass only for messages that need more than one part.
    if order.is_empty() {
        let parts = if septets * 7 <= BITS_PER_PART {
            1
        } else {
            concatenated_parts(text.chars().map(|c| 7 * gsm7_septets(c).unwrap_or(1)))
        };
        SmsSpans {
            encoding: Encoding::Gsm7,
            parts,
            units: septets,
            non_gsm: order,
        }
    } else {
        let parts = if utf16 * 16 <= BITS_PER_PART {
            1
        } else {
            concatenated_parts(text.chars().map(|c| 16 * c.len_utf16() as u32))
        };
        SmsSpans {
            encoding: Encoding::Ucs2,
            parts,
            units: utf16,
            non_gsm: order,
        }
    }
}

/// The general case: UCS-2 text with characters that join into graphemes.
fn analyze_graphemes(text: &str) -> SmsSpans {
    let mut non_gsm: Vec<std::ops::Range<usize>> = Vec::new();
    let mut at = 0;
    for g in graphemes(text) {
        if grapheme_septets(g).is_none() && !non_gsm.iter().any(|r| &text[r.clone()] == g) {
            non_gsm.push(at..at + g.len());
        }
        at += g.len();
    }
    let utf16 = text.encode_utf16().count() as u32;
    let parts = if utf16 * 16 <= BITS_PER_PART {
        1
    } else {
        concatenated_parts(graphemes(text).map(|g| 16 * g.encode_utf16().count() as u32))
    };
    SmsSpans {
        encoding: Encoding::Ucs2,
        parts,
        units: utf16,
        non_gsm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, without the fast path: every grapheme segmented.
    fn reference(text: &str) -> SmsInfo {
        let mut non_gsm: Vec<String> = Vec::new();
        for g in graphemes(text) {
            if grapheme_septets(g).is_none() && !non_gsm.iter().any(|s| s == g) {
                non_gsm.push(g.to_owned());
            }
        }
        let gsm = non_gsm.is_empty();
        let sizes: Vec<u32> = graphemes(text)
            .map(|g| match gsm {
                true => 7 * grapheme_septets(g).unwrap_or(1),
                false => 16 * g.encode_utf16().count() as u32,
            })
            .collect();
        let total: u32 = sizes.iter().sum();
        SmsInfo {
            encoding: if gsm { Encoding::Gsm7 } else { Encoding::Ucs2 },
            parts: if total <= BITS_PER_PART {
                1
            } else {
                concatenated_parts(sizes.into_iter())
            },
            units: total / if gsm { 7 } else { 16 },
            non_gsm_characters: non_gsm,
        }
    }

    proptest! {
        #[test]
        fn fast_path_matches_grapheme_segmentation(
            pieces in prop::collection::vec(prop::sample::select(vec![
                "a", "Z", "7", " ", "€", "[", "\n", "\r", "é", "ç", "ж", "Ω", "ο", "中", "あ", "가",
                "😀", "👍", "\u{1F3FD}", "\u{200D}", "\u{FE0F}", "\u{301}", "\u{1F1EB}", "\u{1F1F7}",
                "\u{1100}", "\u{1161}", "क", "\u{94D}", "ि", "\u{E31}", "ก",
            ]), 0..200)
        ) {
            let text: String = pieces.concat();
            prop_assert_eq!(analyze(&text), reference(&text));
        }
    }

    fn parts(text: &str) -> (Encoding, u32, u32) {
        let i = analyze(text);
        (i.encoding, i.parts, i.units)
    }

    #[test]
    fn gsm_boundaries() {
        use Encoding::Gsm7;
        assert_eq!(parts(""), (Gsm7, 1, 0));
        assert_eq!(parts(&"a".repeat(160)), (Gsm7, 1, 160));
        assert_eq!(parts(&"a".repeat(161)), (Gsm7, 2, 161));
        assert_eq!(parts(&"a".repeat(306)), (Gsm7, 2, 306));
        assert_eq!(parts(&"a".repeat(307)), (Gsm7, 3, 307));
        // Extension characters count two septets and never split across parts.
        assert_eq!(parts(&"€".repeat(80)), (Gsm7, 1, 160));
        assert_eq!(parts(&"€".repeat(81)), (Gsm7, 2, 162));
        assert_eq!(parts(&format!("{}€", "a".repeat(159))), (Gsm7, 2, 161));
        // 152 + 2 + 152 = 306 septets = 2 × 153, but the escape pair cannot straddle parts
        // 1 and 2, so it moves whole and the tail spills into a third part.
        let straddling = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(parts(&straddling), (Gsm7, 3, 306));
    }

    #[test]
    fn ucs2_boundaries() {
        use Encoding::Ucs2;
        assert_eq!(parts(&"ж".repeat(70)), (Ucs2, 1, 70));
        assert_eq!(parts(&"ж".repeat(71)), (Ucs2, 2, 71));
        assert_eq!(parts(&"ж".repeat(134)), (Ucs2, 2, 134));
        assert_eq!(parts(&"ж".repeat(135)), (Ucs2, 3, 135));
        // An astral emoji is two code units and is not split: 66 + 😀 = 68 units, 2 parts.
        assert_eq!(parts(&format!("{}😀", "ж".repeat(66))), (Ucs2, 1, 68));
        assert_eq!(parts(&format!("{}😀", "ж".repeat(69))), (Ucs2, 2, 71));
    }

    #[test]
    fn non_gsm_characters_are_reported_once() {
        let i = analyze("Code 1234 ✅ ok ✅ Ж");
        assert_eq!(i.encoding, Encoding::Ucs2);
        assert_eq!(i.non_gsm_characters, vec!["✅", "Ж"]);
        let i = analyze("Votre code de vérification est 1234");
        assert_eq!(i.encoding, Encoding::Gsm7);
        assert!(i.non_gsm_characters.is_empty());
        // ç is not GSM-7 (only Ç is).
        assert_eq!(analyze("ça").non_gsm_characters, vec!["ç"]);
    }
}
