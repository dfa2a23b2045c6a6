//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form
//! fields `To`, `From`, `Body` and `StatusCallback` (where Twilio posts the message's status
//! changes), HTTP Basic `sid:token`; 201 with `sid` on success, else a JSON error
//! `{code, message, status}` whose message may echo the `To` number
//! (<https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource>).
//!
//! Twilio Programmable Voice, for the voice channel: `POST
//! /2010-04-01/Accounts/{sid}/Calls.json`, form fields `To`, `From`, `Twiml` (the call's
//! words inline, see `voice.rs`) and `StatusCallback`; the same replies, the `sid` a call's
//! (`CA…`) (<https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource>).

use base64::Engine;

use super::{json, text, HttpRequest, ProviderError, Redacted, Sms};
use crate::http;

/// Twilio's configuration (`TWILIO_*`).
pub struct Twilio {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The Twilio number calls come from (`TWILIO_VOICE_FROM`); `None`: the SMS sender.
    pub voice_from: Option<String>,
}

impl Twilio {
    /// The API call for `sms`.
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let mut fields = vec![("To", sms.to), ("From", sms.from), ("Body", sms.text)];
        if let Some(report_url) = sms.report_url {
            fields.push(("StatusCallback", report_url));
        }
        self.post("Messages.json", &fields)
    }

    /// The API call that phones `sms.to` and says `sms.code` twice, in the voice of
    /// `sms.language` (`voice::twiml`), from `voice_from` (else `sms.from`).
    pub fn build_call(&self, sms: &Sms<'_>) -> HttpRequest {
        let twiml = super::voice::twiml(sms.code, sms.language);
        let from = self.voice_from.as_deref().unwrap_or(sms.from);
        let mut fields = vec![("To", sms.to), ("From", from), ("Twiml", twiml.as_str())];
        if let Some(report_url) = sms.report_url {
            fields.push(("StatusCallback", report_url));
        }
        self.post("Calls.json", &fields)
    }

    /// A form POST to the account's `resource`, with HTTP Basic `sid:token`.
    fn post(&self, resource: &str, fields: &[(&str, &str)]) -> HttpRequest {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
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
            body: http::form(fields),
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

    fn twilio(voice_from: Option<&str>) -> Twilio {
        Twilio {
            base_url: "https://api.twilio.com/".into(),
            account_sid: "AC123".into(),
            auth_token: "tw-token".into(),
            voice_from: voice_from.map(str::to_owned),
        }
    }

    fn sms(report_url: Option<&str>) -> Sms<'_> {
        Sms {
            channel: smsotp_core::Channel::Sms,
            to: "+33612345678",
            from: "ACME & Co",
            text: "Your code is 123456",
            code: "123456",
            language: "fr",
            asked_language: None,
            otp_id: "id-1",
            message_id: "id-1.1",
            report_url,
            unicode: false,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn request_is_a_form_with_basic_auth() {
        let twilio = twilio(None);
        let request = twilio.build_request(&sms(None));
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
    fn status_callback_when_there_is_a_report_url() {
        let twilio = twilio(None);
        let request = twilio.build_request(&sms(Some(
            "https://otp.example/v1/delivery/twilio?otp=id-1",
        )));
        assert_eq!(
            request.body,
            "To=%2B33612345678&From=ACME+%26+Co&Body=Your+code+is+123456\
             &StatusCallback=https%3A%2F%2Fotp.example%2Fv1%2Fdelivery%2Ftwilio%3Fotp%3Did-1"
        );
    }

    #[test]
    fn calls() {
        let report = "https://otp.example/v1/delivery/twilio?otp=id-1";
        let twiml = "%3CResponse%3E%3CSay+language%3D%22fr-FR%22%3E1%2C+2%2C+3%2C+4%2C+5%2C+6.\
                     %3C%2FSay%3E%3CPause+length%3D%221%22%2F%3E%3CSay+language%3D%22fr-FR%22%3E\
                     1%2C+2%2C+3%2C+4%2C+5%2C+6.%3C%2FSay%3E%3C%2FResponse%3E";
        let callback = "https%3A%2F%2Fotp.example%2Fv1%2Fdelivery%2Ftwilio%3Fotp%3Did-1";
        let cases = [
            (
                Some("+15550100"),
                None,
                format!("To=%2B33612345678&From=%2B15550100&Twiml={twiml}"),
            ),
            (
                Some("+15550100"),
                Some(report),
                format!(
                    "To=%2B33612345678&From=%2B15550100&Twiml={twiml}&StatusCallback={callback}"
                ),
            ),
            // No TWILIO_VOICE_FROM: the SMS sender.
            (
                None,
                None,
                format!("To=%2B33612345678&From=ACME+%26+Co&Twiml={twiml}"),
            ),
        ];
        for (voice_from, report_url, body) in cases {
            let request = twilio(voice_from).build_call(&sms(report_url));
            assert_eq!(
                request.url,
                "https://api.twilio.com/2010-04-01/Accounts/AC123/Calls.json"
            );
            assert_eq!(
                request.headers,
                twilio(None).build_request(&sms(None)).headers
            );
            assert_eq!(request.body, body, "{voice_from:?} {report_url:?}");
        }
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
