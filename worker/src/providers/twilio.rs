//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form
//! fields `To`, `From`, `Body`, HTTP Basic `sid:token`; 201 with `sid` on success, else a
//! JSON error `{code, message, status}` whose message may echo the `To` number.

use base64::Engine;

use super::{json, text, HttpRequest, ProviderError, Redacted, Sms};
use crate::http;

/// Twilio's configuration (`TWILIO_*`).
pub struct Twilio {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
}

impl Twilio {
    /// The API call for `sms`.
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        );
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.account_sid, self.auth_token));
        HttpRequest {
            url,
            headers: vec![
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("Authorization", format!("Basic {basic}")),
            ],
            body: http::form(&[("To", sms.to), ("From", sms.from), ("Body", sms.text)]),
        }
    }
}

/// Twilio's answer: the message `sid` on a 2xx, else why not.
pub fn parse_reply(status: u16, body: &str) -> Result<String, ProviderError> {
    let reply = json(body);
    if (200..300).contains(&status) {
        let reply = reply.ok_or(ProviderError::Malformed {
            status,
            what: "not JSON",
        })?;
        return reply["sid"]
            .as_str()
            .filter(|sid| !sid.is_empty())
            .map(str::to_owned)
            .ok_or(ProviderError::Malformed {
                status,
                what: "no message sid",
            });
    }
    let detail = match reply {
        Some(error) => match (text(&error["code"]), text(&error["message"])) {
            (code, message) if code.is_empty() && message.is_empty() => "no error text".to_owned(),
            (code, message) => format!("code {code}: {message}"),
        },
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

    #[test]
    fn request_is_a_form_with_basic_auth() {
        let twilio = Twilio {
            base_url: "https://api.twilio.com/".into(),
            account_sid: "AC123".into(),
            auth_token: "tw-token".into(),
        };
        let sms = Sms {
            to: "+33612345678",
            from: "ACME & Co",
            text: "Your code is 123456",
            otp_id: "id-1",
            unicode: false,
            timeout: Duration::from_secs(1),
        };
        let request = twilio.build_request(&sms);
        assert_eq!(
            request.url,
            "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
        );
        assert_eq!(
            request.headers,
            vec![
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned()
                ),
                // base64("AC123:tw-token"), computed by hand with `printf | base64`.
                ("Authorization", "Basic QUMxMjM6dHctdG9rZW4=".to_owned()),
            ]
        );
        assert_eq!(
            request.body,
            "To=%2B33612345678&From=ACME+%26+Co&Body=Your+code+is+123456"
        );
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
                201,
                r#"{"sid":"SM0123","status":"queued"}"#,
                Ok("SM0123".into()),
            ),
            (200, r#"{"sid":"SM9"}"#, Ok("SM9".into())),
            (
                201,
                r#"{"status":"queued"}"#,
                malformed(201, "no message sid"),
            ),
            (201, r#"{"sid":""}"#, malformed(201, "no message sid")),
            (201, r#"{"sid":42}"#, malformed(201, "no message sid")),
            (201, "<html>proxy</html>", malformed(201, "not JSON")),
            (201, "", malformed(201, "not JSON")),
            (
                400,
                r#"{"code":21211,"message":"The 'To' number +33612345678 is not a valid phone number.","status":400}"#,
                status(
                    400,
                    "code 21211: The 'To' number +3********78 is not a valid phone number.",
                ),
            ),
            (
                401,
                r#"{"code":20003,"message":"Authenticate","status":401}"#,
                status(401, "code 20003: Authenticate"),
            ),
            (500, "upstream exploded", status(500, "non-JSON body")),
            (503, "", status(503, "non-JSON body")),
            (429, "{}", status(429, "no error text")),
        ];
        for (code, body, expected) in cases {
            assert_eq!(parse_reply(code, body), expected, "{code} {body:?}");
        }
    }

    #[test]
    fn no_full_number_in_an_echoing_error() {
        let e = parse_reply(
            400,
            r#"{"code":21211,"message":"The 'To' number +33612345678 is not a valid phone number."}"#,
        )
        .unwrap_err();
        assert!(!e.to_string().contains("33612345678"), "{e}");
    }
}
