//! SMS.cx SMS API: `POST /sms`, JSON `{to, from, text, trackData, idempotencyId}`,
//! `X-API-KEY`; 200 with `data[].status` ACCEPTED or SCHEDULED on success, other statuses
//! (REJECTED, …) are refusals; errors as `{error: {type, code, message}}`.

use super::{json, text, HttpRequest, ProviderError, Redacted, Sms};

/// SMS.cx's configuration (`SMSCX_*`).
pub struct Smscx {
    pub base_url: String,
    pub api_key: String,
}

impl Smscx {
    /// The API call for `sms`.
    pub fn build_request(&self, sms: &Sms<'_>) -> HttpRequest {
        let body = serde_json::json!({
            "to": sms.to, "from": sms.from, "text": sms.text,
            "trackData": sms.otp_id, "idempotencyId": sms.otp_id,
        });
        HttpRequest {
            url: format!("{}/sms", self.base_url.trim_end_matches('/')),
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("X-API-KEY", self.api_key.clone()),
            ],
            body: body.to_string(),
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
        };
        let sms = Sms {
            to: "+4915123456789",
            from: "Verify",
            text: "Code \"1234\"",
            otp_id: "id-1",
            unicode: false,
            timeout: Duration::from_secs(1),
        };
        let request = smscx.build_request(&sms);
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
            r#"{"from":"Verify","idempotencyId":"id-1","text":"Code \"1234\"","to":"+4915123456789","trackData":"id-1"}"#
        );
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
