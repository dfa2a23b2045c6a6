//! Status callbacks: `{"event":"otp_update","data":[<OTP object>]}` POSTed to the OTP's
//! `otpCallbackUrl`, signed per Standard Webhooks: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>`, the secret
//! being the OTP's tenant's own `webhookSecret` (`whsec_<base64>`, in its KV record). The shard that owns the OTP queues each
//! update and delivers it, retrying until a 2xx (`shard/outbox.rs`).

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use smsotp_core::OtpObject;

use crate::http;

/// One try: 5 s for the answer's status and the part of its body read; its body is read up
/// to 1 KiB (nothing of it is used but its status), and a redirect is not followed (a 3xx
/// is a failed try: a receiver cannot send the worker elsewhere, past the URL's checks).
pub const LIMITS: http::Limits = http::Limits {
    timeout: Duration::from_secs(5),
    max_body: 1024,
    follow_redirects: false,
};

/// The signing key from `whsec_<base64>`.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .filter(|k| !k.is_empty())
}

/// The `webhook-signature` value for a message.
pub fn sign(key: &[u8], id: &str, timestamp: u64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("v1,{sig}")
}

/// The body of a status update: `{"event":"otp_update","data":[<OTP object>]}`.
pub fn body(object: &OtpObject) -> String {
    body_of("otp_update", object)
}

/// The body of an `event` about an OTP (`otp_update`; `delivery_update`, an extension sent
/// to tenants with `deliveryCallbacks` on each delivery change).
pub fn body_of(event: &str, object: &OtpObject) -> String {
    serde_json::json!({"event": event, "data": [object]}).to_string()
}

/// Delivers one status update (`body`, with its stable `webhook_id`), signed now; returns
/// the receiver's 2xx status, or a description of the failure for the log.
pub async fn send(
    url: &str,
    webhook_id: &str,
    body: &str,
    key: &[u8],
    now_ms: u64,
) -> Result<u16, String> {
    let timestamp = (now_ms / 1000).to_string();
    let signature = sign(key, webhook_id, now_ms / 1000, body);
    let headers = [
        ("Content-Type", "application/json"),
        ("webhook-id", webhook_id),
        ("webhook-timestamp", timestamp.as_str()),
        ("webhook-signature", signature.as_str()),
    ];
    let reply = http::post_with(url, &headers, body.to_owned(), LIMITS)
        .await
        .map_err(|e| e.to_string())?;
    if (200..300).contains(&reply.status) {
        Ok(reply.status)
    } else {
        Err(format!("callback answered {}", reply.status))
    }
}
