//! SMS.cx SMS API: `POST /sms`, JSON `{to, from, text, trackData, idempotencyId,
//! dlrCallbackUrl}`, `X-API-KEY`; 200 with `data[].status` ACCEPTED or SCHEDULED on success,
//! other statuses (REJECTED, …) are refusals; errors as `{error: {type, code, message}}`
//! (<https://sms.cx/sms-api-documentation>, and the request model `SendSmsMessageRequest` of
//! SMS.cx's generated SDKs, github.com/smscx/smscx-api-python-library).
//!
//! Both `trackData` and `idempotencyId` must be UUIDs (v1–v5; SMS.cx drops a `trackData`
//! that is not one and refuses such an `idempotencyId`). `trackData` is the OTP id (a v4
//! UUID), echoed in the delivery reports; `idempotencyId` is a v5 UUID of our message id
//! (`{otpId}.{n}`), so a retry of one message is deduplicated and a resend or failover,
//! another message, is not. `dlrCallbackUrl` overrides the account's delivery-report URL
//! for this message; SMS.cx documents no signature on its callbacks, so the URL carries
//! `token=SMSCX_WEBHOOK_TOKEN`, which `reports/smscx.rs` checks.

use sha1::{Digest, Sha1};

use super::{json, text, HttpRequest, ProviderError, Redacted, Sms};

/// SMS.cx's configuration (`SMSCX_*`).
pub struct Smscx {
    pub base_url: String,
    pub api_key: String,
    /// The secret added to `dlrCallbackUrl` as `token` (`SMSCX_WEBHOOK_TOKEN`).
    pub report_token: Option<String>,
}

/// The name space of our message ids' v5 UUIDs (a random UUID, fixed forever: changing it
/// would let a retry across the change through SMS.cx's deduplication).
const MESSAGE_ID_NAMESPACE: [u8; 16] = [
    0x91, 0x1b, 0x57, 0x2a, 0x3a, 0xc4, 0x48, 0x05, 0x94, 0x7b, 0x91, 0x25, 0xa9, 0x0b, 0x6a, 0xd0,
];

/// The name-based (SHA-1, version 5) UUID of a message id, per RFC 9562 section 5.5.
fn idempotency_id(message_id: &str) -> String {
    let digest = Sha1::new()
        .chain_update(MESSAGE_ID_NAMESPACE)
        .chain_update(message_id.as_bytes())
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl Smscx {
    /// The API call for `sms`.
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let mut body = serde_json::json!({
            "to": sms.to, "from": sms.from, "text": sms.text,
            "trackData": sms.otp_id, "idempotencyId": idempotency_id(sms.message_id),
        });
        if let Some(report_url) = sms.report_url {
            body["dlrCallbackUrl"] = self.report_url(report_url).into();
        }
        HttpRequest {
            url: format!("{}/sms", self.base_url.trim_end_matches('/')),
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("X-API-KEY", self.api_key.clone()),
            ],
            body: body.to_string(),
        }
    }

    /// `report_url` with the `token` parameter, when `SMSCX_WEBHOOK_TOKEN` is set.
    fn report_url(&self, report_url: &str) -> String {
        match &self.report_token {
            Some(token) => {
                let join = if report_url.contains('?') { '&' } else { '?' };
                format!(
                    "{report_url}{join}{}",
                    crate::http::form(&[("token", token)])
                )
            }
            None => report_url.to_owned(),
        }
    }
}

/// SMS.cx's answer: the message id when accepted or scheduled, else why not.
pub fn parse_reply(status: u16, body: &str) -> Result<String, ProviderError> {
    let reply = json(body);
    if status != 200 {
        let detail = match reply {
            Some(r) => text(&r["error"]["message"]),
            None => "non-JSON body".to_owned(),
        };
        return Err(ProviderError::Status {
            status,
            detail: Redacted::new(&detail),
        });
    }
    let reply = reply.ok_or(ProviderError::Malformed {
        status,
        what: "not JSON",
    })?;
    let first = &reply["data"][0];
    match first["status"].as_str() {
        Some("ACCEPTED" | "SCHEDULED") => Ok(text(&first["msgId"])),
        Some(other) => Err(ProviderError::Refused {
            code: Redacted::new(other),
            detail: Redacted::new(&text(&first["statusDescription"])),
        }),
        None => Err(ProviderError::Malformed {
            status,
            what: "no data[0].status",
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn request_is_json_with_the_key_header() {
        let smscx = Smscx {
            base_url: "https://api.sms.cx/".into(),
            api_key: "cx-key".into(),
            report_token: None,
        };
        let request = smscx.build_request(&sms("id-1.1", None));
        assert_eq!(request.url, "https://api.sms.cx/sms");
        assert_eq!(
            request.headers,
            vec![
                ("Content-Type", "application/json".to_owned()),
                ("X-API-KEY", "cx-key".to_owned()),
            ]
        );
        assert_eq!(
            request.body,
            r#"{"from":"Verify","idempotencyId":"bd47695e-9099-5e8d-9dc4-2b00b380d571","text":"Code \"1234\"","to":"+4915123456789","trackData":"0f8e4c1a-5b0e-4d6f-9a57-3c2b1d0e9f88"}"#
        );
    }

    fn sms<'a>(message_id: &'a str, report_url: Option<&'a str>) -> Sms<'a> {
        Sms {
            channel: smsotp_core::Channel::Sms,
            to: "+4915123456789",
            from: "Verify",
            text: "Code \"1234\"",
            code: "1234",
            language: "de",
            asked_language: None,
            otp_id: "0f8e4c1a-5b0e-4d6f-9a57-3c2b1d0e9f88",
            message_id,
            report_url,
            unicode: false,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn each_message_has_its_own_idempotency_uuid() {
        // Expected values from Python's uuid.uuid5(UUID("911b572a-3ac4-4805-947b-9125a90b6ad0"), name).
        let cases = [
            ("id-1.1", "bd47695e-9099-5e8d-9dc4-2b00b380d571"),
            ("id-1.2", "4c4b36ee-f4a1-5b93-b010-5b8176359a30"),
            ("", "0e97a0bd-a572-5da3-a596-5661726a6db7"),
        ];
        for (message_id, uuid) in cases {
            assert_eq!(idempotency_id(message_id), uuid, "{message_id:?}");
        }
    }

    #[test]
    fn delivery_reports_url_carries_the_token() {
        let report = "https://otp.example/v1/delivery/smscx";
        let cases = [
            (None, None, None),
            (None, Some(report), Some(report.to_owned())),
            (
                Some("s3cr&t"),
                Some(report),
                Some(format!("{report}?token=s3cr%26t")),
            ),
            (
                Some("tok"),
                Some("https://otp.example/v1/delivery/smscx?x=1"),
                Some("https://otp.example/v1/delivery/smscx?x=1&token=tok".to_owned()),
            ),
            (Some("tok"), None, None),
        ];
        for (token, report_url, expected) in cases {
            let smscx = Smscx {
                base_url: "https://api.sms.cx".into(),
                api_key: "k".into(),
                report_token: token.map(str::to_owned),
            };
            let body: serde_json::Value =
                serde_json::from_str(&smscx.build_request(&sms("id-1.1", report_url)).body)
                    .unwrap();
            assert_eq!(
                body["dlrCallbackUrl"].as_str().map(str::to_owned),
                expected,
                "{token:?} {report_url:?}"
            );
            assert_eq!(body["trackData"], "0f8e4c1a-5b0e-4d6f-9a57-3c2b1d0e9f88");
        }
    }

    #[test]
    fn replies() {
        let malformed = |what| Err(ProviderError::Malformed { status: 200, what });
        let status = |status, detail: &str| {
            Err(ProviderError::Status {
                status,
                detail: Redacted::new(detail),
            })
        };
        let cases: Vec<(u16, &str, Result<String, ProviderError>)> = vec![
            (
                200,
                r#"{"info":{},"data":[{"msgId":"cx-1","status":"ACCEPTED"}]}"#,
                Ok("cx-1".into()),
            ),
            (
                200,
                r#"{"data":[{"msgId":"cx-2","status":"SCHEDULED"}]}"#,
                Ok("cx-2".into()),
            ),
            (
                200,
                r#"{"data":[{"msgId":"cx-3","status":"REJECTED","statusDescription":"Invalid number +4915123456789"}]}"#,
                Err(ProviderError::Refused {
                    code: Redacted::new("REJECTED"),
                    detail: Redacted::new("Invalid number +4**********89"),
                }),
            ),
            (200, r#"{"data":[]}"#, malformed("no data[0].status")),
            (
                200,
                r#"{"data":[{"status":7}]}"#,
                malformed("no data[0].status"),
            ),
            (200, "{}", malformed("no data[0].status")),
            (200, "<html>not json</html>", malformed("not JSON")),
            (200, "", malformed("not JSON")),
            (
                401,
                r#"{"error":{"type":"invalid_api_key","code":401,"message":"bad key"}}"#,
                status(401, "bad key"),
            ),
            (
                400,
                r#"{"error":{"message":"Invalid phone number 0612345678"}}"#,
                status(400, "Invalid phone number 0*******78"),
            ),
            (502, "Bad Gateway", status(502, "non-JSON body")),
            (500, "", status(500, "non-JSON body")),
        ];
        for (code, body, expected) in cases {
            assert_eq!(parse_reply(code, body), expected, "{code} {body:?}");
        }
    }
}
