//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form
//! fields `To`, `From`, `Body`, HTTP Basic `sid:token`; 201 with `sid` on success.

use base64::Engine;

use super::{ProviderFailure, Sms};
use crate::http;

pub struct Twilio {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
}

impl Twilio {
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, ProviderFailure> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        );
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.account_sid, self.auth_token));
        let auth = format!("Basic {basic}");
        let body = http::form(&[("To", sms.to), ("From", sms.from), ("Body", sms.text)]);
        let reply = http::post(
            &url,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &auth),
            ],
            body,
            sms.timeout,
        )
        .await
        .map_err(ProviderFailure)?;
        let json = super::json_reply("twilio", &reply)?;
        if (200..300).contains(&reply.status) {
            json["sid"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| ProviderFailure("twilio answered without a message sid".into()))
        } else {
            Err(ProviderFailure(format!(
                "twilio {}: code {} {}",
                reply.status, json["code"], json["message"]
            )))
        }
    }
}
