//! Status callbacks: `{"event":"otp_update","data":[<OTP object>]}` POSTed to the OTP's
//! `otpCallbackUrl`, signed per Standard Webhooks: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>`, the secret
//! being `WEBHOOK_SECRET` in `whsec_<base64>` form.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use smsotp_core::OtpObject;

use crate::http;

const TIMEOUT: Duration = Duration::from_secs(10);

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

/// Sends one status update; returns a description of the failure for the log.
pub async fn send(
    url: &str,
    object: &OtpObject,
    key: Option<&[u8]>,
    now_ms: u64,
) -> Result<u16, String> {
    let body = serde_json::json!({"event": "otp_update", "data": [object]}).to_string();
    let id = format!(
        "msg_{}_{}",
        object.otp_id,
        object.status.as_str().to_ascii_lowercase()
    );
    let timestamp = (now_ms / 1000).to_string();
    let signature = key.map(|k| sign(k, &id, now_ms / 1000, &body));
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("webhook-id", id.as_str()),
        ("webhook-timestamp", timestamp.as_str()),
    ];
    if let Some(sig) = &signature {
        headers.push(("webhook-signature", sig.as_str()));
    }
    let reply = http::post(url, &headers, body, TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if (200..300).contains(&reply.status) {
        Ok(reply.status)
    } else {
        Err(format!("callback answered {}", reply.status))
    }
}
