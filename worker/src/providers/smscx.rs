//! SMS.cx SMS API: `POST /sms`, JSON `{to, from, text, trackData, idempotencyId}`,
//! `X-API-KEY`; 200 with `data[].status` ACCEPTED or SCHEDULED on success.

use super::{ProviderFailure, Sms};
use crate::http;

pub struct Smscx {
    pub base_url: String,
    pub api_key: String,
}

impl Smscx {
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, ProviderFailure> {
        let url = format!("{}/sms", self.base_url.trim_end_matches('/'));
        let body = serde_json::json!({
            "to": sms.to, "from": sms.from, "text": sms.text,
            "trackData": sms.otp_id, "idempotencyId": sms.otp_id,
        });
        let reply = http::post(
            &url,
            &[
                ("Content-Type", "application/json"),
                ("X-API-KEY", &self.api_key),
            ],
            body.to_string(),
            sms.timeout,
        )
        .await
        .map_err(ProviderFailure)?;
        let json = super::json_reply("sms.cx", &reply)?;
        if reply.status != 200 {
            return Err(ProviderFailure(format!(
                "sms.cx {}: {}",
                reply.status, json["error"]["message"]
            )));
        }
        let first = &json["data"][0];
        match first["status"].as_str() {
            Some("ACCEPTED" | "SCHEDULED") => {
                Ok(first["msgId"].as_str().unwrap_or_default().to_owned())
            }
            other => Err(ProviderFailure(format!("sms.cx message status {other:?}"))),
        }
    }
}
