//! WhatsApp Cloud API status webhooks: Meta posts to the app's one webhook URL (set in the
//! app dashboard, not per message) JSON `{"object": "whatsapp_business_account", "entry":
//! [{"changes": [{"field": "messages", "value": {"statuses": [...]}}]}]}`; each status is
//! `{id, status, timestamp, recipient_id, biz_opaque_callback_data, errors: [{code, title,
//! message, error_data: {details}}]}`, `status` one of sent, delivered, read, failed
//! (<https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components> and its
//! status payload examples). Incoming messages and other fields carry no status: ignored.
//!
//! Signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with
//! the app secret>`; the subscription is confirmed by a GET with `hub.mode=subscribe`,
//! `hub.verify_token` (ours) and `hub.challenge` (to echo)
//! (<https://developers.facebook.com/docs/graph-api/webhooks/getting-started>).
//!
//! Statuses: sent is sent; delivered and read are delivered; failed is failed (Meta took
//! the message, then could not deliver it: the number is not on WhatsApp, the template
//! is paused, …; the error code says which).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use smsotp_core::DeliveryStatus;

use super::{hex, json_text, param, query_pairs, redacted, same, Inbound, Refusal, Report};

/// WhatsApp's GET subscription check: `Ok(challenge to echo)` when `hub.mode=subscribe`
/// and `hub.verify_token` equals the token (constant time), else `Signature`
/// (`Malformed` when there is no `hub.challenge` to echo).
pub fn whatsapp_challenge(url: &str, verify_token: Option<&str>) -> Result<String, Refusal> {
    let verify_token =
        verify_token.ok_or(Refusal::Signature("WHATSAPP_VERIFY_TOKEN is not set"))?;
    let query = query_pairs(url).ok_or(Refusal::Signature("unreadable query"))?;
    if param(&query, "hub.mode") != Some("subscribe") {
        return Err(Refusal::Signature("hub.mode is not subscribe"));
    }
    let given =
        param(&query, "hub.verify_token").ok_or(Refusal::Signature("no hub.verify_token"))?;
    if !same(given.as_bytes(), verify_token.as_bytes()) {
        return Err(Refusal::Signature("hub.verify_token does not match"));
    }
    param(&query, "hub.challenge")
        .map(str::to_owned)
        .ok_or_else(|| Refusal::Malformed("no hub.challenge".into()))
}

/// Meta's status word, in ours (`None`: not one we map).
fn status(word: &str) -> Option<DeliveryStatus> {
    Some(match word {
        "sent" => DeliveryStatus::Sent,
        "delivered" | "read" => DeliveryStatus::Delivered,
        "failed" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// One status object as a report (`Ok(None)`: a status word we do not map).
fn report(item: &serde_json::Value) -> Result<Option<Report>, Refusal> {
    let id =
        json_text(&item["id"]).ok_or_else(|| Refusal::Malformed("a status without id".into()))?;
    let word = item["status"]
        .as_str()
        .ok_or_else(|| Refusal::Malformed("a status without status".into()))?;
    let Some(status) = status(word) else {
        return Ok(None);
    };
    let error = &item["errors"][0];
    let error_text = ["message", "title"]
        .iter()
        .find_map(|name| error[*name].as_str().and_then(redacted))
        .map(
            |text| match error["error_data"]["details"].as_str().and_then(redacted) {
                Some(details) if details != text => format!("{text}: {details}"),
                _ => text,
            },
        );
    Ok(Some(Report {
        otp_id: json_text(&item["biz_opaque_callback_data"]),
        message_id: id,
        status,
        error_code: json_text(&error["code"]),
        error_text,
    }))
}

/// The reports in a WhatsApp webhook.
pub fn read(inbound: &Inbound, app_secret: Option<&str>) -> Result<Vec<Report>, Refusal> {
    let app_secret = app_secret.ok_or(Refusal::Signature("WHATSAPP_APP_SECRET is not set"))?;
    let header = (inbound.header)("x-hub-signature-256")
        .ok_or(Refusal::Signature("no X-Hub-Signature-256"))?;
    let given = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(Refusal::Signature("X-Hub-Signature-256 is not sha256=…"))?
        .to_ascii_lowercase();
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("any key length");
    mac.update(inbound.body.as_bytes());
    if !same(
        hex(&mac.finalize().into_bytes()).as_bytes(),
        given.as_bytes(),
    ) {
        return Err(Refusal::Signature("X-Hub-Signature-256 does not match"));
    }
    let body: serde_json::Value = serde_json::from_str(inbound.body)
        .map_err(|_| Refusal::Malformed("body is not JSON".into()))?;
    if !body.is_object() {
        return Err(Refusal::Malformed("body is not a JSON object".into()));
    }
    let mut reports = Vec::new();
    let entries = body["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for entry in entries {
        let changes = entry["changes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for change in changes {
            let statuses = change["value"]["statuses"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for item in statuses {
                reports.extend(report(item)?);
            }
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "meta-app-secret";

    fn sign(body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        format!("sha256={}", hex(&mac.finalize().into_bytes()))
    }

    fn run(
        body: &str,
        signature: Option<String>,
        secret: Option<&str>,
    ) -> Result<Vec<Report>, Refusal> {
        let header =
            move |name: &str| (name == "x-hub-signature-256").then(|| signature.clone())?;
        let inbound = Inbound {
            url: "https://otp.example/v1/delivery/whatsapp",
            header: &header,
            body,
            now_ms: 0,
        };
        read(&inbound, secret)
    }

    fn signed(body: &str) -> Result<Vec<Report>, Refusal> {
        run(body, Some(sign(body)), Some(SECRET))
    }

    fn webhook(statuses: &str) -> String {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"WABA1","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550100","phone_number_id":"1065"}},"statuses":[{statuses}]}}}}]}}]}}"#
        )
    }

    #[test]
    fn an_independently_computed_signature() {
        // Python: hmac.new(b"meta-app-secret", b'{"object":"whatsapp_business_account"}', sha256).hexdigest()
        let body = r#"{"object":"whatsapp_business_account"}"#;
        assert_eq!(
            sign(body),
            "sha256=81176fcf9ac718ce2812972d013a8e62f99e6d50aee56fd0e9d9d954c7c0c1b0"
        );
        assert_eq!(
            run(
                body,
                Some(sign(body).to_uppercase().replace("SHA256=", "sha256=")),
                Some(SECRET)
            ),
            Ok(vec![])
        );
    }

    #[test]
    fn statuses() {
        use DeliveryStatus::*;
        for (word, expected) in [
            ("sent", Some(Sent)),
            ("delivered", Some(Delivered)),
            ("read", Some(Delivered)),
            ("failed", Some(Failed)),
            ("deleted", None),
        ] {
            let body = webhook(&format!(
                r#"{{"id":"wamid.A","status":"{word}","timestamp":"1800000000","recipient_id":"5511987654321","biz_opaque_callback_data":"id-1"}}"#
            ));
            let expected: Vec<Report> = expected
                .map(|status| Report {
                    otp_id: Some("id-1".into()),
                    message_id: "wamid.A".into(),
                    status,
                    error_code: None,
                    error_text: None,
                })
                .into_iter()
                .collect();
            assert_eq!(signed(&body), Ok(expected), "{word}");
        }
    }

    #[test]
    fn a_batch_with_a_failure() {
        let body = webhook(
            r#"{"id":"wamid.A","status":"delivered","recipient_id":"5511987654321"},
               {"id":"wamid.B","status":"failed","recipient_id":"5511987654321","biz_opaque_callback_data":"id-2",
                "errors":[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable",
                           "error_data":{"details":"Recipient +5511987654321 is not a WhatsApp user"}}]}"#,
        );
        assert_eq!(
            signed(&body),
            Ok(vec![
                Report {
                    otp_id: None,
                    message_id: "wamid.A".into(),
                    status: DeliveryStatus::Delivered,
                    error_code: None,
                    error_text: None,
                },
                Report {
                    otp_id: Some("id-2".into()),
                    message_id: "wamid.B".into(),
                    status: DeliveryStatus::Failed,
                    error_code: Some("131026".into()),
                    error_text: Some(
                        "Message undeliverable: Recipient +5**********21 is not a WhatsApp user"
                            .into()
                    ),
                },
            ])
        );
    }

    #[test]
    fn messages_and_other_fields_are_ignored() {
        let messages = r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"5511987654321","id":"wamid.C","type":"text","text":{"body":"hi"}}]}}]}]}"#;
        assert_eq!(signed(messages), Ok(vec![]));
        let template = r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}}]}]}"#;
        assert_eq!(signed(template), Ok(vec![]));
        assert_eq!(signed("{}"), Ok(vec![]));
    }

    #[test]
    fn refusals() {
        let body = webhook(r#"{"id":"wamid.A","status":"sent"}"#);
        let cases: Vec<(String, Option<String>, Option<&str>, Refusal)> = vec![
            (
                body.clone(),
                Some(sign(&body)),
                None,
                Refusal::Signature("WHATSAPP_APP_SECRET is not set"),
            ),
            (
                body.clone(),
                None,
                Some(SECRET),
                Refusal::Signature("no X-Hub-Signature-256"),
            ),
            (
                body.clone(),
                Some(sign(&body).replace("sha256=", "sha1=")),
                Some(SECRET),
                Refusal::Signature("X-Hub-Signature-256 is not sha256=…"),
            ),
            (
                body.replace("sent", "read"),
                Some(sign(&body)),
                Some(SECRET),
                Refusal::Signature("X-Hub-Signature-256 does not match"),
            ),
            (
                body.clone(),
                Some(sign(&body)),
                Some("other"),
                Refusal::Signature("X-Hub-Signature-256 does not match"),
            ),
            (
                "not json".into(),
                Some(sign("not json")),
                Some(SECRET),
                Refusal::Malformed("body is not JSON".into()),
            ),
            (
                "[]".into(),
                Some(sign("[]")),
                Some(SECRET),
                Refusal::Malformed("body is not a JSON object".into()),
            ),
            (
                webhook(r#"{"status":"sent"}"#),
                Some(sign(&webhook(r#"{"status":"sent"}"#))),
                Some(SECRET),
                Refusal::Malformed("a status without id".into()),
            ),
            (
                webhook(r#"{"id":"wamid.A"}"#),
                Some(sign(&webhook(r#"{"id":"wamid.A"}"#))),
                Some(SECRET),
                Refusal::Malformed("a status without status".into()),
            ),
        ];
        for (body, signature, secret, refusal) in cases {
            assert_eq!(
                run(&body, signature, secret),
                Err(refusal.clone()),
                "{refusal:?}"
            );
        }
    }

    #[test]
    fn challenges() {
        let url = |query: &str| format!("https://otp.example/v1/delivery/whatsapp?{query}");
        let cases: Vec<(String, Option<&str>, Result<String, Refusal>)> = vec![
            (
                url("hub.mode=subscribe&hub.verify_token=vt-1&hub.challenge=1158201444"),
                Some("vt-1"),
                Ok("1158201444".into()),
            ),
            (
                url("hub.mode=subscribe&hub.verify_token=vt-1&hub.challenge=1158201444"),
                None,
                Err(Refusal::Signature("WHATSAPP_VERIFY_TOKEN is not set")),
            ),
            (
                url("hub.mode=subscribe&hub.verify_token=vt-2&hub.challenge=1"),
                Some("vt-1"),
                Err(Refusal::Signature("hub.verify_token does not match")),
            ),
            (
                url("hub.mode=subscribe&hub.challenge=1"),
                Some("vt-1"),
                Err(Refusal::Signature("no hub.verify_token")),
            ),
            (
                url("hub.mode=unsubscribe&hub.verify_token=vt-1&hub.challenge=1"),
                Some("vt-1"),
                Err(Refusal::Signature("hub.mode is not subscribe")),
            ),
            (
                "https://otp.example/v1/delivery/whatsapp".into(),
                Some("vt-1"),
                Err(Refusal::Signature("hub.mode is not subscribe")),
            ),
            (
                url("hub.mode=subscribe&hub.verify_token=vt-1"),
                Some("vt-1"),
                Err(Refusal::Malformed("no hub.challenge".into())),
            ),
        ];
        for (url, token, expected) in cases {
            assert_eq!(whatsapp_challenge(&url, token), expected, "{url}");
        }
    }
}
