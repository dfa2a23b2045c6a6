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
//!   every [`step`](counters::step)-th request (2 % of the limit) and at the limit; after a restart the
//!   object assumes the requests it may not have written were taken (`step − 1` more), so
//!   it never allows more than the limit: a restart costs a tenant at most 2 % of one
//!   window. The day's SMS count works the same way with 1 % of the cap. With a limit
//!   below 50 every request is written, and counts are exact.
//!
//! Its parts: [`wire`] (the asks and replies, and the worker's side), [`storage`] (schema,
//! rows, queries), [`counters`] (the windows' arithmetic, pure), `ops` (each ask:
//! read, decide, write), [`services`] (the tenant's Twilio Verify services, read in the
//! same call that counts a Twilio request's minute), `stats` (the tenant's statistics) and
//! `guard` (the adaptive guard's country and end-user IP rules on each new SMS,
//! docs/guard.md; the country's verdict goes back in the reply, for the range rule in the
//! number's shard).

use std::cell::{Cell, RefCell};

use smsotp_edge::stats::{CheckpointPolicy, StatsBuffer};

use worker::*;

use crate::durable::{self, RowUsage, Sql};

mod counters;
mod guard;
mod ops;
pub mod services;
mod stats;
mod storage;
pub mod wire;

use counters::Count;
use wire::LimiterReply;

pub use wire::{
    admit, ask, refund, service, take_request, Ask, Budget, GuardAsk, GuardVerdict, IdempotencyAsk,
    SendAsk, Window,
};

/// How long an end-user IP's sends are kept: the window of its limit.
const IP_WINDOW_MS: u64 = 3_600_000;

#[durable_object]
pub struct TenantLimiter {
    state: State,
    env: Env,
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
    /// When the alarm is set for, as far as this instance knows (0: not known).
    alarm_at: Cell<u64>,
    /// When the next clean-up is due (0: at the next alarm).
    clean_up_at: Cell<u64>,
    /// Refusals counted and not yet written (`stats`).
    stats: RefCell<StatsBuffer>,
    /// The guard settings of the tenant's last SMS, for the verified OTPs the shards'
    /// statistics bring (`guard`).
    guard_policy: RefCell<Option<smsotp_edge::guard::GuardPolicy>>,
    /// The guard's country states as this instance last changed them, with their changes
    /// not yet written (`limiter/guard.rs`).
    guard_countries:
        RefCell<std::collections::HashMap<String, (smsotp_edge::guard::CountryState, u32)>>,
    /// `guard.triggered` events of this request to POST to the tenant's `eventsUrl`
    /// (queued in a shard's outbox once the request's own work is done): tenant, event,
    /// URL.
    events_out: RefCell<Vec<(String, smsotp_edge::guard::GuardEvent, String)>>,
}

impl TenantLimiter {
    /// The object's queries, counting the rows each statement reads and writes into this
    /// request's usage.
    fn store(&self) -> storage::Store<'_> {
        storage::Store(Sql::new(self.state.storage().sql(), &self.usage))
    }
}

impl DurableObject for TenantLimiter {
    fn new(state: State, env: Env) -> Self {
        storage::open(&state.storage().sql());
        Self {
            state,
            env,
            minute: Cell::new(None),
            day: Cell::new(None),
            browser_minute: Cell::new(None),
            browser_day: Cell::new(None),
            usage: Cell::new(RowUsage::default()),
            alarm_set: Cell::new(false),
            alarm_at: Cell::new(0),
            clean_up_at: Cell::new(0),
            stats: RefCell::new(StatsBuffer::new(CheckpointPolicy::default())),
            guard_policy: RefCell::new(None),
            events_out: RefCell::new(Vec::new()),
            guard_countries: RefCell::new(Default::default()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let ask: Ask = durable::received(req).await?;
        self.usage.set(RowUsage::default());
        let now = crate::clock::now();
        let reply = match &ask {
            Ask::Take { limit, budget, .. } => self.take_minute(*limit, *budget, now)?,
            Ask::AddStats { rows, events } => {
                self.keep_shard_events(events, now)?;
                self.add_stats(rows, now)?
            }
            Ask::Guard { limit } => self.guard_view(*limit)?,
            Ask::Stats { from_hour, to_hour } => self.read_stats(*from_hour, *to_hour)?,
            Ask::Create {
                limit,
                budget,
                idempotency,
                send,
            } => self.create(*limit, *budget, idempotency.as_ref(), send.as_ref(), now)?,
            Ask::Refund {
                ip,
                guard_country,
                daily_cap,
                browser_cap,
            } => {
                if let Some(country) = guard_country {
                    self.guard_unsent(country, now)?;
                }
                self.refund(ip.as_deref(), *daily_cap, *browser_cap, now)?
            }
            Ask::Finish { key, answer } => self.finish(key, answer.as_ref())?,
            Ask::Failover { send } => self.failover(send, now)?,
            Ask::Service { limit, op, send } => {
                match self.take_minute(*limit, Budget::Server, now)? {
                    LimiterReply::Counted { window, .. } if window.is_none_or(|w| w.allowed) => {
                        let result = self.service(op)?;
                        let counted = match (&result, send) {
                            (services::ServiceResult::Found(_), Some(send)) => {
                                self.count_send(send, None, window, now)?
                            }
                            _ => LimiterReply::Counted {
                                window,
                                guard: None,
                            },
                        };
                        match counted {
                            refused @ LimiterReply::Refused { .. } => refused,
                            LimiterReply::Counted { guard, .. } => LimiterReply::Service {
                                window,
                                result,
                                guard,
                            },
                            _ => LimiterReply::Service {
                                window,
                                result,
                                guard: None,
                            },
                        }
                    }
                    over => over,
                }
            }
        };
        self.count_refusal_of(&ask, &reply, now);
        // The request's state is written: a trip's callback may now be queued (an await).
        self.send_guard_events().await;
        // IPs, keys and statistics are kept only as long as their windows: an hourly
        // clean-up.
        if matches!(
            ask,
            Ask::Create { .. } | Ask::Service { send: Some(_), .. } | Ask::AddStats { .. }
        ) {
            self.schedule_cleanup().await?;
        }
        // Refusals counted: written at their checkpoint (by this alarm, or a later call).
        self.write_stats(false, now)?;
        if let Some(at) = self.stats_due_at() {
            self.wake_at(at, now).await?;
        }
        durable::reply::<Ask>(reply, self.usage.get())
    }

    async fn alarm(&self) -> Result<Response> {
        let now = crate::clock::now();
        self.alarm_set.set(false);
        self.alarm_at.set(u64::MAX);
        self.write_stats(true, now)?;
        self.write_guard_countries(now)?;
        if now >= self.clean_up_at.get() {
            let left = self.store().clean_up(
                now.saturating_sub(IP_WINDOW_MS),
                now.saturating_sub(smsotp_edge::idempotency::IDEMPOTENCY_TTL_MS),
            )?;
            self.forget_old_stats(now)?;
            self.store()
                .forget_guard_ips(now.saturating_sub(guard::IP_STATE_KEPT_MS))?;
            self.clean_up_at.set(now + IP_WINDOW_MS);
            // Again in an hour while anything is left (statistics are kept 400 days).
            if left || self.store().has_stats()? {
                self.schedule_cleanup().await?;
            }
        } else {
            self.schedule_cleanup().await?;
        }
        Response::ok("")
    }
}
