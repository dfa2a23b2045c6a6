//! `OtpShard`: the Durable Object that owns the OTPs of one shard of (tenant, phone number)
//! pairs (`smsotp_edge::placement`: 64 shards by a keyed hash; an OTP id names its shard).
//!
//! Why this shape (the figures are in the README, "Storage"):
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
//! `npm run bench:worker`: 2 per created and verified OTP, 4 with the limiter's, $5.20 per
//! million of which $1.20 are the Workers and Durable Object requests; a verify reads 1
//! row, a create 0–2), 2 more for an OTP with a callback URL (its deadline in and out), 2
//! per callback (queued, delivered) and 1 per idle number deleted:
//! - **One row per (tenant, number)** in `numbers`, holding all there is about the number
//!   (a [`NumberState`]): its current OTP (record, request for resends, SMS count, last
//!   SMS), its SMS of the last 24 h, its wrong-PIN count and lock, when it was last verified
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
//!   (not yet tried on Cloudflare itself). The price: an OTP id has
//!   about 50 random bits instead of 116, which is fine, as an id is not a secret (it takes
//!   the tenant's API key, and the PIN).
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
//!   ([`OtpShard::prefix_history`]).

use std::cell::Cell;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use smsotp_core::{ApiError, ErrorCode, OtpRecord, OtpRequest, OtpStatus};
use smsotp_edge::limits::AbuseLimits;
use smsotp_edge::limits::{NumberHistory, NumberLimits, PendingOtp};
use smsotp_edge::placement;
use worker::*;

use crate::callback;
use crate::config::GRACE_SECONDS;
use crate::log;
use crate::tenant;

/// The binding of the `OtpShard` namespace (wrangler.toml).
pub const BINDING: &str = "OTP_SHARD";

/// An operation on a shard (internal JSON, from the worker).
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ShardOp {
    /// Store a new OTP (PENDING; its SMS is being sent), if the number's limits allow an
    /// SMS now; a pending OTP of the same tenant and number is superseded (CANCELLED).
    Create {
        record: Box<OtpRecord>,
        request: Box<OtpRequest>,
        /// The tenant's per-number limits.
        limits: Box<NumberLimits>,
        /// The tenant's limits across numbers (the prefix rule is applied here).
        abuse: AbuseLimits,
        /// A test number's OTP: no SMS, so none is recorded (the prefix rule counts the
        /// number's SMS).
        #[serde(default)]
        test: bool,
        /// Made from the browser API: it never supersedes a pending OTP made by the
        /// server API, nor one made for another visitor (another client secret).
        #[serde(default)]
        from_browser: bool,
        /// The browser's `X-Client-Secret`, naming the visitor's own pending OTP.
        #[serde(default)]
        client_secret: Option<String>,
        /// The browser client (its IP subject): a client locked for the number sends nothing.
        #[serde(default)]
        client: Option<String>,
    },
    /// A new PIN and SMS for a pending OTP, if the limits allow.
    Resend {
        otp_id: String,
        tenant: String,
        limits: Box<NumberLimits>,
        /// The tenant's test numbers and their fixed PINs: a test number's resend keeps
        /// its PIN and sends nothing.
        #[serde(default)]
        test_pins: std::collections::BTreeMap<String, String>,
        /// The browser client asking (its IP subject), if from the browser API.
        #[serde(default)]
        client: Option<String>,
    },
    /// Check a PIN.
    Check {
        otp_id: String,
        tenant: String,
        pin: String,
        limits: Box<NumberLimits>,
        /// The browser client checking (its IP subject): its wrong PINs lock it for the
        /// number before they can lock the number for everyone. `None`: the server API.
        #[serde(default)]
        client: Option<String>,
    },
    /// Clear a number's locks (`DELETE /v1/numbers/{e164}/lock`): the temporary lock,
    /// its clients' locks and the count of wrong PINs in a row.
    Unlock {
        tenant: String,
        phone: String,
        /// The number's keys (`smsotp_edge::placement::number_keys`).
        pk: u32,
        nk: u32,
    },
    /// Cancel.
    Cancel { otp_id: String, tenant: String },
    /// The SMS could not be sent.
    FailDelivery { otp_id: String },
    /// Read (expiring it first if its TTL passed).
    Get { otp_id: String, tenant: String },
}

impl ShardOp {
    fn otp_id(&self) -> &str {
        match self {
            ShardOp::Create { record, .. } => &record.otp_id,
            ShardOp::Resend { otp_id, .. }
            | ShardOp::Check { otp_id, .. }
            | ShardOp::Cancel { otp_id, .. }
            | ShardOp::FailDelivery { otp_id }
            | ShardOp::Get { otp_id, .. } => otp_id,
            ShardOp::Unlock { .. } => "",
        }
    }

    /// The tenant the operation is made for: another tenant's OTP does not exist for it.
    fn tenant(&self) -> Option<&str> {
        match self {
            ShardOp::Check { tenant, .. }
            | ShardOp::Resend { tenant, .. }
            | ShardOp::Cancel { tenant, .. }
            | ShardOp::Get { tenant, .. }
            | ShardOp::Unlock { tenant, .. } => Some(tenant),
            ShardOp::Create { .. } | ShardOp::FailDelivery { .. } => None,
        }
    }
}

/// The shard's answer: the record after the operation (none: no such OTP for this
/// tenant), and the error the operation produced.
#[derive(Serialize, Deserialize)]
pub struct ShardReply {
    pub record: Option<OtpRecord>,
    pub error: Option<ShardError>,
    /// A resend's SMS (the new PIN in clear, for the provider only).
    pub sms: Option<OutgoingSms>,
    /// Seconds until another SMS for this OTP may be asked for (creates and resends).
    pub resend_after: Option<u32>,
    /// SQLite rows the operation read and wrote.
    #[serde(default)]
    pub usage: RowUsage,
}

/// An SMS for the worker to hand to the provider.
#[derive(Serialize, Deserialize)]
pub struct OutgoingSms {
    pub to: String,
    pub from: String,
    pub text: String,
    pub parts: u32,
    pub unicode: bool,
}

/// An `ApiError` across the Durable Object boundary.
#[derive(Serialize, Deserialize)]
pub struct ShardError {
    pub code: u16,
    pub message: String,
    pub attempts_left: Option<u8>,
    pub retry_after: Option<u32>,
}

impl ShardError {
    /// The core's error, for the wire.
    pub fn from_api(e: &ApiError) -> Self {
        ShardError {
            code: e.code.code(),
            message: e.message.clone(),
            attempts_left: e.attempts_left,
            retry_after: e.retry_after,
        }
    }

    /// Back to the core's error.
    pub fn into_api(self) -> ApiError {
        let code = smsotp_core::ErrorCode::from_code(self.code)
            .unwrap_or(smsotp_core::ErrorCode::Internal);
        let mut e = ApiError::with_message(code, self.message);
        e.attempts_left = self.attempts_left;
        e.retry_after = self.retry_after;
        e
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS numbers (
  pk INTEGER NOT NULL,
  nk INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  phone TEXT NOT NULL,
  forget_at INTEGER NOT NULL,
  last_send_at INTEGER NOT NULL,
  sends TEXT NOT NULL,
  verified_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (pk, nk, tenant, phone)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deadlines (
  at INTEGER NOT NULL,
  otp_id TEXT NOT NULL,
  PRIMARY KEY (at, otp_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prefixes (
  pk INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  prefix TEXT NOT NULL,
  blocked_until INTEGER NOT NULL,
  PRIMARY KEY (pk, tenant, prefix)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS callbacks (
  webhook_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  tries INTEGER NOT NULL,
  next_at INTEGER NOT NULL
);
";

/// The previous layout (a row per OTP, per SMS, indexed), dropped when found: its tables
/// have other columns under the same names.
const OLD_LAYOUT: &str = "
DROP TABLE IF EXISTS otps;
DROP TABLE IF EXISTS sends;
DROP TABLE IF EXISTS numbers;
DROP TABLE IF EXISTS outbox;
";

/// A day, in milliseconds: the window of the per-number SMS count.
const DAY_MS: u64 = 24 * 3600 * 1000;
/// An hour: the window of the prefix rule, and how often the alarm cleans up.
const HOUR_MS: u64 = 3600 * 1000;
/// Earlier OTPs kept per number (beyond their 24 h, they are dropped anyway): a number
/// gets at most 10 SMS a day by default, so this only bounds a tenant without limits.
const MAX_EARLIER: usize = 32;
/// SMS times kept per number: enough for any daily limit up to this; a tenant allowing
/// more per day is counted as if it allowed this many (the row stays bounded).
const MAX_SENDS: usize = 1000;
/// Due deadlines handled per alarm (the next alarm comes at once for the rest).
const MAX_DUE: u64 = 100;
/// Callbacks tried at once by a shard (their fetches interleave: the object is
/// single-threaded, but waits on no try to start the next).
const CALLBACK_CONCURRENCY: usize = 6;
/// Callbacks of one tenant tried per alarm run, so one tenant's backlog cannot take a
/// whole run (the next alarm comes at once for the rest).
const CALLBACKS_PER_TENANT_PER_RUN: usize = 20;
/// Callbacks tried per alarm run in all: with every receiver hanging, a run lasts at most
/// 60 / 6 × 5 s = 50 s, and expiries due meanwhile wait no longer than that.
const CALLBACKS_PER_RUN: usize = 60;
/// Callbacks of one tenant queued in one shard at most: past it, the tenant's oldest are
/// dropped (`callback.dropped`), so a tenant whose receiver is down cannot grow a shard's
/// queue (and every run's reads) without bound.
const MAX_QUEUED_PER_TENANT: u64 = 1000;

/// When a record may be forgotten: 24 h after it ended (or after its TTL, if still pending).
fn forget_at(record: &OtpRecord) -> u64 {
    let end = if record.status.is_final() {
        record.updated_at
    } else {
        record.expires_at
    };
    end.saturating_add(GRACE_SECONDS * 1000)
}

/// Everything the shard keeps about one (tenant, phone number): one row, `numbers.state`.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct NumberState {
    /// The number's latest OTP (pending or not), with what a resend needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current: Option<CurrentOtp>,
    /// When SMS were sent to the number in the last 24 h, oldest first (column `sends`:
    /// the prefix rule reads it for every number of a prefix, without the rest).
    #[serde(skip)]
    sends: Vec<u64>,
    /// Consecutive wrong PINs typed through the server API, across its OTPs: they lock
    /// the number for everyone (`failuresBeforeLock`).
    #[serde(default)]
    failures: u32,
    /// Consecutive wrong PINs from anyone (server and browsers): from
    /// `smsotp_edge::limits::MAX_CONSECUTIVE_FAILURES` on, the number is refused checks and
    /// SMS until the tenant unlocks it.
    #[serde(default)]
    consecutive: u32,
    /// Browser clients' wrong PINs and locks for this number (bounded: the most recent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    clients: Vec<ClientFailures>,
    /// Until when the number is locked (0: never).
    #[serde(default)]
    locked_until: u64,
    /// When a PIN of the number was last verified (0: never): its SMS before are verified
    /// (column `verified_at`, as `sends`).
    #[serde(skip)]
    verified_at: u64,
    /// Its earlier OTPs (all final), oldest first, until 24 h after they ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    earlier: Vec<OtpRecord>,
}

/// Browser clients remembered per number: enough for any real number (a person uses one
/// or two devices); an attacker rotating more only pushes out the oldest, which locks
/// nothing wider (the hard cap counts every wrong PIN anyway).
const MAX_CLIENTS: usize = 16;

/// One browser client's (an IP subject's) wrong PINs for a number, and its lock.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct ClientFailures {
    client: String,
    failures: u32,
    locked_until: u64,
}

impl NumberState {
    /// Until when the browser client `client` is locked for this number (0: not).
    fn client_locked_until(&self, client: Option<&str>) -> u64 {
        let Some(client) = client else { return 0 };
        self.clients
            .iter()
            .find(|c| c.client == client)
            .map_or(0, |c| c.locked_until)
    }

    /// May this number be checked or sent to by `client` (`None`: the server API) now?
    /// The hard lock, then the number's lock (checks only: a send checks it with the
    /// per-number limits), then the client's.
    fn check_locks(&self, client: Option<&str>, check: bool, now: u64) -> Result<(), ApiError> {
        smsotp_edge::limits::check_hard_lock(self.consecutive)?;
        if check {
            NumberLimits::check_lock(self.locked_until, now)?;
        }
        NumberLimits::check_lock(self.client_locked_until(client), now)
    }

    /// A wrong PIN from `client` (`None`: the server API): counted in a row for the hard
    /// cap; a browser client's locks that client, the server's locks the number.
    fn wrong_pin(&mut self, client: Option<&str>, limits: &NumberLimits, now: u64) {
        self.consecutive = self.consecutive.saturating_add(1);
        match client {
            None => {
                self.failures = self.failures.saturating_add(1);
                if let Some(until) = limits.lock_after(self.failures, now) {
                    self.locked_until = self.locked_until.max(until);
                }
            }
            Some(client) => {
                let i = match self.clients.iter().position(|c| c.client == client) {
                    Some(i) => i,
                    None => {
                        if self.clients.len() >= MAX_CLIENTS {
                            self.clients.remove(0);
                        }
                        self.clients.push(ClientFailures {
                            client: client.to_owned(),
                            failures: 0,
                            locked_until: 0,
                        });
                        self.clients.len() - 1
                    }
                };
                let c = &mut self.clients[i];
                c.failures = c.failures.saturating_add(1);
                if let Some(until) = limits.lock_after(c.failures, now) {
                    c.locked_until = c.locked_until.max(until);
                }
            }
        }
    }

    /// A right PIN: every count of wrong ones starts again.
    fn right_pin(&mut self, now: u64) {
        self.failures = 0;
        self.consecutive = 0;
        self.clients.clear();
        self.verified_at = now;
    }

    /// The tenant's unlock: every lock and count cleared.
    fn unlock(&mut self) {
        self.failures = 0;
        self.consecutive = 0;
        self.locked_until = 0;
        self.clients.clear();
    }
}

/// A number's latest OTP.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
struct CurrentOtp {
    record: OtpRecord,
    /// The request it was made from (a resend renders its SMS again).
    request: OtpRequest,
    /// SMS it has had.
    sends: u32,
    last_send_at: u64,
    /// Made from the browser API (it may then be superseded by the same visitor only).
    #[serde(default)]
    by_browser: bool,
}

impl NumberState {
    /// The OTP `otp_id` of this number, if it is still remembered at `now`.
    fn find_mut(&mut self, otp_id: &str, now: u64) -> Option<&mut OtpRecord> {
        let current = self.current.as_mut().map(|c| &mut c.record);
        current
            .into_iter()
            .chain(self.earlier.iter_mut())
            .find(|r| r.otp_id == otp_id && forget_at(r) > now)
    }

    fn holds(&self, otp_id: &str) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| c.record.otp_id == otp_id)
            || self.earlier.iter().any(|r| r.otp_id == otp_id)
    }

    /// Drops what is past: SMS older than 24 h, OTPs 24 h after they ended; keeps the
    /// lists bounded.
    fn tidy(&mut self, now: u64) {
        self.sends.retain(|&at| at.saturating_add(DAY_MS) > now);
        if self.sends.len() > MAX_SENDS {
            self.sends.drain(..self.sends.len() - MAX_SENDS);
        }
        self.earlier.retain(|r| forget_at(r) > now);
        if self.earlier.len() > MAX_EARLIER {
            self.earlier.drain(..self.earlier.len() - MAX_EARLIER);
        }
        if self
            .current
            .as_ref()
            .is_some_and(|c| forget_at(&c.record) <= now)
        {
            self.current = None;
        }
    }

    /// When the row holds nothing of use any more (the clean-up deletes it then): every
    /// OTP forgotten, every SMS out of the 24-hour window, the lock over. (A count of wrong
    /// PINs without a lock goes with it: a day without any SMS resets it.)
    fn forget_at(&self) -> u64 {
        let otps = self
            .current
            .iter()
            .map(|c| forget_at(&c.record))
            .chain(self.earlier.iter().map(forget_at));
        let sends = self.sends.iter().map(|&at| at.saturating_add(DAY_MS));
        // A hard lock stays until the tenant clears it.
        if smsotp_edge::limits::check_hard_lock(self.consecutive).is_err() {
            return u64::MAX;
        }
        let client_locks = self.clients.iter().map(|c| c.locked_until);
        otps.chain(sends)
            .chain([self.locked_until])
            .chain(client_locks)
            .max()
            .unwrap_or(0)
    }

    /// Its SMS after `since` that no verified PIN followed.
    fn unverified_sends_after(&self, since: u64) -> impl Iterator<Item = u64> + '_ {
        self.sends
            .iter()
            .copied()
            .filter(move |&at| at > since && at > self.verified_at)
    }
}

/// A number's row.
#[derive(Debug, Clone)]
struct NumberRow {
    pk: u32,
    nk: u32,
    tenant: String,
    phone: String,
    state: NumberState,
}

#[derive(Deserialize)]
struct RawNumberRow {
    nk: f64,
    tenant: String,
    phone: String,
    sends: String,
    verified_at: f64,
    /// Absent when only the prefix rule's columns were read.
    #[serde(default)]
    state: Option<String>,
}

impl NumberRow {
    fn parse(pk: u32, raw: RawNumberRow) -> Result<Self> {
        let mut state: NumberState = match &raw.state {
            Some(json) => serde_json::from_str(json)?,
            None => NumberState::default(),
        };
        state.sends = serde_json::from_str(&raw.sends)?;
        state.verified_at = raw.verified_at as u64;
        Ok(NumberRow {
            pk,
            nk: raw.nk as u32,
            tenant: raw.tenant,
            phone: raw.phone,
            state,
        })
    }
}

/// Of the rows under an OTP id's keys (one, or a few when 32-bit keys collide), the one
/// that holds the OTP, for `tenant` (`None`: any, for the shard's own work).
fn select_by_otp(rows: &[NumberRow], otp_id: &str, tenant: Option<&str>) -> Option<usize> {
    rows.iter()
        .position(|r| tenant.is_none_or(|t| t == r.tenant) && r.state.holds(otp_id))
}

/// The prefix rule's input: the SMS of the last hour, over the tenant's numbers of
/// `prefix` among `rows` (a prefix key's rows: other prefixes may share the key; the query
/// already keeps only those), that no verified PIN followed, oldest first.
fn unverified_sends(rows: &[NumberRow], tenant: &str, prefix: &str, now: u64) -> Vec<u64> {
    let since = now.saturating_sub(HOUR_MS);
    let mut sends: Vec<u64> = rows
        .iter()
        .filter(|r| r.tenant == tenant && smsotp_edge::limits::number_prefix(&r.phone) == prefix)
        .flat_map(|r| r.state.unverified_sends_after(since))
        .collect();
    sends.sort_unstable();
    sends
}

#[derive(Deserialize)]
struct DeadlineRow {
    at: f64,
    otp_id: String,
}

#[derive(Deserialize)]
struct BlockRow {
    blocked_until: f64,
}

#[derive(Deserialize)]
struct OutboxRow {
    webhook_id: String,
    tenant: String,
    url: String,
    body: String,
    tries: i64,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

#[derive(Deserialize)]
struct DroppedRow {
    webhook_id: String,
    tries: i64,
}

/// What an alarm run has tried so far.
#[derive(Default)]
struct CallbackRun {
    /// Webhook ids tried (each at most once a run).
    tried: Vec<String>,
    /// Tries per tenant.
    per_tenant: std::collections::HashMap<String, usize>,
}

impl CallbackRun {
    fn tries_of(&self, tenant: &str) -> usize {
        self.per_tenant.get(tenant).copied().unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct NextRow {
    at: Option<f64>,
}

#[derive(Deserialize)]
struct AnyRow {}

/// JS numbers hold integers exactly up to 2^53: times in milliseconds fit.
fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v.min(i64::MAX as u64) as i64)
}

fn text(v: &str) -> SqlStorageValue {
    SqlStorageValue::String(v.to_owned())
}

/// A refusal, as a reply.
fn refusal(e: &ApiError) -> ShardReply {
    ShardReply {
        record: None,
        error: Some(ShardError::from_api(e)),
        sms: None,
        resend_after: None,
        usage: RowUsage::default(),
    }
}

/// SQLite statements of one request, counted.
struct Sql<'a> {
    storage: SqlStorage,
    usage: &'a Cell<RowUsage>,
}

impl<'a> Sql<'a> {
    fn exec(
        &self,
        query: &str,
        bindings: impl Into<Option<Vec<SqlStorageValue>>>,
    ) -> Result<Counted<'a>> {
        Ok(Counted {
            cursor: self.storage.exec(query, bindings)?,
            usage: self.usage,
        })
    }
}

/// A cursor whose rows read and written are added to the usage when it is dropped (after
/// its rows were read, or at once for a write).
struct Counted<'a> {
    cursor: SqlCursor,
    usage: &'a Cell<RowUsage>,
}

impl Counted<'_> {
    fn to_array<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.cursor.to_array()
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let mut u = self.usage.get();
        u.rows_read += self.cursor.rows_read() as u64;
        u.rows_written += self.cursor.rows_written() as u64;
        self.usage.set(u);
    }
}

/// SQLite rows read and written (what Cloudflare bills for SQLite-backed objects).
#[derive(Serialize, Deserialize, Clone, Copy, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RowUsage {
    pub rows_read: u64,
    pub rows_written: u64,
}

/// A 32-bit key as SQLite's integer.
fn key(v: u32) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::from(v))
}

/// No such OTP for this tenant.
fn not_found() -> ShardReply {
    ShardReply {
        record: None,
        error: None,
        sms: None,
        resend_after: None,
        usage: RowUsage::default(),
    }
}

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
}

impl OtpShard {
    /// The object's SQLite, counting the rows each statement reads and writes (billed by
    /// Cloudflare per row) into this request's usage.
    fn sql(&self) -> Sql<'_> {
        Sql {
            storage: self.state.storage().sql(),
            usage: &self.usage,
        }
    }

    /// Asks for the alarm at `at` at the latest.
    fn wake(&self, at: u64) {
        self.wake_at.set(self.wake_at.get().min(at));
    }

    /// The rows under an OTP id's keys.
    fn rows_of_number(&self, pk: u32, nk: u32) -> Result<Vec<NumberRow>> {
        let raw: Vec<RawNumberRow> = self
            .sql()
            .exec(
                "SELECT nk, tenant, phone, sends, verified_at, state FROM numbers
                 WHERE pk = ? AND nk = ?",
                vec![key(pk), key(nk)],
            )?
            .to_array()?;
        raw.into_iter().map(|r| NumberRow::parse(pk, r)).collect()
    }

    /// The tenant's number's row, if it has one.
    fn number_row(&self, pk: u32, nk: u32, tenant: &str, phone: &str) -> Result<Option<NumberRow>> {
        let raw: Vec<RawNumberRow> = self
            .sql()
            .exec(
                "SELECT nk, tenant, phone, sends, verified_at, state FROM numbers
                 WHERE pk = ? AND nk = ? AND tenant = ? AND phone = ?",
                vec![key(pk), key(nk), text(tenant), text(phone)],
            )?
            .to_array()?;
        raw.into_iter()
            .next()
            .map(|r| NumberRow::parse(pk, r))
            .transpose()
    }

    /// The row of the OTP `otp_id`, for `tenant` (`None`: any).
    fn row_of_otp(&self, otp_id: &str, tenant: Option<&str>) -> Result<Option<NumberRow>> {
        let Some((_, pk, nk)) = placement::keys_of_otp_id(otp_id) else {
            return Ok(None);
        };
        let mut rows = self.rows_of_number(pk, nk)?;
        Ok(select_by_otp(&rows, otp_id, tenant).map(|i| rows.swap_remove(i)))
    }

    /// Writes the number's row: its one write of the operation.
    fn save(&self, row: &mut NumberRow, now: u64) -> Result<()> {
        row.state.tidy(now);
        self.sql().exec(
            "INSERT INTO numbers
               (pk, nk, tenant, phone, forget_at, last_send_at, sends, verified_at, state)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (pk, nk, tenant, phone) DO UPDATE
               SET forget_at = excluded.forget_at, last_send_at = excluded.last_send_at,
                 sends = excluded.sends, verified_at = excluded.verified_at,
                 state = excluded.state",
            vec![
                key(row.pk),
                key(row.nk),
                text(&row.tenant),
                text(&row.phone),
                int(row.state.forget_at()),
                int(row.state.sends.last().copied().unwrap_or(0)),
                text(&serde_json::to_string(&row.state.sends)?),
                int(row.state.verified_at),
                text(&serde_json::to_string(&row.state)?),
            ],
        )?;
        // The clean-up will have something to do.
        self.wake(now + HOUR_MS);
        Ok(())
    }

    /// A record left PENDING: its callback (if it has a URL) is queued, and its expiry
    /// no longer needs an alarm — in the same synchronous step as the row's write.
    fn status_changed(&self, record: &OtpRecord, now: u64) -> Result<()> {
        let Some(url) = &record.otp_callback_url else {
            return Ok(());
        };
        self.sql().exec(
            "DELETE FROM deadlines WHERE at = ? AND otp_id = ?",
            vec![int(record.expires_at), text(&record.otp_id)],
        )?;
        let object = record.to_object(now);
        // The same id for every delivery of this change, so receivers can dedupe.
        let webhook_id = format!(
            "msg_{}_{}",
            object.otp_id,
            object.status.as_str().to_ascii_lowercase()
        );
        let body = callback::body(&object);
        self.sql().exec(
            "INSERT OR IGNORE INTO callbacks (webhook_id, tenant, url, body, tries, next_at)
             VALUES (?, ?, ?, ?, 0, ?)",
            vec![
                text(&webhook_id),
                text(&record.tenant),
                text(url),
                text(&body),
                int(now),
            ],
        )?;
        self.cap_callbacks(&record.tenant)?;
        self.wake(now);
        Ok(())
    }

    /// The prefix rule's data for a tenant's prefix: the SMS of the last hour to its
    /// numbers that no verified PIN followed, oldest first, and until when the prefix is
    /// blocked (0: it is not). Reads the prefix key's rows (a range of the primary key:
    /// rows read are billed at $0.001 per million), but only the small columns of the
    /// numbers sent to in the last hour cross into the worker.
    fn prefix_history(
        &self,
        tenant: &str,
        prefix_key: u32,
        prefix: &str,
        now: u64,
    ) -> Result<(Vec<u64>, u64)> {
        let since = now.saturating_sub(HOUR_MS);
        let raw: Vec<RawNumberRow> = self
            .sql()
            .exec(
                "SELECT nk, tenant, phone, sends, verified_at FROM numbers
                 WHERE pk = ? AND tenant = ? AND last_send_at > ?
                   AND substr(phone, 1, length(phone) - 4) = ?",
                vec![key(prefix_key), text(tenant), int(since), text(prefix)],
            )?
            .to_array()?;
        let rows = raw
            .into_iter()
            .map(|r| NumberRow::parse(prefix_key, r))
            .collect::<Result<Vec<_>>>()?;
        let blocked: Vec<BlockRow> = self
            .sql()
            .exec(
                "SELECT blocked_until FROM prefixes WHERE pk = ? AND tenant = ? AND prefix = ?",
                vec![key(prefix_key), text(tenant), text(prefix)],
            )?
            .to_array()?;
        let blocked_until = blocked.first().map_or(0, |b| b.blocked_until as u64);
        Ok((unverified_sends(&rows, tenant, prefix, now), blocked_until))
    }

    /// Blocks a tenant's prefix until `until` (the prefix rule's refusal; rare, so a row of
    /// its own).
    fn block_prefix(&self, tenant: &str, prefix_key: u32, prefix: &str, until: u64) -> Result<()> {
        self.sql().exec(
            "INSERT INTO prefixes (pk, tenant, prefix, blocked_until) VALUES (?, ?, ?, ?)
             ON CONFLICT (pk, tenant, prefix) DO UPDATE
               SET blocked_until = MAX(blocked_until, excluded.blocked_until)",
            vec![key(prefix_key), text(tenant), text(prefix), int(until)],
        )?;
        self.wake(until.saturating_add(HOUR_MS));
        Ok(())
    }

    /// `Create`: the number's limits, superseding its pending OTP, storing the new one —
    /// one write, of the number's row.
    fn create(&self, op: &ShardOp, now: u64) -> Result<ShardReply> {
        let ShardOp::Create {
            record,
            request,
            limits,
            abuse,
            test,
            from_browser,
            client_secret,
            client,
        } = op
        else {
            return Err(Error::RustError("create: not a create".into()));
        };
        let test = *test;
        let Some((_, pk, nk)) = placement::keys_of_otp_id(&record.otp_id) else {
            return Err(Error::RustError(format!(
                "an OTP id without its number's keys: {}",
                record.otp_id
            )));
        };
        // The prefix rule (SMS pumping through consecutive numbers): its numbers are all in
        // this shard, so the count and the block are atomic with this create.
        if abuse.prefix_unverified_per_hour > 0 {
            let prefix = smsotp_edge::limits::number_prefix(&record.phone_number);
            let (unverified, blocked_until) =
                self.prefix_history(&record.tenant, pk, prefix, now)?;
            if let Err(refused) = abuse.check_prefix(&unverified, blocked_until, now) {
                if let Some(until) = refused.block_until {
                    self.block_prefix(&record.tenant, pk, prefix, until)?;
                    log::event(
                        "warn",
                        "prefix.blocked",
                        serde_json::json!({ "tenant": record.tenant, "prefix": smsotp_core::phone::mask_phone(prefix), "untilMs": until }),
                    );
                }
                return Ok(refusal(&refused.error));
            }
        }
        let mut row = self
            .number_row(pk, nk, &record.tenant, &record.phone_number)?
            .unwrap_or_else(|| NumberRow {
                pk,
                nk,
                tenant: record.tenant.clone(),
                phone: record.phone_number.clone(),
                state: NumberState::default(),
            });
        let state = &mut row.state;
        state.tidy(now);
        if let Err(e) = state.check_locks(client.as_deref(), false, now) {
            return Ok(refusal(&e));
        }
        let history = NumberHistory {
            sends: &state.sends,
            locked_until: state.locked_until,
        };
        let pending = state
            .current
            .as_ref()
            .filter(|c| c.record.status_at(now) == OtpStatus::Pending);
        // A browser create supersedes only the same visitor's own browser OTP (it shows
        // that OTP's client secret): never a server-made one (a payment confirmation, a
        // login step) nor another visitor's, which a stranger with the public key could
        // otherwise kill at will. Refused like a resend too soon, until that OTP ends.
        if *from_browser {
            if let Some(p) = pending {
                let settings = crate::config::settings_or_error(&self.env)?;
                let own = p.by_browser
                    && smsotp_edge::browser::client_secret::check_client_secret(
                        &settings.pin_hasher,
                        &p.record.otp_id,
                        client_secret.as_deref(),
                    )
                    .is_ok();
                if !own {
                    let left = p.record.expires_at.saturating_sub(now).div_ceil(1000);
                    let e = ApiError::with_message(
                        ErrorCode::ResendTooSoon,
                        "A code was already sent to this phone number and is still valid; use it, or retry when it expires",
                    )
                    .retry_after(u32::try_from(left).unwrap_or(u32::MAX));
                    return Ok(refusal(&e));
                }
            }
        }
        let pending = pending.map(|c| PendingOtp {
            sends: c.sends,
            last_send_at: c.last_send_at,
        });
        if let Err(e) = limits.check_send(&history, pending, false, now) {
            return Ok(refusal(&e));
        }
        // The number's pending OTP is superseded (CANCELLED; EXPIRED if its TTL passed).
        let mut ended = None;
        if let Some(old) = state.current.take() {
            let mut old = old.record;
            let before = old.status;
            let _ = old.cancel(now);
            if old.status != before {
                ended = Some(old.clone());
            }
            state.earlier.push(old);
        }
        state.current = Some(CurrentOtp {
            record: (**record).clone(),
            request: (**request).clone(),
            sends: 1,
            last_send_at: now,
            by_browser: *from_browser,
        });
        // Only SMS are the number's sends (a test number gets none).
        if !test {
            state.sends.push(now);
        }
        self.save(&mut row, now)?;
        if let Some(old) = ended {
            self.status_changed(&old, now)?;
        }
        if record.otp_callback_url.is_some() {
            // Its EXPIRED callback must go out at its expiry, asked or not.
            self.sql().exec(
                "INSERT OR IGNORE INTO deadlines (at, otp_id) VALUES (?, ?)",
                vec![int(record.expires_at), text(&record.otp_id)],
            )?;
            self.wake(record.expires_at);
        }
        Ok(ShardReply {
            record: Some((**record).clone()),
            error: None,
            sms: None,
            resend_after: Some(limits.cooldown_after(1)),
            usage: RowUsage::default(),
        })
    }

    /// `Unlock`: the number's locks and counts cleared (one write, if it has a row).
    fn unlock(&self, tenant: &str, phone: &str, pk: u32, nk: u32, now: u64) -> Result<ShardReply> {
        if let Some(mut row) = self.number_row(pk, nk, tenant, phone)? {
            row.state.unlock();
            self.save(&mut row, now)?;
        }
        Ok(ShardReply {
            record: None,
            error: None,
            sms: None,
            resend_after: None,
            usage: RowUsage::default(),
        })
    }

    /// `Resend`: the limits, then a new PIN (the old one stops working) and its SMS.
    #[allow(clippy::too_many_arguments)]
    fn resend(
        &self,
        mut row: NumberRow,
        otp_id: &str,
        limits: &NumberLimits,
        test_pins: &std::collections::BTreeMap<String, String>,
        client: Option<&str>,
        now: u64,
    ) -> Result<ShardReply> {
        let Some(record) = row.state.find_mut(otp_id, now) else {
            return Ok(refusal(&ApiError::new(ErrorCode::OtpNotFound)));
        };
        // Not pending (or its TTL passed): the answer a check would give.
        let before = record.status;
        if let Err(e) = record.still_pending(now) {
            let record = record.clone();
            if record.status != before {
                self.save(&mut row, now)?;
                self.status_changed(&record, now)?;
            }
            return Ok(ShardReply {
                record: Some(record),
                ..refusal(&e)
            });
        }
        if let Err(e) = row.state.check_locks(client, false, now) {
            return Ok(refusal(&e));
        }
        let state = &mut row.state;
        // Only the current OTP can be pending (a new one supersedes it).
        let Some(current) = state.current.as_mut().filter(|c| c.record.otp_id == otp_id) else {
            return Ok(refusal(&ApiError::new(ErrorCode::OtpNotFound)));
        };
        let pending = PendingOtp {
            sends: current.sends,
            last_send_at: current.last_send_at,
        };
        let history = NumberHistory {
            sends: &state.sends,
            locked_until: state.locked_until,
        };
        let test_pin = test_pins.get(&current.record.phone_number);
        // A test number sends no SMS, so no per-number limit applies (as on create).
        let unlimited;
        let limits = if test_pin.is_some() {
            unlimited = NumberLimits::unlimited();
            &unlimited
        } else {
            limits
        };
        if let Err(e) = limits.check_send(&history, Some(pending), true, now) {
            return Ok(ShardReply {
                record: Some(current.record.clone()),
                ..refusal(&e)
            });
        }
        let settings = crate::config::settings_or_error(&self.env)?;
        let hasher = &settings.pin_hasher;
        let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
        let (pin_hash, message) = match test_pin {
            // A test number's PIN stays the fixed one.
            Some(pin) => (
                hasher.hash(otp_id, pin),
                smsotp_core::render_message(&current.request, Some(pin), None),
            ),
            None => smsotp_core::FallibleSource::run(fill, |rng| {
                smsotp_core::create::new_pin_message(&current.request, otp_id, hasher, rng)
            })
            .map_err(|e| Error::RustError(format!("crypto.getRandomValues: {e}")))?,
        };
        current
            .record
            .replace_pin(pin_hash, now)
            .map_err(|e| Error::RustError(e.to_string()))?;
        current.sends += 1;
        current.last_send_at = now;
        let sms = test_pin.is_none().then(|| OutgoingSms {
            to: current.record.phone_number.clone(),
            from: current.request.from.clone(),
            text: message.text,
            parts: message.sms.parts,
            unicode: message.sms.encoding == smsotp_core::Encoding::Ucs2,
        });
        let record = current.record.clone();
        if test_pin.is_none() {
            state.sends.push(now);
        }
        self.save(&mut row, now)?;
        Ok(ShardReply {
            record: Some(record),
            error: None,
            sms,
            resend_after: Some(limits.cooldown_after(pending.sends + 1)),
            usage: RowUsage::default(),
        })
    }

    /// `Check`, `Cancel`, `FailDelivery`, `Get`: the core's transition on the record, the
    /// number's wrong-PIN count with it, one write if anything changed.
    fn transition(&self, mut row: NumberRow, op: &ShardOp, now: u64) -> Result<ShardReply> {
        // A missing key is the deployment's fault: a worker error (logged, 500), not an
        // answer naming it.
        let settings = crate::config::settings_or_error(&self.env)?;
        let hasher = &settings.pin_hasher;
        let Some(status) = row
            .state
            .find_mut(op.otp_id(), now)
            .map(|r| r.status_at(now))
        else {
            return Ok(not_found());
        };
        // A locked number (or client) is refused before the PIN is looked at: no attempt
        // spent, nothing learnt. Only a pending OTP's check is refused; a finished one
        // answers what it is.
        if let ShardOp::Check { client, .. } = op {
            if status == OtpStatus::Pending {
                if let Err(e) = row.state.check_locks(client.as_deref(), true, now) {
                    let record = row.state.find_mut(op.otp_id(), now).cloned();
                    return Ok(ShardReply {
                        record,
                        ..refusal(&e)
                    });
                }
            }
        }
        let Some(record) = row.state.find_mut(op.otp_id(), now) else {
            return Ok(not_found());
        };
        let before = (record.status, record.attempts);
        let result: std::result::Result<(), ApiError> = match op {
            ShardOp::Check { pin, .. } => record.check(pin, now, hasher).map(|_| ()),
            ShardOp::Cancel { .. } => record.cancel(now),
            ShardOp::FailDelivery { .. } => {
                record.fail_delivery(now);
                Ok(())
            }
            ShardOp::Get { .. } => {
                record.expire(now);
                Ok(())
            }
            ShardOp::Create { .. } | ShardOp::Resend { .. } | ShardOp::Unlock { .. } => Ok(()),
        };
        let record = record.clone();
        let status_changed = record.status != before.0;
        let mut changed = status_changed || record.attempts != before.1;
        // Wrong PINs count against the number across its OTPs; a right one clears them.
        if let ShardOp::Check { limits, client, .. } = op {
            let state = &mut row.state;
            if record.attempts != before.1 {
                state.wrong_pin(client.as_deref(), limits, now);
            } else if record.status == OtpStatus::Verified && before.0 == OtpStatus::Pending {
                state.right_pin(now);
                changed = true;
            }
        }
        if changed {
            self.save(&mut row, now)?;
        }
        if status_changed {
            self.status_changed(&record, now)?;
        }
        Ok(ShardReply {
            record: Some(record),
            error: result.err().as_ref().map(ShardError::from_api),
            sms: None,
            resend_after: None,
            usage: RowUsage::default(),
        })
    }

    /// The reply, with the rows this request read and wrote.
    fn answer(&self, mut reply: ShardReply) -> Result<Response> {
        reply.usage = self.usage.get();
        Response::from_json(&reply)
    }

    /// Moves the alarm earlier when `next` comes before it (never later: a later alarm
    /// finds nothing due and sets the next one itself).
    async fn schedule(&self, next: u64, now: u64) -> Result<()> {
        if self.alarm_at.get() == 0 {
            let set = self.state.storage().get_alarm().await?;
            self.alarm_at
                .set(set.map_or(u64::MAX, |at| at.max(0) as u64));
        }
        if next < self.alarm_at.get() {
            let offset = Duration::from_millis(next.saturating_sub(now));
            self.state.storage().set_alarm(offset).await?;
            self.alarm_at.set(next);
        }
        Ok(())
    }

    /// The alarm's next time: the earliest expiry to call back, callback to deliver, and
    /// the next clean-up while there are numbers.
    fn next_deadline(&self) -> Result<Option<u64>> {
        let rows: Vec<NextRow> = self
            .sql()
            .exec(
                // `deadlines` is ordered by `at`: its minimum is its first row.
                "SELECT MIN(at) AS at FROM (
                   SELECT MIN(at) AS at FROM deadlines
                   UNION ALL SELECT MIN(next_at) FROM callbacks)",
                None,
            )?
            .to_array()?;
        let due = rows
            .into_iter()
            .next()
            .and_then(|r| r.at)
            .map(|at| at as u64);
        let any: Vec<AnyRow> = self
            .sql()
            .exec("SELECT 1 AS one FROM numbers LIMIT 1", None)?
            .to_array()?;
        let clean_up = (!any.is_empty()).then(|| self.clean_up_at.get());
        Ok(due.into_iter().chain(clean_up).min())
    }

    /// The next callback to try in this run: among those due now (re-read at each free
    /// slot, so one queued during the run is seen), not yet tried in this run, of a tenant
    /// with fewer than [`CALLBACKS_PER_TENANT_PER_RUN`] tries in it, the oldest (by
    /// `next_at`) of the tenant with the fewest tries in this run: each tenant's oldest
    /// first, tenants in turn, so one tenant's backlog does not hold up the others.
    fn next_callback(&self, run: &CallbackRun, now: u64) -> Result<Option<OutboxRow>> {
        let due: Vec<OutboxRow> = self
            .sql()
            .exec(
                "SELECT webhook_id, tenant, url, body, tries FROM (
                   SELECT webhook_id, tenant, url, body, tries, next_at, rowid AS seq,
                     ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY next_at, rowid) AS n
                   FROM callbacks WHERE next_at <= ?)
                 WHERE n <= ? ORDER BY next_at, seq",
                vec![int(now), int((CALLBACKS_PER_TENANT_PER_RUN * 2) as u64)],
            )?
            .to_array()?;
        Ok(due
            .into_iter()
            .filter(|row| !run.tried.contains(&row.webhook_id))
            .filter(|row| run.tries_of(&row.tenant) < CALLBACKS_PER_TENANT_PER_RUN)
            // `min_by_key` keeps the first of equals: the oldest of the least served tenant.
            .min_by_key(|row| run.tries_of(&row.tenant)))
    }

    /// Delivers the callbacks that are due, one try each: at most
    /// [`CALLBACK_CONCURRENCY`] at once, each tenant's oldest first and tenants in turn, at
    /// most [`CALLBACKS_PER_TENANT_PER_RUN`] per tenant and [`CALLBACKS_PER_RUN`] in all
    /// (the next alarm comes at once for the rest). A try takes at most
    /// [`callback::LIMITS`]' 5 s; a failure waits for the next try.
    async fn deliver_callbacks(&self) -> Result<()> {
        let mut run = CallbackRun::default();
        let mut next = self.next_callback(&run, Date::now().as_millis())?;
        if next.is_none() {
            return Ok(());
        }
        let settings = crate::config::settings_or_error(&self.env)?;
        let mut in_flight = FuturesUnordered::new();
        loop {
            // Fill the free slots (each try's time is when it starts).
            while let Some(row) = next.take() {
                run.tried.push(row.webhook_id.clone());
                *run.per_tenant.entry(row.tenant.clone()).or_default() += 1;
                in_flight.push(self.try_callback(row, &settings, Date::now().as_millis()));
                if in_flight.len() < CALLBACK_CONCURRENCY && run.tried.len() < CALLBACKS_PER_RUN {
                    next = self.next_callback(&run, Date::now().as_millis())?;
                }
            }
            let Some((row, result, started)) = in_flight.next().await else {
                return Ok(());
            };
            self.callback_tried(&row, result, started, &settings)?;
            if run.tried.len() < CALLBACKS_PER_RUN {
                next = self.next_callback(&run, Date::now().as_millis())?;
            }
        }
    }

    /// One try of a callback: `(row, outcome, when it started)`.
    async fn try_callback(
        &self,
        row: OutboxRow,
        settings: &crate::config::Settings,
        now: u64,
    ) -> (OutboxRow, std::result::Result<u16, String>, u64) {
        let kv = crate::usage::Usage::default();
        // Signed with the OTP's tenant's own secret: a tenant cannot sign for another.
        // Its record is read through the isolate's cache; KV failing (and nothing
        // cached) is a failed try, retried like a receiver's failure.
        let result = match tenant::by_id(&self.env, &row.tenant, settings, &kv).await {
            Ok(Some(t)) => {
                callback::send(&row.url, &row.webhook_id, &row.body, &t.webhook_key, now).await
            }
            Ok(None) => Err(format!("tenant {} no longer exists", row.tenant)),
            Err(e) => Err(format!("tenant {} unavailable: {e:?}", row.tenant)),
        };
        (row, result, now)
    }

    /// Writes a try's outcome: delivered (forgotten), retried later, or abandoned.
    fn callback_tried(
        &self,
        row: &OutboxRow,
        result: std::result::Result<u16, String>,
        started: u64,
        settings: &crate::config::Settings,
    ) -> Result<()> {
        let tries = row.tries as usize + 1;
        let (level, outcome) = match &result {
            Ok(status) => ("info", serde_json::json!(status)),
            Err(why) => ("warn", serde_json::json!(why)),
        };
        log::event(
            level,
            "callback",
            serde_json::json!({ "webhookId": row.webhook_id, "try": tries, "outcome": outcome }),
        );
        // config::CALLBACK_BACKOFF_MS, or development's CALLBACK_BACKOFF_MS.
        let retry = settings.callback_backoff.get(tries - 1);
        match (result, retry) {
            (Err(_), Some(wait)) => {
                // A callback dropped (over its tenant's cap) while tried is not written back.
                self.sql().exec(
                    "UPDATE callbacks SET tries = ?, next_at = ? WHERE webhook_id = ?",
                    vec![
                        int(tries as u64),
                        int(started + wait),
                        text(&row.webhook_id),
                    ],
                )?;
            }
            (Err(_), None) => {
                log::event(
                    "error",
                    "callback.abandoned",
                    serde_json::json!({ "webhookId": row.webhook_id, "tries": tries }),
                );
                self.forget_callback(&row.webhook_id)?;
            }
            (Ok(_), _) => self.forget_callback(&row.webhook_id)?,
        }
        Ok(())
    }

    /// Keeps at most [`MAX_QUEUED_PER_TENANT`] callbacks of `tenant` queued in this shard:
    /// the oldest queued beyond are dropped, each logged (`callback.dropped`).
    fn cap_callbacks(&self, tenant: &str) -> Result<()> {
        let counted: Vec<CountRow> = self
            .sql()
            .exec(
                "SELECT COUNT(*) AS n FROM callbacks WHERE tenant = ?",
                vec![text(tenant)],
            )?
            .to_array()?;
        let n = counted.first().map_or(0, |c| c.n.max(0) as u64);
        if n <= MAX_QUEUED_PER_TENANT {
            return Ok(());
        }
        let oldest: Vec<DroppedRow> = self
            .sql()
            .exec(
                "SELECT webhook_id, tries FROM callbacks WHERE tenant = ? ORDER BY rowid LIMIT ?",
                vec![text(tenant), int(n - MAX_QUEUED_PER_TENANT)],
            )?
            .to_array()?;
        for row in oldest {
            log::event(
                "warn",
                "callback.dropped",
                serde_json::json!({
                    "webhookId": row.webhook_id,
                    "tenant": tenant,
                    "tries": row.tries,
                    "reason": format!("more than {MAX_QUEUED_PER_TENANT} callbacks of the tenant queued in the shard"),
                }),
            );
            self.forget_callback(&row.webhook_id)?;
        }
        Ok(())
    }

    fn forget_callback(&self, webhook_id: &str) -> Result<()> {
        self.sql().exec(
            "DELETE FROM callbacks WHERE webhook_id = ?",
            vec![text(webhook_id)],
        )?;
        Ok(())
    }

    /// Expires the pending OTPs with a callback URL whose TTL has passed (their callbacks
    /// queued); a deadline whose OTP has left PENDING otherwise is just removed.
    fn expire_due(&self, now: u64) -> Result<()> {
        let due: Vec<DeadlineRow> = self
            .sql()
            .exec(
                "SELECT at, otp_id FROM deadlines WHERE at <= ? ORDER BY at LIMIT ?",
                vec![int(now), int(MAX_DUE)],
            )?
            .to_array()?;
        for deadline in due {
            if let Some(mut row) = self.row_of_otp(&deadline.otp_id, None)? {
                if let Some(record) = row.state.find_mut(&deadline.otp_id, now) {
                    if record.expire(now) {
                        let record = record.clone();
                        self.save(&mut row, now)?;
                        self.status_changed(&record, now)?;
                        log::event(
                            "info",
                            "otp.expired",
                            serde_json::json!({ "otpId": record.otp_id }),
                        );
                        continue;
                    }
                }
            }
            self.sql().exec(
                "DELETE FROM deadlines WHERE at = ? AND otp_id = ?",
                vec![int(deadline.at as u64), text(&deadline.otp_id)],
            )?;
        }
        Ok(())
    }

    /// Deletes the numbers whose rows hold nothing of use any more, and the prefix blocks
    /// that are over: a full scan, at most once an hour.
    fn clean_up(&self, now: u64) -> Result<()> {
        self.sql()
            .exec("DELETE FROM numbers WHERE forget_at <= ?", vec![int(now)])?;
        self.sql().exec(
            "DELETE FROM prefixes WHERE blocked_until <= ?",
            vec![int(now)],
        )?;
        self.clean_up_at.set(now + HOUR_MS);
        Ok(())
    }
}

impl DurableObject for OtpShard {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        // A shard still in a previous layout starts afresh (its `numbers` has other columns).
        if sql
            .exec("SELECT last_send_at, state FROM numbers LIMIT 0", None)
            .is_err()
        {
            sql.exec(OLD_LAYOUT, None).ok();
        }
        sql.exec(SCHEMA, None).ok();
        Self {
            state,
            env,
            usage: Cell::new(RowUsage::default()),
            alarm_at: Cell::new(0),
            wake_at: Cell::new(u64::MAX),
            clean_up_at: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let op: ShardOp = req.json().await?;
        self.usage.set(RowUsage::default());
        self.wake_at.set(u64::MAX);
        let now = Date::now().as_millis();
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
            _ => match self.row_of_otp(op.otp_id(), op.tenant())? {
                // No such OTP, or another tenant's: it does not exist for this one.
                None => not_found(),
                Some(row) => match &op {
                    ShardOp::Resend {
                        otp_id,
                        limits,
                        test_pins,
                        client,
                        ..
                    } => self.resend(row, otp_id, limits, test_pins, client.as_deref(), now)?,
                    _ => self.transition(row, &op, now)?,
                },
            },
        };
        let wake_at = self.wake_at.get();
        if wake_at != u64::MAX {
            self.schedule(wake_at, now).await?;
        }
        self.answer(reply)
    }

    async fn alarm(&self) -> Result<Response> {
        let now = Date::now().as_millis();
        self.usage.set(RowUsage::default());
        // The alarm that fired is spent; what comes next is set below.
        self.alarm_at.set(u64::MAX);
        // Expiries are written (with their callbacks queued) before any delivery, so an
        // alarm that stops half-way loses nothing: the platform retries it.
        self.expire_due(now)?;
        self.deliver_callbacks().await?;
        if now >= self.clean_up_at.get() {
            self.clean_up(now)?;
        }
        if let Some(next) = self.next_deadline()? {
            self.schedule(next, Date::now().as_millis()).await?;
        }
        // An alarm is billed as a Durable Object request, with its rows.
        let u = self.usage.get();
        log::event(
            "info",
            "alarm",
            serde_json::json!({ "usage": { "doCalls": 1, "rowsRead": u.rows_read, "rowsWritten": u.rows_written } }),
        );
        Response::ok("")
    }
}

/// Sends an operation to shard `shard`, counting the call in `usage`.
pub async fn call(
    env: &Env,
    shard: u8,
    op: &ShardOp,
    usage: &crate::usage::Usage,
) -> Result<ShardReply> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(&format!("shard-{shard}"))?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(op)?.into()));
    let req = Request::new_with_init("https://shard/op", &init)?;
    let mut res = stub.fetch_with_request(req).await?;
    let reply: ShardReply = res.json().await?;
    usage.durable_object_call(reply.usage);
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsotp_core::{Config, PinType};

    const NOW: u64 = 1_800_000_000_000;
    const MIN: u64 = 60_000;

    fn record(otp_id: &str, tenant: &str, status: OtpStatus, updated_at: u64) -> OtpRecord {
        OtpRecord {
            otp_id: otp_id.into(),
            tenant: tenant.into(),
            track_id: None,
            phone_number: "+33612345678".into(),
            country_iso: "FR".into(),
            status,
            failure_reason: None,
            cost: 0.0,
            parts: 1,
            max_attempts: 3,
            attempts: 0,
            ttl: 300,
            otp_callback_url: None,
            pin_type: PinType::Numbers,
            pin_hash: String::new(),
            created_at: updated_at,
            expires_at: updated_at + 5 * MIN,
            updated_at,
            amount: None,
            payee: None,
        }
    }

    fn current(record: OtpRecord) -> Option<CurrentOtp> {
        let request = smsotp_core::validate_request_text(
            r#"{"phoneNumber": "+33612345678"}"#,
            &Config::default(),
        )
        .unwrap();
        Some(CurrentOtp {
            last_send_at: record.created_at,
            record,
            request,
            sends: 1,
            by_browser: false,
        })
    }

    fn row(nk: u32, tenant: &str, phone: &str, state: NumberState) -> NumberRow {
        NumberRow {
            pk: 7,
            nk,
            tenant: tenant.into(),
            phone: phone.into(),
            state,
        }
    }

    /// Two numbers whose 32-bit keys collide share `WHERE pk = ? AND nk = ?`: each OTP id
    /// still finds its own number, and only for its own tenant.
    #[test]
    fn colliding_keys_are_told_apart_by_the_otp_and_the_tenant() {
        let a = NumberState {
            current: current(record("id-a2", "acme", OtpStatus::Pending, NOW)),
            earlier: vec![record("id-a1", "acme", OtpStatus::Cancelled, NOW - MIN)],
            ..NumberState::default()
        };
        let b = NumberState {
            current: current(record("id-b", "globex", OtpStatus::Verified, NOW)),
            ..NumberState::default()
        };
        let rows = [
            row(9, "acme", "+33612345678", a),
            row(9, "globex", "+4915112345678", b),
        ];
        assert_eq!(select_by_otp(&rows, "id-a2", Some("acme")), Some(0));
        assert_eq!(select_by_otp(&rows, "id-a1", Some("acme")), Some(0));
        assert_eq!(select_by_otp(&rows, "id-b", Some("globex")), Some(1));
        assert_eq!(select_by_otp(&rows, "id-b", None), Some(1));
        // Another tenant's OTP, or an id neither row holds: none.
        assert_eq!(select_by_otp(&rows, "id-b", Some("acme")), None);
        assert_eq!(select_by_otp(&rows, "id-a2", Some("globex")), None);
        assert_eq!(select_by_otp(&rows, "id-c", None), None);
    }

    /// An earlier OTP answers until 24 h after it ended, then is gone; SMS leave the
    /// count after 24 h; the row may be deleted once nothing in it is of use.
    #[test]
    fn a_number_forgets_its_past_after_a_day() {
        let day = 24 * 60 * MIN;
        let mut state = NumberState {
            current: current(record("id-2", "acme", OtpStatus::Verified, NOW)),
            earlier: vec![record("id-1", "acme", OtpStatus::Cancelled, NOW - 10 * MIN)],
            sends: vec![NOW - 10 * MIN, NOW],
            ..NumberState::default()
        };
        assert!(state.find_mut("id-1", NOW + day - 11 * MIN).is_some());
        assert!(state.find_mut("id-1", NOW + day - 10 * MIN).is_none());
        assert_eq!(state.forget_at(), NOW + day);
        state.tidy(NOW + day - 5 * MIN);
        assert!(state.earlier.is_empty());
        assert_eq!(state.sends, [NOW]);
        assert!(state.current.is_some());
        // A lock keeps the row beyond that.
        state.locked_until = NOW + 2 * day;
        assert_eq!(state.forget_at(), NOW + 2 * day);
    }

    #[test]
    fn the_earlier_otps_and_the_sms_times_stay_bounded() {
        let mut state = NumberState {
            earlier: (0..100)
                .map(|i| record(&format!("id-{i}"), "acme", OtpStatus::Cancelled, NOW))
                .collect(),
            sends: (0..2000).map(|i| NOW - 2000 + i).collect(),
            ..NumberState::default()
        };
        state.tidy(NOW);
        assert_eq!(state.earlier.len(), 32);
        // The most recent are kept.
        assert_eq!(state.earlier.last().unwrap().otp_id, "id-99");
        assert_eq!(state.sends.len(), 1000);
        assert_eq!(state.sends.last(), Some(&(NOW - 1)));
    }

    /// The prefix rule counts the tenant's SMS of the last hour to the numbers of the
    /// prefix that no verified PIN followed.
    #[test]
    fn unverified_sends_of_a_prefix() {
        let sent = |sends: Vec<u64>, verified_at: u64| NumberState {
            sends,
            verified_at,
            ..NumberState::default()
        };
        let rows = [
            // Verified after its first SMS: only the second counts.
            row(
                1,
                "acme",
                "+33612340001",
                sent(vec![NOW - 30 * MIN, NOW - 5 * MIN], NOW - 20 * MIN),
            ),
            // More than an hour ago: not counted.
            row(
                2,
                "acme",
                "+33612340002",
                sent(vec![NOW - 61 * MIN, NOW - MIN], 0),
            ),
            // Another tenant, another prefix under the same key: not counted.
            row(3, "globex", "+33612340003", sent(vec![NOW - 2 * MIN], 0)),
            row(4, "acme", "+3361234000", sent(vec![NOW - 3 * MIN], 0)),
        ];
        assert_eq!(
            unverified_sends(&rows, "acme", "+3361234", NOW),
            [NOW - 5 * MIN, NOW - MIN]
        );
        assert!(unverified_sends(&rows, "acme", "+3361299", NOW).is_empty());
    }
}
