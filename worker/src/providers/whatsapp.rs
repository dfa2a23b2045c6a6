//! Meta's WhatsApp Cloud API, authentication templates: `POST {base}/{phone-number-id}/messages`,
//! `Authorization: Bearer <access token>`, JSON `{messaging_product: "whatsapp",
//! recipient_type: "individual", to, type: "template", template: {name, language: {code},
//! components}, biz_opaque_callback_data}`. An authentication template's body text is fixed
//! by Meta ("`<code>` is your verification code."), so the code goes in twice: as the body's
//! one parameter and as the parameter of the copy-code button (a `url` button at index 0).
//! `to` is the number's digits; `biz_opaque_callback_data` (our reference of the message, `{otpId}.{n}`) comes back in the
//! status webhooks (`reports/whatsapp.rs`). Success: 200 with `messages[0].id` (`wamid.…`);
//! errors: `{error: {message, type, code, error_subcode, fbtrace_id}}`, whose message may
//! name the number.
//!
//! Sources: Meta's "Copy code authentication templates" and "Send message templates"
//! (<https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/authentication-templates/copy-code-button-authentication-templates/>),
//! the Messages API reference (`biz_opaque_callback_data`) and the Graph API error codes
//! (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes>).

use super::{json, text, HttpRequest, ProviderError, Redacted, Sms};

/// The Graph API base URL used unless `WHATSAPP_BASE_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v21.0";

/// WhatsApp's configuration (`WHATSAPP_*`).
pub struct Whatsapp {
    /// Graph API base, version included (`https://graph.facebook.com/v21.0`).
    pub base_url: String,
    /// A system user's access token with `whatsapp_business_messaging`.
    pub access_token: String,
    /// The business phone number's id (not the number).
    pub phone_number_id: String,
    /// The approved authentication template's name.
    pub template: String,
    /// The languages the template is approved in, Meta's codes (`en_US`, `pt_BR`, `fr`, …),
    /// the preferred fallback first.
    pub languages: Vec<String>,
}

/// Case- and separator-insensitive equality of language codes (`pt_BR` = `pt-br`).
fn same_code(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            let norm = |c: u8| {
                if c == b'-' {
                    b'_'
                } else {
                    c.to_ascii_lowercase()
                }
            };
            norm(x) == norm(y)
        })
}

impl Whatsapp {
    /// The template language to send for a message in `language` (ISO 639-1, the SMS
    /// template's) to a number of `country_iso`: among `languages`, the language of that
    /// country (`pt_BR` for `pt` in BR), else the language alone (`pt`), else the language
    /// of another country (`pt_PT` for `pt` in AO), else the first listed; `language` itself
    /// when none is listed.
    pub fn template_language(&self, language: &str, country_iso: &str) -> String {
        let regional = format!("{language}_{country_iso}");
        let base_of = |code: &str| code.split(['_', '-']).next().unwrap_or_default().to_owned();
        let listed = |wanted: &dyn Fn(&str) -> bool| {
            self.languages.iter().find(|code| wanted(code)).cloned()
        };
        listed(&|code| same_code(code, &regional))
            .or_else(|| listed(&|code| same_code(code, language)))
            .or_else(|| listed(&|code| same_code(&base_of(code), language)))
            .or_else(|| self.languages.first().cloned())
            .unwrap_or_else(|| language.to_owned())
    }

    /// The template language for a number of `country_iso` by the rule SMS templates follow
    /// (`smsotp_core::template::Templates::choose`): the country's languages in order, the
    /// first the template exists in; else as [`Whatsapp::template_language`] says for the
    /// SMS template's `language`.
    pub fn choose_language(&self, language: &str, country_iso: &str) -> String {
        let base_of = |code: &str| code.split(['_', '-']).next().unwrap_or_default().to_owned();
        smsotp_core::languages::languages_of(country_iso)
            .find(|lang| self.languages.iter().any(|c| same_code(&base_of(c), lang)))
            .map_or_else(
                || self.template_language(language, country_iso),
                |lang| self.template_language(lang, country_iso),
            )
    }

    /// The API call for `sms` (its `code`, `language` and `otp_id`; the number's country
    /// from `to`).
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let country = smsotp_core::phone::parse(sms.to, None).map_or("", |n| n.country_iso);
        let parameter = serde_json::json!([{"type": "text", "text": sms.code}]);
        let body = serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": sms.to.trim_start_matches('+'),
            "type": "template",
            "template": {
                "name": self.template,
                "language": {"code": match sms.asked_language {
                    // Asked for by the request: that language, as for SMS templates.
                    Some(asked) => self.template_language(asked, country),
                    None => self.choose_language(sms.language, country),
                }},
                "components": [
                    {"type": "body", "parameters": parameter},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": parameter},
                ],
            },
            "biz_opaque_callback_data": sms.message_id,
        });
        HttpRequest {
            url: format!(
                "{}/{}/messages",
                self.base_url.trim_end_matches('/'),
                self.phone_number_id
            ),
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Authorization", format!("Bearer {}", self.access_token)),
            ],
            body: body.to_string(),
        }
    }
}

/// Meta's answer: the message id (`messages[0].id`) on a 2xx, else why not.
pub fn parse_reply(status: u16, body: &str) -> Result<String, ProviderError> {
    let reply = json(body);
    if (200..300).contains(&status) {
        let reply = reply.ok_or(ProviderError::Malformed {
            status,
            what: "not JSON",
        })?;
        return reply["messages"][0]["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or(ProviderError::Malformed {
                status,
                what: "no messages[0].id",
            });
    }
    let detail = match reply {
        Some(reply) => {
            let error = &reply["error"];
            let (code, subcode, message) = (
                text(&error["code"]),
                text(&error["error_subcode"]),
                text(&error["message"]),
            );
            match (code.is_empty(), subcode.is_empty()) {
                (true, _) if message.is_empty() => "no error text".to_owned(),
                (true, _) => message,
                (false, true) => format!("code {code}: {message}"),
                (false, false) => format!("code {code} ({subcode}): {message}"),
            }
        }
        None => "non-JSON body".to_owned(),
    };
    Err(ProviderError::Status {
        status,
        detail: Redacted::new(&detail),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn whatsapp(languages: &[&str]) -> Whatsapp {
        Whatsapp {
            base_url: "https://graph.facebook.com/v21.0/".into(),
            access_token: "EAAtoken".into(),
            phone_number_id: "1065".into(),
            template: "otp_code".into(),
            languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn template_languages() {
        let listed = ["en_US", "pt_BR", "pt_PT", "fr", "es", "es_MX", "zh_CN"];
        let cases: &[(&[&str], &str, &str, &str)] = &[
            (&listed, "pt", "BR", "pt_BR"),
            (&listed, "pt", "PT", "pt_PT"),
            // No pt_AO, no pt: the first Portuguese listed.
            (&listed, "pt", "AO", "pt_BR"),
            (&listed, "fr", "CA", "fr"),
            (&listed, "fr", "FR", "fr"),
            (&listed, "es", "MX", "es_MX"),
            (&listed, "es", "AR", "es"),
            (&listed, "en", "GB", "en_US"),
            (&listed, "zh", "CN", "zh_CN"),
            (&listed, "de", "DE", "en_US"),
            (&listed, "pt", "", "pt_BR"),
            (&["en_us", "PT-br"], "pt", "BR", "PT-br"),
            (&[], "fr", "FR", "fr"),
        ];
        for (languages, language, country, expected) in cases {
            assert_eq!(
                whatsapp(languages).template_language(language, country),
                *expected,
                "{languages:?} {language} {country}"
            );
        }
    }

    /// The country's languages first (the SMS templates' rule), whatever language the SMS
    /// template was in; the SMS template's language when the country's has no template.
    #[test]
    fn the_country_rule_chooses() {
        let w = whatsapp(&["en", "fr", "pt_BR", "de"]);
        let cases = [
            ("en", "FR", "fr"),
            ("en", "BR", "pt_BR"),
            ("en", "CH", "de"),
            ("en", "BE", "fr"),
            ("fr", "JP", "fr"),
            ("en", "JP", "en"),
        ];
        for (language, country, expected) in cases {
            assert_eq!(
                w.choose_language(language, country),
                expected,
                "{language} {country}"
            );
        }
    }

    /// A language the request asked for wins over the country, as for SMS templates.
    #[test]
    fn an_asked_language_wins() {
        let language_of = |asked: Option<&str>| {
            let sms = Sms {
                channel: smsotp_core::Channel::Whatsapp,
                to: "+33612345678",
                from: "Acme",
                text: "Code 123456",
                code: "123456",
                language: "fr",
                asked_language: asked,
                otp_id: "id-1",
                message_id: "id-1.1",
                report_url: None,
                unicode: false,
                timeout: Duration::from_secs(1),
            };
            let body = whatsapp(&["en", "fr", "de"]).build_request(&sms).body;
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["template"]["language"]
                ["code"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(language_of(None), "fr");
        assert_eq!(language_of(Some("de")), "de");
        // Asked for a language the template lacks: as for a SMS template's language.
        assert_eq!(language_of(Some("ja")), "en");
    }

    #[test]
    fn request_is_an_authentication_template() {
        let sms = Sms {
            channel: smsotp_core::Channel::Whatsapp,
            to: "+5511987654321",
            from: "Acme",
            text: "Your code is 123456",
            code: "123456",
            language: "pt",
            asked_language: None,
            otp_id: "id-1",
            message_id: "id-1.2",
            report_url: Some("https://otp.example/v1/delivery/whatsapp"),
            unicode: false,
            timeout: Duration::from_secs(1),
        };
        let request = whatsapp(&["en_US", "pt_PT", "pt_BR"]).build_request(&sms);
        assert_eq!(
            request.url,
            "https://graph.facebook.com/v21.0/1065/messages"
        );
        assert_eq!(
            request.headers,
            vec![
                ("Content-Type", "application/json".to_owned()),
                ("Authorization", "Bearer EAAtoken".to_owned()),
            ]
        );
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        let expected = serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "5511987654321",
            "type": "template",
            "template": {
                "name": "otp_code",
                "language": {"code": "pt_BR"},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "123456"}]},
                    {"type": "button", "sub_type": "url", "index": "0",
                     "parameters": [{"type": "text", "text": "123456"}]},
                ],
            },
            "biz_opaque_callback_data": "id-1.2",
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn replies() {
        let malformed = |status, what| Err(ProviderError::Malformed { status, what });
        let status = |status, detail: &str| {
            Err(ProviderError::Status {
                status,
                detail: Redacted::new(detail),
            })
        };
        let cases: Vec<(u16, &str, Result<String, ProviderError>)> = vec![
            (
                200,
                r#"{"messaging_product":"whatsapp","contacts":[{"input":"+5511987654321","wa_id":"5511987654321"}],"messages":[{"id":"wamid.HBgL"}]}"#,
                Ok("wamid.HBgL".into()),
            ),
            (200, r#"{"messages":[]}"#, malformed(200, "no messages[0].id")),
            (200, r#"{"messages":[{"id":""}]}"#, malformed(200, "no messages[0].id")),
            (200, "<html>", malformed(200, "not JSON")),
            (
                400,
                r#"{"error":{"message":"(#131030) Recipient phone number +5511987654321 not in allowed list","type":"OAuthException","code":131030,"error_data":{"messaging_product":"whatsapp"},"fbtrace_id":"Az8"}}"#,
                status(
                    400,
                    "code 131030: (#131030) Recipient phone number +5**********21 not in allowed list",
                ),
            ),
            (
                401,
                r#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"B1"}}"#,
                status(401, "code 190 (463): Error validating access token"),
            ),
            (500, "{}", status(500, "no error text")),
            (502, "Bad Gateway", status(502, "non-JSON body")),
        ];
        for (code, body, expected) in cases {
            assert_eq!(parse_reply(code, body), expected, "{code} {body:?}");
        }
    }
}
