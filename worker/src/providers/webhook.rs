//! Custom providers: POST `{to, from, text, otpId}` as JSON to `SMS_WEBHOOK_URL`; any 2xx
//! is success.

use super::{ProviderFailure, Sms};
use crate::http;

pub struct Webhook {
    pub url: String,
}

impl Webhook {
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, ProviderFailure> {
        let body = serde_json::json!({"to": sms.to, "from": sms.from, "text": sms.text, "otpId": sms.otp_id});
        let reply = http::post(
            &self.url,
            &[("Content-Type", "application/json")],
            body.to_string(),
            sms.timeout,
        )
        .await
        .map_err(ProviderFailure)?;
        if (200..300).contains(&reply.status) {
            Ok(sms.otp_id.to_owned())
        } else {
            Err(ProviderFailure(format!(
                "webhook answered {}",
                reply.status
            )))
        }
    }
}
