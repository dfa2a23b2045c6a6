//! Vonage SMS API: `POST /sms/json`, form with `api_key`, `api_secret`, `to` (digits, no
//! `+`), `from`, `text`, `type=unicode` for UCS-2, `client-ref` (our reference of the message, `{otpId}.{n}`,
//! echoed in the delivery receipt) and `callback` (where this message's delivery receipts go, instead of
//! the account's default). Always HTTP 200: success only when every `messages[].status` is
//! "0"; otherwise that entry's `error-text` says why
//! (<https://developer.vonage.com/en/api/sms#send-an-sms>).

use super::{json, text, HttpRequest, ProviderError, Redacted, Sms};
use crate::http;

/// Vonage's configuration (`VONAGE_*`).
pub struct Vonage {
    pub base_url: String,
    pub api_key: String,
    pub api_secret: String,
}

impl Vonage {
    /// The API call for `sms`.
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let kind = if sms.unicode { "unicode" } else { "text" };
        let mut fields = vec![
            ("api_key", self.api_key.as_str()),
            ("api_secret", self.api_secret.as_str()),
            ("to", sms.to.trim_start_matches('+')),
            ("from", sms.from.trim_start_matches('+')),
            ("text", sms.text),
            ("type", kind),
            ("client-ref", sms.message_id),
        ];
        if let Some(report_url) = sms.report_url {
            fields.push(("callback", report_url));
        }
        HttpRequest {
            url: format!("{}/sms/json", self.base_url.trim_end_matches('/')),
            headers: vec![(
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: http::form(&fields),
        }
    }
}

/// Vonage's answer: the first message id when every part was accepted, else why not.
pub fn parse_reply(status: u16, body: &str) -> Result<String, ProviderError> {
    if status != 200 {
        // Vonage's own errors come as 200; anything else is not Vonage's API speaking.
        return Err(ProviderError::Status {
            status,
            detail: Redacted::new(""),
        });
    }
    let reply = json(body).ok_or(ProviderError::Malformed {
        status,
        what: "not JSON",
    })?;
    let messages = reply["messages"]
        .as_array()
        .filter(|m| !m.is_empty())
        .ok_or(ProviderError::Malformed {
            status,
            what: "no messages",
        })?;
    if let Some(bad) = messages.iter().find(|m| m["status"].as_str() != Some("0")) {
        return Err(ProviderError::Refused {
            code: Redacted::new(&text(&bad["status"])),
            detail: Redacted::new(&text(&bad["error-text"])),
        });
    }
    // Accepted without an id (never seen): the message is on its way, so not a failure.
    Ok(messages[0]["message-id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn request_is_a_form_with_the_key_in_it() {
        let vonage = Vonage {
            base_url: "https://rest.nexmo.com".into(),
            api_key: "vk".into(),
            api_secret: "v s".into(),
        };
        let report = "https://otp.example/v1/delivery/vonage";
        let callback = "&callback=https%3A%2F%2Fotp.example%2Fv1%2Fdelivery%2Fvonage";
        for (unicode, text, kind, encoded, report_url, tail) in [
            (false, "Code 123456", "text", "Code+123456", None, ""),
            (true, "Код 1", "unicode", "%D0%9A%D0%BE%D0%B4+1", None, ""),
            (false, "Code 1", "text", "Code+1", Some(report), callback),
        ] {
            let sms = Sms {
                channel: smsotp_core::Channel::Sms,
                to: "+359888123456",
                from: "+15550100",
                text,
                code: "123456",
                language: "bg",
                asked_language: None,
                otp_id: "id-1",
                message_id: "id-1.2",
                report_url,
                unicode,
                timeout: Duration::from_secs(1),
            };
            let request = vonage.build_request(&sms);
            assert_eq!(request.url, "https://rest.nexmo.com/sms/json");
            assert_eq!(
                request.headers,
                vec![(
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned()
                )]
            );
            assert_eq!(
                request.body,
                format!(
                    "api_key=vk&api_secret=v+s&to=359888123456&from=15550100&text={encoded}&type={kind}&client-ref=id-1.2{tail}"
                )
            );
        }
    }

    #[test]
    fn replies() {
        let malformed = |what| Err(ProviderError::Malformed { status: 200, what });
        let refused = |code: &str, detail: &str| {
            Err(ProviderError::Refused {
                code: Redacted::new(code),
                detail: Redacted::new(detail),
            })
        };
        let cases: Vec<(u16, &str, Result<String, ProviderError>)> = vec![
            (
                200,
                r#"{"message-count":"1","messages":[{"status":"0","message-id":"v-1"}]}"#,
                Ok("v-1".into()),
            ),
            (
                200,
                r#"{"messages":[{"status":"0","message-id":"a"},{"status":"0","message-id":"b"}]}"#,
                Ok("a".into()),
            ),
            (200, r#"{"messages":[{"status":"0"}]}"#, Ok(String::new())),
            (
                200,
                r#"{"messages":[{"status":"4","error-text":"Bad Credentials"}]}"#,
                refused("4", "Bad Credentials"),
            ),
            (
                200,
                r#"{"messages":[{"status":"0","message-id":"a"},{"status":"6","error-text":"Unroutable message - rejected for 447700900123"}]}"#,
                refused("6", "Unroutable message - rejected for 4*********23"),
            ),
            (200, r#"{"messages":[{}]}"#, refused("", "")),
            (200, r#"{"messages":[]}"#, malformed("no messages")),
            (200, r#"{"message-count":"0"}"#, malformed("no messages")),
            (200, "<html>not json</html>", malformed("not JSON")),
            (200, "", malformed("not JSON")),
            (
                500,
                "upstream exploded",
                Err(ProviderError::Status {
                    status: 500,
                    detail: Redacted::new(""),
                }),
            ),
        ];
        for (code, body, expected) in cases {
            assert_eq!(parse_reply(code, body), expected, "{code} {body:?}");
        }
    }
}
