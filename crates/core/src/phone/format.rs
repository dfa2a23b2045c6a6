//! Formatting phone numbers the way people write them — `+33 6 12 34 56 78`,
//! `06 12 34 56 78`, `(212) 555-0123` — with libphonenumber's own per-region number
//! formats, and the list of regions with their calling codes and example numbers.
//!
//! The steps follow libphonenumber-js's `PhoneNumber.format()`, so that results agree with
//! it (a test runs `libphonenumber-js/max` as an oracle): parse the number as
//! libphonenumber-js does (also numbers that are not valid), pick the first of the
//! region's formats whose leading digits and pattern fit, and rewrite the national number
//! with it. Formats are compiled on first use per region, like the validity patterns.

use std::sync::OnceLock;

use serde::Serialize;

use super::data::{CALLING_CODES, EXAMPLES, IDD_PATTERNS, PREFERRED_IDD};
use super::pattern::{Captures, Pattern};
use super::store::{self, FormatFields};
use super::{main_region, parse_parts, region_calling_code, region_iso, PhoneError, REGION_COUNT};

/// How to write a number: libphonenumber's `E.164`, `INTERNATIONAL` and `NATIONAL`.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FormatStyle {
    /// `+33612345678`: `+`, the calling code and the national number, nothing else.
    #[serde(rename = "E.164")]
    E164,
    /// `+33 6 12 34 56 78`: the calling code, then the number grouped as in its region.
    #[serde(rename = "INTERNATIONAL")]
    International,
    /// `06 12 34 56 78`: as dialled within the region, national prefix included.
    #[serde(rename = "NATIONAL")]
    National,
}

impl FormatStyle {
    /// Every style.
    pub const ALL: [FormatStyle; 3] = [
        FormatStyle::E164,
        FormatStyle::International,
        FormatStyle::National,
    ];

    /// The style by its libphonenumber name (`E.164`, `INTERNATIONAL`, `NATIONAL`).
    pub fn parse(name: &str) -> Option<FormatStyle> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The libphonenumber name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FormatStyle::E164 => "E.164",
            FormatStyle::International => "INTERNATIONAL",
            FormatStyle::National => "NATIONAL",
        }
    }
}

/// Formats a phone number, as libphonenumber-js/max's
/// `parsePhoneNumberFromString(input, country_iso).format(style)`.
///
/// The input is read as by [`parse`](super::parse) (E.164, or national digits with the
/// country they belong to); numbers that parse but are not valid are formatted too, as
/// libphonenumber-js does (a number no format fits is written ungrouped).
///
/// ```
/// use smsotp_core::phone::{format, FormatStyle};
///
/// let intl = format("0612345678", Some("FR"), FormatStyle::International);
/// assert_eq!(intl.as_deref(), Ok("+33 6 12 34 56 78"));
/// let national = format("+1 212 555 0123", None, FormatStyle::National);
/// assert_eq!(national.as_deref(), Ok("(212) 555-0123"));
/// assert_eq!(
///     format("(212) 555-0123", Some("US"), FormatStyle::E164).as_deref(),
///     Ok("+12125550123")
/// );
/// assert!(format("hello", Some("US"), FormatStyle::National).is_err());
/// ```
pub fn format(
    input: &str,
    country_iso: Option<&str>,
    style: FormatStyle,
) -> Result<String, PhoneError> {
    store::checked(|| format_unchecked(input, country_iso, style))?
}

fn format_unchecked(
    input: &str,
    country_iso: Option<&str>,
    style: FormatStyle,
) -> Result<String, PhoneError> {
    let parts = parse_parts(input, country_iso)?;
    let code = parts.calling_code;
    let national = parts.national.as_str();
    Ok(match style {
        FormatStyle::E164 => format!("+{code}{national}"),
        FormatStyle::International => {
            format!("+{code} {}", format_national(national, parts.region, true))
        }
        FormatStyle::National => format_national(national, parts.region, false),
    })
}

/// libphonenumber-js's `formatNationalNumber`: the national number written with the first
/// format of the region that fits it, or as it is when none does.
fn format_national(national: &str, region_index: usize, international: bool) -> String {
    let formats = formats_for(region_index);
    let chosen = formats.iter().find(|f| {
        f.leading.last().is_none_or(|l| {
            l.as_ref()
                .is_some_and(|p| p.match_prefix(national).is_some())
        }) && f
            .pattern
            .as_ref()
            .is_some_and(|p| p.matches_entirely(national))
    });
    match chosen {
        Some(f) => f.apply(national, international, true),
        None => national.to_owned(),
    }
}

/// One of libphonenumber's number formats (`<numberFormat>`).
#[derive(Debug)]
pub(super) struct NumberFormat {
    /// The pattern the national number must match, groups captured.
    pub pattern_src: &'static str,
    pub pattern: Option<Pattern>,
    /// `$1 $2 $3`: how the groups are written within the region.
    pub format: &'static str,
    /// How they are written after the calling code.
    pub intl_format: &'static str,
    /// `0$1`: how the first group is written with the national prefix; empty when never.
    pub np_rule: &'static str,
    /// The national prefix may be left out when writing the number in national format.
    pub np_optional: bool,
    /// Leading-digits patterns, each more detailed than the one before.
    pub leading_src: Vec<&'static str>,
    pub leading: Vec<Option<Pattern>>,
    /// The pattern as-you-type formatting writes its template with (see `dummy_pattern`).
    dummy: OnceLock<Option<Pattern>>,
}

impl NumberFormat {
    fn decode(fields: FormatFields) -> NumberFormat {
        let [pattern_src, format, intl_format, np_rule, np_optional, leading] = fields;
        let intl_format = if intl_format.is_empty() {
            format
        } else {
            intl_format
        };
        let np_optional = np_optional == "1";
        let leading_src: Vec<&'static str> = leading.split(' ').filter(|l| !l.is_empty()).collect();
        NumberFormat {
            pattern_src,
            pattern: Pattern::new(pattern_src).ok(),
            format,
            intl_format,
            np_rule,
            np_optional,
            leading: leading_src.iter().map(|l| Pattern::new(l).ok()).collect(),
            leading_src,
            dummy: OnceLock::new(),
        }
    }

    /// The format for national or international writing.
    pub fn format_for(&self, international: bool) -> &'static str {
        if international {
            self.intl_format
        } else {
            self.format
        }
    }

    /// The formatting rule writes a national prefix (not only brackets around `$1`).
    pub fn uses_national_prefix(&self) -> bool {
        let rule = self.np_rule.as_bytes();
        let bare = rule.strip_prefix(b"(").unwrap_or(rule);
        let bare = bare.strip_suffix(b")").unwrap_or(bare);
        !rule.is_empty() && bare != b"$1"
    }

    /// libphonenumber-js's `formatNationalNumberUsingFormat`: `number` (which the pattern
    /// matches) rewritten with the national or international format, the national prefix
    /// written when `with_national_prefix` and the format has a rule for it.
    pub fn apply(&self, number: &str, international: bool, with_national_prefix: bool) -> String {
        let Some(m) = self.pattern.as_ref().and_then(|p| p.match_prefix(number)) else {
            return number.to_owned();
        };
        let template = if international {
            self.intl_format.to_owned()
        } else if with_national_prefix && !self.np_rule.is_empty() {
            with_first_group_rule(self.format, self.np_rule)
        } else {
            self.format.to_owned()
        };
        let mut out = expand(&template, number, &m);
        out.push_str(&number[m.end..]);
        if international {
            international_separators(&out)
        } else {
            out
        }
    }

    /// libphonenumber-js's as-you-type formatter writes a template by matching the pattern,
    /// its character classes and most literal digits made `\d`, against a run of nines.
    pub fn dummy_pattern(&self) -> Option<&Pattern> {
        self.dummy
            .get_or_init(|| Pattern::new(&dummy_pattern_src(self.pattern_src)).ok())
            .as_ref()
    }
}

/// The pattern with `[…]` classes replaced by `\d`, then every digit followed by two
/// characters that are neither `,` nor `}` (a literal digit, not a repetition count).
fn dummy_pattern_src(src: &str) -> String {
    let bytes = src.as_bytes();
    let mut classes = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let close = bytes[i + 1..]
                .iter()
                .position(|&c| c == b']' || c == b'[')
                .map(|p| i + 1 + p);
            if let Some(end) = close.filter(|&e| bytes[e] == b']') {
                classes.extend_from_slice(b"\\d");
                i = end + 1;
                continue;
            }
        }
        classes.push(bytes[i]);
        i += 1;
    }
    let mut out = String::with_capacity(classes.len() + 8);
    for (i, &c) in classes.iter().enumerate() {
        let literal_digit = c.is_ascii_digit()
            && classes
                .get(i + 1..i + 3)
                .is_some_and(|next| next.iter().all(|n| *n != b',' && *n != b'}'));
        if literal_digit {
            out.push_str("\\d");
        } else {
            out.push(c as char);
        }
    }
    out
}

/// The format with its first `$n` replaced by the national-prefix formatting rule, whose
/// `$1` stands for that `$n` (JavaScript's `format.replace(/(\$\d)/, rule)`).
pub(super) fn with_first_group_rule(format: &str, rule: &str) -> String {
    let bytes = format.as_bytes();
    let Some(at) = (0..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'$' && bytes[i + 1].is_ascii_digit())
    else {
        return format.to_owned();
    };
    let group = &format[at..at + 2];
    let mut out = String::with_capacity(format.len() + rule.len());
    out.push_str(&format[..at]);
    let mut rest = rule;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with("$1") {
            out.push_str(group);
            rest = &rest[i + 2..];
        } else {
            out.push('$');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out.push_str(&format[at + 2..]);
    out
}

/// A replacement template with `$n` (1–9) replaced by the match's groups, `$$` by `$`,
/// as in JavaScript's `String.prototype.replace`; the text the match replaces is what the
/// caller cuts out.
pub(super) fn expand(template: &str, text: &str, m: &Captures) -> String {
    let mut out = String::with_capacity(template.len() + text.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('$') => {
                chars.next();
                out.push('$');
            }
            Some(d @ '1'..='9') if (d as usize - '0' as usize) <= m.group_count() => {
                chars.next();
                out.push_str(m.group(text, d as usize - '0' as usize).unwrap_or(""));
            }
            _ => out.push('$'),
        }
    }
    out
}

/// libphonenumber-js's punctuation: dashes, slashes, dots, white space, brackets, tildes.
pub(super) fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{30FC}'
                | '\u{FF0D}'
                | '\u{FF0F}'
                | '/'
                | '\u{FF0E}'
                | '.'
                | ' '
                | '\u{A0}'
                | '\u{AD}'
                | '\u{200B}'
                | '\u{2060}'
                | '\u{3000}'
                | '('
                | ')'
                | '\u{FF08}'
                | '\u{FF09}'
                | '\u{FF3B}'
                | '\u{FF3D}'
                | '['
                | ']'
                | '~'
                | '\u{2053}'
                | '\u{223C}'
                | '\u{FF5E}'
    )
}

/// libphonenumber-js's `applyInternationalSeparatorStyle`: every run of punctuation becomes
/// one space (`(212) 555-0123` → `212 555 0123`), ends trimmed. The text is made of
/// formats and digits, so the only white space left to trim is the space.
pub(super) fn international_separators(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if is_punctuation(c) {
            if !in_run {
                out.push(' ');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    let start = out.bytes().position(|b| b != b' ').unwrap_or(out.len());
    let end = out
        .bytes()
        .rposition(|b| b != b' ')
        .map_or(start, |e| e + 1);
    out[start..end].to_owned()
}

static COMPILED: [OnceLock<Vec<NumberFormat>>; REGION_COUNT] =
    [const { OnceLock::new() }; REGION_COUNT];

/// A region's own formats, compiled on first use (none, noted, when not loaded).
fn own_formats(index: usize) -> &'static [NumberFormat] {
    if let Some(compiled) = COMPILED[index].get() {
        return compiled;
    }
    match store::formats(index) {
        Some(fields) => {
            COMPILED[index].get_or_init(|| fields.into_iter().map(NumberFormat::decode).collect())
        }
        None => &[],
    }
}

/// The formats a region's numbers are written with: its own, else those of the main
/// region of its calling code (Guernsey's are the United Kingdom's).
pub(super) fn formats_for(index: usize) -> &'static [NumberFormat] {
    let own = own_formats(index);
    if !own.is_empty() {
        return own;
    }
    match main_region(region_calling_code(index)) {
        Some(main) if main != index => own_formats(main),
        _ => own,
    }
}

/// A region as listed by [`countries_info`].
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountryInfo {
    /// ISO 3166-1 alpha-2 code (`FR`).
    pub country_iso: &'static str,
    /// Country calling code (33).
    pub calling_code: u16,
    /// An example mobile number in E.164 (`+33612345678`), from libphonenumber's metadata.
    pub example_number: String,
    /// This region is the main one of its calling code (US for +1, GB for +44): the one
    /// whose formats and rules the others sharing the code fall back on.
    pub main_region: bool,
    /// The prefix dialled there before a foreign number (`00`, `011`), when there is one
    /// to show (libphonenumber's preferred or only international prefix).
    pub international_prefix: Option<&'static str>,
}

/// Every region with phone numbers (245), sorted by ISO code: its calling code, an example
/// number and whether it is the main region of its calling code.
pub fn countries_info() -> Vec<CountryInfo> {
    (0..REGION_COUNT)
        .zip(EXAMPLES.split(' '))
        .zip(IDD_PATTERNS.split(' '))
        .map(|((index, example), idd)| {
            let (iso, calling_code) = (region_iso(index), region_calling_code(index));
            let preferred = PREFERRED_IDD
                .iter()
                .find(|(i, _)| *i == iso)
                .map_or("", |(_, p)| p);
            // libphonenumber-js's getIddPrefix: the preferred prefix, else the IDD pattern
            // when it is one prefix (digits, maybe a tilde for "wait for the tone").
            let single = |p: &str| {
                let mut parts = p.split(['~', '\u{2053}', '\u{223C}', '\u{FF5E}']);
                let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                parts.next().is_some_and(digits)
                    && parts.next().is_none_or(digits)
                    && parts.next().is_none()
            };
            let international_prefix = [preferred, idd]
                .into_iter()
                .enumerate()
                .find(|&(i, p)| !p.is_empty() && (i == 0 || single(p)))
                .map(|(_, p)| p);
            let main_region = CALLING_CODES
                .binary_search_by_key(&calling_code, |(c, _)| *c)
                .ok()
                .and_then(|i| CALLING_CODES[i].1.split(' ').next())
                == Some(iso);
            CountryInfo {
                country_iso: iso,
                calling_code,
                example_number: format!("+{calling_code}{example}"),
                main_region,
                international_prefix,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_in_the_metadata_decodes_and_compiles() {
        let mut count = 0;
        use crate::phone::data::FORMATS;
        for (i, iso) in crate::phone::countries().enumerate() {
            let src = FORMATS.split('\n').nth(i).unwrap();
            let formats = own_formats(i);
            assert_eq!(
                formats.len(),
                src.split('!').filter(|f| !f.is_empty()).count(),
                "{iso}"
            );
            for f in formats {
                assert!(f.pattern.is_some(), "{iso} {}", f.pattern_src);
                for (l, src) in f.leading.iter().zip(&f.leading_src) {
                    assert!(l.is_some(), "{iso} leading {src}");
                }
                count += 1;
            }
        }
        assert!(count > 600, "{count} formats");
        assert_eq!(FORMATS.split('\n').count(), REGION_COUNT);
        assert_eq!(EXAMPLES.split(' ').count(), REGION_COUNT);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        use crate::phone::{format, PhoneError};
        let long = "6".repeat(100_000);
        for style in FormatStyle::ALL {
            assert_eq!(format("", Some("FR"), style), Err(PhoneError::Empty));
            assert_eq!(format("  ", None, style), Err(PhoneError::Empty));
            assert_eq!(
                format("0612345678", None, style),
                Err(PhoneError::CountryRequired)
            );
            assert_eq!(
                format("0612345678", Some("ZZ"), style),
                Err(PhoneError::UnknownCountry)
            );
            for input in [
                "abc",
                "+33 6 12 34 56 7a",
                "٠١٢٣٤٥٦٧٨٩",
                "+",
                "+0",
                "+999 123",
                "😀",
                long.as_str(),
                "+3",
            ] {
                for country in [None, Some("FR"), Some("ĀĀ"), Some("F")] {
                    assert!(
                        format(input, country, style).is_err(),
                        "{input:?} {country:?}"
                    );
                }
            }
            // A full-width plus is read as a plus.
            assert!(format("\u{FF0B}33612345678", None, style).is_ok());
        }
    }

    #[test]
    fn styles_by_name() {
        for style in FormatStyle::ALL {
            assert_eq!(FormatStyle::parse(style.as_str()), Some(style));
        }
        assert_eq!(FormatStyle::parse("national"), None);
        assert_eq!(FormatStyle::parse("E164"), None);
    }

    #[test]
    fn first_group_rule_and_separators() {
        assert_eq!(with_first_group_rule("$1 $2", "0$1"), "0$1 $2");
        assert_eq!(with_first_group_rule("$2 15-$3", "0$1"), "0$2 15-$3");
        assert_eq!(with_first_group_rule("x", "0$1"), "x");
        assert_eq!(international_separators("(212) 555-0123"), "212 555 0123");
        assert_eq!(
            dummy_pattern_src("(\\d{3})(\\d{2,3})"),
            "(\\d{3})(\\d{2,3})"
        );
        assert_eq!(
            dummy_pattern_src("(20)([1-9]\\d{3})"),
            "(\\d\\d)(\\d\\d{3})"
        );
    }

    #[test]
    fn every_region_is_listed_once_with_one_main_region_per_code() {
        let all = countries_info();
        assert_eq!(all.len(), REGION_COUNT);
        let fr = all.iter().find(|c| c.country_iso == "FR").unwrap();
        assert_eq!(
            (fr.calling_code, fr.example_number.as_str(), fr.main_region),
            (33, "+33612345678", true)
        );
        assert_eq!(fr.international_prefix, Some("00"));
        let gg = all.iter().find(|c| c.country_iso == "GG").unwrap();
        assert!(!gg.main_region);
        let us = all.iter().find(|c| c.country_iso == "US").unwrap();
        assert_eq!(us.international_prefix, Some("011"));
        for (code, _) in CALLING_CODES {
            let mains = all
                .iter()
                .filter(|c| c.calling_code == *code && c.main_region)
                .count();
            assert_eq!(mains, 1, "+{code}");
        }
    }
}
