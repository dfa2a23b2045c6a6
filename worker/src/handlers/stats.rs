//! `GET /v1/stats` (extension, secret key): the tenant's statistics per hour, country,
//! channel and provider — OTPs created and verified (Twilio's Attempts Summary), messages
//! sent and their delivery, refusals by abuse control, SMS parts and cost. The query and
//! the answer are `smsotp_edge::stats::query`'s; the buckets are kept in the tenant's
//! limiter (`limiter/stats.rs`), so this is one Durable Object call.

use serde_json::json;
use smsotp_core::{ApiError, ErrorCode};

use crate::error::{AppError, AppResult};
use crate::limiter;
use crate::pipeline::answer::Answer;
use crate::pipeline::context::Ctx;
use crate::tenant::Tenant;
use smsotp_edge::stats::StatsQuery;

/// `GET /v1/stats?from=&to=&groupBy=`: 200 with `{tenant, from, to, groupBy, groups}`; 400 naming
/// the parameter that is not ISO 8601, a range over 90 days or older than the 400 days
/// kept, an unknown or repeated `groupBy`. A parameter given twice is refused too (which
/// one was meant cannot be told).
pub async fn get(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let url = cx.req.url()?;
    let mut from = None;
    let mut to = None;
    let mut group_by = None;
    for (name, value) in url.query_pairs() {
        let slot = match name.as_ref() {
            "from" => &mut from,
            "to" => &mut to,
            "groupBy" => &mut group_by,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            let message = format!("'{name}' is given more than once");
            let e = ApiError::with_message(ErrorCode::BadRequest, message);
            return Err(AppError::Api(e.for_field(name.as_ref())));
        }
    }
    let now = crate::clock::now();
    let query = StatsQuery::from_params(from.as_deref(), to.as_deref(), group_by.as_deref(), now)
        .map_err(|p| AppError::Api(p.api_error()))?;
    let rows = limiter::wire::stats(
        &cx.env,
        &tenant.id,
        (query.from_hour, query.to_hour),
        &cx.usage,
    )
    .await?;
    let mut body = json!(query.answer(&rows));
    // Whose statistics these are (a tool holding several keys can tell them apart).
    body["tenant"] = json!(tenant.id);
    Ok(Answer::json(200, body))
}
