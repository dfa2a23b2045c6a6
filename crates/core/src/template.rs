//! Message templates: placeholder checking, the choice of a template by language, rendering
//! and the autofill suffixes (WebOTP / iOS origin-bound line, Android SMS Retriever hash).
//!
//! Placeholders (`{{name}}`, spaces inside the braces allowed):
//! - `{{pin}}` — required in every template;
//! - `{{ttl}}` — the validity in minutes, rounded up;
//! - `{{from}}` — the sender id;
//! - `{{amount}}`, `{{payee}}` — payment confirmation (PSD2 dynamic linking): the request's
//!   `amount` and `payee`, which then become required.
//!
//! Any other `{{…}}` is refused (code 2006, naming it), so a typo is never sent literally.

use std::collections::BTreeMap;

use crate::languages::languages_of;

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["pin", "ttl", "from", "amount", "payee"];

/// What a template uses, once checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateUse {
    /// Uses `{{amount}}` (so `amount` is required).
    pub amount: bool,
    /// Uses `{{payee}}` (so `payee` is required).
    pub payee: bool,
}

/// Splits a template into literal text and placeholder names.
fn tokens(template: &str) -> impl Iterator<Item = Token<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(start) = rest.find("{{") {
            if start > 0 {
                let (text, tail) = rest.split_at(start);
                rest = tail;
                return Some(Token::Text(text));
            }
            if let Some(end) = rest[2..].find("}}") {
                let name = rest[2..2 + end].trim();
                rest = &rest[2 + end + 2..];
                return Some(Token::Placeholder(name));
            }
        }
        let text = rest;
        rest = "";
        Some(Token::Text(text))
    })
}

enum Token<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Checks a template: it must contain `{{pin}}` and no unknown placeholder.
/// The error is the message for code 2006.
pub fn check_template(field: &str, template: &str) -> Result<TemplateUse, String> {
    let mut has_pin = false;
    let mut uses = TemplateUse::default();
    for token in tokens(template) {
        if let Token::Placeholder(name) = token {
            match name {
                "pin" => has_pin = true,
                "amount" => uses.amount = true,
                "payee" => uses.payee = true,
                "ttl" | "from" => {}
                other => {
                    let shown: String = other.chars().take(40).collect();
                    return Err(format!(
                        "'{field}' uses the unknown placeholder {{{{{shown}}}}}; known: {{{{pin}}}}, {{{{ttl}}}}, {{{{from}}}}, {{{{amount}}}}, {{{{payee}}}}"
                    ));
                }
            }
        }
    }
    if !has_pin {
        return Err(format!("'{field}' must contain {{{{pin}}}}"));
    }
    Ok(uses)
}

/// The values placed into a template.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    /// For `{{pin}}` (and the WebOTP line).
    pub pin: &'a str,
    /// For `{{ttl}}`, shown in minutes rounded up.
    pub ttl_seconds: u32,
    /// For `{{from}}`.
    pub from: &'a str,
    /// For `{{amount}}` (empty when `None`).
    pub amount: Option<&'a str>,
    /// For `{{payee}}` (empty when `None`).
    pub payee: Option<&'a str>,
}

/// Where autofill suffixes go.
#[derive(Debug, Clone, Copy, Default)]
pub struct Autofill<'a> {
    /// WebOTP / iOS: appends the origin-bound last line `@domain #PIN`.
    pub web_otp_domain: Option<&'a str>,
    /// Android SMS Retriever: appends the app's 11-character hash as the last line.
    pub app_hash: Option<&'a str>,
}

/// Renders a checked template.
pub fn render(template: &str, values: &Values<'_>, autofill: &Autofill<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for token in tokens(template) {
        match token {
            Token::Text(t) => out.push_str(t),
            Token::Placeholder("pin") => out.push_str(values.pin),
            Token::Placeholder("ttl") => out.push_str(&values.ttl_seconds.div_ceil(60).to_string()),
            Token::Placeholder("from") => out.push_str(values.from),
            Token::Placeholder("amount") => out.push_str(values.amount.unwrap_or_default()),
            Token::Placeholder("payee") => out.push_str(values.payee.unwrap_or_default()),
            // Unknown placeholders are refused by check_template before rendering.
            Token::Placeholder(_) => {}
        }
    }
    if let Some(domain) = autofill.web_otp_domain {
        out.push_str("\n\n@");
        out.push_str(domain);
        out.push_str(" #");
        out.push_str(values.pin);
    } else if let Some(hash) = autofill.app_hash {
        out.push_str("\n\n");
        out.push_str(hash);
    }
    out
}

/// The templates of a request, borrowed from it for choosing one: the default `template`,
/// the language it is written in (`templateLanguage`), and those per language
/// (`template_xx`, keyed by the lower-case ISO 639-1 code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Templates<'a> {
    /// The request's `template` (or the deployment's default template).
    pub default: &'a str,
    /// The language `default` is written in: while choosing, `default` counts as the
    /// template of this language.
    pub default_language: &'a str,
    /// `template_xx` by language code.
    pub by_language: &'a BTreeMap<String, String>,
}

impl<'a> Templates<'a> {
    /// Picks the template for a recipient and returns `(language, template)`, the language
    /// being the one the chosen text is written in.
    ///
    /// - With an explicit `language`: its `template_xx`, else the default template.
    /// - Otherwise the recipient country's languages are taken in order
    ///   ([`languages_of`]); the first one that has a template wins, the default template
    ///   counting as the template of `default_language`. When none has one: the default.
    ///
    /// A `template_xx` of the same language as the default template is preferred to it: it
    /// was written for that language specifically.
    pub fn choose(&self, country_iso: &str, language: Option<&str>) -> (&'a str, &'a str) {
        let default = (self.default_language, self.default);
        let template_of = |lang: &str| -> Option<(&'a str, &'a str)> {
            match self.by_language.get_key_value(lang) {
                Some((l, t)) => Some((l.as_str(), t.as_str())),
                None => (lang == self.default_language).then_some(default),
            }
        };
        match language {
            Some(lang) => template_of(lang).unwrap_or(default),
            None => languages_of(country_iso)
                .find_map(template_of)
                .unwrap_or(default),
        }
    }
}

/// Is this a valid WebOTP domain: a host name of LDH labels with at least one dot?
pub fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && !labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Is this an Android SMS Retriever app hash: 11 characters of base64?
pub fn is_valid_app_hash(hash: &str) -> bool {
    hash.len() == 11
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>() -> Values<'a> {
        Values {
            pin: "123456",
            ttl_seconds: 300,
            from: "Acme",
            amount: Some("€12.50"),
            payee: Some("Shop Ltd"),
        }
    }

    #[test]
    fn placeholders() {
        let t = "{{from}}: {{ pin }} is your code, valid {{ttl}} min. Pay {{amount}} to {{payee}}";
        assert_eq!(
            check_template("template", t),
            Ok(TemplateUse {
                amount: true,
                payee: true
            })
        );
        assert_eq!(
            render(t, &values(), &Autofill::default()),
            "Acme: 123456 is your code, valid 5 min. Pay €12.50 to Shop Ltd"
        );
        let v = Values {
            ttl_seconds: 301,
            ..values()
        };
        assert_eq!(
            render("{{pin}} {{ttl}}", &v, &Autofill::default()),
            "123456 6"
        );
    }

    #[test]
    fn missing_pin_and_unknown_placeholders_are_refused() {
        assert!(check_template("template", "no pin here")
            .unwrap_err()
            .contains("{{pin}}"));
        let e = check_template("template_fr", "{{pin}} {{code}}").unwrap_err();
        assert!(e.contains("{{code}}") && e.contains("template_fr"), "{e}");
        // Unclosed braces are literal text, not a placeholder.
        assert!(check_template("t", "{{pin}} {{ not closed").is_ok());
    }

    #[test]
    fn autofill_suffixes() {
        let web = Autofill {
            web_otp_domain: Some("example.com"),
            app_hash: None,
        };
        assert_eq!(
            render("Code {{pin}}", &values(), &web),
            "Code 123456\n\n@example.com #123456"
        );
        let app = Autofill {
            web_otp_domain: None,
            app_hash: Some("FA+9qCX9VSu"),
        };
        assert_eq!(
            render("Code {{pin}}", &values(), &app),
            "Code 123456\n\nFA+9qCX9VSu"
        );
        assert!(is_valid_domain("example.com") && is_valid_domain("a-b.example.co.uk"));
        for bad in [
            "example",
            "https://example.com",
            "-a.com",
            "a..com",
            "1.2.3.4",
            "ex ample.com",
        ] {
            assert!(!is_valid_domain(bad), "{bad}");
        }
        assert!(is_valid_app_hash("FA+9qCX9VSu"));
        assert!(!is_valid_app_hash("FA+9qCX9VS") && !is_valid_app_hash("FA+9qCX9VS!"));
    }

    #[test]
    fn odd_templates_are_errors_or_literal_text() {
        let long = "{{".repeat(50_000);
        // Unclosed braces are text: no placeholder at all, so no {{pin}}.
        assert_eq!(
            check_template("template", &long),
            Err("'template' must contain {{pin}}".to_owned())
        );
        // An empty or 100 KB placeholder name is unknown, and shown cut to 40 characters.
        assert!(check_template("t", "{{pin}} {{}}")
            .unwrap_err()
            .contains("{{}}"));
        let name = "x".repeat(100_000);
        let e = check_template("t", &format!("{{{{pin}}}} {{{{{name}}}}}")).unwrap_err();
        assert!(
            e.contains(&format!("{{{{{}}}}}", "x".repeat(40))) && e.len() < 200,
            "{}",
            e.len()
        );
        assert_eq!(
            check_template("t", ""),
            Err("'t' must contain {{pin}}".to_owned())
        );
        // Odd countries and languages choose the default.
        let none = BTreeMap::new();
        let t = Templates {
            default: "{{pin}}",
            default_language: "en",
            by_language: &none,
        };
        for (country, language) in [
            ("", None),
            ("fr", None),
            ("ZZZ", Some("")),
            ("FR", Some("FR")),
        ] {
            assert_eq!(t.choose(country, language), ("en", "{{pin}}"));
        }
    }

    #[test]
    fn choice_by_country_language_and_default() {
        let by_language: BTreeMap<String, String> = ["fr", "de", "it"]
            .into_iter()
            .map(|l| (l.to_owned(), format!("{l} {{{{pin}}}}")))
            .collect();
        let t = Templates {
            default: "en {{pin}}",
            default_language: "en",
            by_language: &by_language,
        };
        assert_eq!(t.choose("FR", None), ("fr", "fr {{pin}}"));
        assert_eq!(t.choose("AT", None), ("de", "de {{pin}}"));
        // Switzerland (de fr it rm): German first.
        assert_eq!(t.choose("CH", None), ("de", "de {{pin}}"));
        // Belgium (nl fr de): no Dutch template, so French.
        assert_eq!(t.choose("BE", None), ("fr", "fr {{pin}}"));
        // Japan (ja): no template in Japanese, so the default, reported as English.
        assert_eq!(t.choose("JP", None), ("en", "en {{pin}}"));
        // An explicit language wins over the country, and falls back to the default.
        assert_eq!(t.choose("FR", Some("it")), ("it", "it {{pin}}"));
        assert_eq!(t.choose("FR", Some("es")), ("en", "en {{pin}}"));
    }

    /// The default template counts as the template of its language, in the country's order.
    #[test]
    fn the_default_template_has_a_language() {
        let templates = |langs: &[&str]| -> BTreeMap<String, String> {
            langs
                .iter()
                .map(|l| (l.to_string(), format!("{l}: {{{{pin}}}}")))
                .collect()
        };
        let all = templates(&["fr", "de", "es", "it", "bg"]);
        let english = Templates {
            default: "Your code is {{pin}}",
            default_language: "en",
            by_language: &all,
        };
        // United States (en es): English comes first and the default is English.
        assert_eq!(english.choose("US", None), ("en", "Your code is {{pin}}"));
        // Canada (en fr) with a French template: English first, so the default.
        assert_eq!(english.choose("CA", None), ("en", "Your code is {{pin}}"));
        // Belgium (nl fr de): no Dutch, so French.
        assert_eq!(english.choose("BE", None), ("fr", "fr: {{pin}}"));
        // Switzerland (de fr it rm): German.
        assert_eq!(english.choose("CH", None), ("de", "de: {{pin}}"));
        // Mexico (es): Spanish.
        assert_eq!(english.choose("MX", None), ("es", "es: {{pin}}"));
        // Brazil (pt) without a Portuguese template: the default.
        assert_eq!(english.choose("BR", None), ("en", "Your code is {{pin}}"));
        // An unknown country: the default.
        assert_eq!(english.choose("ZZ", None), ("en", "Your code is {{pin}}"));

        // A default written in French: a French number gets it, not `template_xx` of a later
        // language, and an explicit `language: "fr"` gets it too.
        let de_only = templates(&["de"]);
        let french = Templates {
            default: "Votre code {{pin}}",
            default_language: "fr",
            by_language: &de_only,
        };
        assert_eq!(french.choose("FR", None), ("fr", "Votre code {{pin}}"));
        assert_eq!(french.choose("CH", None), ("de", "de: {{pin}}"));
        assert_eq!(
            french.choose("DE", Some("fr")),
            ("fr", "Votre code {{pin}}")
        );

        // A `template_en` next to an English default is the more specific one.
        let with_en = templates(&["en"]);
        let both = Templates {
            default: "Your code is {{pin}}",
            default_language: "en",
            by_language: &with_en,
        };
        assert_eq!(both.choose("GB", None), ("en", "en: {{pin}}"));
    }
}
