//! Phone numbers: E.164 or national format + country → E.164, the region and whether the
//! number is valid there (its length and leading digits fit one of the region's number
//! types in libphonenumber's metadata).
//!
//! The parsing steps follow libphonenumber(-js) so that results agree with it (a test runs
//! `libphonenumber-js/max` as an oracle): strip an international dialling prefix, extract
//! the calling code, strip the national prefix (with the region's transform rule), pick the
//! region among those sharing the calling code, then match the number-type patterns. The
//! metadata is compiled into `data.rs` by `crates/core/data/gen-phone-data.mjs`, and each
//! region's patterns are compiled on first use, so a cold call costs microseconds. With the
//! `lazy-metadata` feature (the npm package) only an index is compiled in and each region's
//! metadata is loaded at run time ([`load_region`]); a call that needs a region not loaded
//! answers [`PhoneError::MetadataMissing`] (see `store.rs`).
//!
//! Numbers are also written the way people write them ([`format()`], in E.164, international
//! or national style) and formatted as they are typed ([`AsYouType`]), with libphonenumber's
//! per-region number formats; [`countries_info`] lists the regions with their calling codes
//! and example numbers.

mod as_you_type;
mod data;
mod format;
mod leading;
mod pattern;
mod store;

use std::sync::OnceLock;

use serde::Serialize;

use self::data::{CALLING_CODES, ISO_CODES, LEADING_DIGITS, REGION_CALLING_CODES, REGION_COUNT};
use self::pattern::Pattern;

pub use self::as_you_type::AsYouType;
pub use self::data::SOURCE as METADATA_SOURCE;
pub use self::format::{countries_info, format, CountryInfo, FormatStyle};
pub use self::store::{
    is_region_loaded, load_region, needing_metadata, region_asset, regions_to_load, LoadError,
    MetadataMissing, METADATA_EMBEDDED,
};

/// A parsed, valid phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    /// `+` and up to 15 digits.
    pub e164: String,
    /// ISO 3166-1 alpha-2 code of the region the number belongs to.
    pub country_iso: &'static str,
    /// Country calling code (33 for France).
    pub calling_code: u16,
    /// The national significant number (no national prefix).
    pub national_number: String,
    /// What kind of number it is (mobile, fixed line, …), by the region's metadata.
    pub number_type: NumberType,
}

impl PhoneNumber {
    /// The number with all but the last two digits masked, for logs: `+33*******78`.
    pub fn masked(&self) -> String {
        mask_phone(&self.e164)
    }
}

/// Masks every digit of a phone number but the calling code's first digit and the last two.
pub fn mask_phone(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen > 1 && seen + 2 <= digits {
                    return '*';
                }
            }
            c
        })
        .collect()
}

/// What `parse` says of an input, as a flat object for the npm package and the demo.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneCheck {
    /// The number is valid (then every field but `error` is set).
    pub valid: bool,
    /// E.164, when valid.
    pub e164: Option<String>,
    /// ISO 3166-1 alpha-2 region, when valid.
    pub country_iso: Option<String>,
    /// Country calling code, when valid.
    pub calling_code: Option<u16>,
    /// The national significant number, when valid.
    pub national_number: Option<String>,
    /// The number's type, when valid.
    pub number_type: Option<NumberType>,
    /// Why the number is not valid.
    pub error: Option<String>,
}

/// `parse`, as a [`PhoneCheck`].
pub fn check(input: &str, country_iso: Option<&str>) -> PhoneCheck {
    match parse(input, country_iso) {
        Ok(p) => PhoneCheck {
            valid: true,
            e164: Some(p.e164),
            country_iso: Some(p.country_iso.to_owned()),
            calling_code: Some(p.calling_code),
            national_number: Some(p.national_number),
            number_type: Some(p.number_type),
            error: None,
        },
        Err(e) => PhoneCheck {
            valid: false,
            e164: None,
            country_iso: None,
            calling_code: None,
            national_number: None,
            number_type: None,
            error: Some(e.reason().to_owned()),
        },
    }
}

/// libphonenumber's number types.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NumberType {
    /// A fixed-line (landline) number.
    FixedLine,
    /// A mobile number.
    Mobile,
    /// Fixed line and mobile numbers cannot be told apart in the region (NANP, …).
    FixedLineOrMobile,
    /// A toll-free number (free for the caller).
    TollFree,
    /// A premium-rate number (charged above normal rates).
    PremiumRate,
    /// A shared-cost number (the cost split between caller and callee).
    SharedCost,
    /// A voice-over-IP number.
    Voip,
    /// A personal number (routed to another number the person chooses).
    PersonalNumber,
    /// A pager number.
    Pager,
    /// A universal access number (a company's number reaching its offices).
    Uan,
    /// A number reaching a voicemail box directly.
    Voicemail,
}

impl NumberType {
    /// Every type, in declaration order.
    pub const ALL: [NumberType; 11] = [
        NumberType::FixedLine,
        NumberType::Mobile,
        NumberType::FixedLineOrMobile,
        NumberType::TollFree,
        NumberType::PremiumRate,
        NumberType::SharedCost,
        NumberType::Voip,
        NumberType::PersonalNumber,
        NumberType::Pager,
        NumberType::Uan,
        NumberType::Voicemail,
    ];

    /// The wire name (`MOBILE`, `FIXED_LINE`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            NumberType::FixedLine => "FIXED_LINE",
            NumberType::Mobile => "MOBILE",
            NumberType::FixedLineOrMobile => "FIXED_LINE_OR_MOBILE",
            NumberType::TollFree => "TOLL_FREE",
            NumberType::PremiumRate => "PREMIUM_RATE",
            NumberType::SharedCost => "SHARED_COST",
            NumberType::Voip => "VOIP",
            NumberType::PersonalNumber => "PERSONAL_NUMBER",
            NumberType::Pager => "PAGER",
            NumberType::Uan => "UAN",
            NumberType::Voicemail => "VOICEMAIL",
        }
    }
}

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing but white space.
    Empty,
    /// A national-format number without a country.
    CountryRequired,
    /// The country code given is not a known ISO 3166-1 alpha-2 region.
    UnknownCountry,
    /// Not a valid number; the text says why.
    Invalid(&'static str),
    /// The answer needs this region's metadata, which is not loaded (only with the
    /// `lazy-metadata` feature; load it with [`load_region`] and ask again).
    MetadataMissing(&'static str),
}

impl From<MetadataMissing> for PhoneError {
    fn from(m: MetadataMissing) -> PhoneError {
        PhoneError::MetadataMissing(m.0)
    }
}

impl PhoneError {
    /// Why, in a few words (`parsePhoneNumber(…).error`).
    pub fn reason(&self) -> &'static str {
        match self {
            PhoneError::Empty => "empty",
            PhoneError::CountryRequired => {
                "a national-format number needs its country (countryIso)"
            }
            PhoneError::UnknownCountry => "unknown country code",
            PhoneError::Invalid(why) => why,
            PhoneError::MetadataMissing(_) => "metadata missing: load the region first",
        }
    }
}

/// Longest input accepted, separators included.
const MAX_INPUT_LEN: usize = 40;
const MIN_NATIONAL_LEN: usize = 2;
const MAX_NATIONAL_LEN: usize = 17;

// Field indexes of a region record (see the generator).
const F_IDD: usize = 0;
const F_NATIONAL_PREFIX: usize = 1;
const F_PREFIX_FOR_PARSING: usize = 2;
const F_TRANSFORM: usize = 3;
const F_LENGTHS: usize = 5;
const F_TYPES: usize = 6;
const F_GENERAL: usize = 16;
const FIELDS: usize = 17;

/// Number types in libphonenumber's metadata order (fields 6..15).
const TYPE_ORDER: [NumberType; 10] = [
    NumberType::FixedLine,
    NumberType::Mobile,
    NumberType::TollFree,
    NumberType::PremiumRate,
    NumberType::PersonalNumber,
    NumberType::Voicemail,
    NumberType::Uan,
    NumberType::Pager,
    NumberType::Voip,
    NumberType::SharedCost,
];
/// The order in which libphonenumber tries the non-fixed-line types.
const NON_FIXED_ORDER: [usize; 9] = [1, 3, 2, 9, 8, 4, 7, 6, 5];

/// A region's metadata with its patterns compiled.
struct Region {
    iso: &'static str,
    calling_code: u16,
    idd: Option<Pattern>,
    /// The national prefix (`0`, `8`, …), empty when none.
    national_prefix: &'static str,
    /// The national prefix for parsing as given (empty: the national prefix is used).
    prefix_for_parsing_src: &'static str,
    prefix_for_parsing: Option<Pattern>,
    transform: &'static str,
    lengths: Vec<u8>,
    /// The general national-number pattern (a loose union of the types).
    general: Option<Pattern>,
    types: [Option<Pattern>; 10],
    /// The mobile pattern is the fixed-line one (NANP and others): one match decides both.
    mobile_is_fixed: bool,
}

static COMPILED: [OnceLock<Region>; REGION_COUNT] = [const { OnceLock::new() }; REGION_COUNT];

fn compile(src: &str) -> Option<Pattern> {
    // Patterns are generated and a test compiles every one; an uncompilable pattern would
    // only make the numbers it describes invalid, never panic.
    (!src.is_empty()).then(|| Pattern::new(src).ok()).flatten()
}

fn parse_lengths(src: &str) -> Vec<u8> {
    src.split(',').filter_map(|l| l.parse().ok()).collect()
}

/// Region `index`'s ISO code (from the index).
pub(super) fn region_iso(index: usize) -> &'static str {
    ISO_CODES.get(2 * index..2 * index + 2).unwrap_or("")
}

/// Region `index`'s calling code (from the index).
pub(super) fn region_calling_code(index: usize) -> u16 {
    REGION_CALLING_CODES.get(index).copied().unwrap_or(0)
}

/// Region `index`'s leading-digits pattern (some regions of shared calling codes), from the
/// index: a region is found by it without its metadata.
pub(super) fn leading_digits(index: usize) -> Option<&'static Pattern> {
    static COMPILED: [OnceLock<Option<Pattern>>; REGION_COUNT] =
        [const { OnceLock::new() }; REGION_COUNT];
    COMPILED
        .get(index)?
        .get_or_init(|| compile(LEADING_DIGITS.split('\n').nth(index).unwrap_or("")))
        .as_ref()
}

/// Region `index`'s metadata, compiled on first use. In the `lazy-metadata` build, a region
/// not loaded gives an empty stand-in (no number is valid in it) and is noted, so that the
/// call's answer is replaced by `MetadataMissing` (`store::checked`).
fn region(index: usize) -> &'static Region {
    if let Some(compiled) = COMPILED[index].get() {
        return compiled;
    }
    let Some(record) = store::record(index) else {
        static STAND_IN: OnceLock<Region> = OnceLock::new();
        return STAND_IN.get_or_init(|| compile_region(0, ""));
    };
    COMPILED[index].get_or_init(|| compile_region(index, record))
}

fn compile_region(index: usize, record: &'static str) -> Region {
    {
        let (iso, calling_code) = (region_iso(index), region_calling_code(index));
        let mut f = [""; FIELDS];
        for (slot, field) in f.iter_mut().zip(record.split(';')) {
            *slot = field;
        }
        let national_prefix = f[F_NATIONAL_PREFIX];
        let prefix_for_parsing = if f[F_PREFIX_FOR_PARSING].is_empty() {
            national_prefix
        } else {
            f[F_PREFIX_FOR_PARSING]
        };
        let fixed = f[F_TYPES];
        let types = std::array::from_fn(|i| {
            let mut src = f[F_TYPES + i];
            if i == 1 && src == "=" {
                src = fixed;
            }
            compile(src)
        });
        Region {
            iso,
            calling_code,
            idd: compile(f[F_IDD]),
            national_prefix,
            prefix_for_parsing_src: f[F_PREFIX_FOR_PARSING],
            prefix_for_parsing: compile(prefix_for_parsing),
            transform: f[F_TRANSFORM],
            lengths: parse_lengths(f[F_LENGTHS]),
            general: compile(f[F_GENERAL]),
            types,
            mobile_is_fixed: f[F_TYPES + 1] == "=",
        }
    }
}

/// The index of a region by its ISO code (case-insensitive).
fn region_index(iso: &str) -> Option<usize> {
    let &[a, b] = iso.as_bytes() else {
        return None;
    };
    let upper = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
    let (mut low, mut high) = (0, REGION_COUNT);
    while low < high {
        let mid = (low + high) / 2;
        match ISO_CODES.as_bytes()[2 * mid..2 * mid + 2].cmp(&upper[..]) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// Is this an ISO 3166-1 alpha-2 code of a region with phone numbers?
pub fn is_known_country(iso: &str) -> bool {
    region_index(iso).is_some()
}

/// The country calling code of a region (`FR` → 33).
pub fn calling_code_of(iso: &str) -> Option<u16> {
    region_index(iso).map(|i| REGION_CALLING_CODES[i])
}

/// All regions' ISO codes, sorted.
pub fn countries() -> impl Iterator<Item = &'static str> {
    (0..REGION_COUNT).map(region_iso)
}

fn regions_for_calling_code(code: u16) -> Option<impl Iterator<Item = usize> + Clone> {
    let i = CALLING_CODES
        .binary_search_by_key(&code, |(c, _)| *c)
        .ok()?;
    Some(CALLING_CODES[i].1.split(' ').filter_map(region_index))
}

fn main_region(code: u16) -> Option<usize> {
    regions_for_calling_code(code)?.next()
}

enum LengthCheck {
    Possible,
    TooShort,
    TooLong,
    InvalidLength,
}

fn check_length(national: &str, lengths: &[u8]) -> LengthCheck {
    let len = national.len();
    match (lengths.first(), lengths.last()) {
        (Some(&min), Some(&max)) => {
            if len < min as usize {
                LengthCheck::TooShort
            } else if len > max as usize {
                LengthCheck::TooLong
            } else if lengths.contains(&(len as u8)) {
                LengthCheck::Possible
            } else {
                LengthCheck::InvalidLength
            }
        }
        _ => LengthCheck::Possible,
    }
}

impl Region {
    /// Does libphonenumber's general national-number pattern match all of `national`?
    fn fits(&self, national: &str) -> bool {
        match &self.general {
            Some(general) => general.matches_entirely(national),
            None => {
                self.lengths.contains(&(national.len() as u8))
                    && self.number_type(national).is_some()
            }
        }
    }

    fn type_matches(&self, national: &str, index: usize) -> bool {
        let Some(pattern) = &self.types[index] else {
            return false;
        };
        let lengths = &self.lengths;
        if !lengths.is_empty() && !lengths.contains(&(national.len() as u8)) {
            return false;
        }
        pattern.matches_entirely(national)
    }

    /// libphonenumber's getNumberType: `None` means not a valid number of this region.
    fn number_type(&self, national: &str) -> Option<NumberType> {
        if self.type_matches(national, 0) {
            return Some(
                if self.mobile_is_fixed || self.types[1].is_none() || self.type_matches(national, 1)
                {
                    NumberType::FixedLineOrMobile
                } else {
                    NumberType::FixedLine
                },
            );
        }
        NON_FIXED_ORDER
            .iter()
            .find(|&&i| self.type_matches(national, i))
            .map(|&i| TYPE_ORDER[i])
    }

    /// Strips the national prefix (and applies the transform rule), as libphonenumber's
    /// `extractNationalNumberFromPossiblyIncompleteNumber`.
    fn strip_national_prefix(&self, number: &str) -> String {
        self.strip_national_prefix_keeping_it(number).0
    }

    /// [`Region::strip_national_prefix`], also returning the national prefix when what was
    /// stripped was one (as-you-type formatting shows it: `0 6 12…` in France).
    fn strip_national_prefix_keeping_it(&self, number: &str) -> (String, Option<String>) {
        let Some(prefix) = self
            .prefix_for_parsing
            .as_ref()
            .filter(|_| !number.is_empty())
        else {
            return (number.to_owned(), None);
        };
        let Some(m) = prefix.match_prefix(number) else {
            return (number.to_owned(), None);
        };
        let groups = m.group_count();
        let last_group = (groups > 0)
            .then(|| m.group(number, groups))
            .flatten()
            .filter(|g| !g.is_empty());
        let national_prefix = if last_group.is_some() {
            // libphonenumber-js looks for the first group's text in the number; a group that
            // took no part is looked up as the text "undefined", never found (index -1), so
            // the candidate is all but the last digit.
            let found = m.group(number, 1).and_then(|g| {
                // str::find with a &str pattern costs kilobytes of wasm; groups are short.
                (0..=number.len().saturating_sub(g.len()))
                    .find(|&at| number.as_bytes()[at..].starts_with(g.as_bytes()))
            });
            let candidate = match found {
                Some(at) => &number[..at],
                None => &number[..number.len() - 1],
            };
            (!self.national_prefix.is_empty() && candidate == self.national_prefix)
                .then(|| candidate.to_owned())
        } else {
            Some(number[..m.end].to_owned())
        };
        let national_prefix = national_prefix.filter(|p| !p.is_empty());
        let national = if !self.transform.is_empty() && last_group.is_some() {
            let mut out = String::new();
            let mut chars = self.transform.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                    ('$', Some(n)) => {
                        chars.next();
                        out.push_str(m.group(number, n as usize).unwrap_or(""));
                    }
                    _ => out.push(c),
                }
            }
            out.push_str(&number[m.end..]);
            out
        } else {
            number[m.end..].to_owned()
        };
        (national, national_prefix)
    }
}

/// libphonenumber's `extractNationalNumber`: strip the national prefix unless doing so
/// leaves something that cannot be a complete number.
fn extract_national_number(number: &str, plan: &Region, calling_code: u16) -> String {
    let national = plan.strip_national_prefix(number);
    if national == number {
        return national;
    }
    if plan.fits(number) && !plan.fits(&national) {
        return number.to_owned();
    }
    let lengths = match region_by_national_number(calling_code, &national) {
        Some((i, _)) => &region(i).lengths,
        None => &plan.lengths,
    };
    match check_length(&national, lengths) {
        LengthCheck::TooShort | LengthCheck::InvalidLength => number.to_owned(),
        LengthCheck::Possible | LengthCheck::TooLong => national,
    }
}

/// libphonenumber's `getCountryByCallingCode`: the region among those sharing a calling
/// code whose leading digits or number types fit the national number, with the number's
/// type when it was computed on the way.
fn region_by_national_number(
    calling_code: u16,
    national: &str,
) -> Option<(usize, Option<Option<NumberType>>)> {
    let candidates = regions_for_calling_code(calling_code)?;
    if candidates.clone().nth(1).is_none() {
        return candidates.clone().next().map(|i| (i, None));
    }
    candidates
        .into_iter()
        .find_map(|i| match leading_digits(i) {
            Some(leading) => (!national.is_empty() && leading.match_prefix(national).is_some())
                .then_some((i, None)),
            None => region(i).number_type(national).map(|t| (i, Some(Some(t)))),
        })
}

/// Digits of the input with the usual separators removed; `None` if anything else is there.
fn normalise(input: &str) -> Option<(bool, String)> {
    let trimmed = input.trim();
    let (plus, rest) = match trimmed
        .strip_prefix('+')
        .or(trimmed.strip_prefix('\u{FF0B}'))
    {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{A0}' | '\u{2010}'..='\u{2015}' => {}
            _ => return None,
        }
    }
    Some((plus, digits))
}

/// Finds the calling code at the start of `digits` (1 to 3 digits).
fn split_calling_code(digits: &str) -> Option<(u16, &str)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=3.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        CALLING_CODES
            .binary_search_by_key(&code, |(c, _)| *c)
            .ok()
            .map(|_| (code, &digits[n..]))
    })
}

/// Parses a phone number given in E.164 (`+33 6 12 34 56 78`) or in national format with
/// the country it belongs to (`06 12 34 56 78`, `FR`). Separators (space, `-`, `.`, `(`,
/// `)`, `/`) are ignored. `country_iso` is ignored for numbers starting with `+`.
///
/// With the `lazy-metadata` feature, a number whose answer needs a region not loaded is
/// refused with [`PhoneError::MetadataMissing`] (and no other answer).
pub fn parse(input: &str, country_iso: Option<&str>) -> Result<PhoneNumber, PhoneError> {
    store::checked(|| parse_unchecked(input, country_iso))?
}

fn parse_unchecked(input: &str, country_iso: Option<&str>) -> Result<PhoneNumber, PhoneError> {
    let Parts {
        calling_code,
        national,
        region: region_index,
        known_type,
    } = parse_parts(input, country_iso)?;
    let region = region(region_index);
    let number_type = known_type
        .unwrap_or_else(|| region.number_type(&national))
        .ok_or(PhoneError::Invalid("not a valid number for its country"))?;
    let e164 = format!("+{calling_code}{national}");
    if e164.len() > 16 {
        return Err(PhoneError::Invalid("longer than E.164 allows"));
    }
    Ok(PhoneNumber {
        e164,
        country_iso: region.iso,
        calling_code,
        national_number: national,
        number_type,
    })
}

/// A number as parsed before validity is decided (libphonenumber-js's `PhoneNumber`,
/// which it formats whether valid or not).
struct Parts {
    calling_code: u16,
    /// The national significant number, 2 to 17 digits.
    national: String,
    /// The region the number belongs to, else the region given for a national number, else
    /// the main region of its calling code.
    region: usize,
    /// The number's type when finding its region computed it (`Some(None)`: not valid).
    known_type: Option<Option<NumberType>>,
}

fn parse_parts(input: &str, country_iso: Option<&str>) -> Result<Parts, PhoneError> {
    if input.trim().is_empty() {
        return Err(PhoneError::Empty);
    }
    if input.len() > MAX_INPUT_LEN {
        return Err(PhoneError::Invalid("too long"));
    }
    let (plus, digits) = normalise(input).ok_or(PhoneError::Invalid(
        "only digits, a leading '+' and the separators space - . ( ) / are allowed",
    ))?;
    if digits.is_empty() {
        return Err(PhoneError::Invalid("no digits"));
    }

    // (calling code, digits after it, region given for a national number)
    let (calling_code, rest, default_region) = if plus {
        let (code, rest) = split_calling_code(&digits)
            .ok_or(PhoneError::Invalid("unknown country calling code"))?;
        (code, rest.to_owned(), None)
    } else {
        let country = country_iso
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(PhoneError::CountryRequired)?;
        let index = region_index(country).ok_or(PhoneError::UnknownCountry)?;
        let home = region(index);
        match international_without_plus(&digits, home) {
            Some((code, rest)) => (code, rest, None),
            None => (home.calling_code, digits.clone(), Some(index)),
        }
    };

    let plan_index = match default_region {
        Some(i) => i,
        None => {
            main_region(calling_code).ok_or(PhoneError::Invalid("unknown country calling code"))?
        }
    };
    let national = extract_national_number(&rest, region(plan_index), calling_code);
    if national.len() < MIN_NATIONAL_LEN {
        return Err(PhoneError::Invalid("too short"));
    }
    if national.len() > MAX_NATIONAL_LEN {
        return Err(PhoneError::Invalid("too long"));
    }
    let (region, known_type) = region_by_national_number(calling_code, &national)
        .or(default_region.map(|i| (i, None)))
        .unwrap_or((plan_index, None));
    Ok(Parts {
        calling_code,
        national,
        region,
        known_type,
    })
}

/// A number typed with the international dialling prefix (`00 33 …` in France) or with the
/// calling code but no `+` (`33 6 …`), as libphonenumber recognises them.
fn international_without_plus(digits: &str, home: &Region) -> Option<(u16, String)> {
    if let Some(m) = home.idd.as_ref().and_then(|idd| idd.match_prefix(digits)) {
        let after = &digits[m.end..];
        if m.end > 0 && !after.starts_with('0') {
            if let Some((code, rest)) = split_calling_code(after) {
                return Some((code, rest.to_owned()));
            }
        }
    }
    without_plus(digits, home).map(|rest| (home.calling_code, rest.to_owned()))
}

/// libphonenumber's `extractCountryCallingCodeFromInternationalNumberWithoutPlusSign`: the
/// digits after `home`'s calling code when `digits` look like an international number
/// typed without its `+` (`33 6 12 34 56 78` in France).
fn without_plus<'d>(digits: &'d str, home: &Region) -> Option<&'d str> {
    let code = home.calling_code.to_string();
    let shorter = digits.strip_prefix(code.as_str())?;
    let national_long = extract_national_number(digits, home, home.calling_code);
    let national_short = extract_national_number(shorter, home, home.calling_code);
    let long_fits = home.fits(&national_long);
    let short_fits = home.fits(&national_short);
    let too_long = matches!(
        check_length(&national_long, &home.lengths),
        LengthCheck::TooLong
    );
    ((!long_fits && short_fits) || too_long).then_some(shorter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_in_the_metadata_compiles() {
        for (i, iso) in countries().enumerate() {
            let record = store::record(i).unwrap();
            let fields: Vec<&str> = record.split(';').collect();
            assert_eq!(fields.len(), FIELDS, "{iso}");
            for (n, field) in fields.iter().enumerate() {
                if n == F_NATIONAL_PREFIX || n == F_TRANSFORM || n == F_LENGTHS || *field == "=" {
                    continue;
                }
                if !field.is_empty() {
                    Pattern::new(field).unwrap_or_else(|e| panic!("{iso} field {n}: {e:?}"));
                }
            }
            let r = region(i);
            assert!(r.types.iter().any(Option::is_some), "{iso}");
        }
    }

    #[test]
    fn e164_and_national_forms() {
        let fr = parse("+33 6 12 34 56 78", None).unwrap();
        assert_eq!((fr.e164.as_str(), fr.country_iso), ("+33612345678", "FR"));
        assert_eq!(fr.number_type, NumberType::Mobile);
        assert_eq!(parse("06 12 34 56 78", Some("fr")).unwrap(), fr);
        assert_eq!(parse("0033 6 12 34 56 78", Some("FR")).unwrap(), fr);
        assert_eq!(
            parse("(06) 12-34-56-78", Some("FR")).unwrap().e164,
            "+33612345678"
        );
        // countryIso is ignored for E.164 input.
        assert_eq!(parse("+33612345678", Some("ZZ")).unwrap(), fr);
    }

    #[test]
    fn shared_calling_codes_pick_the_right_region() {
        assert_eq!(
            parse("+1 212 555 0123", None).map(|p| p.country_iso),
            Ok("US")
        );
        assert_eq!(
            parse("+1 416 555 0123", None).map(|p| p.country_iso),
            Ok("CA")
        );
        assert_eq!(
            parse("+7 701 123 4567", None).map(|p| p.country_iso),
            Ok("KZ")
        );
        assert_eq!(
            parse("+7 912 345 6789", None).map(|p| p.country_iso),
            Ok("RU")
        );
        assert_eq!(
            parse("+44 20 7183 8750", None).map(|p| p.country_iso),
            Ok("GB")
        );
        // Ofcom's drama range is reserved, so not a valid number.
        assert!(parse("+44 7700 900123", None).is_err());
    }

    #[test]
    fn refusals() {
        assert_eq!(parse("   ", None), Err(PhoneError::Empty));
        assert_eq!(parse("0612345678", None), Err(PhoneError::CountryRequired));
        assert_eq!(
            parse("0612345678", Some("XX")),
            Err(PhoneError::UnknownCountry)
        );
        assert!(matches!(
            parse("+336124241xx", None),
            Err(PhoneError::Invalid(_))
        ));
        assert!(matches!(parse("+33 1", None), Err(PhoneError::Invalid(_))));
        assert!(matches!(
            parse("+33 6 12 34 56 78 9", None),
            Err(PhoneError::Invalid(_))
        ));
        assert!(matches!(
            parse("+999 1234567", None),
            Err(PhoneError::Invalid(_))
        ));
        assert!(matches!(
            parse("+0 1234567", None),
            Err(PhoneError::Invalid(_))
        ));
        assert!(matches!(
            parse(&"1".repeat(200), Some("FR")),
            Err(PhoneError::Invalid(_))
        ));
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        assert_eq!(mask_phone("+33612345678"), "+3********78");
        assert_eq!(mask_phone("+1"), "+1");
    }
}
