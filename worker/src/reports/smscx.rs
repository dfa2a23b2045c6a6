//! SMS.cx delivery reports: a JSON POST to the message's `dlrCallbackUrl` (or the
//! application's callback URL in SMS.cx's dashboard), `{"event": "dlr_update", "data":
//! [...]}` with up to 200 items, each `{campaign_id, msg_id, status_code, status,
//! error_code, datetime, track_data}`; `track_data` is the `trackData` of the send (our OTP
//! id); a non-null `error_code` means the message was not delivered; the final statuses
//! are DELIVERED and FAILED (the model `CallBackRequestDlrUpdate` / `DataDlrUpdate` of
//! SMS.cx's generated SDKs, github.com/smscx/smscx-api-python-library, from
//! <https://sms.cx/sms-api-documentation>). The camelCase spellings (`msgId`, `trackData`,
//! `errorCode`) of SMS.cx's other JSON are read too. Other events (`otp_update`,
//! `receive_sms`, …) carry no delivery report: ignored.
//!
//! SMS.cx documents no signature on its callbacks, so the callback URL carries a secret:
//! `?token=SMSCX_WEBHOOK_TOKEN` (added to `dlrCallbackUrl` by `providers/smscx.rs`; put it
//! in the dashboard's callback URL too), compared in constant time.

use smsotp_core::DeliveryStatus;

use super::{json_text, param, query_pairs, same, Inbound, Refusal, Report};

/// SMS.cx's status word (any case), in ours (`None`: not one we map).
fn status(word: &str) -> Option<DeliveryStatus> {
    Some(match word.to_ascii_uppercase().as_str() {
        "ACCEPTED" | "SCHEDULED" | "QUEUED" | "PENDING" => DeliveryStatus::Queued,
        "SENT" | "BUFFERED" => DeliveryStatus::Sent,
        "DELIVERED" => DeliveryStatus::Delivered,
        "FAILED" | "UNDELIVERED" | "EXPIRED" => DeliveryStatus::Undelivered,
        "REJECTED" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// The first of `names` present in `item`, as text.
fn field(item: &serde_json::Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| json_text(&item[*name]))
}

/// The reports in an SMS.cx callback.
pub fn read(inbound: &Inbound, token: Option<&str>) -> Result<Vec<Report>, Refusal> {
    let token = token.ok_or(Refusal::Signature("SMSCX_WEBHOOK_TOKEN is not set"))?;
    let query = query_pairs(inbound.url).unwrap_or_default();
    let given = param(&query, "token").ok_or(Refusal::Signature("no token in the URL"))?;
    if !same(given.as_bytes(), token.as_bytes()) {
        return Err(Refusal::Signature("token does not match"));
    }
    let body: serde_json::Value = serde_json::from_str(inbound.body)
        .map_err(|_| Refusal::Malformed("body is not JSON".into()))?;
    if !body.is_object() {
        return Err(Refusal::Malformed("body is not a JSON object".into()));
    }
    if body["event"].as_str() != Some("dlr_update") {
        return Ok(Vec::new());
    }
    let items = body["data"]
        .as_array()
        .ok_or_else(|| Refusal::Malformed("no data array".into()))?;
    let mut reports = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let message_id = field(item, &["msg_id", "msgId"])
            .ok_or_else(|| Refusal::Malformed(format!("data[{i}]: no msg_id")))?;
        let word = field(item, &["status"])
            .ok_or_else(|| Refusal::Malformed(format!("data[{i}]: no status")))?;
        let Some(status) = status(&word) else {
            continue;
        };
        reports.push(Report {
            otp_id: field(item, &["track_data", "trackData"]),
            message_id,
            status,
            error_code: field(item, &["error_code", "errorCode"]),
            error_text: None,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://otp.example/v1/delivery/smscx?token=cx-secret";

    fn run(url: &str, body: &str, token: Option<&str>) -> Result<Vec<Report>, Refusal> {
        let header = |_: &str| None;
        let inbound = Inbound {
            url,
            header: &header,
            body,
            now_ms: 0,
        };
        read(&inbound, token)
    }

    fn one(item: &str) -> Result<Vec<Report>, Refusal> {
        run(
            URL,
            &format!(r#"{{"event":"dlr_update","data":[{item}]}}"#),
            Some("cx-secret"),
        )
    }

    #[test]
    fn statuses() {
        use DeliveryStatus::*;
        let cases = [
            ("ACCEPTED", Some(Queued)),
            ("SCHEDULED", Some(Queued)),
            ("SENT", Some(Sent)),
            ("DELIVERED", Some(Delivered)),
            ("delivered", Some(Delivered)),
            ("FAILED", Some(Undelivered)),
            ("UNDELIVERED", Some(Undelivered)),
            ("EXPIRED", Some(Undelivered)),
            ("REJECTED", Some(Failed)),
            ("NO COVERAGE", None),
        ];
        for (word, expected) in cases {
            let item = format!(
                r#"{{"campaign_id":"c1","msg_id":"m1","status_code":1,"status":"{word}","error_code":null,"datetime":"2026-12-05 10:00:00","track_data":"id-1"}}"#
            );
            let expected: Vec<Report> = expected
                .map(|status| Report {
                    otp_id: Some("id-1".into()),
                    message_id: "m1".into(),
                    status,
                    error_code: None,
                    error_text: None,
                })
                .into_iter()
                .collect();
            assert_eq!(one(&item), Ok(expected), "{word}");
        }
    }

    #[test]
    fn a_batch() {
        let body = r#"{"event":"dlr_update","data":[
            {"msg_id":"m1","status":"DELIVERED","error_code":null,"track_data":"id-1"},
            {"msg_id":"m2","status":"FAILED","error_code":4001,"track_data":null},
            {"msgId":"m3","status":"SENT","trackData":"id-3"},
            {"msg_id":"m4","status":"SOMETHING_NEW"}
        ]}"#;
        let reports = run(URL, body, Some("cx-secret")).unwrap();
        let summary: Vec<(&str, DeliveryStatus, Option<&str>, Option<&str>)> = reports
            .iter()
            .map(|r| {
                (
                    r.message_id.as_str(),
                    r.status,
                    r.otp_id.as_deref(),
                    r.error_code.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("m1", DeliveryStatus::Delivered, Some("id-1"), None),
                ("m2", DeliveryStatus::Undelivered, None, Some("4001")),
                ("m3", DeliveryStatus::Sent, Some("id-3"), None),
            ]
        );
    }

    /// URL, body, configured token, reports read or the refusal.
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Result<usize, Refusal>);

    #[test]
    fn refusals_and_other_events() {
        let body = r#"{"event":"dlr_update","data":[{"msg_id":"m1","status":"DELIVERED"}]}"#;
        let cases: Vec<Case> = vec![
            (URL, body, Some("cx-secret"), Ok(1)),
            (
                URL,
                body,
                None,
                Err(Refusal::Signature("SMSCX_WEBHOOK_TOKEN is not set")),
            ),
            (
                "https://otp.example/v1/delivery/smscx",
                body,
                Some("cx-secret"),
                Err(Refusal::Signature("no token in the URL")),
            ),
            (
                "https://otp.example/v1/delivery/smscx?token=cx-secreT",
                body,
                Some("cx-secret"),
                Err(Refusal::Signature("token does not match")),
            ),
            (
                "https://otp.example/v1/delivery/smscx?token=",
                body,
                Some("cx-secret"),
                Err(Refusal::Signature("token does not match")),
            ),
            (
                URL,
                "not json",
                Some("cx-secret"),
                Err(Refusal::Malformed("body is not JSON".into())),
            ),
            (
                URL,
                "[]",
                Some("cx-secret"),
                Err(Refusal::Malformed("body is not a JSON object".into())),
            ),
            (
                URL,
                r#"{"event":"dlr_update"}"#,
                Some("cx-secret"),
                Err(Refusal::Malformed("no data array".into())),
            ),
            (
                URL,
                r#"{"event":"dlr_update","data":[{"status":"DELIVERED"}]}"#,
                Some("cx-secret"),
                Err(Refusal::Malformed("data[0]: no msg_id".into())),
            ),
            (
                URL,
                r#"{"event":"dlr_update","data":[{"msg_id":"m1"}]}"#,
                Some("cx-secret"),
                Err(Refusal::Malformed("data[0]: no status".into())),
            ),
            (
                URL,
                r#"{"event":"otp_update","data":[{"otpId":"x","status":"VERIFIED"}]}"#,
                Some("cx-secret"),
                Ok(0),
            ),
        ];
        for (url, body, token, expected) in cases {
            assert_eq!(
                run(url, body, token).map(|r| r.len()),
                expected,
                "{url} {body}"
            );
        }
    }
}
