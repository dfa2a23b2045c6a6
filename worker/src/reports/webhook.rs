//! Delivery reports from a custom provider (ours, `providers/webhook.rs`): a JSON POST to
//! the `reportUrl` of the send, one report `{"otpId", "messageId", "status", "errorCode",
//! "errorText"}` or an array of them, `status` already one of our words (queued, sent,
//! delivered, undelivered, failed) and `messageId` the one we sent.
//!
//! Signed the Standard Webhooks way, as our own status callbacks are (`callback.rs`):
//! `webhook-id`, `webhook-timestamp` (unix seconds, within 5 minutes of now) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
//! base64-decoded `SMS_WEBHOOK_SECRET` after its `whsec_` prefix; the header may list
//! several space-separated signatures (a key being rotated), any one of which may match
//! (<https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>).

use smsotp_core::DeliveryStatus;

use super::{fresh, redacted, same, Inbound, Refusal, Report};

/// One report object.
fn report(item: &serde_json::Value, at: &str) -> Result<Report, Refusal> {
    let malformed = |what: &str| Refusal::Malformed(format!("{at}{what}"));
    let text = |name: &str| item[name].as_str().filter(|s| !s.is_empty());
    let message_id = text("messageId").ok_or_else(|| malformed("no messageId"))?;
    let status = match text("status").ok_or_else(|| malformed("no status"))? {
        "queued" => DeliveryStatus::Queued,
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "undelivered" => DeliveryStatus::Undelivered,
        "failed" => DeliveryStatus::Failed,
        _ => {
            return Err(malformed(
                "status is not queued, sent, delivered, undelivered or failed",
            ))
        }
    };
    Ok(Report {
        otp_id: text("otpId").map(str::to_owned),
        message_id: message_id.to_owned(),
        status,
        error_code: super::json_text(&item["errorCode"]),
        error_text: text("errorText").and_then(redacted),
    })
}

/// The reports in a custom provider's request.
pub fn read(inbound: &Inbound, secret: Option<&str>) -> Result<Vec<Report>, Refusal> {
    let secret = secret.ok_or(Refusal::Signature("SMS_WEBHOOK_SECRET is not set"))?;
    let key = crate::callback::secret_key(secret).ok_or(Refusal::Signature(
        "SMS_WEBHOOK_SECRET is not whsec_ and base64",
    ))?;
    let id = (inbound.header)("webhook-id").ok_or(Refusal::Signature("no webhook-id"))?;
    let timestamp = (inbound.header)("webhook-timestamp")
        .and_then(|t| t.trim().parse::<u64>().ok())
        .ok_or(Refusal::Signature("no webhook-timestamp"))?;
    let given =
        (inbound.header)("webhook-signature").ok_or(Refusal::Signature("no webhook-signature"))?;
    if !fresh(timestamp.saturating_mul(1000), inbound.now_ms) {
        return Err(Refusal::Signature("webhook-timestamp not within 5 minutes"));
    }
    let expected = crate::callback::sign(&key, &id, timestamp, inbound.body);
    let mut valid = false;
    for candidate in given.split_whitespace() {
        valid |= same(candidate.as_bytes(), expected.as_bytes());
    }
    if !valid {
        return Err(Refusal::Signature("webhook-signature does not match"));
    }
    let body: serde_json::Value = serde_json::from_str(inbound.body)
        .map_err(|_| Refusal::Malformed("body is not JSON".into()))?;
    match &body {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| report(item, &format!("[{i}]: ")))
            .collect(),
        serde_json::Value::Object(_) => Ok(vec![report(&body, "")?]),
        _ => Err(Refusal::Malformed(
            "body is neither a report nor an array".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // "whsec_" + base64("smsotp-test-key-32-bytes-long!!!")
    const SECRET: &str = "whsec_c21zb3RwLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmchISE=";
    const NOW_MS: u64 = 1_800_000_000_000;
    const TS: u64 = 1_800_000_000;

    fn run(
        body: &str,
        headers: &[(&str, String)],
        secret: Option<&str>,
    ) -> Result<Vec<Report>, Refusal> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        let header = move |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let inbound = Inbound {
            url: "https://otp.example/v1/delivery/webhook",
            header: &header,
            body,
            now_ms: NOW_MS,
        };
        read(&inbound, secret)
    }

    fn headers(
        body: &str,
        timestamp: u64,
        signature: Option<String>,
    ) -> Vec<(&'static str, String)> {
        let key = crate::callback::secret_key(SECRET).unwrap();
        let signature =
            signature.unwrap_or_else(|| crate::callback::sign(&key, "msg_1", timestamp, body));
        vec![
            ("webhook-id", "msg_1".to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ]
    }

    fn signed(body: &str) -> Result<Vec<Report>, Refusal> {
        run(body, &headers(body, TS, None), Some(SECRET))
    }

    #[test]
    fn an_independently_computed_signature() {
        // Python: base64(hmac.new(b"smsotp-test-key-32-bytes-long!!!",
        //   b'msg_1.1800000000.{"messageId":"id-1.1","status":"sent"}', sha256).digest())
        let body = r#"{"messageId":"id-1.1","status":"sent"}"#;
        let sig = "v1,wk0lIy6vwejL9AT5pfxcM/t0JkaAZvJ6UbPRGyGawAs=".to_owned();
        assert_eq!(
            run(body, &headers(body, TS, Some(sig)), Some(SECRET)).map(|r| r.len()),
            Ok(1)
        );
    }

    #[test]
    fn statuses() {
        use DeliveryStatus::*;
        for (word, status) in [
            ("queued", Queued),
            ("sent", Sent),
            ("delivered", Delivered),
            ("undelivered", Undelivered),
            ("failed", Failed),
        ] {
            let body = format!(
                r#"{{"otpId":"id-1","messageId":"id-1.2","status":"{word}","errorCode":null}}"#
            );
            assert_eq!(
                signed(&body),
                Ok(vec![Report {
                    otp_id: Some("id-1".into()),
                    message_id: "id-1.2".into(),
                    status,
                    error_code: None,
                    error_text: None,
                }]),
                "{word}"
            );
        }
    }

    #[test]
    fn a_batch_with_errors() {
        let body = r#"[
            {"otpId":"id-1","messageId":"id-1.1","status":"undelivered","errorCode":"EC21","errorText":"Absent subscriber +33612345678"},
            {"messageId":"id-2.1","status":"delivered","errorCode":7}
        ]"#;
        assert_eq!(
            signed(body),
            Ok(vec![
                Report {
                    otp_id: Some("id-1".into()),
                    message_id: "id-1.1".into(),
                    status: DeliveryStatus::Undelivered,
                    error_code: Some("EC21".into()),
                    error_text: Some("Absent subscriber +3********78".into()),
                },
                Report {
                    otp_id: None,
                    message_id: "id-2.1".into(),
                    status: DeliveryStatus::Delivered,
                    error_code: Some("7".into()),
                    error_text: None,
                },
            ])
        );
    }

    type Headers = Vec<(&'static str, String)>;

    #[test]
    fn refusals() {
        let body = r#"{"messageId":"id-1.1","status":"sent"}"#;
        let good = headers(body, TS, None);
        let without = |name: &str| -> Vec<(&'static str, String)> {
            good.iter().filter(|(n, _)| *n != name).cloned().collect()
        };
        let cases: Vec<(&str, Headers, Option<&str>, Refusal)> = vec![
            (
                body,
                good.clone(),
                None,
                Refusal::Signature("SMS_WEBHOOK_SECRET is not set"),
            ),
            (
                body,
                good.clone(),
                Some("whsec_!!"),
                Refusal::Signature("SMS_WEBHOOK_SECRET is not whsec_ and base64"),
            ),
            (
                body,
                without("webhook-id"),
                Some(SECRET),
                Refusal::Signature("no webhook-id"),
            ),
            (
                body,
                without("webhook-timestamp"),
                Some(SECRET),
                Refusal::Signature("no webhook-timestamp"),
            ),
            (
                body,
                without("webhook-signature"),
                Some(SECRET),
                Refusal::Signature("no webhook-signature"),
            ),
            (
                body,
                headers(body, TS - 301, None),
                Some(SECRET),
                Refusal::Signature("webhook-timestamp not within 5 minutes"),
            ),
            (
                r#"{"messageId":"id-1.1","status":"delivered"}"#,
                good.clone(),
                Some(SECRET),
                Refusal::Signature("webhook-signature does not match"),
            ),
            (
                body,
                good.clone(),
                Some("whsec_b3RoZXIta2V5"),
                Refusal::Signature("webhook-signature does not match"),
            ),
        ];
        for (body, headers, secret, refusal) in cases {
            assert_eq!(
                run(body, &headers, secret),
                Err(refusal.clone()),
                "{refusal:?}"
            );
        }
        // Several signatures, one of them right (a key rotation).
        let key = crate::callback::secret_key(SECRET).unwrap();
        let rotated = format!("v1,AAAA {}", crate::callback::sign(&key, "msg_1", TS, body));
        assert!(run(body, &headers(body, TS, Some(rotated)), Some(SECRET)).is_ok());
    }

    #[test]
    fn malformed_bodies() {
        let cases = [
            ("not json", "body is not JSON"),
            ("42", "body is neither a report nor an array"),
            (r#"{"status":"sent"}"#, "no messageId"),
            (r#"{"messageId":"m"}"#, "no status"),
            (
                r#"{"messageId":"m","status":"expired"}"#,
                "status is not queued, sent, delivered, undelivered or failed",
            ),
            (
                r#"[{"messageId":"m","status":"sent"},{}]"#,
                "[1]: no messageId",
            ),
        ];
        for (body, why) in cases {
            assert_eq!(signed(body), Err(Refusal::Malformed(why.into())), "{body}");
        }
        assert_eq!(signed("[]"), Ok(vec![]));
    }
}
