//! Extended grapheme clusters (Unicode UAX #29 rules GB3–GB13), compact enough for wasm.
//!
//! Only SMS counting needs graphemes (a part never splits one, and the characters that
//! force UCS-2 are reported as graphemes). The rules here are the standard ones, except that
//! CR LF is two clusters, as SMS tools count it. Mark and control ranges are generated
//! (`data.rs`); the few other classes are listed below. This costs ~3 KB of wasm where the
//! `unicode-segmentation` crate's tables cost ~18 KB gzipped; a test in `sms.rs` checks the
//! results against Twilio's calculator, and a property test against the crate.

mod data;

pub use data::UNICODE_VERSION;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Other,
    Cr,
    Lf,
    Control,
    Extend,
    Zwj,
    RegionalIndicator,
    Prepend,
    SpacingMark,
    L,
    V,
    T,
    Lv,
    Lvt,
    Pictographic,
}

/// Extended_Pictographic (emoji-data.txt), as ranges.
const PICTOGRAPHIC: &[(u32, u32)] = &[
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x231A, 0x231B),
    (0x2328, 0x2328),
    (0x2388, 0x2388),
    (0x23CF, 0x23CF),
    (0x23E9, 0x23F3),
    (0x23F8, 0x23FA),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25AB),
    (0x25B6, 0x25B6),
    (0x25C0, 0x25C0),
    (0x25FB, 0x25FE),
    (0x2600, 0x2605),
    (0x2607, 0x2612),
    (0x2614, 0x2685),
    (0x2690, 0x2705),
    (0x2708, 0x2712),
    (0x2714, 0x2714),
    (0x2716, 0x2716),
    (0x271D, 0x271D),
    (0x2721, 0x2721),
    (0x2728, 0x2728),
    (0x2733, 0x2734),
    (0x2744, 0x2744),
    (0x2747, 0x2747),
    (0x274C, 0x274C),
    (0x274E, 0x274E),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2763, 0x2767),
    (0x2795, 0x2797),
    (0x27A1, 0x27A1),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F000, 0x1F0FF),
    (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F),
    (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F),
    (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F),
    (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D),
    (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF),
    (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F),
    (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F),
    (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
];

/// Grapheme_Cluster_Break=Prepend.
const PREPEND: &[(u32, u32)] = &[
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x0D4E, 0x0D4E),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x111C2, 0x111C3),
    (0x1193F, 0x1193F),
    (0x11941, 0x11941),
    (0x11A3A, 0x11A3A),
    (0x11A84, 0x11A89),
    (0x11D46, 0x11D46),
];

fn in_ranges(ranges: &[(u32, u32)], cp: u32) -> bool {
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn class(c: char) -> Class {
    let cp = c as u32;
    match cp {
        0x0D => return Class::Cr,
        0x0A => return Class::Lf,
        0x200D => return Class::Zwj,
        0x1F1E6..=0x1F1FF => return Class::RegionalIndicator,
        0x1F3FB..=0x1F3FF => return Class::Extend, // emoji modifiers
        0x1100..=0x115F | 0xA960..=0xA97C => return Class::L,
        0x1160..=0x11A7 | 0xD7B0..=0xD7C6 => return Class::V,
        0x11A8..=0x11FF | 0xD7CB..=0xD7FB => return Class::T,
        0xAC00..=0xD7A3 => {
            return if (cp - 0xAC00).is_multiple_of(28) {
                Class::Lv
            } else {
                Class::Lvt
            }
        }
        _ => {}
    }
    // The last range starting at or before cp.
    let i = data::RANGES.partition_point(|&r| (r >> 11) <= cp);
    if let Some(&r) = i.checked_sub(1).and_then(|i| data::RANGES.get(i)) {
        let (start, len) = (r >> 11, r & 0xFF);
        if cp <= start + len {
            return match (r >> 8) & 7 {
                0 => Class::Extend,
                1 => Class::SpacingMark,
                _ => Class::Control,
            };
        }
    }
    if in_ranges(PREPEND, cp) {
        Class::Prepend
    } else if in_ranges(PICTOGRAPHIC, cp) {
        Class::Pictographic
    } else {
        Class::Other
    }
}

/// The grapheme clusters of a text.
pub fn graphemes(text: &str) -> Graphemes<'_> {
    Graphemes { rest: text }
}

/// An iterator over the grapheme clusters of a text ([`graphemes`]).
#[derive(Debug, Clone)]
pub struct Graphemes<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Graphemes<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let mut chars = self.rest.char_indices();
        let (_, first) = chars.next()?;
        let mut prev = class(first);
        // GB11: inside "Pictographic Extend* ZWJ"? GB12/13: odd number of RIs so far?
        let mut pictographic = prev == Class::Pictographic;
        let mut ri_odd = prev == Class::RegionalIndicator;
        let mut end = self.rest.len();
        for (at, c) in chars {
            let next = class(c);
            use Class::*;
            let join = match (prev, next) {
                (Cr | Lf | Control, _) | (_, Cr | Lf | Control) => false,
                (L, L | V | Lv | Lvt) | (Lv | V, V | T) | (Lvt | T, T) => true,
                (_, Extend | Zwj | SpacingMark) | (Prepend, _) => true,
                (Zwj, Pictographic) => pictographic,
                (RegionalIndicator, RegionalIndicator) => ri_odd,
                _ => false,
            };
            if !join {
                end = at;
                break;
            }
            pictographic = match next {
                Pictographic => true,
                Extend => pictographic && prev != Zwj,
                Zwj => pictographic && prev != Zwj,
                _ => false,
            };
            ri_odd = next == RegionalIndicator && !ri_odd;
            prev = next;
        }
        let (cluster, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_segmentation::UnicodeSegmentation;

    proptest! {
        /// Same clusters as the unicode-segmentation crate (full UAX #29 tables), CR LF aside
        /// and without Unicode 15.1's Indic conjunct rule GB9c, which SMS tools (Twilio's
        /// calculator) do not apply: see `indic_conjuncts_split_as_sms_tools_count`.
        #[test]
        fn agrees_with_unicode_segmentation(
            pieces in prop::collection::vec(prop::sample::select(vec![
                "a", " ", "\r", "\n", "\t", "é", "ж", "中", "가", "\u{1100}", "\u{1161}",
                "\u{11A8}", "😀", "👍", "👨", "👩", "❤", "\u{1F3FD}", "\u{200D}", "\u{FE0F}",
                "\u{301}", "\u{20E3}", "\u{1F1EB}", "\u{1F1F7}", "क", "ि", "\u{93E}",
                "\u{E31}", "ก", "\u{600}", "\u{AD}", "\u{200B}", "\u{E0067}", "\u{E007F}", "🏴",
                "\u{9BE}", "\u{FF9E}", "ｶ",
            ]), 0..40)
        ) {
            let text: String = pieces.concat();
            let expected: Vec<&str> = text
                .graphemes(true)
                .flat_map(|g| if g == "\r\n" { vec!["\r", "\n"] } else { vec![g] })
                .collect();
            prop_assert_eq!(graphemes(&text).collect::<Vec<_>>(), expected);
        }
    }

    fn split(s: &str) -> Vec<&str> {
        graphemes(s).collect()
    }

    #[test]
    fn clusters() {
        assert_eq!(split("ab"), ["a", "b"]);
        assert_eq!(split("e\u{301}x"), ["e\u{301}", "x"]);
        assert_eq!(split("\r\n"), ["\r", "\n"]);
        assert_eq!(split("👍🏽!"), ["👍🏽", "!"]);
        assert_eq!(split("👨‍👩‍👧‍👦"), ["👨‍👩‍👧‍👦"]);
        assert_eq!(split("❤\u{FE0F}"), ["❤\u{FE0F}"]);
        assert_eq!(split("🇫🇷🇩🇪🇮"), ["🇫🇷", "🇩🇪", "🇮"]);
        assert_eq!(split("a\u{200D}b"), ["a\u{200D}", "b"]);
        assert_eq!(
            split("\u{1100}\u{1161}\u{11A8}가"),
            ["\u{1100}\u{1161}\u{11A8}", "가"]
        );
        assert_eq!(split("कि"), ["कि"]);
        assert_eq!(split("\u{600}1"), ["\u{600}1"]);
        assert_eq!(split(""), Vec::<&str>::new());
    }

    #[test]
    fn indic_conjuncts_split_as_sms_tools_count() {
        // Consonant + virama + consonant: one cluster since Unicode 15.1 (GB9c), two for
        // Twilio's calculator, whose counts we match (the SMS oracle test has this case).
        assert_eq!(split("क्क"), ["क्", "क"]);
    }
}
