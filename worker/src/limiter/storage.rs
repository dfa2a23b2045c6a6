//! The limiter's SQLite: its schema, its rows and every query it makes, each counted
//! ([`Sql`]).

use serde::Deserialize;
use smsotp_core::Channel;
use smsotp_edge::idempotency::{IdempotencyEntry, StoredAnswer};
use smsotp_edge::stats::{BucketKey, Counters, StatsRow};
use worker::{Result, SqlStorage};

use super::counters::{Count, Counter};
use crate::durable::{int, text, Sql};

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
CREATE TABLE IF NOT EXISTS stats (
  hour INTEGER NOT NULL,
  country TEXT NOT NULL,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL,
  counters TEXT NOT NULL,
  PRIMARY KEY (hour, country, channel, provider)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guard (
  subject TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  last_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guard_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event TEXT NOT NULL
);
";

/// Makes the object's tables, when the object starts.
pub fn open(sql: &SqlStorage) {
    sql.exec(SCHEMA, None).ok();
    sql.exec(super::services::SCHEMA, None).ok();
}

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

/// The limiter's queries, over the counted SQLite of one request (or alarm).
pub struct Store<'a>(pub Sql<'a>);

impl Store<'_> {
    /// A counter's row, as written at its last checkpoint.
    pub fn count(&self, counter: Counter) -> Result<Option<Count>> {
        let rows: Vec<CountRow> = self
            .0
            .exec(
                &format!(
                    "SELECT {} AS window, used FROM {} WHERE id = 0",
                    counter.column, counter.table
                ),
                vec![],
            )?
            .to_array()?;
        Ok(rows.first().map(|r| Count {
            window: r.window as u64,
            used: r.used as u32,
        }))
    }

    /// A counter's checkpoint.
    pub fn write_count(&self, counter: Counter, count: Count) -> Result<()> {
        self.0.exec(
            &format!(
                "INSERT INTO {t} (id, {c}, used) VALUES (0, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET {c} = excluded.{c}, used = excluded.used",
                t = counter.table,
                c = counter.column
            ),
            vec![int(count.window), int(u64::from(count.used))],
        )?;
        Ok(())
    }

    /// A counter's count in its current window, changed (a unit given back).
    pub fn write_used(&self, counter: Counter, used: u32) -> Result<()> {
        self.0.exec(
            &format!("UPDATE {} SET used = ? WHERE id = 0", counter.table),
            vec![int(u64::from(used))],
        )?;
        Ok(())
    }

    /// The end-user IP's SMS times, as stored (some may be past the window).
    pub fn ip_times(&self, ip: &str) -> Result<Vec<u64>> {
        let rows: Vec<TimesRow> = self
            .0
            .exec("SELECT times FROM ip_sends WHERE ip = ?", vec![text(ip)])?
            .to_array()?;
        Ok(match rows.first() {
            Some(r) => serde_json::from_str(&r.times)?,
            None => vec![],
        })
    }

    /// The end-user IP's SMS times (none: its row is deleted).
    pub fn write_ip_times(&self, ip: &str, times: &[u64], now: u64) -> Result<()> {
        if times.is_empty() {
            self.0
                .exec("DELETE FROM ip_sends WHERE ip = ?", vec![text(ip)])?;
        } else {
            self.0.exec(
                "INSERT INTO ip_sends (ip, times, last_at) VALUES (?, ?, ?)
                 ON CONFLICT (ip) DO UPDATE SET times = excluded.times, last_at = excluded.last_at",
                vec![text(ip), text(&serde_json::to_string(times)?), int(now)],
            )?;
        }
        Ok(())
    }

    /// An idempotency key's record, if it has one.
    pub fn idempotency_entry(&self, key: &str) -> Result<Option<IdempotencyEntry>> {
        let rows: Vec<KeyRow> = self
            .0
            .exec(
                "SELECT fingerprint, answer, at FROM idempotency WHERE key = ?",
                vec![text(key)],
            )?
            .to_array()?;
        Ok(match rows.into_iter().next() {
            Some(row) => Some(IdempotencyEntry {
                answer: match row.answer {
                    Some(a) => Some(serde_json::from_str(&a)?),
                    None => None,
                },
                fingerprint: row.fingerprint,
                created_at: row.at as u64,
            }),
            None => None,
        })
    }

    /// A new key, recorded as in flight (no answer yet).
    pub fn key_in_flight(&self, key: &str, fingerprint: &str, now: u64) -> Result<()> {
        self.0.exec(
            "INSERT INTO idempotency (key, fingerprint, answer, at) VALUES (?, ?, NULL, ?)
             ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,
               answer = NULL, at = excluded.at",
            vec![text(key), text(fingerprint), int(now)],
        )?;
        Ok(())
    }

    /// A key's answer, kept for replays.
    pub fn key_answered(&self, key: &str, answer: &StoredAnswer) -> Result<()> {
        self.0.exec(
            "UPDATE idempotency SET answer = ? WHERE key = ?",
            vec![text(&serde_json::to_string(answer)?), text(key)],
        )?;
        Ok(())
    }

    pub fn forget_key(&self, key: &str) -> Result<()> {
        self.0
            .exec("DELETE FROM idempotency WHERE key = ?", vec![text(key)])?;
        Ok(())
    }

    /// Deletes the IPs whose last SMS is older than `ips_before` and the keys made before
    /// `keys_before`; whether anything is left.
    pub fn clean_up(&self, ips_before: u64, keys_before: u64) -> Result<bool> {
        self.0.exec(
            "DELETE FROM ip_sends WHERE last_at <= ?",
            vec![int(ips_before)],
        )?;
        self.0.exec(
            "DELETE FROM idempotency WHERE at <= ?",
            vec![int(keys_before)],
        )?;
        #[derive(Deserialize)]
        struct Left {
            n: f64,
        }
        let left: Vec<Left> = self
            .0
            .exec(
                "SELECT (SELECT COUNT(*) FROM ip_sends) + (SELECT COUNT(*) FROM idempotency) AS n",
                vec![],
            )?
            .to_array()?;
        Ok(left.first().is_some_and(|l| l.n > 0.0))
    }

    /// The adaptive guard's state of `subject` (`country:FR`, `ip:<subject>`,
    /// `first_seen`), as JSON.
    pub fn guard_state(&self, subject: &str) -> Result<Option<String>> {
        #[derive(Deserialize)]
        struct Row {
            state: String,
        }
        let rows: Vec<Row> = self
            .0
            .exec(
                "SELECT state FROM guard WHERE subject = ?",
                vec![text(subject)],
            )?
            .to_array()?;
        Ok(rows.into_iter().next().map(|r| r.state))
    }

    /// Writes the guard's state of `subject`.
    pub fn write_guard_state(&self, subject: &str, state: &str, now: u64) -> Result<()> {
        self.0.exec(
            "INSERT INTO guard (subject, state, last_at) VALUES (?, ?, ?)
             ON CONFLICT (subject) DO UPDATE SET state = excluded.state, last_at = excluded.last_at",
            vec![text(subject), text(state), int(now)],
        )?;
        Ok(())
    }

    /// Deletes the guard's IP states last changed at or before `before` (countries are
    /// kept: a few per tenant, and their 15 days of verified OTPs are the thresholds).
    pub fn forget_guard_ips(&self, before: u64) -> Result<()> {
        self.0.exec(
            "DELETE FROM guard WHERE subject LIKE 'ip:%' AND last_at <= ?",
            vec![int(before)],
        )?;
        Ok(())
    }

    /// Keeps a `guard.triggered` event (its JSON), and forgets those beyond the newest
    /// `keep` (one insert, and a delete that finds nothing until the list is full).
    pub fn keep_guard_event(&self, event: &str, now: u64, keep: u32) -> Result<()> {
        self.0.exec(
            "INSERT INTO guard_events (at, event) VALUES (?, ?)",
            vec![int(now), text(event)],
        )?;
        self.0.exec(
            "DELETE FROM guard_events WHERE id <= (SELECT MAX(id) FROM guard_events) - ?",
            vec![int(u64::from(keep))],
        )?;
        Ok(())
    }

    /// The newest `limit` guard events (their JSON), newest first.
    pub fn guard_events(&self, limit: u32) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            event: String,
        }
        let rows: Vec<Row> = self
            .0
            .exec(
                "SELECT event FROM guard_events ORDER BY id DESC LIMIT ?",
                vec![int(u64::from(limit))],
            )?
            .to_array()?;
        Ok(rows.into_iter().map(|r| r.event).collect())
    }

    /// Adds each row's counters to its bucket's stored ones (a read and an upsert per
    /// bucket: `refused` is a JSON map, so the sum is made here, not in SQL).
    pub fn add_stats(&self, rows: &[StatsRow]) -> Result<()> {
        #[derive(Deserialize)]
        struct Stored {
            counters: String,
        }
        for row in rows {
            let k = &row.key;
            let channel = k.channel.as_str();
            let stored: Vec<Stored> = self
                .0
                .exec(
                    "SELECT counters FROM stats WHERE hour = ? AND country = ? AND channel = ? AND provider = ?",
                    vec![int(u64::from(k.hour)), text(&k.country), text(channel), text(&k.provider)],
                )?
                .to_array()?;
            let mut counters: Counters = match stored.first() {
                Some(s) => serde_json::from_str(&s.counters)?,
                None => Counters::default(),
            };
            counters.merge(&row.counters);
            self.0.exec(
                "INSERT INTO stats (hour, country, channel, provider, counters) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (hour, country, channel, provider) DO UPDATE SET counters = excluded.counters",
                vec![
                    int(u64::from(k.hour)),
                    text(&k.country),
                    text(channel),
                    text(&k.provider),
                    text(&serde_json::to_string(&counters)?),
                ],
            )?;
        }
        Ok(())
    }

    /// The stored buckets of the hours `from_hour..to_hour`.
    pub fn stats(&self, from_hour: u32, to_hour: u32) -> Result<Vec<StatsRow>> {
        #[derive(Deserialize)]
        struct Raw {
            hour: f64,
            country: String,
            channel: String,
            provider: String,
            counters: String,
        }
        let raw: Vec<Raw> = self
            .0
            .exec(
                "SELECT hour, country, channel, provider, counters FROM stats WHERE hour >= ? AND hour < ?",
                vec![int(u64::from(from_hour)), int(u64::from(to_hour))],
            )?
            .to_array()?;
        raw.into_iter()
            .map(|r| {
                let channel = Channel::parse(&r.channel).ok_or_else(|| {
                    worker::Error::RustError(format!("stats: a channel {:?}", r.channel))
                })?;
                Ok(StatsRow {
                    key: BucketKey {
                        hour: r.hour as u32,
                        country: r.country,
                        channel,
                        provider: r.provider,
                    },
                    counters: serde_json::from_str(&r.counters)?,
                })
            })
            .collect()
    }

    /// Whether any bucket is kept (the clean-up comes back for them).
    pub fn has_stats(&self) -> Result<bool> {
        #[derive(Deserialize)]
        struct One {
            #[allow(dead_code)]
            one: f64,
        }
        let rows: Vec<One> = self
            .0
            .exec("SELECT 1 AS one FROM stats LIMIT 1", vec![])?
            .to_array()?;
        Ok(!rows.is_empty())
    }

    /// Deletes the buckets of hours before `hour` (kept `RETENTION_DAYS`).
    pub fn forget_stats_before(&self, hour: u32) -> Result<()> {
        self.0.exec(
            "DELETE FROM stats WHERE hour < ?",
            vec![int(u64::from(hour))],
        )?;
        Ok(())
    }
}
