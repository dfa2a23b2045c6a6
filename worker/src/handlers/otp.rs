//! The SMS.cx OTP API (secret key): `POST /otp`, `POST|GET|DELETE /otp/{otpId}`, and the
//! extension `POST /otp/{otpId}/resend`. Each handler reads the HTTP input, asks the
//! shared operations (`service/otp.rs`) or the shard that owns the OTP, and answers.

use serde_json::json;
use smsotp_core::validate_request_text;
use smsotp_edge::idempotency;
use smsotp_edge::limits::end_user_ip;

use crate::error::{AppError, AppResult};
use crate::limiter::{Budget, IdempotencyAsk};
use crate::pipeline::answer::Answer;
use crate::pipeline::budget;
use crate::pipeline::context::Ctx;
use crate::service::otp::{self as service, checked_id, Prepared, Resend};
use crate::shard::{self, ShardOp, ShardReply};
use crate::tenant::Tenant;

/// `POST /otp`: the body checked (the tenant's defaults fill what it leaves out), then the
/// shared create. A request refused here still spends its minute.
pub async fn create(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let prepared = match prepare(cx, tenant).await {
        Ok(p) => p,
        Err(e) => return Err(budget::refused(cx, tenant, Budget::Server, e).await),
    };
    service::create(cx, tenant, prepared).await
}

/// Reads and checks a create: its body, its `Idempotency-Key` and `X-End-User-IP`, and
/// whether the tenant may send to the number (country, number type).
async fn prepare<'t>(cx: &mut Ctx, tenant: &'t Tenant) -> AppResult<Prepared<'t>> {
    let text = cx.body().await?;
    let request = validate_request_text(&text, &tenant.policy.config).map_err(AppError::Invalid)?;
    cx.destination = Some((request.country_iso.clone(), request.channel));
    let idempotency = match cx.header("Idempotency-Key") {
        Some(key) => Some(IdempotencyAsk {
            key: idempotency::check_key(&key)?.to_owned(),
            fingerprint: idempotency::fingerprint(&text),
        }),
        None => None,
    };
    let ip = match cx.header("X-End-User-IP") {
        Some(ip) => Some(end_user_ip(&ip)?),
        None => None,
    };
    service::prepared(request, tenant, idempotency, ip)
}

/// `POST /otp/{otpId}/resend` (extension): a new PIN by SMS for a pending OTP; the old PIN
/// stops working, the attempts made carry over. 200 with the OTP object and `resendAfter`
/// (seconds until another resend may be asked for).
pub async fn resend(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let ip = match cx.header("X-End-User-IP").map(|ip| end_user_ip(&ip)) {
        Some(Err(e)) => return Err(budget::refused(cx, tenant, Budget::Server, e.into()).await),
        Some(Ok(ip)) => Some(ip),
        None => None,
    };
    let otp_id = cx.param.clone();
    let text = cx.body().await?;
    let channel = match smsotp_core::request::resend_channel(&text) {
        Ok(channel) => channel,
        Err(e) => {
            return Err(budget::refused(cx, tenant, Budget::Server, AppError::Invalid(e)).await)
        }
    };
    let asked = Resend {
        otp_id: &otp_id,
        ip,
        budget: Budget::Server,
        client: None,
        channel,
    };
    service::resend(cx, tenant, asked).await
}

/// `POST /otp/{otpId}`: the PIN.
pub async fn verify(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let param = cx.param.clone();
    let checked = checked_id(&param)?;
    let text = cx.body().await?;
    let pin = smsotp_core::request::verify_pin(&text)?;
    service::check_pin(cx, tenant, checked, pin, service::Checker::default()).await?;
    Ok(Answer::json(200, json!({"status": "VERIFIED"})).about(checked.0))
}

/// `GET /otp/{otpId}`: from the shard that owns it (the only store of an OTP).
pub async fn status(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(&cx.param)?;
    let now = crate::clock::now();
    let op = ShardOp::Get {
        service: None,
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
    };
    let record = match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(record) => record,
        other => return Err(other.into_error()),
    };
    Ok(Answer::json(200, json!(record.to_object(now))).about(otp_id))
}

/// `DELETE /otp/{otpId}`: no record is 2021 (missing, or another tenant's), a refusal is
/// its error (not pending).
pub async fn cancel(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(&cx.param)?;
    let op = ShardOp::Cancel {
        service: None,
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
    };
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(_) => {
            Ok(Answer::json(200, json!({"info": {"id": otp_id}})).about(otp_id))
        }
        other => Err(other.into_error()),
    }
}
