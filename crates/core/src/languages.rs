//! Languages: the ISO 639-1 codes accepted in `template_xx`, `language` and
//! `templateLanguage`, and the table country → languages used to choose a template by the
//! recipient's country.
//!
//! A country lists its languages in order of preference (the most widely used first; a
//! country with several official languages lists them all, e.g. `CH: de fr it rm`). The
//! template chosen is that of the first language the request has a template for, the
//! default `template` counting as the template of its `templateLanguage`
//! ([`crate::template::Templates::choose`]).
//!
//! Where [`COUNTRY_LANGUAGES`] comes from: it was compiled by hand for smsotp (no generator;
//! the commit that added it cites no source). Compared with Unicode CLDR 47's territory
//! data (`common/supplemental/supplementalData.xml`, `<territoryInfo>`: the languages with
//! official or de facto official status, in CLDR's population order, script subtags
//! dropped (`zh_Hant` → `zh`) and only two-letter codes kept; read through Python Babel
//! 2.18.0's `get_official_languages(territory, de_facto=True)`), it is the same list for
//! 173 of its 250 regions. Of the other 77:
//! - 53 contain CLDR's list in CLDR's order and add widely used languages (e.g.
//!   `US: en es`, `EE: et ru`, `CH: de fr it rm`, `IN`'s regional languages; `AC` and `TA`,
//!   which CLDR gives no official language, list `en`);
//! - 18 list CLDR's languages in another order (e.g. `KZ: kk ru`, `SN: fr wo`,
//!   `LU: lb fr de`);
//! - 6 leave out one of CLDR's (`BI` and `MG` leave out `en`, `EC` `qu`, `IM` `gv`,
//!   `PG` `ho`, `UA` `ru`).

/// Every ISO 639-1 code, sorted.
pub static ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de",
    "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy",
    "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia",
    "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk",
    "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo",
    "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd",
    "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl",
    "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl",
    "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk",
    "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa",
    "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// Is `code` an ISO 639-1 language code (lower-case)?
pub fn is_language(code: &str) -> bool {
    ISO_639_1.binary_search(&code).is_ok()
}

/// Country (ISO 3166-1 alpha-2) → its languages, most used first. Sorted by country; every
/// region with phone numbers has an entry (a test checks this against the phone metadata).
pub static COUNTRY_LANGUAGES: &[(&str, &str)] = &[
    ("AC", "en"),
    ("AD", "ca es fr"),
    ("AE", "ar en"),
    ("AF", "fa ps"),
    ("AG", "en"),
    ("AI", "en"),
    ("AL", "sq"),
    ("AM", "hy ru"),
    ("AO", "pt"),
    ("AR", "es"),
    ("AS", "en sm"),
    ("AT", "de"),
    ("AU", "en"),
    ("AW", "nl"),
    ("AX", "sv fi"),
    ("AZ", "az ru"),
    ("BA", "bs hr sr"),
    ("BB", "en"),
    ("BD", "bn en"),
    ("BE", "nl fr de"),
    ("BF", "fr"),
    ("BG", "bg"),
    ("BH", "ar en"),
    ("BI", "rn fr"),
    ("BJ", "fr"),
    ("BL", "fr"),
    ("BM", "en"),
    ("BN", "ms en"),
    ("BO", "es qu ay"),
    ("BQ", "nl"),
    ("BR", "pt"),
    ("BS", "en"),
    ("BT", "dz en"),
    ("BW", "en tn"),
    ("BY", "be ru"),
    ("BZ", "en es"),
    ("CA", "en fr"),
    ("CC", "en"),
    ("CD", "fr ln sw"),
    ("CF", "fr sg"),
    ("CG", "fr ln"),
    ("CH", "de fr it rm"),
    ("CI", "fr"),
    ("CK", "en"),
    ("CL", "es"),
    ("CM", "fr en"),
    ("CN", "zh"),
    ("CO", "es"),
    ("CR", "es"),
    ("CU", "es"),
    ("CV", "pt"),
    ("CW", "nl en"),
    ("CX", "en"),
    ("CY", "el tr en"),
    ("CZ", "cs"),
    ("DE", "de"),
    ("DJ", "fr ar"),
    ("DK", "da"),
    ("DM", "en"),
    ("DO", "es"),
    ("DZ", "ar fr"),
    ("EC", "es"),
    ("EE", "et ru"),
    ("EG", "ar en"),
    ("EH", "ar es"),
    ("ER", "ti ar en"),
    ("ES", "es ca eu gl"),
    ("ET", "am om"),
    ("FI", "fi sv"),
    ("FJ", "en fj"),
    ("FK", "en"),
    ("FM", "en"),
    ("FO", "fo da"),
    ("FR", "fr"),
    ("GA", "fr"),
    ("GB", "en cy"),
    ("GD", "en"),
    ("GE", "ka ru"),
    ("GF", "fr"),
    ("GG", "en"),
    ("GH", "en"),
    ("GI", "en es"),
    ("GL", "kl da"),
    ("GM", "en"),
    ("GN", "fr"),
    ("GP", "fr"),
    ("GQ", "es fr pt"),
    ("GR", "el"),
    ("GT", "es"),
    ("GU", "en ch"),
    ("GW", "pt"),
    ("GY", "en"),
    ("HK", "zh en"),
    ("HN", "es"),
    ("HR", "hr"),
    ("HT", "ht fr"),
    ("HU", "hu"),
    ("ID", "id"),
    ("IE", "en ga"),
    ("IL", "he ar en"),
    ("IM", "en"),
    ("IN", "hi en bn te mr ta ur gu kn ml pa or"),
    ("IO", "en"),
    ("IQ", "ar ku"),
    ("IR", "fa"),
    ("IS", "is"),
    ("IT", "it"),
    ("JE", "en"),
    ("JM", "en"),
    ("JO", "ar en"),
    ("JP", "ja"),
    ("KE", "sw en"),
    ("KG", "ky ru"),
    ("KH", "km"),
    ("KI", "en"),
    ("KM", "ar fr"),
    ("KN", "en"),
    ("KP", "ko"),
    ("KR", "ko"),
    ("KW", "ar en"),
    ("KY", "en"),
    ("KZ", "kk ru"),
    ("LA", "lo"),
    ("LB", "ar fr en"),
    ("LC", "en"),
    ("LI", "de"),
    ("LK", "si ta en"),
    ("LR", "en"),
    ("LS", "st en"),
    ("LT", "lt"),
    ("LU", "lb fr de"),
    ("LV", "lv ru"),
    ("LY", "ar"),
    ("MA", "ar fr"),
    ("MC", "fr"),
    ("MD", "ro ru"),
    ("ME", "sr"),
    ("MF", "fr"),
    ("MG", "mg fr"),
    ("MH", "mh en"),
    ("MK", "mk sq"),
    ("ML", "fr"),
    ("MM", "my"),
    ("MN", "mn"),
    ("MO", "zh pt"),
    ("MP", "en ch"),
    ("MQ", "fr"),
    ("MR", "ar fr"),
    ("MS", "en"),
    ("MT", "mt en"),
    ("MU", "en fr"),
    ("MV", "dv"),
    ("MW", "en ny"),
    ("MX", "es"),
    ("MY", "ms en zh"),
    ("MZ", "pt"),
    ("NA", "en af"),
    ("NC", "fr"),
    ("NE", "fr ha"),
    ("NF", "en"),
    ("NG", "en ha yo ig"),
    ("NI", "es"),
    ("NL", "nl"),
    ("NO", "nb no nn"),
    ("NP", "ne"),
    ("NR", "na en"),
    ("NU", "en"),
    ("NZ", "en mi"),
    ("OM", "ar en"),
    ("PA", "es"),
    ("PE", "es qu"),
    ("PF", "fr ty"),
    ("PG", "en"),
    ("PH", "tl en"),
    ("PK", "ur en"),
    ("PL", "pl"),
    ("PM", "fr"),
    ("PR", "es en"),
    ("PS", "ar"),
    ("PT", "pt"),
    ("PW", "en"),
    ("PY", "es gn"),
    ("QA", "ar en"),
    ("RE", "fr"),
    ("RO", "ro"),
    ("RS", "sr"),
    ("RU", "ru"),
    ("RW", "rw fr en"),
    ("SA", "ar"),
    ("SB", "en"),
    ("SC", "fr en"),
    ("SD", "ar en"),
    ("SE", "sv"),
    ("SG", "en zh ms ta"),
    ("SH", "en"),
    ("SI", "sl"),
    ("SJ", "nb no"),
    ("SK", "sk"),
    ("SL", "en"),
    ("SM", "it"),
    ("SN", "fr wo"),
    ("SO", "so ar"),
    ("SR", "nl"),
    ("SS", "en"),
    ("ST", "pt"),
    ("SV", "es"),
    ("SX", "nl en"),
    ("SY", "ar"),
    ("SZ", "en ss"),
    ("TA", "en"),
    ("TC", "en"),
    ("TD", "fr ar"),
    ("TG", "fr"),
    ("TH", "th"),
    ("TJ", "tg ru"),
    ("TK", "en"),
    ("TL", "pt"),
    ("TM", "tk ru"),
    ("TN", "ar fr"),
    ("TO", "to en"),
    ("TR", "tr"),
    ("TT", "en"),
    ("TV", "en"),
    ("TW", "zh"),
    ("TZ", "sw en"),
    ("UA", "uk"),
    ("UG", "en sw"),
    ("US", "en es"),
    ("UY", "es"),
    ("UZ", "uz ru"),
    ("VA", "it la"),
    ("VC", "en"),
    ("VE", "es"),
    ("VG", "en"),
    ("VI", "en"),
    ("VN", "vi"),
    ("VU", "bi en fr"),
    ("WF", "fr"),
    ("WS", "sm en"),
    ("XK", "sq sr"),
    ("YE", "ar"),
    ("YT", "fr"),
    ("ZA", "en af zu xh"),
    ("ZM", "en"),
    ("ZW", "en sn nd"),
];

/// The languages of a country, most used first (empty for an unknown country).
pub fn languages_of(country_iso: &str) -> impl Iterator<Item = &'static str> {
    COUNTRY_LANGUAGES
        .binary_search_by(|(c, _)| c.cmp(&country_iso))
        .map(|i| COUNTRY_LANGUAGES[i].1)
        .unwrap_or("")
        .split_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_consistent() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_639_1.len(), 183);
        assert!(COUNTRY_LANGUAGES.windows(2).all(|w| w[0].0 < w[1].0));
        for (country, langs) in COUNTRY_LANGUAGES {
            for l in langs.split_whitespace() {
                assert!(is_language(l), "{country}: {l}");
            }
        }
    }

    #[test]
    fn every_region_with_phone_numbers_has_languages() {
        for country in crate::phone::countries() {
            assert!(
                languages_of(country).next().is_some(),
                "{country} has no languages"
            );
        }
    }

    #[test]
    fn the_contract_examples() {
        for (country, lang) in [
            ("FR", "fr"),
            ("DE", "de"),
            ("ES", "es"),
            ("IT", "it"),
            ("BG", "bg"),
        ] {
            assert_eq!(languages_of(country).next(), Some(lang));
        }
    }
}
