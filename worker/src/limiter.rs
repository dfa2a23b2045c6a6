//! Per-tenant rate limit: a fixed one-minute window counted in a Durable Object per tenant
//! (`TenantLimiter`), so the count is exact across the edge.
//!
//! The window is kept in the object's SQLite storage, so it survives the object's restart:
//! on Cloudflare an idle object is hibernated or evicted after a few seconds, and a count
//! kept only in memory was then lost, which let a tenant that paused briefly start a fresh
//! window (and a deploy, which restarts every object, reset every tenant's window).
//!
//! Why this shape:
//! - One row per object (table `rate_window`: the window's unix minute and the requests
//!   counted in it). A fixed window needs only the current minute: an older minute's count
//!   can never be used again, so keeping it would only need a clean-up (an alarm) for
//!   nothing. The row is overwritten in place, so the object's storage never grows.
//! - Read, count and write happen with no `await` in between: a Durable Object runs one
//!   request's synchronous code at a time, so two requests can never both take the last
//!   unit of a window.
//! - Every counted request writes the row (write-through); the in-memory copy is only a
//!   cache that spares the read. It is filled from SQLite when empty (a new or restarted
//!   instance), and set only after the write succeeded, so it never runs ahead of storage.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use worker::*;

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

/// The window the object counts in: its unix minute and the requests counted in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Count {
    minute: u64,
    used: u32,
}

/// Takes one request from the window `stored` (the last one counted, if any) at unix minute
/// `minute` under `limit`: the window to store and the answer. A stored window of another
/// minute is over and counts as empty. A request over the limit is not counted, so a client
/// that keeps retrying does not push its own reset further away.
fn take_one(stored: Option<Count>, minute: u64, limit: u32) -> (Count, Window) {
    let used = match stored {
        Some(c) if c.minute == minute => c.used,
        _ => 0,
    };
    let allowed = used < limit;
    let used = if allowed { used + 1 } else { used };
    let window = Window {
        limit,
        // Saturating: a limit lowered within a minute (a deploy with a new
        // RATE_LIMIT_PER_MINUTE) can leave more requests counted than it allows.
        remaining: limit.saturating_sub(used),
        reset: (minute + 1) * 60,
        allowed,
    };
    (Count { minute, used }, window)
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rate_window (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  minute INTEGER NOT NULL,
  used INTEGER NOT NULL
)";

/// SQLite integers come back through JavaScript as numbers (exact up to 2^53; a unix minute
/// and a count are far below).
#[derive(Deserialize)]
struct WindowRow {
    minute: f64,
    used: f64,
}

/// The Durable Object counting one tenant's requests per minute (one object per tenant,
/// named by the tenant).
#[durable_object]
pub struct TenantLimiter {
    state: State,
    /// The stored window, as last read or written by this instance (`None`: not read yet).
    /// Only this instance writes the object's storage, so the copy stays exact.
    cached: Cell<Option<Count>>,
}

impl TenantLimiter {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// The stored window: the cache, or else the row (creating the table on first use).
    fn stored(&self) -> Result<Option<Count>> {
        if let Some(c) = self.cached.get() {
            return Ok(Some(c));
        }
        self.sql().exec(SCHEMA, None)?;
        let rows: Vec<WindowRow> = self
            .sql()
            .exec("SELECT minute, used FROM rate_window WHERE id = 0", None)?
            .to_array()?;
        let stored = rows.first().map(|r| Count {
            minute: r.minute as u64,
            used: r.used as u32,
        });
        self.cached.set(stored);
        Ok(stored)
    }

    /// Counts one request at unix minute `minute`: read, count, write, all synchronous.
    fn take(&self, minute: u64, limit: u32) -> Result<Window> {
        let stored = self.stored()?;
        let (count, window) = take_one(stored, minute, limit);
        if stored != Some(count) {
            self.sql().exec(
                "INSERT INTO rate_window (id, minute, used) VALUES (0, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET minute = excluded.minute, used = excluded.used",
                vec![
                    SqlStorageValue::Integer(count.minute.min(i64::MAX as u64) as i64),
                    SqlStorageValue::Integer(i64::from(count.used)),
                ],
            )?;
            self.cached.set(Some(count));
        }
        Ok(window)
    }
}

impl DurableObject for TenantLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            cached: Cell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let limit: u32 = req
            .url()?
            .query()
            .and_then(|q| q.strip_prefix("limit="))
            .and_then(|l| l.parse().ok())
            .unwrap_or(600);
        let minute = Date::now().as_millis() / 60_000;
        Response::from_json(&self.take(minute, limit)?)
    }
}

/// Takes one request from `tenant`'s window of `limit` requests per minute.
pub async fn take(env: &Env, tenant: &str, limit: u32) -> Result<Window> {
    let stub = env
        .durable_object("TENANT_LIMITER")?
        .id_from_name(tenant)?
        .get_stub()?;
    let mut res = stub
        .fetch_with_str(&format!("https://limiter/take?limit={limit}"))
        .await?;
    res.json().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `n` requests in a row from an empty window at `minute`.
    fn run(n: usize, minute: u64, limit: u32) -> (Option<Count>, Vec<Window>) {
        let mut stored = None;
        let mut seen = Vec::new();
        for _ in 0..n {
            let (c, w) = take_one(stored, minute, limit);
            stored = Some(c);
            seen.push(w);
        }
        (stored, seen)
    }

    #[test]
    fn counts_up_to_the_limit_then_refuses_without_counting() {
        let (stored, seen) = run(5, 1000, 3);
        let answers: Vec<(bool, u32)> = seen.iter().map(|w| (w.allowed, w.remaining)).collect();
        assert_eq!(
            answers,
            [(true, 2), (true, 1), (true, 0), (false, 0), (false, 0)]
        );
        // Minute 1000 ends at second 60,060.
        assert!(seen.iter().all(|w| w.limit == 3 && w.reset == 60_060));
        assert_eq!(
            stored,
            Some(Count {
                minute: 1000,
                used: 3
            })
        );
    }

    #[test]
    fn a_stored_window_continues_in_its_minute_and_is_over_in_the_next() {
        let full = Some(Count {
            minute: 1000,
            used: 3,
        });
        assert!(!take_one(full, 1000, 3).1.allowed);
        let (count, window) = take_one(full, 1001, 3);
        assert_eq!(
            count,
            Count {
                minute: 1001,
                used: 1
            }
        );
        assert_eq!(
            (window.allowed, window.remaining, window.reset),
            (true, 2, 60_120)
        );
    }

    #[test]
    fn a_limit_lowered_within_the_minute_refuses_and_reports_zero_remaining() {
        let used_ten = Some(Count {
            minute: 7,
            used: 10,
        });
        let (count, window) = take_one(used_ten, 7, 3);
        assert_eq!((window.allowed, window.remaining), (false, 0));
        assert_eq!(count.used, 10);
    }
}
