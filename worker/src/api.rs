//! The OTP endpoints. Each handler: parse the HTTP input, ask the core (rules) or the
//! guard (state), store, answer. Errors go back as `AppError` to the one mapping in lib.rs.

use serde_json::{json, Value};
use smsotp_core::{create_otp, validate_request_text, ErrorCode, FallibleSource};
use worker::{Date, Env, Request};

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::guard::{self, GuardOp};
use crate::log;
use crate::providers::{Provider, Sms};

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

/// Anything but an id this service issues cannot exist (and gets no Durable Object).
fn checked_id(otp_id: &str) -> AppResult<&str> {
    if smsotp_core::request::is_otp_id(otp_id) {
        Ok(otp_id)
    } else {
        Err(AppError::api(ErrorCode::OtpNotFound))
    }
}

/// `POST /otp`.
pub async fn create(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    tenant: &str,
) -> AppResult<Answer> {
    let text = body_text(req).await?;
    let request = validate_request_text(&text, &settings.core).map_err(AppError::Invalid)?;
    let provider = Provider::from_env(env, settings.development)?;
    let now = Date::now().as_millis();
    // crypto.getRandomValues; a failure refuses the create (no PIN from failed bytes).
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    let new = FallibleSource::run(fill, |rng| {
        create_otp(
            &request,
            tenant,
            &settings.pin_hasher,
            rng,
            now,
            settings.price_per_part,
        )
    })
    .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    let otp_id = new.record.otp_id.clone();
    guard::call(
        env,
        &otp_id,
        &GuardOp::Init {
            record: new.record.clone(),
        },
    )
    .await?;
    let sms = Sms {
        to: &request.phone_number,
        from: &request.from,
        text: &new.message.text,
        otp_id: &otp_id,
        unicode: new.message.sms.encoding == smsotp_core::Encoding::Ucs2,
        timeout: Provider::timeout(env),
    };
    match provider.send(&sms).await {
        Ok(message_id) => {
            log::event(
                "info",
                "sms.sent",
                json!({
                    "otpId": otp_id, "tenant": tenant, "provider": provider.name(),
                    "providerMessageId": message_id, "to": smsotp_core::phone::mask_phone(&request.phone_number),
                    "parts": new.message.sms.parts,
                }),
            );
            Ok(Answer {
                status: 201,
                body: json!(new.record.to_object(now)),
                otp_id: Some(otp_id),
            })
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
            // The PIN never reached anyone: the OTP must not stay usable.
            guard::call(env, &otp_id, &GuardOp::FailDelivery).await?;
            Err(AppError::message(
                ErrorCode::ProviderError,
                format!("The SMS provider could not send the message; the OTP {otp_id} is FAILED"),
            ))
        }
    }
}

/// A guard's reply as the client's answer: no record is 2021 (missing, or another
/// tenant's), an error is that error, else 200 with `ok_body`.
fn answer(reply: guard::GuardReply, otp_id: &str, ok_body: Value) -> AppResult<Answer> {
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
pub async fn verify(req: &mut Request, env: &Env, tenant: &str, otp_id: &str) -> AppResult<Answer> {
    let otp_id = checked_id(otp_id)?;
    let text = body_text(req).await?;
    let pin = smsotp_core::request::verify_pin(&text)?;
    let reply = guard::call(
        env,
        otp_id,
        &GuardOp::Check {
            tenant: tenant.to_owned(),
            pin,
        },
    )
    .await?;
    answer(reply, otp_id, json!({"status": "VERIFIED"}))
}

/// `GET /otp/{id}`: a finished OTP is answered from KV; one that may still change from
/// its guard (authoritative).
pub async fn status(env: &Env, tenant: &str, otp_id: &str) -> AppResult<Answer> {
    let otp_id = checked_id(otp_id)?;
    let now = Date::now().as_millis();
    let kv = env.kv(guard::KV_BINDING)?;
    let cached: Option<smsotp_core::OtpRecord> = kv.get(&guard::kv_key(otp_id)).json().await?;
    let record = match cached {
        Some(r) if r.tenant == tenant && r.status.is_final() => Some(r),
        _ => {
            guard::call(
                env,
                otp_id,
                &GuardOp::Get {
                    tenant: tenant.to_owned(),
                },
            )
            .await?
            .record
        }
    };
    let record = record.ok_or(AppError::api(ErrorCode::OtpNotFound))?;
    Ok(Answer {
        status: 200,
        body: json!(record.to_object(now)),
        otp_id: Some(otp_id.to_owned()),
    })
}

/// `DELETE /otp/{id}`.
pub async fn cancel(env: &Env, tenant: &str, otp_id: &str) -> AppResult<Answer> {
    let otp_id = checked_id(otp_id)?;
    let reply = guard::call(
        env,
        otp_id,
        &GuardOp::Cancel {
            tenant: tenant.to_owned(),
        },
    )
    .await?;
    answer(reply, otp_id, json!({"info": {"id": otp_id}}))
}
