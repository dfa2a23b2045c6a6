//! Hands an OTP's message to the providers of its plan, in order, within the request: a
//! send error or timeout moves to the next step (the circuit breaker skipping a provider
//! that failed 5 times in a row); the create answers 201 if any step took the message, 502
//! only when all failed, each failure named in the log. Records what happened: the
//! `sms.sent` / `sms.failed` lines, the dev inbox in development, the step that took it
//! when not the first tried, and, when none did, the OTP FAILED in its shard (the PIN
//! never reached anyone, so it must not stay usable).

use serde_json::json;
use smsotp_core::ErrorCode;

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::log;
use crate::pipeline::context::Ctx;
use crate::providers::Sms;
use crate::shard::{self, OutgoingSms, ShardOp};

use super::breaker;

/// Where `provider` posts the reports of the message `reference`: `{PUBLIC_URL}/v1/
/// delivery/{provider}`, with our reference in the URL for Twilio (its reports carry
/// nothing else of ours); `None` without `PUBLIC_URL`.
pub fn report_url(settings: &Settings, provider: &str, reference: &str) -> Option<String> {
    let base = settings.public_url.as_deref()?;
    Some(match provider {
        "twilio" => format!("{base}/v1/delivery/twilio?otp={reference}"),
        other => format!("{base}/v1/delivery/{other}"),
    })
}

/// Tries the steps of `sms.plan` from `sms.step` on until one takes the message: the step
/// that did, or every failure (for the log and the attempt).
pub async fn send_plan(
    settings: &Settings,
    otp_id: &str,
    tenant: &str,
    sms: &OutgoingSms,
) -> Result<usize, String> {
    let mut failures = Vec::new();
    let last = sms.plan.len().saturating_sub(1);
    for (i, step) in sms.plan.iter().enumerate().skip(sms.step) {
        let provider = step.provider.as_str();
        let now = crate::clock::now();
        // An open circuit is skipped while another step remains (with one provider,
        // nothing changes: it is always tried).
        if i < last && breaker::is_open(provider, now) {
            failures.push(format!("{provider}: skipped (circuit open)"));
            continue;
        }
        let report_url = report_url(settings, provider, &sms.reference);
        let message = Sms {
            channel: step.channel,
            to: &sms.to,
            from: &sms.from,
            text: &sms.text,
            code: &sms.code,
            language: &sms.language,
            asked_language: sms.asked_language.as_deref(),
            otp_id,
            message_id: &sms.reference,
            report_url: report_url.as_deref(),
            unicode: sms.unicode,
            timeout: settings.sms_timeout,
        };
        match settings.providers.send(provider, &message).await {
            Ok(message_id) => {
                breaker::succeeded(provider);
                log::event(
                    "info",
                    "sms.sent",
                    json!({
                        "otpId": otp_id, "tenant": tenant, "provider": provider,
                        "channel": step.channel.as_str(), "reference": sms.reference,
                        "providerMessageId": message_id,
                        "to": smsotp_core::phone::mask_phone(&sms.to), "parts": sms.parts,
                    }),
                );
                return Ok(i);
            }
            Err(failure) => {
                if let Some(ms) = breaker::failed(provider, crate::clock::now()) {
                    log::event(
                        "warn",
                        "provider.circuit_open",
                        json!({ "provider": provider, "forMs": ms }),
                    );
                }
                log::event(
                    "error",
                    "sms.failed",
                    json!({
                        "otpId": otp_id, "tenant": tenant, "provider": provider,
                        "channel": step.channel.as_str(), "reference": sms.reference,
                        "kind": failure.kind(), "reason": failure.to_string(),
                    }),
                );
                failures.push(format!("{provider}: {failure}"));
            }
        }
    }
    Err(failures.join("; "))
}

/// Sends `sms` for the OTP `otp_id` (in shard `shard`) of `tenant` through its plan: 502
/// when every step failed, the OTP then FAILED. The step that took it when it is not the
/// one the record names (the ones before failed), so that the answer shows it too.
pub async fn deliver(
    cx: &Ctx,
    shard: u8,
    otp_id: &str,
    tenant: &str,
    sms: &OutgoingSms,
) -> AppResult<Option<smsotp_edge::delivery::Step>> {
    cx.usage.subrequest();
    let settings = &cx.settings;
    match send_plan(settings, otp_id, tenant, sms).await {
        Ok(step) => {
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
            // Not the step the record names: the ones before failed, the record is told.
            if step != sms.step {
                let op = ShardOp::Sent {
                    otp_id: otp_id.to_owned(),
                    reference: sms.reference.clone(),
                    step,
                };
                shard::call(&cx.env, shard, &op, &cx.usage).await?;
                return Ok(sms.plan.get(step).cloned());
            }
            Ok(None)
        }
        Err(failures) => {
            let op = ShardOp::FailDelivery {
                otp_id: otp_id.to_owned(),
                error: failures,
            };
            shard::call(&cx.env, shard, &op, &cx.usage).await?;
            Err(AppError::message(
                ErrorCode::ProviderError,
                format!("No provider could send the message; the OTP {otp_id} is FAILED"),
            ))
        }
    }
}
