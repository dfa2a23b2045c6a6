//! Development provider: the SMS goes to the log (`wrangler dev` prints it).

use super::{ProviderFailure, Sms};

pub fn send(sms: &Sms<'_>) -> Result<String, ProviderFailure> {
    let line = serde_json::json!({
        "level": "info", "event": "sms.console", "otpId": sms.otp_id,
        "to": sms.to, "from": sms.from, "text": sms.text,
    });
    worker::console_log!("{line}");
    Ok(format!("console-{}", sms.otp_id))
}
