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

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

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

/// Septets a character costs in GSM-7, or `None` if it is not in GSM 03.38.
pub fn gsm7_septets(c: char) -> Option<u32> {
    match c {
        '\u{0C}' | '[' | '\\' | ']' | '^' | '{' | '|' | '}' | '~' | '€' => Some(2),
        '\n' | '\r' | ' '..='_' | 'a'..='z' => Some(1),
        '¡' | '£' | '¤' | '¥' | '§' | '¿' | 'Ä' | 'Å' | 'Æ' | 'Ç' | 'É' | 'Ñ' | 'Ö' | 'Ø' | 'Ü'
        | 'ß' | 'à' | 'ä' | 'å' | 'æ' | 'è' | 'é' | 'ì' | 'ñ' | 'ò' | 'ö' | 'ø' | 'ù' | 'ü' => {
            Some(1)
        }
        'Γ' | 'Δ' | 'Θ' | 'Λ' | 'Ξ' | 'Π' | 'Σ' | 'Φ' | 'Ψ' | 'Ω' => Some(1),
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

/// Graphemes as Twilio splits them: extended grapheme clusters, except that CR LF counts
/// as two characters.
fn graphemes(text: &str) -> impl Iterator<Item = &str> + Clone {
    text.graphemes(true).flat_map(|g| {
        let split = g == "\r\n";
        [
            if split { &g[..1] } else { g },
            if split { &g[1..] } else { "" },
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
    })
}

/// Encoding, parts, units and the characters that forced UCS-2.
pub fn analyze(text: &str) -> SmsInfo {
    let mut non_gsm: Vec<String> = Vec::new();
    for g in graphemes(text) {
        if grapheme_septets(g).is_none() && !non_gsm.iter().any(|s| s == g) {
            non_gsm.push(g.to_owned());
        }
    }
    let encoding = if non_gsm.is_empty() {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    };
    // Size of each grapheme in bits, in the chosen encoding.
    let sizes = graphemes(text).map(|g| match encoding {
        Encoding::Gsm7 => 7 * grapheme_septets(g).unwrap_or(1),
        Encoding::Ucs2 => 16 * g.encode_utf16().count() as u32,
    });
    let total_bits: u32 = sizes.clone().sum();
    let units = total_bits / if encoding == Encoding::Gsm7 { 7 } else { 16 };
    let parts = if total_bits <= BITS_PER_PART {
        1
    } else {
        // Greedy fill of parts that each carry a user data header; a grapheme never splits.
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
    };
    SmsInfo {
        encoding,
        parts,
        units,
        non_gsm_characters: non_gsm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
