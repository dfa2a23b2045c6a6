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
//! an oracle. The one exception: a grapheme longer than a part (dozens of combining marks,
//! a long ZWJ chain), which no part can carry, is split between characters; Twilio's
//! calculator counts fewer parts than such a text needs.

use crate::grapheme::graphemes;
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
/// How an SMS is encoded.
pub enum Encoding {
    /// The GSM 03.38 7-bit alphabet: 160 septets in one part, 153 per concatenated part.
    #[serde(rename = "GSM-7")]
    Gsm7,
    /// UTF-16: 70 code units in one part, 67 per concatenated part.
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    /// The wire name (`GSM-7`, `UCS-2`).
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
    /// GSM-7 when every character allows it, else UCS-2.
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
#[inline]
fn is_standalone(c: char) -> bool {
    // By 256-code-point block first: one jump table instead of a chain of range tests
    // (this runs for every non-GSM character).
    let cp = c as u32;
    match cp >> 8 {
        0x00..=0x02 | 0x22 | 0x23 | 0x26 | 0x4E..=0x9F | 0xAC..=0xD6 | 0x1F4 | 0x1F5 | 0x1F9 => {
            true
        }
        0x03 => cp >= 0x0370,
        0x04 => cp <= 0x0482 || cp >= 0x048A,
        0x05 => cp <= 0x052F || (0x05D0..=0x05EA).contains(&cp),
        0x06 => (0x0621..=0x064A).contains(&cp),
        0x20 => matches!(cp, 0x2010..=0x2027 | 0x2030..=0x205E | 0x20A0..=0x20C0),
        0x21 => cp <= 0x214F || cp >= 0x2190,
        0x25 => cp >= 0x25A0,
        0x27 => cp <= 0x27BF,
        0x30 => matches!(cp, 0x3000..=0x3029 | 0x3030..=0x303F | 0x3041..=0x3096 | 0x30A0..=0x30FF),
        0xD7 => cp <= 0xD7A3,
        0xFF => (0xFF01..=0xFF5E).contains(&cp),
        0x1F3 => cp <= 0x1F3FA,
        0x1F6 => cp <= 0x1F64F || cp >= 0x1F680,
        _ => false,
    }
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

/// Encoding, parts, units and the characters that forced UCS-2 (re-exported as
/// `count_segments`).
///
/// ```
/// use smsotp_core::{count_segments, Encoding};
///
/// // 160 GSM-7 characters fit one part; one more makes two parts of at most 153.
/// let one = count_segments(&"a".repeat(160));
/// assert_eq!((one.encoding, one.parts, one.units), (Encoding::Gsm7, 1, 160));
/// assert_eq!(count_segments(&"a".repeat(161)).parts, 2);
/// // `€` is in GSM-7's extension table: two septets.
/// assert_eq!(count_segments("5 €").units, 4);
/// // One Cyrillic letter makes the whole text UCS-2 (70 units a part) and is named.
/// let ru = count_segments("Код 123456");
/// assert_eq!((ru.encoding, ru.parts, ru.units), (Encoding::Ucs2, 1, 10));
/// assert_eq!(ru.non_gsm_characters, ["К", "о", "д"]);
/// ```
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
    /// As [`SmsInfo::encoding`].
    pub encoding: Encoding,
    /// As [`SmsInfo::parts`].
    pub parts: u32,
    /// As [`SmsInfo::units`].
    pub units: u32,
    /// Where the characters of [`SmsInfo::non_gsm_characters`] are (first occurrences).
    pub non_gsm: Vec<std::ops::Range<usize>>,
}

/// See [`SmsSpans`]; the ranges are byte ranges of `text`.
pub fn analyze_spans(text: &str) -> SmsSpans {
    if text.is_ascii() {
        if let Some(spans) = ascii_gsm(text.bytes()) {
            return spans;
        }
    }
    scan(text.char_indices(), char::len_utf8).unwrap_or_else(|| analyze_graphemes(text))
}

/// [`analyze_spans`] of UTF-16 text (a JavaScript string's code units, so that the npm
/// package need not transcode it); the ranges are code-unit ranges of `text`. An unpaired
/// surrogate counts as U+FFFD, as it would once encoded for sending.
pub fn analyze_utf16(text: &[u16]) -> SmsSpans {
    if text.iter().all(|&u| u < 0x80) {
        if let Some(spans) = ascii_gsm(text.iter().map(|&u| u as u8)) {
            return spans;
        }
    }
    scan(Utf16Indices { text, at: 0 }, char::len_utf16).unwrap_or_else(|| {
        // Rare (joining characters): segment the transcoded text, then map its byte
        // ranges back to code units.
        let utf8 = String::from_utf16_lossy(text);
        let mut spans = analyze_graphemes(&utf8);
        let boundaries: Vec<(usize, usize)> = utf8
            .char_indices()
            .scan(0, |units, (byte, c)| {
                let at = (byte, *units);
                *units += c.len_utf16();
                Some(at)
            })
            .chain(std::iter::once((utf8.len(), spans.units as usize)))
            .collect();
        let unit_at = |byte: usize| {
            let i = boundaries.partition_point(|&(b, _)| b < byte);
            boundaries[i].1
        };
        for range in &mut spans.non_gsm {
            *range = unit_at(range.start)..unit_at(range.end);
        }
        spans
    })
}

/// `(position, char)` over UTF-16 code units, like `str::char_indices`.
#[derive(Clone)]
struct Utf16Indices<'a> {
    text: &'a [u16],
    at: usize,
}

impl Iterator for Utf16Indices<'_> {
    type Item = (usize, char);

    #[inline]
    fn next(&mut self) -> Option<(usize, char)> {
        let at = self.at;
        let unit = *self.text.get(at)?;
        if !(0xD800..0xE000).contains(&unit) {
            self.at += 1;
            // Not a surrogate: a BMP scalar value.
            return Some((at, char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}')));
        }
        let c = char::decode_utf16(self.text[at..].iter().copied().take(2))
            .next()
            .and_then(Result::ok)
            .unwrap_or('\u{FFFD}');
        // A pair is two units; an unpaired surrogate, now U+FFFD, one.
        self.at += c.len_utf16();
        Some((at, c))
    }
}

/// Plain ASCII text (most OTP messages): one table look-up per character. `None` if a
/// character is not GSM-7.
fn ascii_gsm(bytes: impl Iterator<Item = u8> + Clone) -> Option<SmsSpans> {
    let mut septets = 0u32;
    let mut all_gsm = true;
    for b in bytes.clone() {
        let n = ASCII_SEPTETS[usize::from(b & 0x7F)];
        all_gsm &= n != 0;
        septets += u32::from(n);
    }
    if !all_gsm {
        return None;
    }
    let parts = if septets * 7 <= BITS_PER_PART {
        1
    } else {
        concatenated_parts(bytes.map(|b| 7 * u32::from(ASCII_SEPTETS[usize::from(b & 0x7F)])))
    };
    Some(SmsSpans {
        encoding: Encoding::Gsm7,
        parts,
        units: septets,
        non_gsm: Vec::new(),
    })
}

/// One pass counts both encodings; `None` if a character that can join its neighbours
/// appears (then graphemes must be segmented). `unit_len` is a character's length in the
/// positions' units.
fn scan(
    chars: impl Iterator<Item = (usize, char)> + Clone,
    unit_len: fn(char) -> usize,
) -> Option<SmsSpans> {
    let (mut septets, mut utf16) = (0u32, 0u32);
    // Distinct non-GSM characters in order, and a sorted copy for the membership test.
    let mut order: Vec<std::ops::Range<usize>> = Vec::new();
    let mut seen: Vec<char> = Vec::new();
    // Most UCS-2 text sticks to one 256-code-point block (Cyrillic, Greek, Arabic, …): a
    // bitmap of that block answers "seen before?" without searching.
    let mut block: Option<u32> = None;
    let mut in_block = [0u64; 4];
    let mut count = 0u32;
    for (at, c) in chars.clone() {
        count += 1;
        // ASCII first: in UCS-2 text still most characters (spaces, digits, punctuation).
        if c.is_ascii() && ASCII_SEPTETS[c as usize] != 0 {
            septets += u32::from(ASCII_SEPTETS[c as usize]);
            utf16 += 1;
            continue;
        }
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
                    order.push(at..at + unit_len(c));
                }
            }
            None => return None,
        }
        utf16 += c.len_utf16() as u32;
    }
    let chars = chars.map(|(_, c)| c);
    // A message in one part, or whose characters all cost the same (one septet, one code
    // unit), needs no second pass: whole parts of 153 septets or 67 units.
    let capacity = BITS_PER_PART - UDH_BITS;
    Some(if order.is_empty() {
        let parts = if septets * 7 <= BITS_PER_PART {
            1
        } else if septets == count {
            septets.div_ceil(capacity / 7)
        } else {
            concatenated_parts(chars.map(|c| 7 * gsm7_septets(c).unwrap_or(1)))
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
        } else if utf16 == count {
            utf16.div_ceil(capacity / 16)
        } else {
            concatenated_parts(chars.map(|c| 16 * c.len_utf16() as u32))
        };
        SmsSpans {
            encoding: Encoding::Ucs2,
            parts,
            units: utf16,
            non_gsm: order,
        }
    })
}

/// [`concatenated_parts`] over graphemes: each moves whole to the next part when it does
/// not fit, except one longer than a part (a letter with dozens of combining marks, a long
/// ZWJ chain, a run of conjoining jamo): no part can carry it, so it fills the part it
/// starts in and goes on in the next ones, split between characters (never inside a
/// surrogate pair), as the carrier will split it.
fn grapheme_parts(text: &str) -> u32 {
    let capacity = BITS_PER_PART - UDH_BITS;
    let (mut parts, mut used) = (1, 0);
    for g in graphemes(text) {
        let size = 16 * g.encode_utf16().count() as u32;
        if size <= capacity {
            if used + size > capacity && used > 0 {
                parts += 1;
                used = 0;
            }
            used += size;
            continue;
        }
        for c in g.chars() {
            let size = 16 * c.len_utf16() as u32;
            if used + size > capacity {
                parts += 1;
                used = 0;
            }
            used += size;
        }
    }
    parts
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
        grapheme_parts(text)
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
        // A grapheme longer than a part counts as its characters, each moving alone.
        let sizes: Vec<u32> = graphemes(text)
            .flat_map(|g| match gsm {
                true => vec![7 * grapheme_septets(g).unwrap_or(1)],
                false if g.encode_utf16().count() > 67 => {
                    g.chars().map(|c| 16 * c.len_utf16() as u32).collect()
                }
                false => vec![16 * g.encode_utf16().count() as u32],
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

    proptest! {
        /// The UTF-16 entry point (the npm package's) answers as the UTF-8 one, with ranges
        /// over the same characters.
        #[test]
        fn utf16_matches_utf8(
            pieces in prop::collection::vec(prop::sample::select(vec![
                "a", "7", " ", "€", "[", "\n", "é", "ç", "ж", "Ω", "中", "😀", "👍",
                "\u{1F3FD}", "\u{200D}", "\u{FE0F}", "\u{301}", "\u{1F1EB}", "\u{1F1F7}", "क", "\u{94D}",
            ]), 0..200)
        ) {
            let text: String = pieces.concat();
            let units: Vec<u16> = text.encode_utf16().collect();
            let (a, b) = (analyze_spans(&text), analyze_utf16(&units));
            prop_assert_eq!((a.encoding, a.parts, a.units), (b.encoding, b.parts, b.units));
            let from_utf16: Vec<String> =
                b.non_gsm.iter().map(|r| String::from_utf16_lossy(&units[r.clone()])).collect();
            prop_assert_eq!(analyze(&text).non_gsm_characters, from_utf16);
        }
    }

    /// The blocks and ranges `is_standalone` stands for.
    fn is_standalone_by_ranges(c: char) -> bool {
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

    #[test]
    fn standalone_blocks_match_their_ranges() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(
                is_standalone(c),
                is_standalone_by_ranges(c),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn unpaired_surrogates_count_as_replacement_characters() {
        // "a", a lone high surrogate, "b", a lone low surrogate: as "a\u{FFFD}b\u{FFFD}".
        let units = [0x61, 0xD83D, 0x62, 0xDE00];
        let spans = analyze_utf16(&units);
        assert_eq!(
            (spans.encoding, spans.parts, spans.units),
            (Encoding::Ucs2, 1, 4)
        );
        assert_eq!(spans.non_gsm, [std::ops::Range { start: 1, end: 2 }]);
        // A proper pair is one character of two units.
        let spans = analyze_utf16(&[0xD83D, 0xDE00]);
        assert_eq!((spans.units, spans.non_gsm.len()), (2, 1));
        assert_eq!((spans.non_gsm[0].start, spans.non_gsm[0].end), (0, 2));
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

    /// 100 KB texts of every kind are counted, not refused and never a panic. Parts: 153
    /// septets / 67 units each, an escape pair or a surrogate pair never split, nor a
    /// grapheme unless it is longer than a part.
    #[test]
    fn texts_of_100_kb() {
        use Encoding::{Gsm7, Ucs2};
        // 100,000 / 153 → 654 parts.
        assert_eq!(parts(&"a".repeat(100_000)), (Gsm7, 654, 100_000));
        // 76 euro signs (152 septets) a part: 50,000 / 76 → 658.
        assert_eq!(parts(&"€".repeat(50_000)), (Gsm7, 658, 100_000));
        // 100,000 / 67 → 1,493.
        assert_eq!(parts(&"Ж".repeat(100_000)), (Ucs2, 1493, 100_000));
        // 33 emoji (66 units) a part: 50,000 / 33 → 1,516; same for decomposed "é".
        assert_eq!(parts(&"😀".repeat(50_000)), (Ucs2, 1516, 100_000));
        assert_eq!(parts(&"e\u{301}".repeat(50_000)), (Ucs2, 1516, 100_000));
        // One grapheme of 100,001 units (a letter with 100,000 combining accents): longer
        // than a part, so split between characters, 67 a part: 100,001 / 67 → 1,493.
        let one = analyze(&format!("e{}", "\u{301}".repeat(100_000)));
        assert_eq!((one.encoding, one.units), (Ucs2, 100_001));
        assert_eq!(one.parts, 1493);
        // 100,000 unpaired surrogates: U+FFFD each, listed once.
        let lone = analyze_utf16(&[0xD800; 100_000]);
        assert_eq!(
            (lone.encoding, lone.parts, lone.units),
            (Ucs2, 1493, 100_000)
        );
        assert_eq!(lone.non_gsm, vec![std::ops::Range { start: 0, end: 1 }]);
        assert_eq!(analyze_utf16(&[]).units, 0);
    }
}
