//! The shard's SQLite: its schema (and the previous layout, dropped when found; columns
//! added since, added when missing), its row types and every query it makes, each counted
//! ([`Sql`]). The layout and what each operation writes are in the module doc of `shard`.

use serde::Deserialize;
use smsotp_edge::guard::Trip;
use smsotp_edge::placement;
use worker::{Result, SqlStorage, SqlStorageValue};

use crate::durable::{int, text, Sql};
use smsotp_edge::number::NumberState;

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
  due_at INTEGER NOT NULL DEFAULT 0,
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
  trip_until INTEGER NOT NULL DEFAULT 0,
  trip TEXT,
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

/// Makes the object's tables, when the object starts.
pub fn open(sql: &SqlStorage) {
    // A shard still in a previous layout starts afresh (its `numbers` has other columns).
    if sql
        .exec("SELECT last_send_at, state FROM numbers LIMIT 0", None)
        .is_err()
    {
        sql.exec(OLD_LAYOUT, None).ok();
    }
    sql.exec(SCHEMA, None).ok();
    // A shard made before failovers has no `due_at`: added (0, nothing due).
    if sql
        .exec("SELECT due_at FROM numbers LIMIT 0", None)
        .is_err()
    {
        sql.exec(
            "ALTER TABLE numbers ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0",
            None,
        )
        .ok();
    }
    // A shard made before the guard's range rule has no trip in `prefixes`: added (none).
    if sql
        .exec("SELECT trip_until, trip FROM prefixes LIMIT 0", None)
        .is_err()
    {
        sql.exec(
            "ALTER TABLE prefixes ADD COLUMN trip_until INTEGER NOT NULL DEFAULT 0",
            None,
        )
        .ok();
        sql.exec("ALTER TABLE prefixes ADD COLUMN trip TEXT", None)
            .ok();
    }
}

/// A number's row.
#[derive(Debug, Clone)]
pub struct NumberRow {
    pub pk: u32,
    pub nk: u32,
    pub tenant: String,
    pub phone: String,
    pub state: NumberState,
    /// What the row held when read, for the statistics of its write (`shard::stats`).
    pub seen: smsotp_edge::stats::Seen,
}

#[derive(Deserialize)]
struct RawNumberRow {
    /// Read only by the failover scan (other queries know it).
    #[serde(default)]
    pk: Option<f64>,
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
        // A row read without its state (the prefix rule's columns) is never written back.
        let seen = match raw.state {
            Some(_) => smsotp_edge::stats::Seen::of(&state),
            None => smsotp_edge::stats::Seen::none(),
        };
        Ok(NumberRow {
            pk,
            nk: raw.nk as u32,
            tenant: raw.tenant,
            phone: raw.phone,
            state,
            seen,
        })
    }
}

/// Of the rows under an OTP id's keys (one, or a few when 32-bit keys collide), the one
/// that holds the OTP, for `tenant` (`None`: any, for the shard's own work).
fn select_by_otp(rows: &[NumberRow], otp_id: &str, tenant: Option<&str>) -> Option<usize> {
    rows.iter()
        .position(|r| tenant.is_none_or(|t| t == r.tenant) && r.state.holds(otp_id))
}

/// What the prefix rule (2115) and the guard's range rule (2138) read of a tenant's
/// prefix ([`Store::prefix_history`]).
#[derive(Debug, Default)]
pub struct PrefixHistory {
    /// The SMS to its numbers after the time asked that no verified PIN followed, oldest
    /// first.
    pub unverified: Vec<u64>,
    /// Its numbers' last verifications after that time (one per number: a number
    /// verified twice in the window counts once).
    pub verified: Vec<u64>,
    /// Until when the prefix rule blocks it (0: it does not).
    pub blocked_until: u64,
    /// The guard's trip of the range, as stored (it may be over).
    pub trip: Option<Trip>,
}

/// The SMS after `since` over the tenant's numbers of `prefix` among `rows` (a prefix
/// key's rows: other prefixes may share the key; the query already keeps only those) that
/// no verified PIN followed, oldest first; and those numbers' last verifications after
/// `since`.
fn prefix_sends(
    rows: &[NumberRow],
    tenant: &str,
    prefix: &str,
    since: u64,
) -> (Vec<u64>, Vec<u64>) {
    let ours = || {
        rows.iter().filter(|r| {
            r.tenant == tenant && smsotp_edge::limits::number_prefix(&r.phone) == prefix
        })
    };
    let mut sends: Vec<u64> = ours()
        .flat_map(|r| r.state.unverified_sends_after(since))
        .collect();
    sends.sort_unstable();
    let mut verified: Vec<u64> = ours()
        .map(|r| r.state.verified_at)
        .filter(|&at| at > since)
        .collect();
    verified.sort_unstable();
    (sends, verified)
}

#[derive(Deserialize)]
pub struct DeadlineRow {
    pub at: f64,
    pub otp_id: String,
}

#[derive(Deserialize)]
struct BlockRow {
    blocked_until: f64,
    #[serde(default)]
    trip: Option<String>,
}

/// A queued callback.
#[derive(Deserialize)]
pub struct OutboxRow {
    pub webhook_id: String,
    pub tenant: String,
    pub url: String,
    pub body: String,
    pub tries: i64,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

/// A queued callback dropped over its tenant's cap.
#[derive(Deserialize)]
pub struct DroppedRow {
    pub webhook_id: String,
    pub tries: i64,
}

#[derive(Deserialize)]
struct NextRow {
    at: Option<f64>,
}

#[derive(Deserialize)]
struct AnyRow {}

/// A 32-bit key as SQLite's integer.
fn key(v: u32) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::from(v))
}

/// The shard's queries, over the counted SQLite of one request (or alarm).
pub struct Store<'a>(pub Sql<'a>);

impl Store<'_> {
    /// The rows under an OTP id's keys.
    fn rows_of_number(&self, pk: u32, nk: u32) -> Result<Vec<NumberRow>> {
        let raw: Vec<RawNumberRow> = self
            .0
            .exec(
                "SELECT nk, tenant, phone, sends, verified_at, state FROM numbers
                 WHERE pk = ? AND nk = ?",
                vec![key(pk), key(nk)],
            )?
            .to_array()?;
        raw.into_iter().map(|r| NumberRow::parse(pk, r)).collect()
    }

    /// The tenant's number's row, if it has one.
    pub fn number_row(
        &self,
        pk: u32,
        nk: u32,
        tenant: &str,
        phone: &str,
    ) -> Result<Option<NumberRow>> {
        let raw: Vec<RawNumberRow> = self
            .0
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
    pub fn row_of_otp(&self, otp_id: &str, tenant: Option<&str>) -> Result<Option<NumberRow>> {
        let Some((_, pk, nk)) = placement::keys_of_otp_id(otp_id) else {
            return Ok(None);
        };
        let mut rows = self.rows_of_number(pk, nk)?;
        Ok(select_by_otp(&rows, otp_id, tenant).map(|i| rows.swap_remove(i)))
    }

    /// Writes the number's row (an upsert).
    pub fn write_number(&self, row: &NumberRow) -> Result<()> {
        self.0.exec(
            "INSERT INTO numbers
               (pk, nk, tenant, phone, forget_at, last_send_at, sends, verified_at, state,
                due_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (pk, nk, tenant, phone) DO UPDATE
               SET forget_at = excluded.forget_at, last_send_at = excluded.last_send_at,
                 sends = excluded.sends, verified_at = excluded.verified_at,
                 state = excluded.state, due_at = excluded.due_at",
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
                int(row.state.failover_at()),
            ],
        )?;
        Ok(())
    }

    /// The numbers whose current OTP is due for a failover at `now` (at most `limit`):
    /// a scan of `numbers` without an index (an index on `due_at` would write a row more
    /// each time it changes, twice per OTP; a scan reads rows, billed a thousand times
    /// less).
    pub fn due_failovers(&self, now: u64, limit: u64) -> Result<Vec<NumberRow>> {
        let raw: Vec<RawNumberRow> = self
            .0
            .exec(
                "SELECT pk, nk, tenant, phone, sends, verified_at, state FROM numbers
                 WHERE due_at > 0 AND due_at <= ? LIMIT ?",
                vec![int(now), int(limit)],
            )?
            .to_array()?;
        raw.into_iter()
            .map(|r| NumberRow::parse(r.pk.unwrap_or(0.0) as u32, r))
            .collect()
    }

    /// What the prefix rule and the guard's range rule read of a tenant's prefix
    /// ([`PrefixHistory`]): its numbers' SMS after `since` that no verified PIN followed
    /// and their verifications after `since`, its block and its trip. Reads the prefix
    /// key's rows (a range of the primary key: rows read are billed at $0.001 per
    /// million), but only the small columns of the numbers sent to or verified after
    /// `since` cross into the worker.
    pub fn prefix_history(
        &self,
        tenant: &str,
        prefix_key: u32,
        prefix: &str,
        since: u64,
    ) -> Result<PrefixHistory> {
        let raw: Vec<RawNumberRow> = self
            .0
            .exec(
                "SELECT nk, tenant, phone, sends, verified_at FROM numbers
                 WHERE pk = ? AND tenant = ? AND (last_send_at > ? OR verified_at > ?)
                   AND substr(phone, 1, length(phone) - 4) = ?",
                vec![
                    key(prefix_key),
                    text(tenant),
                    int(since),
                    int(since),
                    text(prefix),
                ],
            )?
            .to_array()?;
        let rows = raw
            .into_iter()
            .map(|r| NumberRow::parse(prefix_key, r))
            .collect::<Result<Vec<_>>>()?;
        let stored: Vec<BlockRow> = self
            .0
            .exec(
                "SELECT blocked_until, trip FROM prefixes
                 WHERE pk = ? AND tenant = ? AND prefix = ?",
                vec![key(prefix_key), text(tenant), text(prefix)],
            )?
            .to_array()?;
        let stored = stored.first();
        let (unverified, verified) = prefix_sends(&rows, tenant, prefix, since);
        Ok(PrefixHistory {
            unverified,
            verified,
            blocked_until: stored.map_or(0, |b| b.blocked_until as u64),
            // A trip that does not parse (a later layout) is taken as none.
            trip: stored
                .and_then(|b| b.trip.as_deref())
                .and_then(|json| serde_json::from_str(json).ok()),
        })
    }

    /// Blocks a tenant's prefix until `until` (the prefix rule's refusal; rare, so a row of
    /// its own).
    pub fn block_prefix(
        &self,
        tenant: &str,
        prefix_key: u32,
        prefix: &str,
        until: u64,
    ) -> Result<()> {
        self.0.exec(
            "INSERT INTO prefixes (pk, tenant, prefix, blocked_until) VALUES (?, ?, ?, ?)
             ON CONFLICT (pk, tenant, prefix) DO UPDATE
               SET blocked_until = MAX(blocked_until, excluded.blocked_until)",
            vec![key(prefix_key), text(tenant), text(prefix), int(until)],
        )?;
        Ok(())
    }

    /// Stores the guard's trip of a tenant's range (the range rule's: rare, one row
    /// written per trip, in the prefix's row — the same range as the prefix rule's).
    pub fn trip_range(
        &self,
        tenant: &str,
        prefix_key: u32,
        prefix: &str,
        trip: &Trip,
    ) -> Result<()> {
        self.0.exec(
            "INSERT INTO prefixes (pk, tenant, prefix, blocked_until, trip_until, trip)
             VALUES (?, ?, ?, 0, ?, ?)
             ON CONFLICT (pk, tenant, prefix) DO UPDATE
               SET trip_until = excluded.trip_until, trip = excluded.trip",
            vec![
                key(prefix_key),
                text(tenant),
                text(prefix),
                int(trip.until),
                text(&serde_json::to_string(trip)?),
            ],
        )?;
        Ok(())
    }

    /// A pending OTP with a callback URL: its expiry, for the alarm.
    pub fn add_deadline(&self, at: u64, otp_id: &str) -> Result<()> {
        self.0.exec(
            "INSERT OR IGNORE INTO deadlines (at, otp_id) VALUES (?, ?)",
            vec![int(at), text(otp_id)],
        )?;
        Ok(())
    }

    pub fn remove_deadline(&self, at: u64, otp_id: &str) -> Result<()> {
        self.0.exec(
            "DELETE FROM deadlines WHERE at = ? AND otp_id = ?",
            vec![int(at), text(otp_id)],
        )?;
        Ok(())
    }

    /// The deadlines due at `now`, the earliest first, at most `limit`.
    pub fn due_deadlines(&self, now: u64, limit: u64) -> Result<Vec<DeadlineRow>> {
        self.0
            .exec(
                "SELECT at, otp_id FROM deadlines WHERE at <= ? ORDER BY at LIMIT ?",
                vec![int(now), int(limit)],
            )?
            .to_array()
    }

    /// Queues a callback (once per webhook id), to be tried at `now`.
    pub fn queue_callback(
        &self,
        webhook_id: &str,
        tenant: &str,
        url: &str,
        body: &str,
        now: u64,
    ) -> Result<()> {
        self.0.exec(
            "INSERT OR IGNORE INTO callbacks (webhook_id, tenant, url, body, tries, next_at)
             VALUES (?, ?, ?, ?, 0, ?)",
            vec![
                text(webhook_id),
                text(tenant),
                text(url),
                text(body),
                int(now),
            ],
        )?;
        Ok(())
    }

    /// How many callbacks of `tenant` are queued.
    pub fn queued_callbacks(&self, tenant: &str) -> Result<u64> {
        let counted: Vec<CountRow> = self
            .0
            .exec(
                "SELECT COUNT(*) AS n FROM callbacks WHERE tenant = ?",
                vec![text(tenant)],
            )?
            .to_array()?;
        Ok(counted.first().map_or(0, |c| c.n.max(0) as u64))
    }

    /// The `n` oldest queued callbacks of `tenant`.
    pub fn oldest_callbacks(&self, tenant: &str, n: u64) -> Result<Vec<DroppedRow>> {
        self.0
            .exec(
                "SELECT webhook_id, tries FROM callbacks WHERE tenant = ? ORDER BY rowid LIMIT ?",
                vec![text(tenant), int(n)],
            )?
            .to_array()
    }

    /// The callbacks due at `now`, at most `per_tenant` of each tenant (each tenant's
    /// oldest), by `next_at` then as queued.
    pub fn due_callbacks(&self, now: u64, per_tenant: u64) -> Result<Vec<OutboxRow>> {
        self.0
            .exec(
                "SELECT webhook_id, tenant, url, body, tries FROM (
                   SELECT webhook_id, tenant, url, body, tries, next_at, rowid AS seq,
                     ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY next_at, rowid) AS n
                   FROM callbacks WHERE next_at <= ?)
                 WHERE n <= ? ORDER BY next_at, seq",
                vec![int(now), int(per_tenant)],
            )?
            .to_array()
    }

    /// A failed try: tried again at `next_at`.
    pub fn retry_callback(&self, webhook_id: &str, tries: u64, next_at: u64) -> Result<()> {
        self.0.exec(
            "UPDATE callbacks SET tries = ?, next_at = ? WHERE webhook_id = ?",
            vec![int(tries), int(next_at), text(webhook_id)],
        )?;
        Ok(())
    }

    pub fn forget_callback(&self, webhook_id: &str) -> Result<()> {
        self.0.exec(
            "DELETE FROM callbacks WHERE webhook_id = ?",
            vec![text(webhook_id)],
        )?;
        Ok(())
    }

    /// The earliest expiry to call back, callback to try or failover to make, if any (a
    /// scan of `numbers` for the failovers: see [`Store::due_failovers`]).
    pub fn next_due(&self) -> Result<Option<u64>> {
        let rows: Vec<NextRow> = self
            .0
            .exec(
                // `deadlines` is ordered by `at`: its minimum is its first row.
                "SELECT MIN(at) AS at FROM (
                   SELECT MIN(at) AS at FROM deadlines
                   UNION ALL SELECT MIN(next_at) FROM callbacks
                   UNION ALL SELECT MIN(due_at) FROM numbers WHERE due_at > 0)",
                None,
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.at)
            .map(|at| at as u64))
    }

    /// Whether the shard has any number's row.
    pub fn has_numbers(&self) -> Result<bool> {
        let any: Vec<AnyRow> = self
            .0
            .exec("SELECT 1 AS one FROM numbers LIMIT 1", None)?
            .to_array()?;
        Ok(!any.is_empty())
    }

    /// Deletes the numbers whose rows hold nothing of use any more, and the prefixes whose
    /// block and trip are over: a full scan.
    /// Deletes the rows whose content is all past, and answers them (the statistics count
    /// the OTPs among them still pending in storage: expired, never read again).
    pub fn clean_up(&self, now: u64) -> Result<Vec<NumberRow>> {
        let raw: Vec<RawNumberRow> = self
            .0
            .exec(
                "SELECT pk, nk, tenant, phone, sends, verified_at, state FROM numbers
                 WHERE forget_at <= ?",
                vec![int(now)],
            )?
            .to_array()?;
        let gone = raw
            .into_iter()
            .map(|r| NumberRow::parse(r.pk.unwrap_or(0.0) as u32, r))
            .collect::<Result<Vec<_>>>()?;
        self.0
            .exec("DELETE FROM numbers WHERE forget_at <= ?", vec![int(now)])?;
        self.0.exec(
            "DELETE FROM prefixes WHERE blocked_until <= ? AND trip_until <= ?",
            vec![int(now), int(now)],
        )?;
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::HOUR_MS;
    use smsotp_core::{Config, OtpRecord, OtpStatus, PinType};
    use smsotp_edge::number::CurrentOtp;

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
            delivery: Default::default(),
            service: None,
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
            route: None,
        })
    }

    fn row(nk: u32, tenant: &str, phone: &str, state: NumberState) -> NumberRow {
        NumberRow {
            pk: 7,
            nk,
            tenant: tenant.into(),
            phone: phone.into(),
            state,
            seen: smsotp_edge::stats::Seen::none(),
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

    /// The prefix rule counts the tenant's SMS of the last hour to the numbers of the
    /// prefix that no verified PIN followed; the range rule also their verifications.
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
        let hour_ago = NOW - HOUR_MS;
        assert_eq!(
            prefix_sends(&rows, "acme", "+3361234", hour_ago),
            (vec![NOW - 5 * MIN, NOW - MIN], vec![NOW - 20 * MIN])
        );
        // Over 2 hours, the one 61 minutes ago too.
        assert_eq!(
            prefix_sends(&rows, "acme", "+3361234", NOW - 2 * HOUR_MS).0,
            [NOW - 61 * MIN, NOW - 5 * MIN, NOW - MIN]
        );
        assert_eq!(
            prefix_sends(&rows, "acme", "+3361299", hour_ago),
            (vec![], vec![])
        );
    }
}
