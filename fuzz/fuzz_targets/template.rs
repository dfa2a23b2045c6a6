//! Templates: arbitrary template text and values → `check_template`, `render`, the choice of
//! a template by language, and a whole request carrying the template.
//!
//! Input: NUL-separated `template \0 from \0 amount \0 payee \0 autofill \0 language`, every
//! field after the template optional; an autofill starting with `@` is a WebOTP domain,
//! any other an Android app hash.
//!
//! Invariants:
//! - checking and rendering never panic, whatever the template (checked or not);
//! - a refused template is an error value naming the field;
//! - a checked template renders the PIN, only where `{{pin}}` is: rendering with one
//!   PIN and then replacing it by another is rendering with the other;
//! - the autofill line, when asked for, is the message's last line, exactly;
//! - choosing among templates by language returns one of them;
//! - `POST /otp` with the template either accepts it (then the message is the template
//!   rendered) or refuses it with errors, never panics.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use smsotp_core::template::{self, Autofill, Templates, Values};
use smsotp_core::{render_message, validate_request, Config};

// Private-use characters: they stand for PINs and cannot come from the template's own
// text when absent from the input.
const PIN_A: &str = "\u{E000}\u{E001}";
const PIN_B: &str = "\u{E002}";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.split('\0');
    let template_text = fields.next().unwrap_or_default();
    let mut next = || fields.next().filter(|s| !s.is_empty());
    let (from, amount, payee, autofill, language) = (next(), next(), next(), next(), next());
    let autofill = match autofill {
        Some(a) => match a.strip_prefix('@') {
            Some(domain) => Autofill {
                web_otp_domain: Some(domain),
                app_hash: None,
            },
            None => Autofill {
                web_otp_domain: None,
                app_hash: Some(a),
            },
        },
        None => Autofill::default(),
    };
    let ttl_seconds = (text.len() as u32).wrapping_mul(37);
    let values = |pin| Values {
        pin,
        ttl_seconds,
        from: from.unwrap_or("Verify"),
        amount,
        payee,
    };

    let checked = template::check_template("template_fr", template_text);
    let a = template::render(template_text, &values(PIN_A), &autofill);
    match &checked {
        Err(message) => assert!(message.contains("'template_fr'"), "{message}"),
        Ok(_) if !text.contains(['\u{E000}', '\u{E001}', '\u{E002}']) => {
            assert!(a.contains(PIN_A), "{a:?}");
            let b = template::render(template_text, &values(PIN_B), &autofill);
            assert_eq!(a.replace(PIN_A, PIN_B), b);
        }
        Ok(_) => {}
    }
    if let Some(domain) = autofill.web_otp_domain {
        assert!(a.ends_with(&format!("\n\n@{domain} #{PIN_A}")), "{a:?}");
    } else if let Some(hash) = autofill.app_hash {
        assert!(a.ends_with(&format!("\n\n{hash}")), "{a:?}");
    }
    let _ = (
        template::is_valid_domain(autofill.web_otp_domain.unwrap_or(text)),
        template::is_valid_app_hash(autofill.app_hash.unwrap_or(text)),
    );

    // Choosing: the default or the one other template, never something else.
    let lang = language.unwrap_or("fr");
    let by_language = BTreeMap::from([(lang.to_owned(), "other {{pin}}".to_owned())]);
    let set = Templates {
        default: template_text,
        default_language: "en",
        by_language: &by_language,
    };
    for country in ["FR", "BE", "CH", "US", lang] {
        for explicit in [None, Some(lang), language] {
            let (chosen_lang, chosen) = set.choose(country, explicit);
            assert!(
                (chosen_lang, chosen) == ("en", template_text)
                    || (chosen_lang, chosen) == (lang, "other {{pin}}"),
                "{country} {explicit:?} → {chosen_lang} {chosen:?}"
            );
        }
    }

    // Through `POST /otp` validation.
    let mut body = json!({"phoneNumber": "+33612345678", "template": template_text});
    let optional = [
        ("from", from),
        ("amount", amount),
        ("payee", payee),
        ("webOtpDomain", autofill.web_otp_domain),
        ("appHash", autofill.app_hash),
        ("language", language),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            body[k] = json!(v);
        }
    }
    if let Ok(request) = validate_request(&body, &Config::default()) {
        assert!(checked.is_ok(), "a refused template was accepted");
        let pin = "123456";
        let m = render_message(&request, Some(pin), None);
        let values = Values {
            pin,
            ttl_seconds: request.ttl,
            from: &request.from,
            amount: request.amount.as_deref(),
            payee: request.payee.as_deref(),
        };
        let autofill = Autofill {
            web_otp_domain: request.web_otp_domain.as_deref(),
            app_hash: request.app_hash.as_deref(),
        };
        assert_eq!(
            m.text,
            template::render(&request.template, &values, &autofill)
        );
    }
});
