//! Vonage SMS API: `POST /sms/json`, form with `api_key`, `api_secret`, `to` (digits, no
//! `+`), `from`, `text`, `type=unicode` for UCS-2, `client-ref`. Always HTTP 200: success
//! only when every `messages[].status` is "0".

use super::{ProviderFailure, Sms};
use crate::http;

pub struct Vonage {
    pub base_url: String,
    pub api_key: String,
    pub api_secret: String,
}

impl Vonage {
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, ProviderFailure> {
        let url = format!("{}/sms/json", self.base_url.trim_end_matches('/'));
        let to = sms.to.trim_start_matches('+');
        let kind = if sms.unicode { "unicode" } else { "text" };
        let body = http::form(&[
            ("api_key", &self.api_key),
            ("api_secret", &self.api_secret),
            ("to", to),
            ("from", sms.from.trim_start_matches('+')),
            ("text", sms.text),
            ("type", kind),
            ("client-ref", sms.otp_id),
        ]);
        let reply = http::post(
            &url,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
            sms.timeout,
        )
        .await
        .map_err(ProviderFailure)?;
        if reply.status != 200 {
            return Err(ProviderFailure(format!("vonage answered {}", reply.status)));
        }
        let json = super::json_reply("vonage", &reply)?;
        let messages = json["messages"]
            .as_array()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| ProviderFailure("vonage answered without messages".into()))?;
        if let Some(bad) = messages.iter().find(|m| m["status"].as_str() != Some("0")) {
            return Err(ProviderFailure(format!(
                "vonage status {} {}",
                bad["status"], bad["error-text"]
            )));
        }
        Ok(messages[0]["message-id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}
