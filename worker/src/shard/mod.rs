//! `OtpShard`: the Durable Object that owns the OTPs of one shard of (tenant, phone number)
//! pairs (`smsotp_edge::placement`: 64 shards by a keyed hash; an OTP id names its shard).
//!
//! Why this shape (the figures are in docs/operations.md, "Storage: which store is
//! authoritative for what"):
//! - A check-and-act on an OTP (a PIN check, a cancel, an expiry) must be atomic and
//!   single: the object applies the core's transition to the row and writes it back with no
//!   `await` in between, so no other request of the object can interleave.
//! - A bounded set of objects stays warm: a new object per OTP cost a global existence check
//!   on every create on Cloudflare, and ~2,500 new objects a second is the local ceiling.
//! - SQLite rows in the object are the only store of an OTP: no KV write on the path of an
//!   answer (KV takes one write per second per key and fails with 429 beyond), so a decided
//!   check is never turned into an error by a copy.
//!
//! Rows written are what this object costs (Cloudflare bills $1.00 per million rows written,
//! $0.001 per million read; an index adds a row written per index per insert, a changed
//! indexed column more, a DELETE writes too). The previous layout — a row per OTP with 3
//! indexes, a row per SMS with an index, a row of wrong PINs, updates of the indexed
//! `status` — wrote 11 rows per created and verified OTP (13 with the limiter's 2; $14.21
//! per million verified OTPs). This one writes **1 row per operation** (measured with
//! `npm run bench:worker`, 2026-12-04: 2 per created and verified OTP, the limiter's
//! checkpointed counters adding none at a high limit; $3.21 per million verified OTPs, of
//! which $1.20 are the Workers and Durable Object requests: docs/benchmarks.md), 2 more for an OTP with a callback URL (its deadline in and out), 2
//! per callback (queued, delivered) and 1 per idle number deleted:
//! - **One row per (tenant, number)** in `numbers`, holding all there is about the number
//!   (a `smsotp_edge::number::NumberState`): its current OTP (record, request for
//!   resends, SMS count, last SMS), its SMS of the last 24 h, its wrong-PIN count and lock, when it was last verified
//!   (these two also in columns of their own, for the prefix rule), and its recent earlier
//!   OTPs (superseded or finished less than 24 h ago, so
//!   `GET /otp/{old id}` still answers; bounded by that and by a count). A create reads the
//!   row, checks the limits, supersedes the pending OTP and writes the row once (an upsert);
//!   a verify, cancel, get or resend reads it, applies the core's transition and writes it
//!   once if anything changed (a wrong PIN's count goes in the same write).
//! - **No secondary index.** The primary key is `(pk, nk, tenant, phone)`: `pk` and `nk`
//!   are 32-bit keyed digests of the number's prefix and of the number
//!   (`smsotp_edge::placement::number_keys`), and a new OTP id carries both
//!   (`new_otp_id_for`), so an id finds its row with `WHERE pk = ? AND nk = ?` (one row; a
//!   few on a 32-bit collision, told apart by the OTP ids they hold and the tenant), and all
//!   numbers of a prefix are `WHERE pk = ?`, a range of the key. The table is `WITHOUT
//!   ROWID` (the primary key is the table: no rowid B-tree beside it); workerd accepts it
//!   (not yet tried on Cloudflare itself). The price: an OTP id has 50 random bits instead
//!   of a version-4 UUID's 122, which is fine, as an id is not a secret (it takes the
//!   tenant's API key, and the PIN).
//! - **Alarms only where needed.** An OTP without a callback URL needs no alarm: a get or a
//!   check expires it when it comes. A pending OTP with a callback URL puts its expiry in
//!   `deadlines` (primary key `(at, otp_id)`, so the earliest is the first row; a row in,
//!   a row out when it leaves PENDING or fires), so its EXPIRED callback goes out on time.
//!   A status change with a callback URL queues it in `callbacks` in the same synchronous
//!   step as the change, and the alarm delivers it (retried with backoff until a 2xx), so
//!   neither a failing receiver nor an alarm that stops half-way loses one. At most once an
//!   hour, while the shard has numbers, the alarm also deletes the rows whose content is all
//!   past (every OTP forgotten, no SMS in the last 24 h, no lock): a full scan of `numbers`
//!   (a shard of 100,000 numbers reads 2.4 million rows a day, $0.0024) and one row written
//!   per idle number deleted. One alarm per object, at the earliest of these times.
//! - **Prefix rule**: `prefixes` holds a prefix's block (written only when one is set); the
//!   unverified SMS of a prefix in the last hour come from its numbers' rows
//!   ([`Store::prefix_history`](storage::Store::prefix_history)).
//! - **The adaptive guard's range rule** (2138, `guard`): the same read of the prefix's
//!   numbers (their SMS and verifications in the rule's window) with the country's verdict
//!   the tenant's limiter handed over in the create; only a trip is written, in the
//!   prefix's row of `prefixes` (`trip`, `trip_until`): no row per SMS.
//!
//! Its parts: [`wire`] (the operations and replies, and the worker's call), [`storage`]
//! (schema, rows, queries), `ops` (each operation: read the row, apply the rules, write),
//! `guard` (the adaptive guard's range rule on a create), `outbox` (callbacks queued and
//! delivered: the OTPs' and the range trips'), `stats` (what each write changed, and the
//! range trips' events, sent to the tenant's limiter) and `alarms` (the one alarm:
//! expiries, deliveries, statistics, the hourly clean-up). A number's state and its rules
//! are pure, in `smsotp_edge::number`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use smsotp_edge::stats::StatsBuffer;

use worker::*;

use crate::durable::{self, RowUsage, Sql};

mod alarms;
mod failover;
mod guard;
mod ops;
mod outbox;
mod stats;
mod storage;
pub mod wire;

pub use wire::{
    call, NumberRef, OutgoingSms, Payment, RangeAsk, ResendPending, ShardOp, ShardReply,
};

/// An hour: the window of the prefix rule, and how often the alarm cleans up.
const HOUR_MS: u64 = 3600 * 1000;

#[durable_object]
pub struct OtpShard {
    state: State,
    env: Env,
    /// Rows read and written by the request (or alarm) being handled.
    usage: Cell<RowUsage>,
    /// When the alarm is set for, as far as this instance knows (`u64::MAX`: none, 0:
    /// not read yet).
    alarm_at: Cell<u64>,
    /// The earliest deadline the request being handled added (a callback to deliver, an
    /// expiry to call back, a clean-up).
    wake_at: Cell<u64>,
    /// When the alarm cleans up next (0: at its next run).
    clean_up_at: Cell<u64>,
    /// Each tenant's statistics not yet sent to its limiter (`stats`).
    stats: RefCell<BTreeMap<String, StatsBuffer>>,
    /// Each tenant's guard events (range trips, `guard`) not yet sent to its limiter: when
    /// they are due, and the events.
    guard_events: RefCell<BTreeMap<String, (u64, Vec<smsotp_edge::guard::GuardEvent>)>>,
    /// Whether the request being handled has counted its refusal already (a Twilio
    /// Verify start that became a resend counts it where the resend refused).
    refusal_counted: Cell<bool>,
}

impl OtpShard {
    /// The object's queries, counting the rows each statement reads and writes (billed by
    /// Cloudflare per row) into this request's usage.
    fn store(&self) -> storage::Store<'_> {
        storage::Store(Sql::new(self.state.storage().sql(), &self.usage))
    }

    /// A number's row and its latest OTP, if it has one (the Twilio Verify API finds a
    /// verification by its `To`).
    fn latest_of(
        &self,
        tenant: &str,
        n: &wire::NumberRef,
    ) -> Result<Option<(storage::NumberRow, smsotp_core::OtpRecord)>> {
        let row = self.store().number_row(n.pk, n.nk, tenant, &n.phone)?;
        Ok(row.and_then(|row| {
            let record = row.state.current.as_ref()?.record.clone();
            Some((row, record))
        }))
    }

    /// Asks for the alarm at `at` at the latest.
    fn wake(&self, at: u64) {
        self.wake_at.set(self.wake_at.get().min(at));
    }
}

impl DurableObject for OtpShard {
    fn new(state: State, env: Env) -> Self {
        storage::open(&state.storage().sql());
        Self {
            state,
            env,
            usage: Cell::new(RowUsage::default()),
            alarm_at: Cell::new(0),
            wake_at: Cell::new(u64::MAX),
            clean_up_at: Cell::new(0),
            stats: RefCell::new(BTreeMap::new()),
            guard_events: RefCell::new(BTreeMap::new()),
            refusal_counted: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let op: ShardOp = durable::received(req).await?;
        self.usage.set(RowUsage::default());
        self.wake_at.set(u64::MAX);
        self.refusal_counted.set(false);
        let now = crate::clock::now();
        // Read, apply the core's transition, write: synchronously, so no other request of
        // this object can come in between.
        let reply = match &op {
            ShardOp::Create { .. } => self.create(&op, now)?,
            ShardOp::Unlock {
                tenant,
                phone,
                pk,
                nk,
            } => self.unlock(tenant, phone, *pk, *nk, now)?,
            // A Twilio Verify check by `To`: the number's latest OTP.
            ShardOp::Check {
                number: Some(n),
                tenant,
                ..
            } => match self.latest_of(tenant, n)? {
                Some((row, record)) => self.transition(row, (&record.otp_id, &op), now)?,
                None => ShardReply::NotFound,
            },
            ShardOp::QueueCallback {
                tenant,
                webhook_id,
                url,
                body,
            } => {
                self.queue_other_callback(tenant, webhook_id, (url, body), now)?;
                ShardReply::Queued
            }
            ShardOp::Latest { tenant, number } => match self.latest_of(tenant, number)? {
                Some((_, mut record)) => {
                    record.expire(now);
                    ShardReply::Record(record)
                }
                None => ShardReply::NotFound,
            },
            _ => match self.store().row_of_otp(op.otp_id(), op.tenant())? {
                // No such OTP, or another tenant's: it does not exist for this one.
                None => ShardReply::NotFound,
                Some(row) => match &op {
                    ShardOp::Resend {
                        otp_id,
                        limits,
                        test_pins,
                        client,
                        delivery,
                        channel,
                        ..
                    } => self.resend(
                        row,
                        otp_id,
                        limits,
                        test_pins,
                        client.as_deref(),
                        (delivery, *channel),
                        now,
                    )?,
                    ShardOp::Sent { .. } | ShardOp::Report { .. } => {
                        self.delivery_changed(row, &op, now)?
                    }
                    _ => self.transition(row, (op.otp_id(), &op), now)?,
                },
            },
        };
        // A new OTP or a resend refused by the number's limits or the prefix rule: counted
        // in the statistics (the resend counts its own where it has the OTP's country).
        if let (
            ShardReply::Refused(e),
            ShardOp::Create {
                record,
                request,
                test: false,
                ..
            },
        ) = (&reply, &op)
        {
            if !self.refusal_counted.get() {
                self.count_refusal(
                    &record.tenant,
                    &record.country_iso,
                    request.channel,
                    e.code,
                    now,
                );
            }
        }
        let mut wake_at = self.wake_at.get();
        // A test's clock jumps: an alarm it has left behind is forgotten and rung now by
        // any request, a read that changed nothing too (crate::clock).
        if crate::clock::driven() && (1..=now).contains(&self.alarm_at.get()) {
            self.alarm_at.set(u64::MAX);
            wake_at = wake_at.min(now);
        }
        if wake_at != u64::MAX {
            self.schedule(wake_at, now).await?;
        }
        // The reply, with the rows this request read and wrote.
        durable::reply::<ShardOp>(reply, self.usage.get())
    }

    async fn alarm(&self) -> Result<Response> {
        self.run_alarm().await
    }
}
