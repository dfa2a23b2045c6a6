//! `POST /v1/delivery/{provider}`: the providers' delivery reports (`twilio`, `vonage`,
//! `smscx`, `webhook`, `whatsapp`), and `GET /v1/delivery/whatsapp`, Meta's subscription
//! check. No API key: each report is authenticated the way its provider documents
//! (`reports/`; a bad or missing signature changes nothing and answers 401). A report
//! finds its OTP by what the message carried (our reference `{otpId}.{n}`, or the OTP id)
//! — no lookup table — and is applied in the number's shard in one write. A report for an
//! unknown message answers 200 (a provider retries anything else) and logs
//! `delivery.unknown`.

use serde_json::json;
use smsotp_core::{ApiError, ErrorCode};
use smsotp_edge::delivery::otp_of_reference;
use smsotp_edge::placement;

use crate::error::{AppError, AppResult};
use crate::log;
use crate::pipeline::answer::Answer;
use crate::pipeline::context::Ctx;
use crate::reports::{self, Inbound, Refusal};
use crate::shard::{self, ShardOp, ShardReply};

/// The providers reports come from.
const PROVIDERS: [&str; 5] = ["twilio", "vonage", "smscx", "webhook", "whatsapp"];

/// The URL as the provider called it: `PUBLIC_URL` (what the report URLs handed to
/// providers are built from, so what Twilio signs) with the request's path and query.
/// Without `PUBLIC_URL`, the request's own URL.
fn called_url(cx: &Ctx) -> AppResult<String> {
    let url = cx.req.url()?;
    let Some(base) = &cx.settings.public_url else {
        return Ok(url.to_string());
    };
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    Ok(format!("{base}{}{query}", url.path()))
}

fn provider(cx: &Ctx) -> AppResult<&'static str> {
    PROVIDERS
        .into_iter()
        .find(|p| *p == cx.param)
        .ok_or_else(|| AppError::api(ErrorCode::RouteNotFound))
}

fn unauthorized(why: &str, provider: &str) -> AppError {
    log::event(
        "warn",
        "delivery.refused",
        json!({ "provider": provider, "reason": why }),
    );
    AppError::Api(ApiError::with_message(
        ErrorCode::InvalidApiKey,
        "The report's signature is missing or wrong",
    ))
}

/// `POST /v1/delivery/{provider}`.
pub async fn report(cx: &mut Ctx) -> AppResult<Answer> {
    let provider = provider(cx)?;
    let url = called_url(cx)?;
    let body = cx.body().await?;
    let now = crate::clock::now();
    let req_headers = cx.req.headers().clone();
    let header = move |name: &str| req_headers.get(name).ok().flatten();
    let inbound = Inbound {
        url: &url,
        header: &header,
        body: &body,
        now_ms: now,
    };
    let reports = match reports::read(provider, &inbound, &cx.settings.providers.report_secrets) {
        Ok(reports) => reports,
        Err(Refusal::Signature(why)) => return Err(unauthorized(why, provider)),
        Err(Refusal::Malformed(why)) => {
            log::event(
                "warn",
                "delivery.malformed",
                json!({ "provider": provider, "reason": why }),
            );
            return Err(AppError::Api(ApiError::with_message(
                ErrorCode::BadRequest,
                format!("The report could not be read: {why}"),
            )));
        }
    };
    for report in reports {
        apply(cx, provider, report).await?;
    }
    Ok(Answer::json(200, json!({ "received": true })))
}

/// One report, in the shard of its OTP.
async fn apply(cx: &Ctx, provider: &str, report: reports::Report) -> AppResult<()> {
    // What the message carried: our reference, or (SMS.cx) the OTP id.
    let carried = report.otp_id.as_deref().unwrap_or("");
    let (otp_id, reference) = match otp_of_reference(carried) {
        Some(otp_id) => (otp_id, Some(carried.to_owned())),
        None => (carried, None),
    };
    let shard = match placement::of_otp_id(otp_id) {
        Some(shard) if smsotp_core::request::is_otp_id(otp_id) => shard,
        _ => {
            unknown(provider, &report);
            return Ok(());
        }
    };
    let op = ShardOp::Report {
        otp_id: otp_id.to_owned(),
        provider: provider.to_owned(),
        reference,
        message_id: report.message_id.clone(),
        status: report.status,
        error_code: report.error_code.clone(),
        error_text: report.error_text.clone(),
    };
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Reported { known: true } => Ok(()),
        _ => {
            unknown(provider, &report);
            Ok(())
        }
    }
}

fn unknown(provider: &str, report: &reports::Report) {
    log::event(
        "warn",
        "delivery.unknown",
        json!({
            "provider": provider, "messageId": report.message_id,
            "status": report.status.as_str(),
        }),
    );
}

/// `GET /v1/delivery/vonage`: a Vonage receipt sent as a GET (read as a report);
/// `GET /v1/delivery/whatsapp`: Meta's subscription check (`hub.mode=subscribe`,
/// `hub.verify_token`, `hub.challenge`): the challenge echoed when the token is
/// `WHATSAPP_VERIFY_TOKEN`, else 401.
pub async fn subscribe(cx: &mut Ctx) -> AppResult<Answer> {
    // Vonage may send its receipts as GET with query parameters (an account setting).
    if cx.param == "vonage" {
        return report(cx).await;
    }
    // Only Meta checks a subscription this way.
    if cx.param != "whatsapp" {
        return Err(AppError::api(ErrorCode::RouteNotFound));
    }
    let url = cx.req.url()?.to_string();
    let token = cx.settings.providers.whatsapp_verify_token.as_deref();
    match reports::whatsapp_challenge(&url, token) {
        Ok(challenge) => Ok(Answer::text(200, challenge)),
        Err(Refusal::Signature(why)) => Err(unauthorized(why, "whatsapp")),
        Err(Refusal::Malformed(why)) => Err(unauthorized(&why, "whatsapp")),
    }
}
