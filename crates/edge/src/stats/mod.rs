//! A tenant's statistics (issue 22): per hour, destination country, channel and
//! provider, what happened to its OTPs — created, sent, delivered, verified, failed,
//! expired, refused by each abuse control — and what the SMS parts cost; and the
//! `GET /v1/stats` query over them. Pure: the worker stores the rows and keeps the
//! buffer; time comes in as unix milliseconds.
//!
//! Why this shape:
//! - **Hourly buckets, not events.** A row per (hour, country, channel, provider)
//!   ([`BucketKey`]) holds whole-number counters ([`Counters`], the cost in millionths: no
//!   floats in storage, so rows merge exactly). Kept 400 days ([`RETENTION_DAYS`]), one
//!   tenant sending to 20 such combinations an hour has 192,000 rows, some 30 MB — far under
//!   a Durable Object's 10 GB — and a 90-day query ([`MAX_RANGE_DAYS`]) reads at most
//!   43,200 of them ($0.00004 at $0.001 per million rows read).
//! - **An OTP's events count in the hour it was created** (the cohort rule of
//!   [`BucketKey`]), as Twilio's Attempts Summary filters attempts by creation date: so a
//!   bucket's `converted / attempts` is a conversion rate.
//! - **Written at checkpoints** ([`checkpoint`]): rows written are what a Durable Object
//!   bills most, so events add to deltas in memory, written every 5 s at most — one row per
//!   bucket touched, not per event — which keeps a verified OTP's statistics under $0.30 per
//!   million from 1.33 verified OTPs a second per object (the module says how that was
//!   measured, and what it costs below that).
//! - **The answer** ([`StatsQuery`], [`StatsGroup`]) has the fields of Twilio's Attempts
//!   Summary (`attempts`, `converted`, `unconverted`, `conversionRate` — a number here, not
//!   Twilio's string, same rounding precision) and ours: messages `sent`, delivery
//!   outcomes, `refused` by code, `parts`, `cost`. Twilio's `total_attempts` counts
//!   verifications, and so does `attempts` (OTPs created); messages, resends included, are
//!   `sent`.
//! - **Prices per country** ([`PriceTable`]) from the settings, over the deployment's
//!   `PRICE_PER_PART`; the cost of a message is fixed when it is sent.
//!
//! Its parts: [`counters`] (keys, counters, events, rows), [`checkpoint`] (when to
//! write), [`query`] (the query and its answer), [`price`] (the price table).

pub mod checkpoint;
pub mod counters;
pub mod lifecycle;
pub mod price;
pub mod query;

pub use checkpoint::{CheckpointPolicy, StatsBuffer};
pub use counters::{
    counts_refusal, BucketKey, Counters, StatsEvent, StatsRow, NO_PROVIDER, REFUSALS,
    UNKNOWN_COUNTRY,
};
pub use lifecycle::Seen;
pub use price::{parse_price_micros, PriceTable, MICROS};
pub use query::{
    conversion_rate, retention_cutoff_hour, Dimension, ParamProblem, StatsAnswer, StatsGroup,
    StatsQuery, MAX_RANGE_DAYS, RETENTION_DAYS,
};

use smsotp_core::UnixMillis;

/// An hour in milliseconds.
pub const HOUR_MS: u64 = 3_600_000;

/// The unix hour of `at` (hours since 1970-01-01T00:00Z): a bucket's hour.
///
/// ```
/// // 2027-01-15T08:59:59.999Z
/// assert_eq!(smsotp_edge::stats::unix_hour(1_800_003_599_999), 500_000);
/// ```
pub fn unix_hour(at: UnixMillis) -> u32 {
    u32::try_from(at / HOUR_MS).unwrap_or(u32::MAX)
}
