//! `TenantLimiter`: the Durable Object that counts for one tenant (one object per tenant,
//! named by its id): its requests per minute (the server API's and, apart, the browser
//! API's: [`Budget`]), its SMS per UTC day (all, and apart those started from browsers),
//! its SMS per end-user IP (an IPv6 /64, and its /48) per hour, and its
//! `Idempotency-Key`s. Every one of these is a check-and-act that must be
//! exact across the edge, so one object owns it; the rules themselves are the core's
//! (`smsotp_edge::limits::AbuseLimits`, `smsotp_edge::idempotency`).
//!
//! Why this shape:
//! - State is in the object's SQLite storage, so it survives a restart (on Cloudflare an
//!   idle object is evicted after a few seconds; a deploy restarts every object).
//! - Read, decide and write happen with no `await` in between: an object runs one request's
//!   synchronous code at a time, so two requests never both take the last unit of a window.
//! - A create asks everything in ONE call ([`Ask::Create`]): the request's minute, the
//!   idempotency key, the day's SMS cap and the IP's hour. A later step that sends nothing
//!   (the number's limits refuse, the provider fails) gives the SMS back ([`Ask::Refund`]);
//!   a create with an idempotency key stores its answer ([`Ask::Finish`]).
//! - Counters are written at checkpoints, not on every request: SQLite rows written are
//!   billed ($1 per million), and a counter written on every request was the largest part
//!   of an OTP's cost (2 of 13 rows). A per-minute count is written when its window opens,
//!   every [`step`]-th request (2 % of the limit) and at the limit; after a restart the
//!   object assumes the requests it may not have written were taken (`step − 1` more), so
//!   it never allows more than the limit: a restart costs a tenant at most 2 % of one
//!   window. The day's SMS count works the same way with 1 % of the cap. With a limit
//!   below 50 every request is written, and counts are exact.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use smsotp_edge::idempotency::{self, Decision, IdempotencyEntry, StoredAnswer};
use smsotp_edge::limits::{ipv6_net48, utc_day, AbuseLimits};
use worker::*;

use crate::error::{AppError, AppResult};
use crate::shard::{RowUsage, ShardError};

/// The binding of the `TenantLimiter` namespace (wrangler.toml).
pub const BINDING: &str = "TENANT_LIMITER";

/// How long an end-user IP's sends are kept: the window of its limit.
const IP_WINDOW_MS: u64 = 3_600_000;

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

/// A counter in a fixed window (a unix minute, a UTC day) and what was counted in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Count {
    window: u64,
    used: u32,
}

/// Every how many units a counter under `limit` is written: `limit / divisor` (the
/// minute's 2 %, the day's 1 %), at least 1.
fn step(limit: u32, divisor: u32) -> u32 {
    (limit / divisor).max(1)
}

/// Takes one unit from the count `stored` (the last one known, if any) in window `window`
/// under `limit` (0: no limit): the count after, whether it was allowed, and whether it
/// must be written. A stored count of another window is over and counts as empty. A unit
/// over the limit is not counted, so a client that keeps retrying does not push its own
/// reset further away.
fn take_one(stored: Option<Count>, window: u64, limit: u32, divisor: u32) -> (Count, bool, bool) {
    let used = match stored {
        Some(c) if c.window == window => c.used,
        _ => 0,
    };
    let allowed = limit == 0 || used < limit;
    let used = if allowed { used + 1 } else { used };
    // No limit: nothing to count, nothing written.
    let write =
        limit > 0 && allowed && (used == 1 || used % step(limit, divisor) == 0 || used == limit);
    (Count { window, used }, allowed, write)
}

/// A count read back after a restart: the units taken after its last checkpoint were not
/// written, so assume the most that can have been (never more than the limit allows).
fn restored(stored: Count, limit: u32, divisor: u32) -> Count {
    let unwritten = step(limit, divisor) - 1;
    let used = if limit == 0 || stored.used >= limit {
        stored.used
    } else {
        (stored.used + unwritten).min(limit)
    };
    Count { used, ..stored }
}

/// The `X-Rate-Limit-*` window of a per-minute count.
fn minute_window(count: Count, limit: u32, allowed: bool) -> Window {
    Window {
        limit,
        // Saturating: a limit lowered within a minute (a deploy with a new
        // RATE_LIMIT_PER_MINUTE) can leave more requests counted than it allows.
        remaining: limit.saturating_sub(count.used),
        reset: (count.window + 1) * 60,
        allowed,
    }
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
#[derive(Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Ask {
    /// Count one request of the tenant's minute.
    Take {
        limit: u32,
        #[serde(default)]
        budget: Budget,
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
    /// A create that sent nothing: give back its SMS (the day's and the IP's).
    Refund {
        ip: Option<String>,
        /// The tenant's daily cap (to read the day's count back if the object restarted
        /// since it was taken).
        #[serde(default)]
        daily_cap: u32,
        /// The browser's daily cap, when the SMS was started from the browser API (it is
        /// given back from that count too).
        #[serde(default)]
        browser_cap: Option<u32>,
    },
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
}

/// The limiter's answer.
#[derive(Serialize, Deserialize, Default)]
pub struct Reply {
    /// The minute's window (`Take`, `Create`).
    pub window: Option<Window>,
    /// Why the create may not go on (idempotency 409/422, day's cap, IP's hour).
    pub refusal: Option<ShardError>,
    /// The stored answer of an earlier request with the same key and body.
    pub replay: Option<StoredAnswer>,
    /// Rows read and written.
    #[serde(default)]
    pub usage: RowUsage,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rate_window (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  minute INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS day_sends (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  day INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS browser_window (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  minute INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS browser_day_sends (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  day INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ip_sends (
  ip TEXT PRIMARY KEY,
  times TEXT NOT NULL,
  last_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  answer TEXT,
  at INTEGER NOT NULL
);
";

/// SQLite integers come back through JavaScript as numbers (exact up to 2^53).
#[derive(Deserialize)]
struct CountRow {
    window: f64,
    used: f64,
}

#[derive(Deserialize)]
struct TimesRow {
    times: String,
}

#[derive(Deserialize)]
struct KeyRow {
    fingerprint: String,
    answer: Option<String>,
    at: f64,
}

fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v.min(i64::MAX as u64) as i64)
}

fn text(v: &str) -> SqlStorageValue {
    SqlStorageValue::String(v.to_owned())
}

/// One of the object's two counters: its table, the column of its window, and how often
/// it is written (the divisor of the limit).
#[derive(Clone, Copy)]
struct Counter {
    table: &'static str,
    column: &'static str,
    divisor: u32,
}

const MINUTE: Counter = Counter {
    table: "rate_window",
    column: "minute",
    divisor: 50,
};
const DAY: Counter = Counter {
    table: "day_sends",
    column: "day",
    divisor: 100,
};
const BROWSER_MINUTE: Counter = Counter {
    table: "browser_window",
    column: "minute",
    divisor: 50,
};
const BROWSER_DAY: Counter = Counter {
    table: "browser_day_sends",
    column: "day",
    divisor: 100,
};

impl Budget {
    /// The per-minute counter of this budget.
    fn minute(self) -> Counter {
        match self {
            Budget::Server => MINUTE,
            Budget::Browser => BROWSER_MINUTE,
        }
    }
}

#[durable_object]
pub struct TenantLimiter {
    state: State,
    /// The counters as this instance last read or wrote them (`None`: not read yet). Only
    /// this instance writes the object's storage, so the copies stay as exact as the
    /// checkpoints allow.
    minute: Cell<Option<Count>>,
    day: Cell<Option<Count>>,
    browser_minute: Cell<Option<Count>>,
    browser_day: Cell<Option<Count>>,
    /// Rows read and written by the request being handled.
    usage: Cell<RowUsage>,
    /// Whether the clean-up alarm is known to be set.
    alarm_set: Cell<bool>,
}

impl TenantLimiter {
    /// Runs a statement, counting its rows; returns its rows.
    fn exec<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>> {
        let cursor = self.state.storage().sql().exec(query, Some(bindings))?;
        let rows = cursor.to_array()?;
        let mut u = self.usage.get();
        u.rows_read += cursor.rows_read() as u64;
        u.rows_written += cursor.rows_written() as u64;
        self.usage.set(u);
        Ok(rows)
    }

    fn cell(&self, counter: Counter) -> &Cell<Option<Count>> {
        match counter.table {
            t if t == MINUTE.table => &self.minute,
            t if t == BROWSER_MINUTE.table => &self.browser_minute,
            t if t == BROWSER_DAY.table => &self.browser_day,
            _ => &self.day,
        }
    }

    /// A counter's count: the copy in memory, or else the row (restored: see the module
    /// doc).
    fn stored(&self, counter: Counter, limit: u32) -> Result<Option<Count>> {
        if let Some(c) = self.cell(counter).get() {
            return Ok(Some(c));
        }
        let rows: Vec<CountRow> = self.exec(
            &format!(
                "SELECT {} AS window, used FROM {} WHERE id = 0",
                counter.column, counter.table
            ),
            vec![],
        )?;
        let stored = rows.first().map(|r| {
            restored(
                Count {
                    window: r.window as u64,
                    used: r.used as u32,
                },
                limit,
                counter.divisor,
            )
        });
        self.cell(counter).set(stored);
        Ok(stored)
    }

    /// Takes one unit of a counter in `window` under `limit`; writes at checkpoints.
    fn take(&self, counter: Counter, window: u64, limit: u32) -> Result<(Count, bool)> {
        let stored = self.stored(counter, limit)?;
        let (count, allowed, write) = take_one(stored, window, limit, counter.divisor);
        if write {
            self.exec::<()>(
                &format!(
                    "INSERT INTO {t} (id, {c}, used) VALUES (0, ?, ?)
                     ON CONFLICT (id) DO UPDATE SET {c} = excluded.{c}, used = excluded.used",
                    t = counter.table,
                    c = counter.column
                ),
                vec![int(count.window), int(u64::from(count.used))],
            )?;
        }
        self.cell(counter).set(Some(count));
        Ok((count, allowed))
    }

    /// Gives back one unit of a counter (a refund): in memory, and written at once so a
    /// restart does not take it again (refunds are rare: a refused or failed SMS).
    fn give_back(&self, counter: Counter, window: u64, limit: u32) -> Result<()> {
        // Read back (conservatively) if the object restarted since the unit was taken.
        let Some(mut count) = self.stored(counter, limit)? else {
            return Ok(());
        };
        if count.window != window || count.used == 0 {
            return Ok(());
        }
        count.used -= 1;
        self.exec::<()>(
            &format!("UPDATE {} SET used = ? WHERE id = 0", counter.table),
            vec![int(u64::from(count.used))],
        )?;
        self.cell(counter).set(Some(count));
        Ok(())
    }

    /// The end-user IP's SMS of the last hour.
    fn ip_times(&self, ip: &str, now: u64) -> Result<Vec<u64>> {
        let rows: Vec<TimesRow> =
            self.exec("SELECT times FROM ip_sends WHERE ip = ?", vec![text(ip)])?;
        let times: Vec<u64> = match rows.first() {
            Some(r) => serde_json::from_str(&r.times)?,
            None => vec![],
        };
        Ok(times
            .into_iter()
            .filter(|&t| t + IP_WINDOW_MS > now)
            .collect())
    }

    fn write_ip_times(&self, ip: &str, times: &[u64], now: u64) -> Result<()> {
        if times.is_empty() {
            self.exec::<()>("DELETE FROM ip_sends WHERE ip = ?", vec![text(ip)])?;
        } else {
            self.exec::<()>(
                "INSERT INTO ip_sends (ip, times, last_at) VALUES (?, ?, ?)
                 ON CONFLICT (ip) DO UPDATE SET times = excluded.times, last_at = excluded.last_at",
                vec![text(ip), text(&serde_json::to_string(times)?), int(now)],
            )?;
        }
        Ok(())
    }

    /// The idempotency step of a create: what the key's record says, and (for a new key)
    /// the key recorded as in flight.
    fn idempotency(&self, ask: &IdempotencyAsk, now: u64) -> Result<Decision> {
        let rows: Vec<KeyRow> = self.exec(
            "SELECT fingerprint, answer, at FROM idempotency WHERE key = ?",
            vec![text(&ask.key)],
        )?;
        let stored = match rows.into_iter().next() {
            Some(row) => Some(IdempotencyEntry {
                answer: match row.answer {
                    Some(a) => Some(serde_json::from_str(&a)?),
                    None => None,
                },
                fingerprint: row.fingerprint,
                created_at: row.at as u64,
            }),
            None => None,
        };
        let decision = idempotency::decide(stored.as_ref(), &ask.fingerprint, now);
        if let Decision::Proceed = decision {
            self.exec::<()>(
                "INSERT INTO idempotency (key, fingerprint, answer, at) VALUES (?, ?, NULL, ?)
                 ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,
                   answer = NULL, at = excluded.at",
                vec![text(&ask.key), text(&ask.fingerprint), int(now)],
            )?;
        }
        Ok(decision)
    }

    fn forget_key(&self, key: &str) -> Result<()> {
        self.exec::<()>("DELETE FROM idempotency WHERE key = ?", vec![text(key)])?;
        Ok(())
    }

    /// `Create`: see [`Ask::Create`]. Later steps run only if the earlier allowed.
    fn create(
        &self,
        limit: u32,
        budget: Budget,
        idempotency: Option<&IdempotencyAsk>,
        send: Option<&SendAsk>,
        now: u64,
    ) -> Result<Reply> {
        let (count, allowed) = self.take(budget.minute(), now / 60_000, limit)?;
        let mut reply = Reply {
            window: (limit > 0).then(|| minute_window(count, limit, allowed)),
            ..Reply::default()
        };
        if !allowed {
            return Ok(reply);
        }
        if let Some(ask) = idempotency {
            match self.idempotency(ask, now)? {
                Decision::Proceed => {}
                Decision::Replay(answer) => {
                    reply.replay = Some(answer);
                    return Ok(reply);
                }
                refused @ (Decision::Conflict | Decision::InFlight) => {
                    reply.refusal = refused.error().as_ref().map(ShardError::from_api);
                    return Ok(reply);
                }
            }
        }
        let Some(send) = send else {
            return Ok(reply);
        };
        // The day's cap, then the IP's hour; a refusal takes nothing (and frees the key).
        let refuse = |e: smsotp_core::ApiError, reply: &mut Reply| -> Result<()> {
            reply.refusal = Some(ShardError::from_api(&e));
            if let Some(ask) = idempotency {
                self.forget_key(&ask.key)?;
            }
            Ok(())
        };
        let day = u64::from(utc_day(now));
        let sent_today = self.stored(DAY, send.limits.daily_send_cap)?;
        let sent_today = sent_today.filter(|c| c.window == day).map_or(0, |c| c.used);
        if let Err(e) = send.limits.check_daily_cap(sent_today, now) {
            refuse(e, &mut reply)?;
            return Ok(reply);
        }
        // Browser SMS have a cap of their own inside the account's: the backend keeps the
        // rest of the day's SMS whatever public traffic does.
        let browser_cap = send.limits.browser_daily_send_cap;
        if send.browser {
            let sent = self.stored(BROWSER_DAY, browser_cap)?;
            let sent = sent.filter(|c| c.window == day).map_or(0, |c| c.used);
            if let Err(e) = send.limits.check_browser_daily_cap(sent, now) {
                refuse(e, &mut reply)?;
                return Ok(reply);
            }
        }
        // The IP's hour: its /64 (or IPv4), then, for IPv6, its /48.
        let mut ip_times = Vec::new();
        if let Some(ip) = &send.ip {
            let times = self.ip_times(ip, now)?;
            if let Err(e) = send.limits.check_ip(&times, now) {
                refuse(e, &mut reply)?;
                return Ok(reply);
            }
            ip_times.push((ip.clone(), times));
            if let Some(net) = ipv6_net48(ip) {
                let times = self.ip_times(&net, now)?;
                if let Err(e) = send.limits.check_ipv6_net48(&times, now) {
                    refuse(e, &mut reply)?;
                    return Ok(reply);
                }
                ip_times.push((net, times));
            }
        }
        self.take(DAY, day, send.limits.daily_send_cap)?;
        if send.browser {
            self.take(BROWSER_DAY, day, browser_cap)?;
        }
        for (ip, mut times) in ip_times {
            times.push(now);
            self.write_ip_times(&ip, &times, now)?;
        }
        Ok(reply)
    }

    /// `Refund`: the day's SMS and the IP's latest one given back.
    fn refund(
        &self,
        ip: Option<&str>,
        daily_cap: u32,
        browser_cap: Option<u32>,
        now: u64,
    ) -> Result<()> {
        let day = u64::from(utc_day(now));
        self.give_back(DAY, day, daily_cap)?;
        if let Some(cap) = browser_cap {
            self.give_back(BROWSER_DAY, day, cap)?;
        }
        let subjects = ip
            .into_iter()
            .map(str::to_owned)
            .chain(ip.and_then(ipv6_net48));
        for subject in subjects {
            let mut times = self.ip_times(&subject, now)?;
            times.pop();
            self.write_ip_times(&subject, &times, now)?;
        }
        Ok(())
    }

    /// Sets the clean-up alarm (an hour away) unless it is known to be set.
    async fn schedule_cleanup(&self) -> Result<()> {
        if self.alarm_set.get() {
            return Ok(());
        }
        if self.state.storage().get_alarm().await?.is_none() {
            self.state
                .storage()
                .set_alarm(std::time::Duration::from_millis(IP_WINDOW_MS))
                .await?;
        }
        self.alarm_set.set(true);
        Ok(())
    }
}

impl DurableObject for TenantLimiter {
    fn new(state: State, _env: Env) -> Self {
        state.storage().sql().exec(SCHEMA, None).ok();
        Self {
            state,
            minute: Cell::new(None),
            day: Cell::new(None),
            browser_minute: Cell::new(None),
            browser_day: Cell::new(None),
            usage: Cell::new(RowUsage::default()),
            alarm_set: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let ask: Ask = req.json().await?;
        self.usage.set(RowUsage::default());
        let now = Date::now().as_millis();
        let mut reply = match &ask {
            Ask::Take { limit, budget } => {
                let (count, allowed) = self.take(budget.minute(), now / 60_000, *limit)?;
                Reply {
                    window: (*limit > 0).then(|| minute_window(count, *limit, allowed)),
                    ..Reply::default()
                }
            }
            Ask::Create {
                limit,
                budget,
                idempotency,
                send,
            } => self.create(*limit, *budget, idempotency.as_ref(), send.as_ref(), now)?,
            Ask::Refund {
                ip,
                daily_cap,
                browser_cap,
            } => {
                self.refund(ip.as_deref(), *daily_cap, *browser_cap, now)?;
                Reply::default()
            }
            Ask::Finish { key, answer } => {
                match answer {
                    Some(a) => {
                        self.exec::<()>(
                            "UPDATE idempotency SET answer = ? WHERE key = ?",
                            vec![text(&serde_json::to_string(a)?), text(key)],
                        )?;
                    }
                    None => self.forget_key(key)?,
                }
                Reply::default()
            }
        };
        // IPs and keys are kept only as long as their windows: an hourly clean-up.
        if matches!(ask, Ask::Create { .. }) {
            self.schedule_cleanup().await?;
        }
        reply.usage = self.usage.get();
        Response::from_json(&reply)
    }

    async fn alarm(&self) -> Result<Response> {
        let now = Date::now().as_millis();
        self.alarm_set.set(false);
        self.exec::<()>(
            "DELETE FROM ip_sends WHERE last_at <= ?",
            vec![int(now.saturating_sub(IP_WINDOW_MS))],
        )?;
        self.exec::<()>(
            "DELETE FROM idempotency WHERE at <= ?",
            vec![int(now.saturating_sub(idempotency::IDEMPOTENCY_TTL_MS))],
        )?;
        // Again in an hour while anything is left.
        #[derive(Deserialize)]
        struct Left {
            n: f64,
        }
        let left: Vec<Left> = self.exec(
            "SELECT (SELECT COUNT(*) FROM ip_sends) + (SELECT COUNT(*) FROM idempotency) AS n",
            vec![],
        )?;
        if left.first().is_some_and(|l| l.n > 0.0) {
            self.schedule_cleanup().await?;
        }
        Response::ok("")
    }
}

/// A window as the request's fate: the 429 (with `Retry-After`) when it is over.
fn within(w: &Window) -> std::result::Result<(), smsotp_core::ApiError> {
    if w.allowed {
        return Ok(());
    }
    let now_s = Date::now().as_millis() / 1000;
    let wait = w.reset.saturating_sub(now_s).max(1) as u32;
    Err(smsotp_core::ApiError::new(smsotp_core::ErrorCode::RateLimited).retry_after(wait))
}

/// Asks `tenant`'s limiter for the counts of a request (`Take` or `Create`): sets the
/// request's window (for the `X-Rate-Limit-*` headers), and answers the minute's 429 or
/// the limiter's refusal as an error. The reply, for a replay.
pub async fn admit(
    env: &Env,
    tenant: &str,
    ask: &Ask,
    usage: &crate::usage::Usage,
    window: &mut Option<Window>,
) -> AppResult<Reply> {
    let mut reply = self::ask(env, tenant, ask, usage).await?;
    *window = reply.window;
    if let Some(w) = &reply.window {
        within(w)?;
    }
    if let Some(e) = reply.refusal.take() {
        return Err(AppError::Api(e.into_api()));
    }
    Ok(reply)
}

/// One request of the tenant's minute of `budget` (`limit`: `RATE_LIMIT_PER_MINUTE` or
/// `BROWSER_RATE_LIMIT_PER_MINUTE`; 0 turns the limit, and its Durable Object round trip,
/// off).
pub async fn take_request(
    env: &Env,
    tenant: &str,
    limit: u32,
    budget: Budget,
    usage: &crate::usage::Usage,
    window: &mut Option<Window>,
) -> AppResult<()> {
    if limit > 0 {
        admit(env, tenant, &Ask::Take { limit, budget }, usage, window).await?;
    }
    Ok(())
}

/// Gives back an SMS counted for a request that sent none (`send`: what was counted).
pub async fn refund(
    env: &Env,
    tenant: &str,
    send: &SendAsk,
    usage: &crate::usage::Usage,
) -> AppResult<()> {
    let ask = Ask::Refund {
        ip: send.ip.clone(),
        daily_cap: send.limits.daily_send_cap,
        browser_cap: send.browser.then_some(send.limits.browser_daily_send_cap),
    };
    self::ask(env, tenant, &ask, usage).await?;
    Ok(())
}

/// Asks `tenant`'s limiter, counting the call (and its rows) in `usage`.
pub async fn ask(env: &Env, tenant: &str, ask: &Ask, usage: &crate::usage::Usage) -> Result<Reply> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(tenant)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(ask)?.into()));
    let req = Request::new_with_init("https://limiter/ask", &init)?;
    let reply: Reply = stub.fetch_with_request(req).await?.json().await?;
    usage.limiter_call(reply.usage);
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `n` units in a row from an empty window `window` (written ones marked).
    fn run(
        n: usize,
        window: u64,
        limit: u32,
        divisor: u32,
    ) -> (Option<Count>, Vec<(bool, u32, bool)>) {
        let mut stored = None;
        let mut seen = Vec::new();
        for _ in 0..n {
            let (c, allowed, write) = take_one(stored, window, limit, divisor);
            stored = Some(c);
            seen.push((allowed, limit.saturating_sub(c.used), write));
        }
        (stored, seen)
    }

    #[test]
    fn counts_up_to_the_limit_then_refuses_without_counting() {
        let (stored, seen) = run(5, 1000, 3, 50);
        assert_eq!(
            seen,
            [
                (true, 2, true),
                (true, 1, true),
                (true, 0, true),
                (false, 0, false),
                (false, 0, false)
            ]
        );
        let w = minute_window(stored.unwrap(), 3, false);
        // Minute 1000 ends at second 60,060.
        assert_eq!((w.reset, w.remaining), (60_060, 0));
    }

    #[test]
    fn a_large_limit_is_written_at_its_first_unit_every_step_and_at_the_limit() {
        // 600 a minute: every 12th request is written, plus the first and the 600th.
        let (_, seen) = run(600, 7, 600, 50);
        let written: Vec<usize> = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| s.2)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(written.len(), 1 + 50);
        assert_eq!(&written[..3], [1, 12, 24]);
        assert_eq!(written.last(), Some(&600));
    }

    #[test]
    fn a_restart_never_allows_more_than_the_limit() {
        // For every point at which the object may stop, the count written last, restored,
        // plus what the new instance then allows, stays within the limit.
        for limit in [3, 49, 50, 600, 10_000] {
            for stop_after in 0..=limit.min(700) {
                let mut stored: Option<Count> = None;
                let mut written: Option<Count> = None;
                for _ in 0..stop_after {
                    let (c, _, write) = take_one(stored, 1, limit, 50);
                    stored = Some(c);
                    if write {
                        written = Some(c);
                    }
                }
                let mut after = written.map(|c| restored(c, limit, 50));
                let mut allowed_after = 0;
                loop {
                    let (c, allowed, _) = take_one(after, 1, limit, 50);
                    if !allowed {
                        break;
                    }
                    after = Some(c);
                    allowed_after += 1;
                }
                assert!(
                    stop_after + allowed_after <= limit,
                    "limit {limit}, stopped after {stop_after}: {allowed_after} more allowed"
                );
                // And little is lost: at most one step.
                assert!(
                    stop_after + allowed_after + step(limit, 50) > limit,
                    "limit {limit}, stopped after {stop_after}: only {allowed_after} more allowed"
                );
            }
        }
    }

    #[test]
    fn a_count_of_another_window_is_over() {
        let full = Some(Count {
            window: 1000,
            used: 3,
        });
        assert!(!take_one(full, 1000, 3, 50).1);
        let (count, allowed, _) = take_one(full, 1001, 3, 50);
        assert_eq!((count.used, allowed), (1, true));
    }

    #[test]
    fn no_limit_allows_everything() {
        let (_, seen) = run(100, 1, 0, 100);
        assert!(seen.iter().all(|s| s.0));
    }
}
