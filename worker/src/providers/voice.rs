//! The words of a voice call that says the code: TwiML (Twilio's XML for calls), sent inline
//! as the `Twiml` field of Twilio's Calls API (see `twilio.rs`). One `<Say>` reads the code
//! character by character, separated by commas so text-to-speech reads "1, 2, 3" and not
//! "one hundred and twenty-three"; a one-second `<Pause>`, then the same `<Say>` again.
//!
//! The `language` attribute of `<Say>` is the Twilio text-to-speech locale of the template
//! language: Twilio's `<Say>` documentation (<https://www.twilio.com/docs/voice/twiml/say>)
//! takes a language-locale pair; [`voice_locale`] maps our ISO 639-1 codes to the locales
//! Twilio has listed for `<Say>` since its multi-language voices (da-DK … zh-TW), and every
//! other language to `en-US`, Twilio's default. No `voice` attribute: the account's default
//! voice for that language speaks (Twilio Console, Voice > Text-to-speech).

/// ISO 639-1 → Twilio `<Say>` locale, for the languages Twilio's text-to-speech speaks.
const LOCALES: &[(&str, &str)] = &[
    ("ca", "ca-ES"),
    ("da", "da-DK"),
    ("de", "de-DE"),
    ("en", "en-US"),
    ("es", "es-ES"),
    ("fi", "fi-FI"),
    ("fr", "fr-FR"),
    ("it", "it-IT"),
    ("ja", "ja-JP"),
    ("ko", "ko-KR"),
    ("nb", "nb-NO"),
    ("nl", "nl-NL"),
    ("no", "nb-NO"),
    ("pl", "pl-PL"),
    ("pt", "pt-BR"),
    ("ru", "ru-RU"),
    ("sv", "sv-SE"),
    ("zh", "zh-CN"),
];

/// The Twilio `<Say>` locale for an ISO 639-1 language (case-insensitive; a region suffix
/// such as `pt-PT` or `pt_BR` is ignored), `en-US` when Twilio's text-to-speech has none.
pub fn voice_locale(language: &str) -> &'static str {
    let base = language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    LOCALES
        .iter()
        .find(|(code, _)| *code == base)
        .map_or("en-US", |(_, locale)| locale)
}

/// The code spelt out for text-to-speech: each character on its own, XML-escaped,
/// separated by ", " (whitespace in the code is dropped).
fn spelt(code: &str) -> String {
    let mut out = String::new();
    for c in code.chars().filter(|c| !c.is_whitespace()) {
        if !out.is_empty() {
            out.push_str(", ");
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

/// The TwiML of a call that says `code` twice in the voice of `language` (ISO 639-1).
pub fn twiml(code: &str, language: &str) -> String {
    let say = format!(
        r#"<Say language="{}">{}.</Say>"#,
        voice_locale(language),
        spelt(code)
    );
    format!(r#"<Response>{say}<Pause length="1"/>{say}</Response>"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        let cases = [
            ("en", "en-US"),
            ("fr", "fr-FR"),
            ("de", "de-DE"),
            ("es", "es-ES"),
            ("pt", "pt-BR"),
            ("it", "it-IT"),
            ("nl", "nl-NL"),
            ("ja", "ja-JP"),
            ("zh", "zh-CN"),
            ("nb", "nb-NO"),
            ("no", "nb-NO"),
            ("FR", "fr-FR"),
            ("pt-PT", "pt-BR"),
            ("pt_BR", "pt-BR"),
            // Not spoken by Twilio's text-to-speech in our table: English.
            ("bg", "en-US"),
            ("sw", "en-US"),
            ("", "en-US"),
            ("xx", "en-US"),
        ];
        for (language, locale) in cases {
            assert_eq!(voice_locale(language), locale, "{language:?}");
        }
    }

    #[test]
    fn the_code_is_said_twice_character_by_character() {
        let cases = [
            (
                "123456",
                "fr",
                r#"<Response><Say language="fr-FR">1, 2, 3, 4, 5, 6.</Say><Pause length="1"/><Say language="fr-FR">1, 2, 3, 4, 5, 6.</Say></Response>"#,
            ),
            (
                "A7",
                "bg",
                r#"<Response><Say language="en-US">A, 7.</Say><Pause length="1"/><Say language="en-US">A, 7.</Say></Response>"#,
            ),
            (
                "1 2",
                "de",
                r#"<Response><Say language="de-DE">1, 2.</Say><Pause length="1"/><Say language="de-DE">1, 2.</Say></Response>"#,
            ),
        ];
        for (code, language, expected) in cases {
            assert_eq!(twiml(code, language), expected, "{code:?} {language:?}");
        }
    }

    #[test]
    fn markup_in_a_code_is_escaped() {
        assert_eq!(spelt("<&>\"'"), "&lt;, &amp;, &gt;, &quot;, &apos;");
        let xml = twiml("1<2", "en");
        assert!(xml.contains("1, &lt;, 2."), "{xml}");
        assert!(!xml.contains("1<2"), "{xml}");
    }
}
