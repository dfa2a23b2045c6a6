//! `OtpShard`: the Durable Object that owns the OTPs of one shard of (tenant, phone number)
//! pairs (`smsotp_core::shard`: 64 shards by a keyed hash; an OTP id names its shard).
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
//! - One alarm per object, at its earliest deadline (a pending OTP's expiry, a callback to
//!   retry, a finished OTP to forget), instead of two alarms per OTP. A status change puts
//!   its callback in the `outbox` table in the same step as the change, and the alarm
//!   delivers it (retried with backoff until a 2xx), so neither a failing receiver nor an
//!   alarm that stops half-way loses one.

use std::cell::Cell;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smsotp_core::limits::{NumberHistory, NumberLimits, PendingOtp};
use smsotp_core::{ApiError, ErrorCode, OtpRecord, OtpRequest, OtpStatus};
use worker::*;

use crate::callback;
use crate::config::{Settings, GRACE_SECONDS};
use crate::log;
use crate::tenant;

/// The binding of the `OtpShard` namespace (wrangler.toml).
pub const BINDING: &str = "OTP_SHARD";

/// Waits before the 2nd, 3rd, … delivery of a callback (the 1st is at once): 6 tries over
/// about an hour, then the callback is given up (logged).
const CALLBACK_BACKOFF_SECONDS: [u64; 5] = [60, 300, 900, 1800, 1800];

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
    },
    /// A new PIN and SMS for a pending OTP, if the limits allow.
    Resend {
        otp_id: String,
        tenant: String,
        limits: Box<NumberLimits>,
    },
    /// Check a PIN.
    Check {
        otp_id: String,
        tenant: String,
        pin: String,
        limits: Box<NumberLimits>,
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
        }
    }

    /// The tenant the operation is made for: another tenant's OTP does not exist for it.
    fn tenant(&self) -> Option<&str> {
        match self {
            ShardOp::Check { tenant, .. }
            | ShardOp::Resend { tenant, .. }
            | ShardOp::Cancel { tenant, .. }
            | ShardOp::Get { tenant, .. } => Some(tenant),
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
CREATE TABLE IF NOT EXISTS otps (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  phone TEXT NOT NULL,
  status TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  forget_at INTEGER NOT NULL,
  sends INTEGER NOT NULL,
  last_send_at INTEGER NOT NULL,
  request TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS otps_pending ON otps (status, expires_at);
CREATE INDEX IF NOT EXISTS otps_number ON otps (tenant, phone, status);
CREATE TABLE IF NOT EXISTS numbers (
  tenant TEXT NOT NULL,
  phone TEXT NOT NULL,
  failures INTEGER NOT NULL,
  locked_until INTEGER NOT NULL,
  PRIMARY KEY (tenant, phone)
);
CREATE TABLE IF NOT EXISTS sends (
  tenant TEXT NOT NULL,
  phone TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sends_number ON sends (tenant, phone, at);
CREATE INDEX IF NOT EXISTS otps_forget ON otps (forget_at);
DROP TABLE IF EXISTS outbox;
CREATE TABLE IF NOT EXISTS callbacks (
  webhook_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  tries INTEGER NOT NULL,
  next_at INTEGER NOT NULL
);
";

#[derive(Deserialize)]
struct RecordRow {
    record: String,
}

#[derive(Deserialize)]
struct PendingRow {
    record: String,
    sends: f64,
    last_send_at: f64,
}

#[derive(Deserialize)]
struct AtRow {
    at: f64,
}

#[derive(Deserialize)]
struct NumberRow {
    failures: f64,
    locked_until: f64,
}

#[derive(Deserialize)]
struct RequestRow {
    request: String,
    sends: f64,
    last_send_at: f64,
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
struct NextRow {
    at: Option<f64>,
}

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

#[durable_object]
pub struct OtpShard {
    state: State,
    env: Env,
    /// Rows read and written by the request (or alarm) being handled.
    usage: Cell<RowUsage>,
    /// When the alarm is set for, as far as this instance knows (`u64::MAX`: none, 0:
    /// not read yet).
    alarm_at: Cell<u64>,
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

    fn load(&self, otp_id: &str) -> Result<Option<OtpRecord>> {
        let rows: Vec<RecordRow> = self
            .sql()
            .exec("SELECT record FROM otps WHERE id = ?", vec![text(otp_id)])?
            .to_array()?;
        match rows.into_iter().next() {
            Some(row) => Ok(Some(serde_json::from_str(&row.record)?)),
            None => Ok(None),
        }
    }

    /// Writes the record; a changed status also queues its callback, in the same
    /// synchronous step (no `await` between the transition and these writes).
    fn store(&self, record: &OtpRecord, status_changed: bool, now: u64) -> Result<()> {
        let forget_at = if record.status.is_final() {
            now + GRACE_SECONDS * 1000
        } else {
            record.expires_at + GRACE_SECONDS * 1000
        };
        self.sql().exec(
            "UPDATE otps SET status = ?, forget_at = ?, record = ? WHERE id = ?",
            vec![
                text(record.status.as_str()),
                int(forget_at),
                text(&serde_json::to_string(record)?),
                text(&record.otp_id),
            ],
        )?;
        if status_changed {
            if let Some(url) = &record.otp_callback_url {
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
            }
        }
        Ok(())
    }

    /// Stores a new OTP, its first SMS counted for its number.
    fn insert(&self, record: &OtpRecord, request: &OtpRequest, now: u64) -> Result<()> {
        self.sql().exec(
            "INSERT INTO otps (id, tenant, phone, status, expires_at, forget_at, sends,
               last_send_at, request, record)
             VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            vec![
                text(&record.otp_id),
                text(&record.tenant),
                text(&record.phone_number),
                text(record.status.as_str()),
                int(record.expires_at),
                int(record.expires_at + GRACE_SECONDS * 1000),
                int(now),
                text(&serde_json::to_string(request)?),
                text(&serde_json::to_string(record)?),
            ],
        )?;
        self.count_send(&record.tenant, &record.phone_number, now)
    }

    fn count_send(&self, tenant: &str, phone: &str, now: u64) -> Result<()> {
        self.sql().exec(
            "INSERT INTO sends (tenant, phone, at) VALUES (?, ?, ?)",
            vec![text(tenant), text(phone), int(now)],
        )?;
        Ok(())
    }

    /// The number's SMS of the last 24 hours and its lock.
    fn history(&self, tenant: &str, phone: &str, now: u64) -> Result<(Vec<u64>, u64)> {
        let sends: Vec<AtRow> = self
            .sql()
            .exec(
                "SELECT at FROM sends WHERE tenant = ? AND phone = ? AND at > ? ORDER BY at",
                vec![
                    text(tenant),
                    text(phone),
                    int(now.saturating_sub(24 * 3600 * 1000)),
                ],
            )?
            .to_array()?;
        let locked_until = self
            .number(tenant, phone)?
            .map_or(0, |n| n.locked_until as u64);
        Ok((
            sends.into_iter().map(|r| r.at as u64).collect(),
            locked_until,
        ))
    }

    fn number(&self, tenant: &str, phone: &str) -> Result<Option<NumberRow>> {
        let rows: Vec<NumberRow> = self
            .sql()
            .exec(
                "SELECT failures, locked_until FROM numbers WHERE tenant = ? AND phone = ?",
                vec![text(tenant), text(phone)],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Counts a wrong PIN against the number (locking it when the limits say so), or clears
    /// the count after a right one.
    fn count_failure(
        &self,
        tenant: &str,
        phone: &str,
        wrong: bool,
        limits: &NumberLimits,
        now: u64,
    ) -> Result<()> {
        if !wrong {
            self.sql().exec(
                "DELETE FROM numbers WHERE tenant = ? AND phone = ?",
                vec![text(tenant), text(phone)],
            )?;
            return Ok(());
        }
        let failures = self.number(tenant, phone)?.map_or(0, |n| n.failures as u32) + 1;
        let locked_until = limits.lock_after(failures, now).unwrap_or(0);
        self.sql().exec(
            "INSERT INTO numbers (tenant, phone, failures, locked_until) VALUES (?, ?, ?, ?)
             ON CONFLICT (tenant, phone) DO UPDATE SET failures = excluded.failures,
               locked_until = MAX(locked_until, excluded.locked_until)",
            vec![
                text(tenant),
                text(phone),
                int(u64::from(failures)),
                int(locked_until),
            ],
        )?;
        Ok(())
    }

    /// The tenant's pending OTP for this number, if any (its record and SMS so far).
    fn pending_for(
        &self,
        tenant: &str,
        phone: &str,
        now: u64,
    ) -> Result<Option<(OtpRecord, PendingOtp)>> {
        let rows: Vec<PendingRow> = self
            .sql()
            .exec(
                "SELECT record, sends, last_send_at FROM otps
                 WHERE tenant = ? AND phone = ? AND status = 'PENDING' AND expires_at > ?
                 ORDER BY last_send_at DESC LIMIT 1",
                vec![text(tenant), text(phone), int(now)],
            )?
            .to_array()?;
        match rows.into_iter().next() {
            Some(row) => Ok(Some((
                serde_json::from_str(&row.record)?,
                PendingOtp {
                    sends: row.sends as u32,
                    last_send_at: row.last_send_at as u64,
                },
            ))),
            None => Ok(None),
        }
    }

    /// `Create`: the number's limits, superseding its pending OTP, storing the new one.
    fn create(
        &self,
        record: &OtpRecord,
        request: &OtpRequest,
        limits: &NumberLimits,
        now: u64,
    ) -> Result<ShardReply> {
        let (sends, locked_until) = self.history(&record.tenant, &record.phone_number, now)?;
        let history = NumberHistory {
            sends: &sends,
            locked_until,
        };
        let pending = self.pending_for(&record.tenant, &record.phone_number, now)?;
        if let Err(e) = limits.check_send(&history, pending.as_ref().map(|p| p.1), false, now) {
            return Ok(refusal(&e));
        }
        if let Some((mut old, _)) = pending {
            if old.cancel(now).is_ok() {
                self.store(&old, true, now)?;
            }
        }
        self.insert(record, request, now)?;
        Ok(ShardReply {
            record: Some(record.clone()),
            error: None,
            sms: None,
            resend_after: Some(limits.cooldown_after(1)),
            usage: RowUsage::default(),
        })
    }

    /// `Resend`: the limits, then a new PIN (the old one stops working) and its SMS.
    fn resend(&self, mut record: OtpRecord, limits: &NumberLimits, now: u64) -> Result<ShardReply> {
        let rows: Vec<RequestRow> = self
            .sql()
            .exec(
                "SELECT request, sends, last_send_at FROM otps WHERE id = ?",
                vec![text(&record.otp_id)],
            )?
            .to_array()?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(refusal(&ApiError::new(ErrorCode::OtpNotFound)));
        };
        // Not pending (or its TTL passed): the answer a check would give.
        let before = record.status;
        if let Err(e) = record.still_pending(now) {
            if record.status != before {
                self.store(&record, true, now)?;
            }
            return Ok(ShardReply {
                record: Some(record),
                ..refusal(&e)
            });
        }
        let (sends, locked_until) = self.history(&record.tenant, &record.phone_number, now)?;
        let pending = PendingOtp {
            sends: row.sends as u32,
            last_send_at: row.last_send_at as u64,
        };
        let history = NumberHistory {
            sends: &sends,
            locked_until,
        };
        if let Err(e) = limits.check_send(&history, Some(pending), true, now) {
            return Ok(ShardReply {
                record: Some(record),
                ..refusal(&e)
            });
        }
        let request: OtpRequest = serde_json::from_str(&row.request)?;
        let hasher =
            crate::config::pin_hasher(&self.env).map_err(|e| Error::RustError(format!("{e:?}")))?;
        let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
        let (pin_hash, message) = smsotp_core::FallibleSource::run(fill, |rng| {
            smsotp_core::create::new_pin_message(&request, &record.otp_id, &hasher, rng)
        })
        .map_err(|e| Error::RustError(format!("crypto.getRandomValues: {e}")))?;
        record
            .replace_pin(pin_hash, now)
            .map_err(|e| Error::RustError(e.to_string()))?;
        self.store(&record, false, now)?;
        self.sql().exec(
            "UPDATE otps SET sends = sends + 1, last_send_at = ? WHERE id = ?",
            vec![int(now), text(&record.otp_id)],
        )?;
        self.count_send(&record.tenant, &record.phone_number, now)?;
        let to = record.phone_number.clone();
        Ok(ShardReply {
            record: Some(record),
            error: None,
            sms: Some(OutgoingSms {
                to,
                from: request.from.clone(),
                text: message.text,
                parts: message.sms.parts,
                unicode: message.sms.encoding == smsotp_core::Encoding::Ucs2,
            }),
            resend_after: Some(limits.cooldown_after(pending.sends + 1)),
            usage: RowUsage::default(),
        })
    }

    /// The reply, with the rows this request read and wrote.
    fn answer(&self, mut reply: ShardReply) -> Result<Response> {
        reply.usage = self.usage.get();
        Response::from_json(&reply)
    }

    /// The earliest deadline in the shard: a pending OTP's expiry, a callback to deliver,
    /// a finished OTP to forget.
    fn next_deadline(&self) -> Result<Option<u64>> {
        let rows: Vec<NextRow> = self
            .sql()
            .exec(
                "SELECT MIN(at) AS at FROM (
                   SELECT MIN(expires_at) AS at FROM otps WHERE status = 'PENDING'
                   UNION ALL SELECT MIN(next_at) FROM callbacks
                   UNION ALL SELECT MIN(forget_at) FROM otps)",
                None,
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.at)
            .map(|at| at as u64))
    }

    /// Moves the alarm earlier when a deadline comes before it (never later: a later alarm
    /// finds nothing due and sets the next one itself).
    async fn schedule(&self, now: u64) -> Result<()> {
        let Some(next) = self.next_deadline()? else {
            return Ok(());
        };
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

    /// Delivers the callbacks that are due, one try each; a failure waits for the next try.
    async fn deliver_callbacks(&self, now: u64) -> Result<()> {
        let due: Vec<OutboxRow> = self
            .sql()
            .exec(
                "SELECT webhook_id, tenant, url, body, tries FROM callbacks WHERE next_at <= ? LIMIT 50",
                vec![int(now)],
            )?
            .to_array()?;
        if due.is_empty() {
            return Ok(());
        }
        let settings = Settings::from_env(&self.env)
            .map_err(|ps| Error::RustError(format!("misconfigured: {}", ps.join("; "))))?;
        let kv = crate::usage::Usage::default();
        for row in due {
            // Signed with the OTP's tenant's own secret: a tenant cannot sign for another.
            // Its record is read through the isolate's cache; KV failing (and nothing
            // cached) is a failed try, retried like a receiver's failure.
            let result = match tenant::by_id(&self.env, &row.tenant, &settings, &kv).await {
                Ok(Some(t)) => {
                    callback::send(&row.url, &row.webhook_id, &row.body, &t.webhook_key, now).await
                }
                Ok(None) => Err(format!("tenant {} no longer exists", row.tenant)),
                Err(e) => Err(format!("tenant {} unavailable: {e:?}", row.tenant)),
            };
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
            let retry = CALLBACK_BACKOFF_SECONDS.get(tries - 1);
            match (result, retry) {
                (Err(_), Some(wait)) => {
                    self.sql().exec(
                        "UPDATE outbox SET tries = ?, next_at = ? WHERE webhook_id = ?",
                        vec![
                            int(tries as u64),
                            int(now + wait * 1000),
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

    /// Expires every pending OTP whose TTL has passed (their callbacks queued).
    fn expire_due(&self, now: u64) -> Result<()> {
        let due: Vec<RecordRow> = self
            .sql()
            .exec(
                "SELECT record FROM otps WHERE status = 'PENDING' AND expires_at <= ?",
                vec![int(now)],
            )?
            .to_array()?;
        for row in due {
            let mut record: OtpRecord = serde_json::from_str(&row.record)?;
            if record.expire(now) {
                self.store(&record, true, now)?;
                log::event(
                    "info",
                    "otp.expired",
                    serde_json::json!({ "otpId": record.otp_id }),
                );
            }
        }
        Ok(())
    }
}

impl DurableObject for OtpShard {
    fn new(state: State, env: Env) -> Self {
        state.storage().sql().exec(SCHEMA, None).ok();
        Self {
            state,
            env,
            usage: Cell::new(RowUsage::default()),
            alarm_at: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let op: ShardOp = req.json().await?;
        self.usage.set(RowUsage::default());
        let now = Date::now().as_millis();
        if let ShardOp::Create {
            record,
            request,
            limits,
        } = &op
        {
            let reply = self.create(record, request, limits, now)?;
            self.schedule(now).await?;
            return self.answer(reply);
        }
        // A missing key is the deployment's fault: a worker error (logged, 500), not an
        // answer naming it.
        let hasher =
            crate::config::pin_hasher(&self.env).map_err(|e| Error::RustError(format!("{e:?}")))?;
        // Read, apply the core's transition, write: synchronously, so no other request of
        // this object can come in between.
        let Some(mut record) = self
            .load(op.otp_id())?
            .filter(|r| op.tenant().is_none_or(|t| t == r.tenant))
        else {
            return self.answer(ShardReply {
                record: None,
                error: None,
                sms: None,
                resend_after: None,
                usage: RowUsage::default(),
            });
        };
        if let ShardOp::Resend { limits, .. } = &op {
            let reply = self.resend(record, limits, now)?;
            self.schedule(now).await?;
            return self.answer(reply);
        }
        let before = (record.status, record.attempts);
        let result: std::result::Result<(), ApiError> = match &op {
            ShardOp::Check { pin, .. } => record.check(pin, now, &hasher).map(|_| ()),
            ShardOp::Cancel { .. } => record.cancel(now),
            ShardOp::FailDelivery { .. } => {
                record.fail_delivery(now);
                Ok(())
            }
            ShardOp::Get { .. } => {
                record.expire(now);
                Ok(())
            }
            ShardOp::Create { .. } | ShardOp::Resend { .. } => Ok(()),
        };
        let status_changed = record.status != before.0;
        if status_changed || record.attempts != before.1 {
            self.store(&record, status_changed, now)?;
        }
        // Wrong PINs count against the number across its OTPs; a right one clears them.
        if let ShardOp::Check { limits, .. } = &op {
            if record.attempts != before.1 {
                self.count_failure(&record.tenant, &record.phone_number, true, limits, now)?;
            } else if record.status == OtpStatus::Verified && before.0 == OtpStatus::Pending {
                self.count_failure(&record.tenant, &record.phone_number, false, limits, now)?;
            }
        }
        if status_changed {
            self.schedule(now).await?;
        }
        self.answer(ShardReply {
            record: Some(record),
            error: result.err().as_ref().map(ShardError::from_api),
            sms: None,
            resend_after: None,
            usage: RowUsage::default(),
        })
    }

    async fn alarm(&self) -> Result<Response> {
        let now = Date::now().as_millis();
        self.usage.set(RowUsage::default());
        // The alarm that fired is spent; what comes next is set below.
        self.alarm_at.set(u64::MAX);
        // Expiries are written (with their callbacks queued) before any delivery, so an
        // alarm that stops half-way loses nothing: the platform retries it.
        self.expire_due(now)?;
        self.deliver_callbacks(now).await?;
        self.sql()
            .exec("DELETE FROM otps WHERE forget_at <= ?", vec![int(now)])?;
        self.schedule(Date::now().as_millis()).await?;
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
