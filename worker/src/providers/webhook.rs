//! Custom providers (our own format): POST `{to, from, text, otpId, messageId, channel,
//! reportUrl}` as JSON to `SMS_WEBHOOK_URL`; any 2xx is success. `messageId` (`{otpId}.{n}`)
//! is the message's id: the endpoint names it in the delivery reports it posts to
//! `reportUrl` (absent when reports are off), signed as `reports/webhook.rs` checks.

use super::{HttpRequest, ProviderError, Redacted, Sms};

/// The webhook's configuration (`SMS_WEBHOOK_URL`).
pub struct Webhook {
    pub url: String,
}

impl Webhook {
    /// The call for `sms`.
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let mut body = serde_json::json!({
            "to": sms.to, "from": sms.from, "text": sms.text, "otpId": sms.otp_id,
            "messageId": sms.message_id, "channel": sms.channel.as_str(),
        });
        if let Some(report_url) = sms.report_url {
            body["reportUrl"] = report_url.into();
        }
        HttpRequest {
            url: self.url.clone(),
            headers: vec![("Content-Type", "application/json".to_owned())],
            body: body.to_string(),
        }
    }
}

/// The endpoint's answer: any 2xx is success. The body is never quoted in the error: a
/// custom endpoint may echo the request, PIN included.
pub fn parse_reply(status: u16, _body: &str) -> Result<(), ProviderError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(ProviderError::Status {
            status,
            detail: Redacted::new(""),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn request_is_json_to_the_configured_url() {
        let webhook = Webhook {
            url: "https://sms.example/send?x=1".into(),
        };
        let report = "https://otp.example/v1/delivery/webhook";
        let cases = [
            (
                None,
                r#"{"channel":"sms","from":"ACME","messageId":"id-1.2","otpId":"id-1","text":"Code 123456","to":"+33612345678"}"#,
            ),
            (
                Some(report),
                r#"{"channel":"sms","from":"ACME","messageId":"id-1.2","otpId":"id-1","reportUrl":"https://otp.example/v1/delivery/webhook","text":"Code 123456","to":"+33612345678"}"#,
            ),
        ];
        for (report_url, body) in cases {
            let sms = Sms {
                channel: smsotp_core::Channel::Sms,
                to: "+33612345678",
                from: "ACME",
                text: "Code 123456",
                code: "123456",
                language: "en",
                asked_language: None,
                otp_id: "id-1",
                message_id: "id-1.2",
                report_url,
                unicode: true,
                timeout: Duration::from_secs(1),
            };
            let request = webhook.build_request(&sms);
            assert_eq!(request.url, "https://sms.example/send?x=1");
            assert_eq!(
                request.headers,
                vec![("Content-Type", "application/json".to_owned())]
            );
            assert_eq!(request.body, body);
        }
    }

    #[test]
    fn replies() {
        let status = |status| {
            Err(ProviderError::Status {
                status,
                detail: Redacted::new(""),
            })
        };
        let cases: Vec<(u16, &str, Result<(), ProviderError>)> = vec![
            (200, "{}", Ok(())),
            (204, "", Ok(())),
            (202, "<html>garbage</html>", Ok(())),
            (299, "", Ok(())),
            (300, "", status(300)),
            (
                422,
                r#"{"error":"bad number +33612345678, code 123456"}"#,
                status(422),
            ),
            (500, "upstream exploded", status(500)),
            (199, "", status(199)),
        ];
        for (code, body, expected) in cases {
            assert_eq!(parse_reply(code, body), expected, "{code} {body:?}");
        }
    }
}
