//! The OTP endpoints. Each handler: parse the HTTP input, ask the core (rules) or the
//! shard that owns the OTP (state), answer. Errors go back as `AppError` to the one mapping
//! in lib.rs.

use serde_json::{json, Value};
use smsotp_core::create::create_otp_with_id;
use smsotp_core::{shard as placement, validate_request_text, ErrorCode, FallibleSource};
use worker::{Date, Env, Request};

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::log;
use crate::providers::Sms;
use crate::shard::{self, OutgoingSms, ShardOp};
use crate::tenant::Tenant;
use crate::usage::Usage;

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// A successful answer: HTTP status and JSON body, and the OTP it concerns (for the log).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub otp_id: Option<String>,
}

/// An oversized body is a 400 `invalid_request`, like any other unusable body.
fn too_large() -> AppError {
    AppError::message(
        ErrorCode::BadRequest,
        format!("The request body is larger than {} KiB", MAX_BODY / 1024),
    )
}

async fn body_text(req: &mut Request) -> AppResult<String> {
    if let Ok(Some(len)) = req.headers().get("Content-Length") {
        if len.trim().parse::<usize>().is_ok_and(|n| n > MAX_BODY) {
            return Err(too_large());
        }
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| AppError::api(ErrorCode::BadRequest))?;
    if bytes.len() > MAX_BODY {
        return Err(too_large());
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::message(ErrorCode::BadRequest, "The request body is not UTF-8"))
}

/// Anything but an id this service issues cannot exist (and reaches no Durable Object);
/// an id names the shard that owns it.
fn checked_id(otp_id: &str) -> AppResult<(&str, u8)> {
    match placement::of_otp_id(otp_id) {
        Some(shard) if smsotp_core::request::is_otp_id(otp_id) => Ok((otp_id, shard)),
        _ => Err(AppError::api(ErrorCode::OtpNotFound)),
    }
}

/// `POST /otp`.
pub async fn create(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    usage: &Usage,
) -> AppResult<Answer> {
    let text = body_text(req).await?;
    // The tenant's defaults (over the deployment's) fill what the request leaves out.
    let request = validate_request_text(&text, &tenant.policy.config).map_err(AppError::Invalid)?;
    let now = Date::now().as_millis();
    // crypto.getRandomValues; a failure refuses the create (no PIN from failed bytes).
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    // Every OTP of a number lives in the number's shard.
    let shard = placement::of_number(&settings.pin_hasher, &tenant.id, &request.phone_number);
    // The id also names the number's row in the shard (no index to look it up by).
    let (prefix_key, number_key) =
        placement::number_keys(&settings.pin_hasher, &tenant.id, &request.phone_number);
    let new = FallibleSource::run(fill, |rng| {
        let otp_id = placement::new_otp_id_for(rng, shard, prefix_key, number_key);
        create_otp_with_id(
            &request,
            &tenant.id,
            &settings.pin_hasher,
            otp_id,
            rng,
            now,
            settings.price_per_part,
        )
    })
    .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    let otp_id = new.record.otp_id.clone();
    let reply = shard::call(
        env,
        shard,
        &ShardOp::Create {
            record: Box::new(new.record.clone()),
            request: Box::new(request.clone()),
            limits: Box::new(tenant.policy.number_limits.clone()),
        },
        usage,
    )
    .await?;
    // The number's limits refused an SMS now: nothing is stored, nothing is sent.
    if let Some(e) = reply.error {
        return Err(AppError::Api(e.into_api()));
    }
    let sms = OutgoingSms {
        to: request.phone_number.clone(),
        from: request.from.clone(),
        text: new.message.text,
        parts: new.message.sms.parts,
        unicode: new.message.sms.encoding == smsotp_core::Encoding::Ucs2,
    };
    deliver(env, settings, shard, &otp_id, &tenant.id, &sms, usage).await?;
    Ok(Answer {
        status: 201,
        body: json!(new.record.to_object(now)),
        otp_id: Some(otp_id),
    })
}

/// Hands an OTP's SMS to the provider. A failure leaves the OTP FAILED (the PIN never
/// reached anyone, so it must not stay usable) and answers 502.
async fn deliver(
    env: &Env,
    settings: &Settings,
    shard: u8,
    otp_id: &str,
    tenant: &str,
    sms: &OutgoingSms,
    usage: &Usage,
) -> AppResult<()> {
    usage.subrequest();
    let provider = &settings.provider;
    let message = Sms {
        to: &sms.to,
        from: &sms.from,
        text: &sms.text,
        otp_id,
        unicode: sms.unicode,
        timeout: settings.sms_timeout,
    };
    match provider.send(&message).await {
        Ok(message_id) => {
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
            shard::call(env, shard, &op, usage).await?;
            Err(AppError::message(
                ErrorCode::ProviderError,
                format!("The SMS provider could not send the message; the OTP {otp_id} is FAILED"),
            ))
        }
    }
}

/// `POST /otp/{id}/resend` (extension): a new PIN by SMS for a pending OTP; the old PIN
/// stops working, the attempts made carry over. 200 with the OTP object and `resendAfter`
/// (seconds until another resend may be asked for).
pub async fn resend(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    otp_id: &str,
    usage: &Usage,
) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let op = ShardOp::Resend {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
        limits: Box::new(tenant.policy.number_limits.clone()),
    };
    let reply = shard::call(env, shard, &op, usage).await?;
    if let Some(e) = reply.error {
        return Err(AppError::Api(e.into_api()));
    }
    let (Some(record), Some(sms)) = (reply.record, reply.sms) else {
        return Err(AppError::api(ErrorCode::OtpNotFound));
    };
    deliver(env, settings, shard, otp_id, &tenant.id, &sms, usage).await?;
    let now = Date::now().as_millis();
    let mut body = json!(record.to_object(now));
    body["resendAfter"] = json!(reply.resend_after);
    Ok(Answer {
        status: 200,
        body,
        otp_id: Some(otp_id.to_owned()),
    })
}

/// A shard's reply as the client's answer: no record is 2021 (missing, or another
/// tenant's), an error is that error, else 200 with `ok_body`.
fn answer(reply: shard::ShardReply, otp_id: &str, ok_body: Value) -> AppResult<Answer> {
    if reply.record.is_none() {
        return Err(AppError::api(ErrorCode::OtpNotFound));
    }
    match reply.error {
        Some(e) => Err(AppError::Api(e.into_api())),
        None => Ok(Answer {
            status: 200,
            body: ok_body,
            otp_id: Some(otp_id.to_owned()),
        }),
    }
}

/// `POST /otp/{id}`.
pub async fn verify(
    req: &mut Request,
    env: &Env,
    tenant: &Tenant,
    otp_id: &str,
    usage: &Usage,
) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let text = body_text(req).await?;
    let pin = smsotp_core::request::verify_pin(&text)?;
    let op = ShardOp::Check {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
        pin,
        limits: Box::new(tenant.policy.number_limits.clone()),
    };
    let reply = shard::call(env, shard, &op, usage).await?;
    answer(reply, otp_id, json!({"status": "VERIFIED"}))
}

/// `GET /otp/{id}`: from the shard that owns it (the only store of an OTP).
pub async fn status(env: &Env, tenant: &Tenant, otp_id: &str, usage: &Usage) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let now = Date::now().as_millis();
    let op = ShardOp::Get {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
    };
    let record = shard::call(env, shard, &op, usage)
        .await?
        .record
        .ok_or(AppError::api(ErrorCode::OtpNotFound))?;
    Ok(Answer {
        status: 200,
        body: json!(record.to_object(now)),
        otp_id: Some(otp_id.to_owned()),
    })
}

/// `DELETE /otp/{id}`.
pub async fn cancel(env: &Env, tenant: &Tenant, otp_id: &str, usage: &Usage) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let op = ShardOp::Cancel {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
    };
    let reply = shard::call(env, shard, &op, usage).await?;
    answer(reply, otp_id, json!({"info": {"id": otp_id}}))
}
