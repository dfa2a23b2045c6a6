//! What the worker asks a tenant's limiter and what it answers (internal JSON), and the
//! worker's side: the call, and its answer as the request's fate.

use serde::{Deserialize, Serialize};
use smsotp_core::Channel;
use smsotp_edge::guard::{CountryVerdict, GuardEvent, GuardMode, GuardPolicy};
use smsotp_edge::idempotency::StoredAnswer;
use smsotp_edge::limits::AbuseLimits;
use smsotp_edge::stats::StatsRow;
use worker::{Env, Result};

use crate::durable::{self, Message, RowUsage, WireError};
use crate::error::{AppError, AppResult};
use crate::usage::Usage;

/// The binding of the `TenantLimiter` namespace (wrangler.toml).
pub const BINDING: &str = "TENANT_LIMITER";

/// The answer of the limiter to one request: the worker turns it into the
/// `X-Rate-Limit-*` headers and, when not allowed, a 429 with `Retry-After`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed per minute.
    pub limit: u32,
    /// Requests still allowed in this minute, after this one.
    pub remaining: u32,
    /// Unix seconds when the window resets.
    pub reset: u64,
    /// Whether this request is within the limit (and was counted).
    pub allowed: bool,
}

/// Which per-minute budget of the tenant a request spends: the server API's
/// (`RATE_LIMIT_PER_MINUTE`, secret-key requests only) or the browser API's
/// (`BROWSER_RATE_LIMIT_PER_MINUTE`), so that public traffic with the publishable key can
/// never starve the tenant's own backend.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    #[default]
    Server,
    Browser,
}

/// What the worker asks the limiter (internal JSON).
///
/// Externally tagged: see [`ShardOp`](crate::shard::ShardOp).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// Count one request of the tenant's minute (and, for a request refused before its
    /// limiter call, count its refusal in the statistics: `refused`).
    Take {
        limit: u32,
        #[serde(default)]
        budget: Budget,
        #[serde(default)]
        refused: Option<Refusal>,
    },
    /// A `POST /otp`: count the request; then, if it is allowed, its idempotency key (if
    /// any), then its SMS (if one will be sent: not for a test number) against the day's
    /// cap and its end-user IP's hour.
    Create {
        limit: u32,
        #[serde(default)]
        budget: Budget,
        idempotency: Option<IdempotencyAsk>,
        send: Option<SendAsk>,
    },
    /// A Twilio Verify API request: count it in the server API's minute; if it is within,
    /// the operation on the tenant's services (`limiter/services.rs`); and for a start
    /// whose service is found, its SMS (`send`, as `Create`'s): one call for all three.
    Service {
        limit: u32,
        op: super::services::ServiceOp,
        #[serde(default)]
        send: Option<SendAsk>,
    },
    /// A failover from a shard's alarm: one more SMS against the day's caps (no minute).
    Failover { send: SendAsk },
    /// A create that sent nothing: give back its SMS (the day's and the IP's).
    Refund {
        ip: Option<String>,
        /// The SMS's country, when the guard counted it (`SendAsk.guard`).
        #[serde(default)]
        guard_country: Option<String>,
        /// The tenant's daily cap (to read the day's count back if the object restarted
        /// since it was taken).
        #[serde(default)]
        daily_cap: u32,
        /// The browser's daily cap, when the SMS was started from the browser API (it is
        /// given back from that count too).
        #[serde(default)]
        browser_cap: Option<u32>,
    },
    /// A shard's statistics of the tenant since its last checkpoint (`shard::stats`): added
    /// to the stored buckets.
    AddStats {
        rows: Vec<StatsRow>,
        /// `guard.triggered` events of the shard's range rule since its last checkpoint
        /// (the shard queued their callbacks): kept in the tenant's list.
        #[serde(default)]
        events: Vec<GuardEvent>,
    },
    /// `GET /v1/account`: the guard's newest `limit` events, and when it first kept
    /// state for a tenant whose record has no `createdAt`.
    Guard { limit: u32 },
    /// `GET /v1/stats`: the stored buckets of the hours `from_hour..to_hour` (the
    /// limiter's own pending refusals written first).
    Stats { from_hour: u32, to_hour: u32 },
    /// A create with an idempotency key is answered: keep its answer for replays, or (for
    /// answers a retry should not get again: 409, 429, 5xx) forget the key.
    Finish {
        key: String,
        answer: Option<StoredAnswer>,
    },
}

/// An idempotency key and the fingerprint of its request's body.
#[derive(Serialize, Deserialize)]
pub struct IdempotencyAsk {
    pub key: String,
    pub fingerprint: String,
}

/// A request refused before it reached the limiter (the country, the number type, a
/// Turnstile or origin check: `smsotp_edge::stats::REFUSALS`), for the statistics.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Refusal {
    pub code: u16,
    /// The destination's country, when the request got as far as naming one (`""`: not).
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub channel: Option<Channel>,
}

/// An SMS about to be sent: the tenant's limits, and the end-user IP it is for, if known.
#[derive(Serialize, Deserialize, Clone)]
pub struct SendAsk {
    pub limits: AbuseLimits,
    /// The counting subject (`smsotp_edge::limits::end_user_ip`: an IPv4, or an IPv6 /64,
    /// also counted by its /48).
    pub ip: Option<String>,
    /// Started from the browser API: also counted against `browserDailySendCap`.
    #[serde(default)]
    pub browser: bool,
    /// Where it goes (`""`: not known, as for a resend, asked by OTP id) and how
    /// (`None`: SMS), for the statistics of a refusal.
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The adaptive guard's part (`None`: not asked, as for a failover or a resend, whose
    /// country is not known here).
    #[serde(default)]
    pub guard: Option<GuardAsk>,
}

/// What the adaptive guard needs of a new SMS (`limiter/guard.rs`): the tenant's settings,
/// when it was created (its first week only records), and the number (for its
/// allow-lists).
#[derive(Serialize, Deserialize, Clone)]
pub struct GuardAsk {
    /// The tenant's id, for the log lines and its events' callbacks.
    pub tenant: String,
    pub policy: GuardPolicy,
    pub created_at: Option<u64>,
    pub e164: String,
}

/// What the adaptive guard said of an SMS the limiter counted, for the number's shard,
/// which runs the range rule (`shard/guard.rs`): the tenant's mode, and its country's
/// verdict. Absent when nothing is left for the range rule: no guard asked, `off`, an
/// allow-listed number, or an IP's or a whole country's trip that `record` let through.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardVerdict {
    pub mode: GuardMode,
    pub country: CountryVerdict,
}
///
/// Externally tagged: see [`ShardOp`](crate::shard::ShardOp).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimiterReply {
    /// `Take`, and a `Create` that may go on (or that its minute refused: then nothing
    /// else was asked): the minute's window (`None`: no per-minute limit), which says
    /// whether the request is within it; for a counted SMS, the guard's verdict for its
    /// range.
    Counted {
        window: Option<Window>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        guard: Option<GuardVerdict>,
    },
    /// `Create`: the stored answer of an earlier request with the same key and body.
    Replay {
        window: Option<Window>,
        answer: StoredAnswer,
    },
    /// `Create`: why it may not go on (idempotency 409/422, day's cap, IP's hour).
    Refused {
        window: Option<Window>,
        error: WireError,
    },
    /// `Refund`, `Finish`, `AddStats`: done.
    Done,
    /// `Stats`: the stored buckets.
    Stats { rows: Vec<StatsRow> },
    /// `Guard`: the newest events, newest first, and `first_seen`.
    Guard {
        events: Vec<GuardEvent>,
        first_seen: Option<u64>,
    },
    /// `Service` within the minute: the operation's result (and for a start's SMS, the
    /// guard's verdict for its range).
    Service {
        window: Option<Window>,
        result: super::services::ServiceResult,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        guard: Option<GuardVerdict>,
    },
}

impl Message for Ask {
    type Reply = LimiterReply;
    const URL: &'static str = "https://limiter/ask";

    fn count(usage: &Usage, rows: RowUsage) {
        usage.limiter_call(rows);
    }
}

/// A window as the request's fate: the 429 (with `Retry-After`) when it is over.
fn within(w: &Window) -> std::result::Result<(), smsotp_core::ApiError> {
    if w.allowed {
        return Ok(());
    }
    let now_s = crate::clock::now() / 1000;
    let wait = w.reset.saturating_sub(now_s).max(1) as u32;
    Err(smsotp_core::ApiError::new(smsotp_core::ErrorCode::RateLimited).retry_after(wait))
}

/// Asks `tenant`'s limiter for the counts of a request (`Take` or `Create`): sets the
/// request's window (for the `X-Rate-Limit-*` headers), and answers the minute's 429 or
/// the limiter's refusal as an error. The stored answer to replay, if any, and the guard's
/// verdict for the range of the SMS counted, if any.
pub async fn admit(
    env: &Env,
    tenant: &str,
    ask: &Ask,
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<(Option<StoredAnswer>, Option<GuardVerdict>)> {
    let (counted, outcome) = match self::ask(env, tenant, ask, usage).await? {
        LimiterReply::Counted { window, guard } => (window, Ok((None, guard))),
        LimiterReply::Replay { window, answer } => (window, Ok((Some(answer), None))),
        LimiterReply::Refused { window, error } => (window, Err(error)),
        LimiterReply::Done
        | LimiterReply::Service { .. }
        | LimiterReply::Stats { .. }
        | LimiterReply::Guard { .. } => (None, Ok((None, None))),
    };
    *window = counted;
    if let Some(w) = &counted {
        within(w)?;
    }
    outcome.map_err(|e| AppError::Api(e.into_api()))
}

/// One request of the tenant's minute of `budget` (`limit`: `RATE_LIMIT_PER_MINUTE` or
/// `BROWSER_RATE_LIMIT_PER_MINUTE`; 0 turns the limit, and its Durable Object round trip,
/// off).
///
/// A request refused before its limiter call (`refused`) is counted in the statistics in
/// the same call — and is the one reason to call when there is no minute to count.
pub async fn take_request(
    env: &Env,
    tenant: &str,
    (limit, budget): (u32, Budget),
    refused: Option<Refusal>,
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<()> {
    if limit > 0 || refused.is_some() {
        let ask = Ask::Take {
            limit,
            budget,
            refused,
        };
        admit(env, tenant, &ask, usage, window).await?;
    }
    Ok(())
}

/// The tenant's statistics of the hours `from_hour..to_hour`, as stored.
pub async fn stats(
    env: &Env,
    tenant: &str,
    (from_hour, to_hour): (u32, u32),
    usage: &Usage,
) -> AppResult<Vec<StatsRow>> {
    match self::ask(env, tenant, &Ask::Stats { from_hour, to_hour }, usage).await? {
        LimiterReply::Stats { rows } => Ok(rows),
        _ => Err(AppError::Internal(
            "the limiter's unexpected reply to a stats ask".into(),
        )),
    }
}

/// The tenant's newest `limit` guard events (newest first) and, for a tenant whose record
/// has no `createdAt`, when the guard first kept its state.
pub async fn guard(
    env: &Env,
    tenant: &str,
    limit: u32,
    usage: &Usage,
) -> AppResult<(Vec<GuardEvent>, Option<u64>)> {
    match self::ask(env, tenant, &Ask::Guard { limit }, usage).await? {
        LimiterReply::Guard { events, first_seen } => Ok((events, first_seen)),
        _ => Err(AppError::Internal(
            "the limiter's unexpected reply to a guard ask".into(),
        )),
    }
}

/// A Twilio Verify API request's minute (`limit`: `RATE_LIMIT_PER_MINUTE`, 0 for none),
/// its operation on the tenant's services and (a start) its SMS, in one call: the 429 when
/// the minute is over (nothing else done), the SMS's refusal, else the operation's result
/// (with the guard's verdict for the range of the SMS counted, if any). Sets the
/// request's window.
pub async fn service(
    env: &Env,
    tenant: &str,
    (limit, op, send): (u32, super::services::ServiceOp, Option<SendAsk>),
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<(super::services::ServiceResult, Option<GuardVerdict>)> {
    let ask = Ask::Service { limit, op, send };
    match self::ask(env, tenant, &ask, usage).await? {
        LimiterReply::Service {
            window: w,
            result,
            guard,
        } => {
            *window = w;
            Ok((result, guard))
        }
        // The SMS was refused (the day's cap, the IP's hour): nothing was counted.
        LimiterReply::Refused { window: w, error } => {
            *window = w;
            Err(AppError::Api(error.into_api()))
        }
        LimiterReply::Counted { window: w, .. } => {
            *window = w;
            if let Some(w) = &w {
                within(w).map_err(AppError::Api)?;
            }
            Err(AppError::Internal(
                "the limiter counted a service ask without a window".into(),
            ))
        }
        _ => Err(AppError::Internal(
            "the limiter's unexpected reply to a service ask".into(),
        )),
    }
}

/// Gives back an SMS counted for a request that sent none (`send`: what was counted).
pub async fn refund(env: &Env, tenant: &str, send: &SendAsk, usage: &Usage) -> AppResult<()> {
    let ask = Ask::Refund {
        ip: send.ip.clone(),
        guard_country: send.guard.as_ref().map(|_| send.country.clone()),
        daily_cap: send.limits.daily_send_cap,
        browser_cap: send.browser.then_some(send.limits.browser_daily_send_cap),
    };
    self::ask(env, tenant, &ask, usage).await?;
    Ok(())
}

/// Asks `tenant`'s limiter, counting the call (and its rows) in `usage`.
pub async fn ask(env: &Env, tenant: &str, ask: &Ask, usage: &Usage) -> Result<LimiterReply> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(tenant)?
        .get_stub()?;
    durable::call(&stub, ask, usage).await
}
