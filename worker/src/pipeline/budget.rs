//! Every budget a request spends, counted, refunded and answered here: the connecting IP's
//! minute (browser API), the tenant's minute (the server API's and, apart, the browser
//! API's), and for a request that sends an SMS its idempotency key, the tenant's day and
//! the end-user IP's hour — all in the tenant's `TenantLimiter`, one call per request.
//! The route table (`pipeline/table.rs`) declares which a route spends and when.
//!
//! Why in one place: a request must spend its minute exactly once whatever path it takes
//! (refused early, refused by the limiter, sent, failed), and an SMS counted and then not
//! sent must be given back; spread over the handlers, each new route had to get that right
//! again.

use smsotp_core::{ApiError, ErrorCode};
use smsotp_edge::guard::GuardMode;
use smsotp_edge::idempotency::StoredAnswer;
use smsotp_edge::limits::end_user_ip;
use worker::{Env, Request};

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::limiter::wire::Refusal;
use crate::limiter::{self, Ask, Budget, GuardVerdict, IdempotencyAsk, SendAsk};
use crate::tenant::Tenant;
use smsotp_edge::stats::counts_refusal;

use super::context::{header, Ctx};

/// The per-minute limit of a budget (0: off).
pub fn minute_limit(settings: &Settings, budget: Budget) -> u32 {
    match budget {
        Budget::Server => settings.rate_limit_per_minute,
        Budget::Browser => settings.browser_rate_limit_per_minute,
    }
}

/// The binding of the per-IP budget (wrangler.toml `[[ratelimits]]`).
pub const IP_LIMITER: &str = "BROWSER_IP_LIMITER";

/// The connecting client's IP as the per-IP limits count it (an IPv6 by its /64; `None`
/// when the platform did not say, as in local tests without the header): the
/// `CF-Connecting-IP` header, which a page cannot set.
pub fn client_ip(req: &Request) -> AppResult<Option<String>> {
    match header(req, "CF-Connecting-IP") {
        Some(ip) => Ok(Some(end_user_ip(&ip)?)),
        None => Ok(None),
    }
}

/// Who a browser request's per-client locks and budgets count: its IP subject, or one
/// shared subject when the platform did not name the client.
pub fn client_of(ip: &Option<String>) -> String {
    ip.clone().unwrap_or_else(|| "unknown".to_owned())
}

/// The connecting IP's minute, before anything else: 429 2134 when spent. Cloudflare's
/// rate-limiting binding counts per location and forgets within the period, which is what
/// a per-IP flood guard needs, at no KV read and no Durable Object call.
pub async fn ip_minute(req: &Request, env: &Env) -> AppResult<()> {
    let subject = client_of(&client_ip(req).unwrap_or(None));
    let limiter = env
        .rate_limiter(IP_LIMITER)
        .map_err(|e| AppError::Internal(format!("binding {IP_LIMITER}: {e}")))?;
    let outcome = limiter
        .limit(format!("ip:{subject}"))
        .await
        .map_err(|e| AppError::Internal(format!("{IP_LIMITER}.limit: {e}")))?;
    if outcome.success {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ClientIpRateLimited)
            .retry_after(60)
            .into())
    }
}

/// One request of the tenant's minute of `budget`, for a route that asks the limiter
/// nothing else (declared `TenantSpend::Minute`).
pub async fn minute(cx: &mut Ctx, tenant: &str, budget: Budget) -> AppResult<()> {
    let limit = minute_limit(&cx.settings, budget);
    let window = &mut cx.window;
    limiter::take_request(&cx.env, tenant, (limit, budget), None, &cx.usage, window).await
}

/// A request of a `TenantSpend::MinuteWithSms` route refused before its limiter call,
/// still counted as one request of the tenant's minute of `budget`: the refusal, or the
/// limiter's 429 (or failure) when that comes first.
///
/// A refusal by an abuse control (`smsotp_edge::stats::REFUSALS`: the country, the number
/// type, Turnstile, the origin…) is counted in the tenant's statistics in the same call,
/// with the destination the request named (`Ctx::destination`).
pub async fn refused(cx: &mut Ctx, tenant: &Tenant, budget: Budget, e: AppError) -> AppError {
    let limit = minute_limit(&cx.settings, budget);
    let refusal = match &e {
        AppError::Api(a) if counts_refusal(a.code.code()) => Some(Refusal {
            code: a.code.code(),
            country: cx
                .destination
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_default(),
            channel: cx.destination.as_ref().map(|d| d.1),
        }),
        _ => None,
    };
    let window = &mut cx.window;
    let taken = limiter::take_request(
        &cx.env,
        &tenant.id,
        (limit, budget),
        refusal,
        &cx.usage,
        window,
    );
    match taken.await {
        Ok(()) => e,
        Err(limited) => limited,
    }
}

/// What a request that sends an SMS asks the limiter, in one call: its minute of
/// `budget`, its idempotency key (creates), and its SMS (`None`: nothing counted, as for a
/// test number) against the tenant's day and the end-user IP's hour.
pub struct SmsAsk {
    pub budget: Budget,
    pub idempotency: Option<IdempotencyAsk>,
    pub send: Option<SendAsk>,
}

/// What the limiter admitted, to settle once the request is answered ([`settle`]).
pub struct Admitted {
    /// The SMS counted (given back if none leaves).
    counted: Option<SendAsk>,
    /// The idempotency key taken (its answer is kept for replays).
    key: Option<String>,
    /// The answer of an earlier request with the same key and body: answer it again, and
    /// do nothing else.
    pub replay: Option<StoredAnswer>,
    /// The adaptive guard's verdict on the SMS counted, for the range rule in the
    /// number's shard (`ShardOp::Create`'s `guard`).
    pub guard: Option<GuardVerdict>,
}

impl Admitted {
    /// An SMS a limiter call other than [`admit`] counts (a Twilio Verify start counts it
    /// in the call that reads its service, `Ask::Service`): `send` kept only when it has
    /// anything to count, so that the call asks exactly that ([`Admitted::sms_ask`]) and
    /// [`settle`] gives back exactly what was taken.
    pub fn sms(send: Option<SendAsk>) -> Self {
        Admitted {
            counted: send.filter(counts),
            key: None,
            replay: None,
            guard: None,
        }
    }

    /// The SMS for the limiter to count (`None`: nothing to ask).
    pub fn sms_ask(&self) -> Option<SendAsk> {
        self.counted.clone()
    }
}

/// Whether an SMS ask has anything for the limiter to count (a day's cap, the browser's,
/// an IP with a limit, or the adaptive guard unless the tenant turned it off: its
/// country's count, and the verdict the number's shard needs for the range rule).
fn counts(send: &SendAsk) -> bool {
    let l = &send.limits;
    l.daily_send_cap > 0
        || (send.browser && l.browser_daily_send_cap > 0)
        || (send.ip.is_some() && (l.ip_sends_per_hour > 0 || l.ipv6_net48_sends_per_hour > 0))
        || send
            .guard
            .as_ref()
            .is_some_and(|g| g.policy.mode != Some(GuardMode::Off))
}

/// Spends what an SMS-sending request asks ([`SmsAsk`]): the minute's 429, an idempotency
/// conflict or a cap's refusal is the error; nothing is asked when nothing would count.
pub async fn admit(cx: &mut Ctx, tenant: &Tenant, ask: SmsAsk) -> AppResult<Admitted> {
    let limit = minute_limit(&cx.settings, ask.budget);
    let counted = ask.send.clone().filter(counts);
    let key = ask.idempotency.as_ref().map(|i| i.key.clone());
    let mut admitted = Admitted {
        counted,
        key,
        replay: None,
        guard: None,
    };
    if limit == 0 && ask.idempotency.is_none() && admitted.counted.is_none() {
        return Ok(admitted);
    }
    let ask = Ask::Create {
        limit,
        budget: ask.budget,
        idempotency: ask.idempotency,
        send: ask.send,
    };
    (admitted.replay, admitted.guard) =
        limiter::admit(&cx.env, &tenant.id, &ask, &cx.usage, &mut cx.window).await?;
    Ok(admitted)
}

/// Settles what [`admit`] took, once the request is answered: an SMS counted but not sent
/// is given back; an idempotency key keeps `answer` for replays (`None`: the request
/// failed, so a retry runs again).
pub async fn settle(
    cx: &Ctx,
    tenant: &Tenant,
    admitted: Admitted,
    sent: bool,
    answer: Option<StoredAnswer>,
) -> AppResult<()> {
    if let (Some(counted), false) = (&admitted.counted, sent) {
        limiter::refund(&cx.env, &tenant.id, counted, &cx.usage).await?;
    }
    if let Some(key) = admitted.key {
        let finish = Ask::Finish { key, answer };
        limiter::ask(&cx.env, &tenant.id, &finish, &cx.usage).await?;
    }
    Ok(())
}
