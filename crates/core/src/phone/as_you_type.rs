//! Formatting a phone number while it is typed, as libphonenumber-js's `AsYouType`:
//! `+3` → `+3`, `+336` → `+33 6`, `+33612` → `+33 6 12`, …, and `0612` with France as the
//! default country → `06 12`.
//!
//! The steps are libphonenumber-js's (`AsYouType`, its parser, state and formatter), so
//! that every intermediate text agrees with it (a test types every prefix of numbers of
//! every region into both): find an international prefix or calling code as digits
//! arrive, strip the national prefix, narrow the region's formats down by the leading
//! digits, then either format a complete number with the first format that fits or fill
//! a template of `x`s made from the chosen format with the digits typed so far.

use super::format::{
    expand, formats_for, international_separators, is_punctuation, with_first_group_rule,
    NumberFormat,
};
use super::leading::matches_leading;
use super::{
    check_length, leading_digits, region, region_calling_code, region_index, region_iso,
    regions_for_calling_code, split_calling_code, without_plus, LengthCheck,
};

/// The placeholder for a digit not typed yet in a template.
const PLACEHOLDER: char = 'x';
/// Templates are made by matching a format's pattern against this many nines.
const LONGEST_DUMMY: &str = "999999999999999";
/// Below this many digits, leading digits are matched with [`matches_leading`].
const MIN_LEADING_DIGITS: usize = 3;

/// A phone number formatted as it is typed, like libphonenumber-js's `AsYouType`.
///
/// ```
/// use smsotp_core::phone::AsYouType;
///
/// let mut typing = AsYouType::new(None);
/// let shown: Vec<String> = "+33612".chars().map(|c| typing.input(&c.to_string())).collect();
/// assert_eq!(shown, ["+", "+3", "+33", "+33 6", "+33 6 1", "+33 6 12"]);
/// assert_eq!(typing.input("345678"), "+33 6 12 34 56 78");
/// assert_eq!(typing.country(), Some("FR"));
/// assert_eq!(typing.number().as_deref(), Some("+33612345678"));
///
/// let mut national = AsYouType::new(Some("US"));
/// assert_eq!(national.input("2125550123"), "(212) 555-0123");
/// national.reset();
/// assert_eq!(national.input("212"), "(212)");
/// ```
#[derive(Debug, Clone)]
pub struct AsYouType {
    /// The region national numbers are read in (an unknown code is ignored).
    default_country: Option<usize>,
    /// What was typed, formatted, as last returned.
    output: String,
    /// Everything typed, as given (what `input` answers when it cannot format).
    typed: String,

    // What has been understood of the input (libphonenumber-js's `AsYouTypeState`).
    /// The number is international: typed with `+`, an international prefix or its
    /// calling code without `+`.
    international: bool,
    /// The calling code was typed without `+` (`33 6 12 …` in France).
    missing_plus: bool,
    /// The international prefix typed (`00`, `011`), if any.
    idd_prefix: Option<String>,
    calling_code: Option<u16>,
    /// Every digit typed.
    digits: String,
    /// The national significant number so far.
    national_number: String,
    /// The national number is not a suffix of the digits (a transform rule changed it).
    national_number_modified: bool,
    national_prefix: Option<String>,
    /// Digits before the national number that are not the national prefix (a carrier code).
    other_prefix: Option<String>,
    country: Option<usize>,

    /// The region whose rules apply (libphonenumber-js's selected numbering plan).
    plan: Option<usize>,

    // The parser's flags.
    parser_has_plan: bool,
    /// The plan's national prefix for parsing is a pattern that may strip more digits as
    /// more are typed.
    may_extract_again: bool,
    extracted_national_number: bool,

    // The formatter.
    is_nanp: bool,
    /// The formats the number may still take, as indexes into `formats`.
    formats: &'static [NumberFormat],
    matching: Vec<usize>,
    chosen: Option<usize>,
    template: Option<String>,
    populated: Option<String>,
    populated_position: isize,
}

impl AsYouType {
    /// Starts formatting a number typed in `country_iso` (national numbers are read as
    /// that region's; `None` or an unknown code: only international numbers, `+…`). The
    /// code is read as [`parse`](super::parse) reads it: trimmed, in either case.
    pub fn new(country_iso: Option<&str>) -> AsYouType {
        let mut typing = AsYouType {
            default_country: country_iso.map(str::trim).and_then(region_index),
            output: String::new(),
            typed: String::new(),
            international: false,
            missing_plus: false,
            idd_prefix: None,
            calling_code: None,
            digits: String::new(),
            national_number: String::new(),
            national_number_modified: false,
            national_prefix: None,
            other_prefix: None,
            country: None,
            plan: None,
            parser_has_plan: false,
            may_extract_again: false,
            extracted_national_number: false,
            is_nanp: false,
            formats: &[],
            matching: Vec::new(),
            chosen: None,
            template: None,
            populated: None,
            populated_position: -1,
        };
        typing.reset();
        typing
    }

    /// Forgets what was typed (the default country stays).
    pub fn reset(&mut self) {
        self.parser_has_plan = false;
        self.may_extract_again = false;
        self.extracted_national_number = false;
        self.reset_format();
        self.international = false;
        self.missing_plus = false;
        self.idd_prefix = None;
        self.calling_code = None;
        self.digits.clear();
        self.reset_national_number();
        self.country = self.default_country;
        self.set_calling_code(None);
        self.output.clear();
        self.typed.clear();
    }

    /// Appends `text` to what was typed and returns everything typed so far, formatted
    /// (libphonenumber-js's cumulative `input`). Characters that cannot be part of a phone
    /// number end what is read of `text`; digits of other scripts (`٠١٢`, `０１２`) count.
    ///
    /// With the `lazy-metadata` feature, use [`AsYouType::try_input`]: this returns the
    /// text as typed, unformatted, when a region it needs is not loaded.
    pub fn input(&mut self, text: &str) -> String {
        match self.try_input(text) {
            Ok(formatted) => formatted,
            Err(_) => self.typed.clone(),
        }
    }

    /// [`AsYouType::input`], or the region whose metadata the formatting needs and which is
    /// not loaded (only with the `lazy-metadata` feature). After an error the formatter's
    /// state is unknown: load the region, then type everything again into a new one
    /// (libphonenumber-js's answers depend on the pieces the text arrived in).
    pub fn try_input(&mut self, text: &str) -> Result<String, super::MetadataMissing> {
        self.typed.push_str(text);
        super::store::checked(|| self.input_unchecked(text))
    }

    fn input_unchecked(&mut self, text: &str) -> String {
        let (digits, just_plus) = self.parse_input(text);
        if just_plus {
            self.output = "+".to_owned();
        } else if !digits.is_empty() {
            self.determine_country_if_needed();
            if !self.national_number.is_empty() {
                self.narrow_down_formats();
            }
            let mut formatted = None;
            if self.plan.is_some() {
                formatted = self.format_digits(&digits);
            }
            if formatted.is_none() && self.re_extract_national_number() {
                self.determine_country_if_needed();
                let national = self.national_digits().to_owned();
                if !national.is_empty() {
                    formatted = self.format_digits(&national);
                }
            }
            self.output = match formatted {
                Some(f) if !f.is_empty() => self.full_number(&f),
                _ => self.unformatted_number(),
            };
        }
        self.output.clone()
    }

    /// The region of the number typed so far (libphonenumber-js's `getCountry()`): `None`
    /// before any digit, or while a calling code shared by several regions does not yet
    /// tell which.
    pub fn country(&self) -> Option<&'static str> {
        if self.digits.is_empty() {
            return None;
        }
        self.country.map(region_iso)
    }

    /// The digits typed so far as an E.164 number, `+` calling code national number
    /// (libphonenumber-js's `getNumberValue()`; not necessarily complete or valid). `None`
    /// before any digit, or for national digits without a default country.
    pub fn number(&self) -> Option<String> {
        if self.digits.is_empty() {
            return None;
        }
        if self.international {
            return Some(match self.calling_code {
                Some(code) => format!("+{code}{}", self.national_number),
                None => format!("+{}", self.digits),
            });
        }
        let code = match (self.country, self.calling_code) {
            (Some(_), _) => region_calling_code(self.plan?),
            (None, Some(code)) => code,
            (None, None) => return None,
        };
        Some(format!("+{code}{}", self.national_number))
    }

    // --- State ------------------------------------------------------------------------

    /// The digits after the international prefix and calling code.
    fn national_digits(&self) -> &str {
        if !self.international {
            return &self.digits;
        }
        let skip = self.idd_prefix.as_ref().map_or(0, String::len)
            + self.calling_code.map_or(0, decimal_len);
        self.digits.get(skip..).unwrap_or("")
    }

    fn digits_without_idd_prefix(&self) -> &str {
        match (&self.idd_prefix, self.international) {
            (Some(idd), true) => self.digits.get(idd.len()..).unwrap_or(""),
            _ => &self.digits,
        }
    }

    fn reset_national_number(&mut self) {
        self.national_number = self.national_digits().to_owned();
        self.national_number_modified = false;
        self.national_prefix = None;
        self.other_prefix = None;
    }

    /// A new calling code (or none): its main region's rules apply, unless the region is
    /// known (libphonenumber-js's `onCallingCodeChange`).
    fn set_calling_code(&mut self, code: Option<u16>) {
        self.calling_code = code;
        self.plan = match (self.country, code) {
            (Some(c), _) => Some(c),
            (None, Some(code)) => super::main_region(code),
            (None, None) => None,
        };
        self.reset_formatter();
        self.reset_parser();
    }

    fn start_international(&mut self, country: Option<usize>, code: Option<u16>) {
        self.international = true;
        self.country = country;
        self.set_calling_code(code);
    }

    fn on_national_number_change(&mut self) {
        self.determine_country_if_needed();
        self.reset_formatter();
    }

    fn determine_country_if_needed(&mut self) {
        let ambiguous = self
            .calling_code
            .and_then(regions_for_calling_code)
            .is_some_and(|mut r| r.nth(1).is_some());
        if self.country.is_none() || ambiguous {
            self.determine_country();
        }
    }

    /// libphonenumber-js's `getCountryByCallingCode` for the number so far.
    fn determine_country(&mut self) {
        let code = if self.international {
            self.calling_code
        } else {
            None
        };
        let country = code.and_then(|code| {
            let mut candidates = regions_for_calling_code(code)?;
            let first = candidates.clone().next()?;
            if candidates.clone().nth(1).is_none() {
                return Some(first);
            }
            let national = &self.national_number;
            candidates.find(|&i| match leading_digits(i) {
                Some(leading) => !national.is_empty() && leading.match_prefix(national).is_some(),
                None => region(i).number_type(national).is_some(),
            })
        });
        if country != self.country {
            self.country = country;
            if country.is_some() {
                self.plan = country;
            }
        }
    }

    // --- Parser -----------------------------------------------------------------------

    /// Reads the digits (and a leading `+`) of `text` and takes them in.
    fn parse_input(&mut self, text: &str) -> (String, bool) {
        let (formatted, plus) = formatted_digits_and_plus(text);
        let digits = parse_digits(formatted);
        let mut just_plus = false;
        if plus && self.digits.is_empty() {
            self.start_international(None, None);
            just_plus = digits.is_empty();
        }
        if !digits.is_empty() {
            self.input_digits(&digits);
        }
        (digits, just_plus)
    }

    fn input_digits(&mut self, next: &str) {
        let had = self.digits.len();
        let third_digit = had < 3 && had + next.len() >= 3;
        self.digits.push_str(next);
        if third_digit {
            self.extract_idd_prefix();
        }
        if self.international && self.calling_code.is_none() {
            if !self.extract_calling_code() {
                return;
            }
        } else {
            self.national_number.push_str(next);
        }
        if !self.international && !self.extracted_national_number {
            let national = self.national_digits().to_owned();
            self.extract_national_number(&national);
        }
    }

    fn extract_calling_code(&mut self) -> bool {
        let digits = self.digits_without_idd_prefix();
        let Some((code, rest)) = split_calling_code(digits) else {
            return false;
        };
        let rest = rest.to_owned();
        self.set_calling_code(Some(code));
        self.national_number = rest;
        true
    }

    fn reset_parser(&mut self) {
        self.parser_has_plan = self.plan.is_some();
        self.may_extract_again = self.plan.is_some_and(|p| {
            region(p)
                .prefix_for_parsing_src
                .bytes()
                .any(|c| !(c.is_ascii_digit() || c == b'[' || c == b']'))
        });
    }

    /// Strips a national prefix from the national digits (libphonenumber-js's
    /// `extractNationalSignificantNumber`); `true` when that changed something.
    fn extract_national_number(&mut self, national_digits: &str) -> bool {
        if !self.parser_has_plan {
            return false;
        }
        let Some(plan) = self.plan else {
            return false;
        };
        let (number, prefix) = region(plan).strip_national_prefix_keeping_it(national_digits);
        if number == national_digits {
            return false;
        }
        self.on_extracted_national_number(prefix, number, national_digits);
        true
    }

    fn extract_another_national_number(&mut self, national_digits: &str, previous: &str) -> bool {
        if !self.extracted_national_number {
            return self.extract_national_number(national_digits);
        }
        if !self.may_extract_again {
            return false;
        }
        let Some(plan) = self.plan else {
            return false;
        };
        let (number, prefix) = region(plan).strip_national_prefix_keeping_it(national_digits);
        if number == previous {
            return false;
        }
        self.on_extracted_national_number(prefix, number, national_digits);
        true
    }

    fn on_extracted_national_number(
        &mut self,
        national_prefix: Option<String>,
        number: String,
        national_digits: &str,
    ) {
        let mut modified = false;
        let mut other_prefix = None;
        // libphonenumber-js looks for the number's last occurrence in the digits and wants
        // it at their end: the digits end with it.
        match national_digits.strip_suffix(number.as_str()) {
            Some(before) => {
                if !before.is_empty() && Some(before) != national_prefix.as_deref() {
                    other_prefix = Some(before.to_owned());
                }
            }
            _ => modified = true,
        }
        self.national_prefix = national_prefix;
        self.national_number = number;
        self.national_number_modified = modified;
        self.other_prefix = other_prefix;
        self.extracted_national_number = true;
        self.on_national_number_change();
    }

    fn re_extract_national_number(&mut self) -> bool {
        let national = self.national_digits().to_owned();
        let previous = self.national_number.clone();
        if self.extract_another_national_number(&national, &previous) {
            return true;
        }
        if self.extract_idd_prefix() || self.fix_missing_plus() {
            if self.extract_calling_code() {
                let national = self.national_digits().to_owned();
                self.extract_national_number(&national);
            }
            return true;
        }
        false
    }

    /// An international prefix typed at the start of a national number (`00` in France).
    fn extract_idd_prefix(&mut self) -> bool {
        if self.international || self.idd_prefix.is_some() {
            return false;
        }
        let Some(home) = self.default_country else {
            return false;
        };
        let Some(m) = region(home)
            .idd
            .as_ref()
            .and_then(|idd| idd.match_prefix(&self.digits))
        else {
            return false;
        };
        let rest = &self.digits[m.end..];
        if m.end == 0 || rest.starts_with('0') {
            return false;
        }
        self.idd_prefix = Some(self.digits[..m.end].to_owned());
        self.start_international_number(None, None);
        true
    }

    /// A calling code typed without `+` (`33 6 …` with France as the default country).
    fn fix_missing_plus(&mut self) -> bool {
        if self.international {
            return false;
        }
        let Some(home) = self.country.or(self.default_country) else {
            return false;
        };
        if without_plus(&self.digits, region(home)).is_none() {
            return false;
        }
        self.missing_plus = true;
        let country = self.country;
        self.start_international_number(country, Some(region_calling_code(home)));
        true
    }

    fn start_international_number(&mut self, country: Option<usize>, code: Option<u16>) {
        self.start_international(country, code);
        if !self.national_number.is_empty() {
            self.reset_national_number();
            self.on_national_number_change();
            self.extracted_national_number = false;
        }
    }

    // --- Formatter --------------------------------------------------------------------

    fn reset_format(&mut self) {
        self.chosen = None;
        self.template = None;
        self.populated = None;
        self.populated_position = -1;
    }

    fn reset_formatter(&mut self) {
        self.reset_format();
        match self.plan {
            Some(plan) => {
                self.is_nanp = region_calling_code(plan) == 1;
                self.formats = formats_for(plan);
                self.matching = (0..self.formats.len()).collect();
                if !self.national_number.is_empty() {
                    self.narrow_down_formats();
                }
            }
            None => {
                self.is_nanp = false;
                self.formats = &[];
                self.matching.clear();
            }
        }
    }

    /// Keeps the formats whose leading digits and national-prefix use fit the number.
    fn narrow_down_formats(&mut self) {
        let leading = self.national_number.as_str();
        let index = leading.len().saturating_sub(MIN_LEADING_DIGITS);
        let (international, has_prefix) = (self.international, self.national_prefix.is_some());
        let formats = self.formats;
        self.matching.retain(|&i| {
            let f = &formats[i];
            let suits = !(has_prefix && !f.uses_national_prefix() && !f.np_optional)
                && !(!international && !has_prefix && f.uses_national_prefix() && !f.np_optional);
            suits && leading_digits_fit(f, leading, index)
        });
        if self.chosen.is_some_and(|c| !self.matching.contains(&c)) {
            self.reset_format();
        }
    }

    /// Formats the national number: as a complete number when its length is possible and
    /// a format fits it entirely, else by filling the chosen format's template.
    fn format_digits(&mut self, next_digits: &str) -> Option<String> {
        let complete = self.plan.is_some_and(|p| {
            matches!(
                check_length(&self.national_number, &region(p).lengths),
                LengthCheck::Possible
            )
        });
        if complete {
            for i in self.matching.clone() {
                if let Some(out) = self.format_complete(&self.formats[i]) {
                    self.reset_format();
                    self.chosen = Some(i);
                    let template: String = out
                        .chars()
                        .map(|c| if c.is_ascii_digit() { PLACEHOLDER } else { c })
                        .collect();
                    self.set_national_template(template);
                    self.populated = Some(out.clone());
                    self.populated_position = self
                        .template
                        .as_deref()
                        .and_then(|t| t.rfind(PLACEHOLDER))
                        .map_or(-1, |p| p as isize);
                    return Some(out);
                }
            }
        }
        let previous = self.chosen;
        let chosen = self.choose_format()?;
        if Some(chosen) == previous {
            self.format_next_digits(next_digits)
        } else {
            let national = self.national_digits().to_owned();
            self.format_next_digits(&national)
        }
    }

    fn should_try_national_prefix_rule(&self, f: &NumberFormat) -> bool {
        if f.np_rule.is_empty() {
            return false;
        }
        let uses = f.uses_national_prefix();
        (uses && self.national_prefix.is_some()) || (!uses && !self.international)
    }

    fn separator_after_national_prefix(&self, f: &NumberFormat) -> &'static str {
        if self.is_nanp || f.np_rule.contains(['-', ' ']) {
            " "
        } else {
            ""
        }
    }

    fn format_complete(&self, f: &NumberFormat) -> Option<String> {
        if !f
            .pattern
            .as_ref()
            .is_some_and(|p| p.matches_entirely(&self.national_number))
        {
            return None;
        }
        if self.should_try_national_prefix_rule(f) {
            if let Some(out) = self.format_complete_with(f, true) {
                return Some(out);
            }
        }
        self.format_complete_with(f, false)
    }

    fn format_complete_with(&self, f: &NumberFormat, with_rule: bool) -> Option<String> {
        let mut out = f.apply(&self.national_number, self.international, with_rule);
        if !with_rule {
            if let Some(prefix) = &self.national_prefix {
                out = format!("{prefix}{}{out}", self.separator_after_national_prefix(f));
            } else if let Some(prefix) = &self.other_prefix {
                out = format!("{prefix} {out}");
            }
        }
        (parse_digits(&out) == self.national_digits()).then_some(out)
    }

    /// The first format still matching whose template can be made (the chosen one, if it
    /// comes first).
    fn choose_format(&mut self) -> Option<usize> {
        for i in self.matching.clone() {
            if self.chosen == Some(i) {
                break;
            }
            let f = &self.formats[i];
            if !non_altering(f.format_for(self.international)) {
                continue;
            }
            match self.template_for(f) {
                Some(template) => {
                    self.set_national_template(template);
                    self.chosen = Some(i);
                    break;
                }
                None => self.matching.retain(|&m| m != i),
            }
        }
        if self.chosen.is_none() {
            self.reset_format();
        }
        self.chosen
    }

    /// A template of the format for the number: `xx xx xx xx xx`, national prefix included.
    fn template_for(&self, f: &NumberFormat) -> Option<String> {
        if f.pattern_src.contains('|') {
            return None;
        }
        let pattern = f.dummy_pattern()?;
        let longest = pattern.search(LONGEST_DUMMY)?;
        let mut digits = &LONGEST_DUMMY[longest.start..longest.end];
        if self.national_number.len() > digits.len() {
            return None;
        }
        let dummy = &LONGEST_DUMMY[..self.national_number.len()];
        if pattern.matches_entirely(dummy) {
            digits = dummy;
        }
        let mut number_format = f.format_for(self.international).to_owned();
        let mut prefix_included = false;
        if self.should_try_national_prefix_rule(f) {
            let prefix = self.national_prefix.as_deref().unwrap_or("");
            if parse_digits(f.np_rule) == format!("{prefix}1") {
                number_format = with_first_group_rule(&number_format, f.np_rule);
                prefix_included = true;
                for _ in 0..prefix.len() {
                    if let Some(at) = number_format.find(|c: char| c.is_ascii_digit()) {
                        number_format.replace_range(at..at + 1, "x");
                    }
                }
            }
        }
        let m = pattern.search(digits)?;
        let mut template = format!(
            "{}{}{}",
            &digits[..m.start],
            expand(&number_format, digits, &m),
            &digits[m.end..]
        )
        .replace('9', "x");
        if !prefix_included {
            if let Some(other) = &self.other_prefix {
                template = format!("{} {template}", "x".repeat(other.len()));
            } else if let Some(prefix) = &self.national_prefix {
                template = format!(
                    "{}{}{template}",
                    "x".repeat(prefix.len()),
                    self.separator_after_national_prefix(f)
                );
            }
        }
        if self.international {
            template = international_separators(&template);
        }
        Some(template)
    }

    fn set_national_template(&mut self, template: String) {
        self.template = Some(if self.international {
            let prefix: String = self
                .international_prefix(true)
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() || c == '+' {
                        PLACEHOLDER
                    } else {
                        c
                    }
                })
                .collect();
            let code = "x".repeat(self.calling_code.map_or(0, decimal_len));
            format!("{prefix}{code} {template}")
        } else {
            template.clone()
        });
        self.populated = Some(template);
        self.populated_position = -1;
    }

    /// Puts `digits` into the template's next placeholders; `None` (and the format
    /// dropped) when it has too few left.
    fn format_next_digits(&mut self, digits: &str) -> Option<String> {
        let mut template = self.populated.clone().unwrap_or_default();
        let mut position = self.populated_position;
        for d in digits.chars() {
            let after = usize::try_from(position + 1).unwrap_or(0);
            if !template
                .get(after..)
                .is_some_and(|t| t.contains(PLACEHOLDER))
            {
                self.reset_format();
                return None;
            }
            let Some(at) = template.find(PLACEHOLDER) else {
                self.reset_format();
                return None;
            };
            template.replace_range(at..at + 1, d.encode_utf8(&mut [0; 4]));
            position = at as isize;
        }
        let out =
            cut_and_strip_unpaired_parens(&template, usize::try_from(position + 1).unwrap_or(0));
        self.populated = Some(template);
        self.populated_position = position;
        Some(out)
    }

    // --- Output -----------------------------------------------------------------------

    /// What is written before the calling code: `+`, the international prefix typed, or
    /// nothing when the calling code was typed without `+`.
    fn international_prefix(&self, spacing: bool) -> String {
        match (&self.idd_prefix, self.missing_plus) {
            (Some(idd), _) if spacing => format!("{idd} "),
            (Some(idd), _) => idd.clone(),
            (None, true) => String::new(),
            (None, false) => "+".to_owned(),
        }
    }

    fn full_number(&self, national: &str) -> String {
        if !self.international {
            return national.to_owned();
        }
        let text = match self.calling_code {
            None => self.digits_without_idd_prefix().to_owned(),
            Some(code) if national.is_empty() => code.to_string(),
            Some(code) => format!("{code} {national}"),
        };
        format!("{}{text}", self.international_prefix(!text.is_empty()))
    }

    fn unformatted_number(&self) -> String {
        let national = if self.national_number_modified {
            self.national_digits().to_owned()
        } else {
            match self.other_prefix.as_ref().or(self.national_prefix.as_ref()) {
                Some(prefix) => format!("{prefix}{}", self.national_number),
                None => self.national_number.clone(),
            }
        };
        self.full_number(&national)
    }
}

fn decimal_len(code: u16) -> usize {
    code.to_string().len()
}

/// Does the format's leading-digits pattern for this many digits fit the number's start?
fn leading_digits_fit(f: &NumberFormat, leading: &str, index: usize) -> bool {
    let count = f.leading_src.len();
    if count == 0 {
        return true;
    }
    let index = index.min(count - 1);
    if leading.len() < MIN_LEADING_DIGITS {
        return matches_leading(f.leading_src[index], leading);
    }
    f.leading[index]
        .as_ref()
        .is_some_and(|p| p.match_prefix(leading).is_some())
}

/// A format that only groups the digits (`$1 $2-$3`), which as-you-type can use.
fn non_altering(format: &str) -> bool {
    let bytes = format.as_bytes();
    (0..bytes.len().saturating_sub(1)).any(|at| {
        if bytes[at] != b'$' || bytes[at + 1] != b'1' {
            return false;
        }
        let mut rest = format[at + 2..].chars().peekable();
        while let Some(c) = rest.next() {
            if is_punctuation(c) {
                continue;
            }
            if c == '$' && rest.peek().is_some_and(char::is_ascii_digit) {
                rest.next();
                continue;
            }
            return false;
        }
        true
    })
}

/// A digit of any script libphonenumber-js reads (ASCII, full-width, Arabic-Indic,
/// Eastern Arabic-Indic), as an ASCII digit.
fn parse_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        _ => return None,
    };
    char::from_digit(c as u32 - zero as u32, 10)
}

fn parse_digits(text: &str) -> String {
    text.chars().filter_map(parse_digit).collect()
}

fn is_formatted_digit(c: char) -> bool {
    is_punctuation(c) || parse_digit(c).is_some()
}

/// libphonenumber-js's `extractFormattedDigitsAndPlus`: from the first `+`, digit or
/// punctuation of `text`, up to what cannot be part of a number; `+` stripped and
/// reported; nothing if what remains is not only digits and punctuation.
fn formatted_digits_and_plus(text: &str) -> (&str, bool) {
    let Some(start) = text.find(|c: char| c == '+' || c == '\u{FF0B}' || is_formatted_digit(c))
    else {
        return ("", false);
    };
    let mut rest = &text[start..];
    let plus = rest.starts_with('+');
    if plus {
        rest = &rest[1..];
    }
    // Cut from the first character that cannot be part of a number, provided everything
    // after that run holds no line break (JavaScript's `[^…]+.*$`: `.` stops at them).
    let is_line_break = |c: char| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
    let last_break = rest.rfind(is_line_break);
    // The last digit or punctuation before that line break: a cut must start after it.
    let last_kept_before_break = last_break.and_then(|b| rest[..b].rfind(is_formatted_digit));
    let cut = rest.char_indices().find_map(|(i, c)| {
        if is_formatted_digit(c) {
            return None;
        }
        let fits = match last_break {
            Some(b) if b >= i => last_kept_before_break.is_none_or(|k| k < i),
            _ => true,
        };
        fits.then_some(i)
    });
    if let Some(cut) = cut {
        rest = &rest[..cut];
    }
    if rest.is_empty() || !rest.chars().all(is_formatted_digit) {
        return ("", plus);
    }
    (rest, plus)
}

/// libphonenumber-js's `cutAndStripNonPairedParens`: the text before `cut` (a `)` right
/// there kept), with brackets that do not pair removed.
fn cut_and_strip_unpaired_parens(text: &str, cut: usize) -> String {
    let mut cut = cut.min(text.len());
    if text.as_bytes().get(cut) == Some(&b')') {
        cut += 1;
    }
    let kept = &text[..cut];
    // Unpaired '(' are dropped; an unpaired ')' stays, as in libphonenumber-js.
    let mut open = Vec::new();
    for (i, c) in kept.char_indices() {
        match c {
            '(' => open.push(i),
            ')' => {
                open.pop();
            }
            _ => {}
        }
    }
    kept.char_indices()
        .filter(|(i, _)| !open.contains(i))
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(country: Option<&str>, text: &str) -> Vec<String> {
        let mut t = AsYouType::new(country);
        text.chars().map(|c| t.input(&c.to_string())).collect()
    }

    #[test]
    fn international_numbers_typed_digit_by_digit() {
        assert_eq!(
            typed(None, "+12125550123"),
            [
                "+",
                "+1",
                "+1 2",
                "+1 21",
                "+1 212",
                "+1 212 5",
                "+1 212 55",
                "+1 212 555",
                "+1 212 555 0",
                "+1 212 555 01",
                "+1 212 555 012",
                "+1 212 555 0123"
            ]
        );
    }

    #[test]
    fn national_numbers_with_a_default_country() {
        assert_eq!(
            typed(Some("FR"), "0612345678").last().map(String::as_str),
            Some("06 12 34 56 78")
        );
        let mut t = AsYouType::new(Some("FR"));
        assert_eq!(t.input("0033612345678"), "00 33 6 12 34 56 78");
        assert_eq!(t.country(), Some("FR"));
    }

    /// Found by fuzzing (fuzz/fuzz_targets/phone.rs): `parse` took `"FI "` as Finland but
    /// as-you-type ignored it, so the number the user saw as valid had no `number()`.
    #[test]
    fn the_country_is_read_as_parse_reads_it() {
        // libphonenumber-js/max 1.13.16 (`new AsYouType('FI')`): "435210678",
        // `getNumberValue()` "+358435210678".
        for country in ["FI ", " fi", "\tFi\n"] {
            let mut t = AsYouType::new(Some(country));
            assert_eq!(t.input("435210678"), "435210678", "{country:?}");
            assert_eq!(t.number().as_deref(), Some("+358435210678"), "{country:?}");
            let parsed = crate::phone::parse("435210678", Some(country)).unwrap();
            assert_eq!(parsed.e164, "+358435210678");
        }
    }

    #[test]
    fn brackets_that_do_not_pair_are_dropped() {
        assert_eq!(cut_and_strip_unpaired_parens("(xxx) xxx", 3), "xx");
        assert_eq!(cut_and_strip_unpaired_parens("(212) xxx", 4), "(212)");
    }

    /// Inputs of every kind, typed at once and one character at a time, in no region, a
    /// region and an unknown one: never a panic, and what a user would notice holds.
    #[test]
    fn bad_input_never_panics() {
        let long_digits = "1".repeat(100_000);
        let long_mixed = "+٠١٢ab(3)-\u{FF0B}４ \n".repeat(8_000);
        let long_junk = format!("{}\n", "a".repeat(100_000));
        let inputs = [
            "",
            " ",
            "+",
            "++",
            "+\u{FF0B}",
            "abc",
            "1-800-FLOWERS",
            "٠١٢٣٤٥٦٧٨٩",
            "۰۱۲۳",
            "\u{FF0B}33612345678",
            "＋３３６１２３４５６７８",
            "+33 6 12 34 56 78 ext. 9",
            "\0",
            "😀+1😀",
            "\n+1\n212",
            "((((((",
            "))))))",
            "0000000000000000000000",
            "+0",
            "+999999",
            long_digits.as_str(),
            long_mixed.as_str(),
            long_junk.as_str(),
        ];
        for input in inputs {
            for country in [
                None,
                Some("FR"),
                Some("US"),
                Some("AR"),
                Some("ZZ"),
                Some(""),
            ] {
                let mut at_once = AsYouType::new(country);
                let _ = at_once.input(input);
                let _ = (at_once.country(), at_once.number());
                if input.len() <= 1_000 {
                    let mut typing = AsYouType::new(country);
                    for c in input.chars() {
                        let _ = typing.input(&c.to_string());
                    }
                    let _ = (typing.country(), typing.number());
                }
            }
        }
        // A long typing session: digits, pluses, letters, other scripts, punctuation.
        let alphabet: Vec<char> = "0123456789+ -()a٣۴５\u{FF0B}.".chars().collect();
        let mut typing = AsYouType::new(Some("DE"));
        let mut state = 7u32;
        for _ in 0..3_000 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let c = alphabet[(state >> 16) as usize % alphabet.len()];
            let _ = typing.input(&c.to_string());
        }
        // Nothing typed that can be part of a number: nothing shown.
        assert_eq!(AsYouType::new(None).input("hello"), "");
        assert_eq!(AsYouType::new(Some("FR")).country(), None);
        // Digits of other scripts are read as digits.
        assert_eq!(
            AsYouType::new(None).input("+٣٣٦١٢٣٤٥٦٧٨"),
            "+33 6 12 34 56 78"
        );
    }

    #[test]
    fn digits_of_other_scripts_and_junk() {
        assert_eq!(parse_digits("٠١٢۳０"), "01230");
        assert_eq!(formatted_digits_and_plus("abc+12 3x45"), ("12 3", true));
        assert_eq!(formatted_digits_and_plus("\u{FF0B}1"), ("", false));
        assert_eq!(formatted_digits_and_plus("hello"), ("", false));
    }
}
