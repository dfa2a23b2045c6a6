//! Development provider: the SMS text goes to the log (`wrangler dev` prints it), with the
//! recipient masked like everywhere else in the logs.

use super::Sms;

/// Logs the SMS; returns its message id (it cannot fail).
pub fn send(sms: &Sms<'_>) -> String {
    let line = serde_json::json!({
        "level": "info", "event": "sms.console", "otpId": sms.otp_id,
        "to": smsotp_core::phone::mask_phone(sms.to), "from": sms.from, "text": sms.text,
    });
    worker::console_log!("{line}");
    format!("console-{}", sms.otp_id)
}
