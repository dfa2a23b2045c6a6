//! The JSON of Service, Verification and VerificationCheck, and the list envelope, as
//! the SDKs parse them (docs/twilio.md; field names and shapes from the oai spec and Twilio's
//! fixtures).
//!
//! - **Dates** are exactly `YYYY-MM-DDTHH:MM:SSZ` ([`twilio_date`]): Python's `strptime`
//!   silently leaves anything else (milliseconds, `+00:00`) a plain string.
//! - **Statuses**: ours → `pending`, `approved`, `expired`, `canceled`,
//!   `max_attempts_reached` (FAILED by wrong codes) or `failed` (FAILED undelivered).
//! - **`send_code_attempts[].channel`** is upper case (`SMS`, `CALL`, `WHATSAPP`), as in
//!   Twilio's fixtures and Event Streams examples; the SDKs do not read it.
//! - **Lists**: `meta.key` names the items (the SDKs find them through it), and
//!   `next_page_url: null` ends the paging.
//! - Feature objects we do not offer (`push`, `totp`, `whatsapp`) carry Twilio's defaults
//!   and nulls, `passkeys`/`sna` are null: the SDKs pass them through untouched.

use serde_json::{json, Value};
use smsotp_core::otp::FailureReason;
use smsotp_core::{Channel, OtpStatus, UnixMillis};

/// `1438286400000` → `"2015-07-30T20:00:00Z"` (milliseconds dropped, UTC): the core's
/// RFC 3339 date with Twilio's `Z` for its `+00:00`.
pub fn twilio_date(ms: UnixMillis) -> String {
    let date = smsotp_core::time::format_rfc3339(ms);
    format!("{}Z", date.trim_end_matches("+00:00"))
}

/// Twilio's status for one of ours (`reason`: why a FAILED OTP failed).
pub fn status(status: OtpStatus, reason: Option<FailureReason>) -> &'static str {
    match (status, reason) {
        (OtpStatus::Pending, _) => "pending",
        (OtpStatus::Verified, _) => "approved",
        (OtpStatus::Expired, _) => "expired",
        (OtpStatus::Cancelled, _) => "canceled",
        (OtpStatus::Failed, Some(FailureReason::TooManyAttempts)) => "max_attempts_reached",
        (OtpStatus::Failed, _) => "failed",
    }
}

/// Twilio's channel name for ours (voice is `call`).
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Voice => "call",
        Channel::Whatsapp => "whatsapp",
    }
}

/// A service's stored settings, for [`service_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView<'a> {
    /// `VA…`.
    pub sid: &'a str,
    /// `AC…`.
    pub account_sid: &'a str,
    /// `friendly_name`.
    pub friendly_name: &'a str,
    /// `code_length`.
    pub code_length: u8,
    /// `lookup_enabled`.
    pub lookup_enabled: bool,
    /// `skip_sms_to_landlines`.
    pub skip_sms_to_landlines: bool,
    /// `dtmf_input_required`.
    pub dtmf_input_required: bool,
    /// `tts_name`.
    pub tts_name: Option<&'a str>,
    /// `psd2_enabled`.
    pub psd2_enabled: bool,
    /// `do_not_share_warning_enabled`.
    pub do_not_share_warning_enabled: bool,
    /// `custom_code_enabled`.
    pub custom_code_enabled: bool,
    /// Creation, unix ms.
    pub created: UnixMillis,
    /// Last update, unix ms.
    pub updated: UnixMillis,
}

/// A Service. `base` is the public origin (`https://verify.example.com`, no slash at the
/// end); `url` and `links` are absolute URLs under it.
pub fn service_json(s: &ServiceView<'_>, base: &str) -> Value {
    let url = format!("{base}/v2/Services/{}", s.sid);
    let links: serde_json::Map<String, Value> = [
        ("verification_checks", "VerificationCheck"),
        ("verifications", "Verifications"),
        ("rate_limits", "RateLimits"),
        ("messaging_configurations", "MessagingConfigurations"),
        ("entities", "Entities"),
        ("webhooks", "Webhooks"),
        ("access_tokens", "AccessTokens"),
    ]
    .into_iter()
    .map(|(k, p)| (k.to_owned(), Value::String(format!("{url}/{p}"))))
    .collect();
    json!({
        "sid": s.sid, "account_sid": s.account_sid, "friendly_name": s.friendly_name,
        "code_length": s.code_length, "lookup_enabled": s.lookup_enabled,
        "psd2_enabled": s.psd2_enabled, "skip_sms_to_landlines": s.skip_sms_to_landlines,
        "dtmf_input_required": s.dtmf_input_required, "tts_name": s.tts_name,
        "do_not_share_warning_enabled": s.do_not_share_warning_enabled,
        "custom_code_enabled": s.custom_code_enabled,
        "verify_event_subscription_enabled": false,
        "push": {"include_date": false, "apn_credential_sid": null, "fcm_credential_sid": null},
        "totp": {"issuer": null, "time_step": 30, "code_length": 6, "skew": 1},
        "whatsapp": {"msg_service_sid": null, "from": null},
        "passkeys": null, "default_template_sid": null,
        "date_created": twilio_date(s.created), "date_updated": twilio_date(s.updated),
        "url": url, "links": links,
    })
}

/// One send of a verification's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAttempt {
    /// `VL…`.
    pub attempt_sid: String,
    /// When, unix ms.
    pub time: UnixMillis,
    /// Through which channel.
    pub channel: Channel,
}

/// A verification, for [`verification_json`] and [`verification_check_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationView<'a> {
    /// `VE…`.
    pub sid: &'a str,
    /// `VA…`.
    pub service_sid: &'a str,
    /// `AC…`.
    pub account_sid: &'a str,
    /// The E.164 number.
    pub to: &'a str,
    /// The channel asked for.
    pub channel: Channel,
    /// Twilio's status ([`status`]).
    pub status: &'a str,
    /// PSD2 amount.
    pub amount: Option<&'a str>,
    /// PSD2 payee.
    pub payee: Option<&'a str>,
    /// Every send, oldest first.
    pub attempts: &'a [SendAttempt],
    /// Creation, unix ms.
    pub created: UnixMillis,
    /// Last update, unix ms.
    pub updated: UnixMillis,
}

fn common(v: &VerificationView<'_>) -> serde_json::Map<String, Value> {
    let Value::Object(map) = json!({
        "sid": v.sid, "service_sid": v.service_sid, "account_sid": v.account_sid,
        "to": v.to, "channel": channel_name(v.channel), "status": v.status,
        "valid": v.status == "approved", "amount": v.amount, "payee": v.payee,
        "date_created": twilio_date(v.created), "date_updated": twilio_date(v.updated),
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    map
}

/// A Verification (`url` absolute under `base`).
pub fn verification_json(v: &VerificationView<'_>, base: &str) -> Value {
    let mut map = common(v);
    let attempts: Vec<Value> = v
        .attempts
        .iter()
        .map(|a| {
            json!({"time": twilio_date(a.time),
                   "channel": channel_name(a.channel).to_ascii_uppercase(),
                   "attempt_sid": a.attempt_sid})
        })
        .collect();
    map.insert("lookup".into(), json!({}));
    map.insert("send_code_attempts".into(), attempts.into());
    map.insert("sna".into(), Value::Null);
    map.insert(
        "url".into(),
        format!(
            "{base}/v2/Services/{}/Verifications/{}",
            v.service_sid, v.sid
        )
        .into(),
    );
    Value::Object(map)
}

/// A VerificationCheck: the verification's fields (its `sid` is the `VE…`), no `url`,
/// `lookup` or `send_code_attempts`, and `sna_attempts_error_codes: []`.
pub fn verification_check_json(v: &VerificationView<'_>) -> Value {
    let mut map = common(v);
    map.insert("sna_attempts_error_codes".into(), json!([]));
    Value::Object(map)
}

/// A list page: `{<items_key>: items, meta}`. `url` is this page's absolute URL; the
/// first page's is `url`'s path with `PageSize` and `Page=0`; `previous_page_url` is
/// null (the SDKs page forward only); `next` is null on the last page.
pub fn page_json(
    items_key: &str,
    items: Vec<Value>,
    page: u32,
    page_size: u32,
    url: &str,
    next: Option<&str>,
) -> Value {
    let path = url.split('?').next().unwrap_or(url);
    let mut body = serde_json::Map::new();
    body.insert(items_key.to_owned(), Value::Array(items));
    body.insert(
        "meta".into(),
        json!({"page": page, "page_size": page_size,
               "first_page_url": format!("{path}?PageSize={page_size}&Page=0"),
               "previous_page_url": null, "url": url, "next_page_url": next,
               "key": items_key}),
    );
    Value::Object(body)
}

#[cfg(test)]
#[path = "resource_tests.rs"]
mod tests;
