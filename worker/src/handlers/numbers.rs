//! `/v1/numbers/…` (extension, secret key): what a tenant can do about one of its phone
//! numbers rather than one OTP — today, clear its locks.

use serde_json::json;
use smsotp_core::ErrorCode;
use smsotp_edge::placement;

use crate::error::{AppError, AppResult};
use crate::log;
use crate::pipeline::answer::Answer;
use crate::pipeline::context::Ctx;
use crate::shard::{self, ShardOp};
use crate::tenant::Tenant;

/// `DELETE /v1/numbers/{phoneNumber}/lock`: clears the number's locks — the lock after
/// `failuresBeforeLock` wrong PINs, its browser clients' locks, and the hard lock after 100
/// wrong PINs in a row, which nothing else ends. The number is in E.164, `+` written as is
/// or as `%2B`. 200 with the number; the same for a number that was not locked (the
/// tenant's view of it is "unlocked" either way).
pub async fn unlock(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let decoded = cx.param.replace("%2B", "+").replace("%2b", "+");
    let e164 = match smsotp_core::phone::parse(&decoded, None) {
        Ok(p) if decoded.starts_with('+') => p.e164,
        _ => return Err(AppError::Api(
            smsotp_core::ApiError::with_message(
                ErrorCode::PhoneNumberInvalid,
                "The phone number in the path is not a valid number in E.164 (+ and country code)",
            )
            .for_field("phoneNumber"),
        )),
    };
    let hasher = &cx.settings.pin_hasher;
    let shard = placement::of_number(hasher, &tenant.id, &e164);
    let (pk, nk) = placement::number_keys(hasher, &tenant.id, &e164);
    let op = ShardOp::Unlock {
        tenant: tenant.id.clone(),
        phone: e164.clone(),
        pk,
        nk,
    };
    shard::call(&cx.env, shard, &op, &cx.usage).await?;
    log::event(
        "info",
        "number.unlocked",
        json!({ "tenant": tenant.id, "to": smsotp_core::phone::mask_phone(&e164) }),
    );
    Ok(Answer::json(
        200,
        json!({ "phoneNumber": e164, "locked": false }),
    ))
}
