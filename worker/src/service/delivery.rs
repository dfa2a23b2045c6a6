//! Hands an OTP's SMS to the provider, and records what happened: the `sms.sent` or
//! `sms.failed` log line, the dev inbox in development, and, on failure, the OTP marked
//! FAILED in its shard (the PIN never reached anyone, so it must not stay usable).

use serde_json::json;
use smsotp_core::ErrorCode;

use crate::error::{AppError, AppResult};
use crate::log;
use crate::pipeline::context::Ctx;
use crate::providers::Sms;
use crate::shard::{self, OutgoingSms, ShardOp};

/// Sends `sms` for the OTP `otp_id` (in shard `shard`) of `tenant`: 502 when the provider
/// fails, the OTP then FAILED.
pub async fn deliver(
    cx: &Ctx,
    shard: u8,
    otp_id: &str,
    tenant: &str,
    sms: &OutgoingSms,
) -> AppResult<()> {
    cx.usage.subrequest();
    let settings = &cx.settings;
    let provider = &settings.provider;
    let message_id = format!("{otp_id}.1");
    let message = Sms {
        channel: smsotp_core::Channel::Sms,
        to: &sms.to,
        from: &sms.from,
        text: &sms.text,
        code: "",
        language: "en",
        otp_id,
        message_id: &message_id,
        report_url: None,
        unicode: sms.unicode,
        timeout: settings.sms_timeout,
    };
    match provider.send(&message).await {
        Ok(message_id) => {
            if settings.keeps_dev_inbox() {
                crate::dev::record(
                    &cx.env,
                    crate::dev::InboxSms {
                        otp_id: otp_id.to_owned(),
                        to: sms.to.clone(),
                        text: sms.text.clone(),
                        sent_at: String::from(worker::js_sys::Date::new_0().to_iso_string()),
                    },
                )
                .await;
            }
            log::event(
                "info",
                "sms.sent",
                json!({
                    "otpId": otp_id, "tenant": tenant, "provider": provider.name(),
                    "providerMessageId": message_id, "to": smsotp_core::phone::mask_phone(&sms.to),
                    "parts": sms.parts,
                }),
            );
            Ok(())
        }
        Err(failure) => {
            log::event(
                "error",
                "sms.failed",
                json!({
                    "otpId": otp_id, "tenant": tenant, "provider": provider.name(),
                    "kind": failure.kind(), "reason": failure.to_string(),
                }),
            );
            let op = ShardOp::FailDelivery {
                otp_id: otp_id.to_owned(),
            };
            shard::call(&cx.env, shard, &op, &cx.usage).await?;
            Err(AppError::message(
                ErrorCode::ProviderError,
                format!("The SMS provider could not send the message; the OTP {otp_id} is FAILED"),
            ))
        }
    }
}
