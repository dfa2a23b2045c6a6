//! `GET /v1/stats?from=&to=&groupBy=`: the parameters ([`StatsQuery::from_params`]), and
//! the answer grouped from stored rows ([`StatsQuery::answer`]).
//!
//! - `from`, `to`: ISO 8601 — an RFC 3339 date-time with its offset
//!   (`2026-12-05T10:00:00Z`, `2026-12-05T11:00:00+01:00`) or a date (`2026-12-05`,
//!   midnight UTC). ISO rather than unix time: the API writes every date that way
//!   (`dateCreated`), Twilio's Attempts Summary takes `DateCreatedAfter` so, and a bare
//!   number would leave seconds and milliseconds to guess. Statistics are hourly, so `from`
//!   is taken back to the start of its hour and `to` forward to the end of its hour; the
//!   answer says which hours it covers. `from` is inclusive, `to` exclusive.
//!   Both optional: `to` is the end of the current hour, `from` 24 hours before `to`.
//! - `groupBy`: `country`, `channel`, `provider` or `hour`, or several of them separated by
//!   commas (`hour,country` for a chart); absent: one group, the total.
//! - Refused (400, naming the parameter, [`ParamProblem`]): a `from` or `to` that is not
//!   ISO 8601, `to` not after `from`, `from` more than 90 days before `to`, `from` more than
//!   400 days ago (statistics are kept 400 days: [`RETENTION_DAYS`]), an unknown or
//!   repeated `groupBy` name.

use std::collections::BTreeMap;

use serde::Serialize;
use smsotp_core::time::format_rfc3339;
use smsotp_core::{ApiError, Channel, ErrorCode, UnixMillis};

use super::counters::{Counters, StatsRow, NO_PROVIDER};
use super::price::MICROS;
use super::{unix_hour, HOUR_MS};

/// How long statistics are kept, in days: rows of an hour older than this are deleted
/// ([`retention_cutoff_hour`]).
pub const RETENTION_DAYS: u32 = 400;

/// The longest range one query may cover, in days.
pub const MAX_RANGE_DAYS: u32 = 90;

/// The first hour still kept at `now`: rows of earlier hours are deleted.
pub fn retention_cutoff_hour(now: UnixMillis) -> u32 {
    unix_hour(now).saturating_sub(RETENTION_DAYS * 24)
}

/// What a group may be by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// The destination country.
    Country,
    /// The channel.
    Channel,
    /// The provider.
    Provider,
    /// The hour (its start, RFC 3339).
    Hour,
}

impl Dimension {
    /// Every dimension, as `groupBy` names them.
    pub const ALL: [Dimension; 4] = [
        Dimension::Country,
        Dimension::Channel,
        Dimension::Provider,
        Dimension::Hour,
    ];

    /// The `groupBy` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dimension::Country => "country",
            Dimension::Channel => "channel",
            Dimension::Provider => "provider",
            Dimension::Hour => "hour",
        }
    }
}

/// A refused parameter: which one, and why (a 400 naming it: [`ParamProblem::api_error`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    /// `from`, `to` or `groupBy`.
    pub param: &'static str,
    /// Why, for the client.
    pub message: String,
}

impl ParamProblem {
    fn new(param: &'static str, message: impl Into<String>) -> Self {
        Self {
            param,
            message: message.into(),
        }
    }

    /// The 400 for the client, its `field` the parameter. Until the API has a code of its
    /// own for a bad query parameter, it is 400 `invalid_request`.
    pub fn api_error(&self) -> ApiError {
        ApiError::with_message(ErrorCode::BadRequest, self.message.clone()).for_field(self.param)
    }
}

/// A checked `GET /v1/stats` query: whole hours `[from_hour, to_hour)` and the grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsQuery {
    /// The first hour (unix hours), inclusive.
    pub from_hour: u32,
    /// The hour after the last (unix hours), exclusive.
    pub to_hour: u32,
    /// The dimensions of a group, in the order asked (none: one total).
    pub group_by: Vec<Dimension>,
}

/// Reads an ISO 8601 date-time (RFC 3339, with its offset) or date (midnight UTC) as unix
/// milliseconds (`None`: neither, or before 1970).
fn parse_instant(text: &str) -> Option<UnixMillis> {
    let text = text.trim();
    let millis = if text.len() == 10 {
        let mut parts = text.splitn(3, '-');
        let y: i32 = parts.next()?.parse().ok()?;
        let m: u32 = parts.next()?.parse().ok()?;
        let d: u32 = parts.next()?.parse().ok()?;
        if !text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        }) {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(y, m, d)?
            .and_hms_opt(0, 0, 0)?
            .and_utc()
            .timestamp_millis()
    } else {
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()?
            .timestamp_millis()
    };
    u64::try_from(millis).ok()
}

impl StatsQuery {
    /// Checks the query's parameters at `now` (`None`: the parameter is absent). The first
    /// problem found is returned, naming its parameter.
    ///
    /// ```
    /// use smsotp_edge::stats::{Dimension, StatsQuery};
    ///
    /// let now = 1_800_000_000_000; // 2027-01-15T08:00:00Z
    /// let q = StatsQuery::from_params(
    ///     Some("2027-01-14T08:30:00Z"), Some("2027-01-15"), Some("hour,country"), now,
    /// ).unwrap();
    /// assert_eq!((q.from_hour, q.to_hour), (499_976, 499_992)); // 08:00 to midnight
    /// assert_eq!(q.group_by, [Dimension::Hour, Dimension::Country]);
    /// let e = StatsQuery::from_params(Some("yesterday"), None, None, now).unwrap_err();
    /// assert_eq!(e.param, "from");
    /// assert_eq!(e.api_error().http_status(), 400);
    /// ```
    pub fn from_params(
        from: Option<&str>,
        to: Option<&str>,
        group_by: Option<&str>,
        now: UnixMillis,
    ) -> Result<StatsQuery, ParamProblem> {
        let not_iso = |param: &'static str, text: &str| {
            ParamProblem::new(
                param,
                format!(
                    "'{param}' must be an ISO 8601 date-time with its offset (2026-12-05T10:00:00Z) or a date (2026-12-05), not {text:?}"
                ),
            )
        };
        let from_ms = from
            .map(|t| parse_instant(t).ok_or_else(|| not_iso("from", t)))
            .transpose()?;
        let to_ms = to
            .map(|t| parse_instant(t).ok_or_else(|| not_iso("to", t)))
            .transpose()?;
        // `to` forward to the end of its hour, `from` back to the start of its.
        let to_hour = match to_ms {
            Some(ms) => u32::try_from(ms.div_ceil(HOUR_MS)).unwrap_or(u32::MAX),
            None => unix_hour(now).saturating_add(1),
        };
        let from_hour = match from_ms {
            Some(ms) => unix_hour(ms),
            None => to_hour.saturating_sub(24),
        };
        if from_hour >= to_hour {
            // Without a `to`, the one given is what is wrong: a `from` in the future.
            return Err(match to {
                Some(_) => ParamProblem::new("to", "'to' must be after 'from'"),
                None => ParamProblem::new("from", "'from' is after the current hour"),
            });
        }
        // The range asked (90 days at most), not the whole hours it is widened to: 10:30
        // to 10:30 ninety days later is within it.
        let asked_ms = to_ms
            .unwrap_or(u64::from(to_hour) * HOUR_MS)
            .saturating_sub(from_ms.unwrap_or(u64::from(from_hour) * HOUR_MS));
        if asked_ms > u64::from(MAX_RANGE_DAYS) * 24 * HOUR_MS {
            return Err(ParamProblem::new(
                "from",
                format!("'from' must be at most {MAX_RANGE_DAYS} days before 'to'"),
            ));
        }
        if from_hour < retention_cutoff_hour(now) {
            return Err(ParamProblem::new(
                "from",
                format!(
                    "'from' is more than {RETENTION_DAYS} days ago: statistics are kept {RETENTION_DAYS} days"
                ),
            ));
        }
        let mut dims = Vec::new();
        if let Some(text) = group_by {
            for name in text.split(',') {
                let name = name.trim();
                let Some(d) = Dimension::ALL.into_iter().find(|d| d.as_str() == name) else {
                    return Err(ParamProblem::new(
                        "groupBy",
                        format!(
                            "'groupBy' must be one or more of country, channel, provider, hour (comma-separated), not {name:?}"
                        ),
                    ));
                };
                if dims.contains(&d) {
                    return Err(ParamProblem::new(
                        "groupBy",
                        format!("'groupBy' names {name} twice"),
                    ));
                }
                dims.push(d);
            }
        }
        Ok(StatsQuery {
            from_hour,
            to_hour,
            group_by: dims,
        })
    }

    /// The answer from the stored rows of the tenant (rows outside the query's hours are
    /// left out): one group per distinct value of the `groupBy` dimensions, in order of
    /// hour, country, channel, provider; without `groupBy`, one group (zeros when no row).
    pub fn answer<'a>(&self, rows: impl IntoIterator<Item = &'a StatsRow>) -> StatsAnswer {
        let has = |d: Dimension| self.group_by.contains(&d);
        let mut groups: BTreeMap<GroupKey, Counters> = BTreeMap::new();
        if self.group_by.is_empty() {
            groups.insert(GroupKey::default(), Counters::default());
        }
        for row in rows {
            let k = &row.key;
            if k.hour < self.from_hour || k.hour >= self.to_hour {
                continue;
            }
            let key = GroupKey {
                hour: has(Dimension::Hour).then_some(k.hour),
                country: has(Dimension::Country).then(|| k.country.clone()),
                channel: has(Dimension::Channel).then_some(k.channel),
                provider: has(Dimension::Provider).then(|| k.provider.clone()),
            };
            groups.entry(key).or_default().merge(&row.counters);
        }
        StatsAnswer {
            from: format_rfc3339(u64::from(self.from_hour) * HOUR_MS),
            to: format_rfc3339(u64::from(self.to_hour) * HOUR_MS),
            group_by: self.group_by.clone(),
            groups: groups
                .into_iter()
                .map(|(k, c)| StatsGroup::new(k, &c))
                .collect(),
        }
    }
}

/// A group's values of the grouped dimensions (`None`: not grouped by it).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    hour: Option<u32>,
    country: Option<String>,
    channel: Option<Channel>,
    provider: Option<String>,
}

/// The answer of `GET /v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsAnswer {
    /// The first hour covered (RFC 3339).
    pub from: String,
    /// The end of the last hour covered (RFC 3339, exclusive).
    pub to: String,
    /// The dimensions of the groups.
    pub group_by: Vec<Dimension>,
    /// The groups.
    pub groups: Vec<StatsGroup>,
}

/// One group of the answer: its dimensions' values (only those grouped by), Twilio's
/// Attempts Summary fields, and ours.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsGroup {
    /// The hour's start (RFC 3339), when grouped by hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hour: Option<String>,
    /// The country, when grouped by country (`ZZ`: unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The channel, when grouped by channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The provider, when grouped by provider (`null`: nothing was sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Option<String>>,
    /// OTPs created (Twilio's `total_attempts`).
    pub attempts: u64,
    /// OTPs verified (`total_converted`).
    pub converted: u64,
    /// `attempts − converted` (`total_unconverted`).
    pub unconverted: u64,
    /// `converted / attempts × 100`, a percentage as Twilio's
    /// `conversion_rate_percentage` but a number: rounded half up to 9 decimals (Twilio's
    /// example: `81.818181818`); `null` without attempts.
    pub conversion_rate: Option<f64>,
    /// Messages sent.
    pub sent: u64,
    /// Messages reported delivered.
    pub delivered: u64,
    /// Messages reported undelivered.
    pub undelivered: u64,
    /// Messages the provider could not send.
    pub delivery_failed: u64,
    /// OTPs failed on their last wrong PIN.
    pub failed_max_attempts: u64,
    /// OTPs expired unverified.
    pub expired: u64,
    /// Requests refused, by error code (`{"2115": 3}`).
    pub refused: BTreeMap<u16, u64>,
    /// SMS the adaptive guard let go in `record` mode that `enforce` would have refused,
    /// by the code it would have answered (`{"2137": 4}`; docs/guard.md).
    pub would_refuse: BTreeMap<u16, u64>,
    /// SMS parts sent.
    pub parts: u64,
    /// What they cost, in the price table's currency (exact to the millionth).
    pub cost: f64,
}

/// `converted / attempts × 100`, rounded half up to 9 decimals (`None` without attempts).
///
/// ```
/// use smsotp_edge::stats::conversion_rate;
///
/// assert_eq!(conversion_rate(9, 11), Some(81.818181818)); // Twilio's example
/// assert_eq!(conversion_rate(2, 3), Some(66.666666667));
/// assert_eq!(conversion_rate(0, 0), None);
/// ```
pub fn conversion_rate(converted: u64, attempts: u64) -> Option<f64> {
    if attempts == 0 {
        return None;
    }
    const SCALE: u128 = 1_000_000_000;
    let num = u128::from(converted) * 100 * SCALE;
    let den = u128::from(attempts);
    let rounded = (2 * num + den) / (2 * den);
    Some(rounded as f64 / SCALE as f64)
}

impl StatsGroup {
    fn new(k: GroupKey, c: &Counters) -> Self {
        Self {
            hour: k.hour.map(|h| format_rfc3339(u64::from(h) * HOUR_MS)),
            country: k.country,
            channel: k.channel,
            provider: k.provider.map(|p| (p != NO_PROVIDER).then_some(p)),
            attempts: c.attempts(),
            converted: c.verified,
            unconverted: c.attempts().saturating_sub(c.verified),
            conversion_rate: conversion_rate(c.verified, c.attempts()),
            sent: c.messages_sent(),
            delivered: c.delivered,
            undelivered: c.undelivered,
            delivery_failed: c.delivery_failed,
            failed_max_attempts: c.failed_max_attempts,
            expired: c.expired,
            refused: c.refused.clone(),
            would_refuse: c.would_refuse.clone(),
            parts: c.parts_sent(),
            cost: c.cost_sent_micros() as f64 / MICROS as f64,
        }
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;

    /// 2027-01-15T08:00:00Z.
    const NOW: u64 = 1_800_000_000_000;

    #[test]
    fn ninety_days_between_two_half_hours_is_taken_and_a_future_from_alone_names_from() {
        let q = StatsQuery::from_params(
            Some("2026-10-17T07:30:00Z"),
            Some("2027-01-15T07:30:00Z"),
            None,
            NOW,
        )
        .unwrap();
        // Widened to whole hours: 90 days and one hour of buckets.
        assert_eq!(q.to_hour - q.from_hour, 90 * 24 + 1);
        let over = StatsQuery::from_params(
            Some("2026-10-17T07:29:00Z"),
            Some("2027-01-15T07:30:00Z"),
            None,
            NOW,
        );
        assert_eq!(over.unwrap_err().param, "from");
        let future = StatsQuery::from_params(Some("2027-01-16"), None, None, NOW);
        assert_eq!(future.unwrap_err().param, "from");
        let backwards = StatsQuery::from_params(Some("2027-01-14"), Some("2027-01-13"), None, NOW);
        assert_eq!(backwards.unwrap_err().param, "to");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{BucketKey, StatsEvent};
    use proptest::prelude::*;
    use serde_json::json;

    /// 2027-01-15T08:00:00Z, hour 500,000.
    const NOW: u64 = 1_800_000_000_000;
    const H: u32 = 500_000;

    fn q(
        from: Option<&str>,
        to: Option<&str>,
        g: Option<&str>,
    ) -> Result<StatsQuery, ParamProblem> {
        StatsQuery::from_params(from, to, g, NOW)
    }

    fn refused(r: Result<StatsQuery, ParamProblem>) -> &'static str {
        r.unwrap_err().param
    }

    #[test]
    fn ranges_in_whole_hours() {
        let d = q(None, None, None).unwrap();
        assert_eq!(
            (d.from_hour, d.to_hour, d.group_by.len()),
            (H - 23, H + 1, 0)
        );
        let r = q(
            Some("2027-01-15T07:59:59.999+00:00"),
            Some("2027-01-15T08:00:00.001Z"),
            None,
        )
        .unwrap();
        assert_eq!((r.from_hour, r.to_hour), (H - 1, H + 1));
        // An offset is applied: 09:00 in Paris is 08:00 UTC.
        let r = q(
            Some("2027-01-15T09:00:00+01:00"),
            Some("2027-01-15T10:00:00+01:00"),
            None,
        )
        .unwrap();
        assert_eq!((r.from_hour, r.to_hour), (H, H + 1));
        // `to` alone: the 24 hours before it.
        let r = q(None, Some("2027-01-10"), None).unwrap();
        assert_eq!(r.to_hour - r.from_hour, 24);
        // Exactly 90 days; the future is allowed (nothing is there yet).
        assert!(q(Some("2026-12-01"), Some("2027-03-01"), None).is_ok());
        assert!(q(Some("2027-01-15"), Some("2027-02-15"), None).is_ok());
    }

    #[test]
    fn bad_parameters_are_named() {
        for bad in [
            "",
            "1800000000",
            "2027-01-15T08:00:00",
            "2027-1-15",
            "2027-02-30",
            "15/01/2027",
            "1969-12-31",
        ] {
            assert_eq!(refused(q(Some(bad), None, None)), "from", "{bad:?}");
            assert_eq!(refused(q(None, Some(bad), None)), "to", "{bad:?}");
        }
        assert_eq!(
            refused(q(Some("2027-01-15"), Some("2027-01-15"), None)),
            "to"
        );
        assert_eq!(
            refused(q(
                Some("2027-01-15T09:30:00Z"),
                Some("2027-01-15T09:00:00Z"),
                None
            )),
            "to"
        );
        // Both in the same hour: that hour.
        let r = q(
            Some("2027-01-15T09:10:00Z"),
            Some("2027-01-15T09:20:00Z"),
            None,
        )
        .unwrap();
        assert_eq!(r.to_hour - r.from_hour, 1);
        let e = q(Some("2026-12-01"), Some("2027-03-01T00:00:01Z"), None).unwrap_err();
        assert_eq!(
            (e.param, e.message.as_str()),
            ("from", "'from' must be at most 90 days before 'to'")
        );
        // 400 days kept: 2025-12-11 is 400 days before 2027-01-15.
        assert!(q(Some("2025-12-11T08:00:00Z"), Some("2026-01-01"), None).is_ok());
        let e = q(Some("2025-12-11T07:59:59Z"), Some("2026-01-01"), None).unwrap_err();
        assert_eq!(e.param, "from");
        assert!(e.message.contains("400 days"));
        for bad in [
            "",
            "Country",
            "country,",
            "day",
            "country,country",
            "hour, hour",
        ] {
            assert_eq!(refused(q(None, None, Some(bad))), "groupBy", "{bad:?}");
        }
        let e = q(None, None, Some("region")).unwrap_err().api_error();
        assert_eq!(
            (e.http_status(), e.field.as_deref()),
            (400, Some("groupBy"))
        );
        assert_eq!(
            q(None, None, Some("provider, channel")).unwrap().group_by,
            [Dimension::Provider, Dimension::Channel]
        );
    }

    fn row(hour: u32, country: &str, provider: &str, events: &[StatsEvent]) -> StatsRow {
        let mut counters = Counters::default();
        for &e in events {
            counters.add(e);
        }
        StatsRow {
            key: BucketKey {
                hour,
                country: country.into(),
                channel: Channel::Sms,
                provider: provider.into(),
            },
            counters,
        }
    }

    #[test]
    fn groups() {
        use StatsEvent::*;
        let sent = Sent {
            parts: 1,
            cost_micros: 70_000,
        };
        let rows = [
            row(
                H - 2,
                "FR",
                "twilio",
                &[
                    Created, Created, Created, sent, sent, sent, Verified, Verified,
                ],
            ),
            row(H - 1, "FR", "twilio", &[Created, sent, Verified]),
            row(
                H - 1,
                "FR",
                "vonage",
                &[
                    Created,
                    sent,
                    Delivery(smsotp_core::DeliveryStatus::Delivered),
                ],
            ),
            row(
                H - 1,
                "BR",
                "",
                &[Refused { code: 2115 }, Refused { code: 2139 }],
            ),
            row(H - 30, "FR", "twilio", &[Created]), // outside the range
        ];
        let query = q(None, None, None).unwrap();
        let total = query.answer(&rows);
        assert_eq!(total.groups.len(), 1);
        let t = &total.groups[0];
        assert_eq!(
            (t.attempts, t.converted, t.unconverted, t.sent, t.delivered),
            (5, 3, 2, 5, 1)
        );
        assert_eq!((t.conversion_rate, t.cost, t.parts), (Some(60.0), 0.35, 5));
        let json = serde_json::to_value(t).unwrap();
        assert_eq!(json["refused"], json!({"2115": 1, "2139": 1}));
        assert!(json.get("country").is_none() && json.get("hour").is_none());
        assert_eq!(total.from, "2027-01-14T09:00:00+00:00");
        assert_eq!(total.to, "2027-01-15T09:00:00+00:00");
        // Nothing stored: one group of zeros, its rate null.
        let empty = query.answer(&[]);
        assert_eq!(
            serde_json::to_value(&empty.groups[0]).unwrap()["conversionRate"],
            json!(null)
        );

        let by = q(None, None, Some("provider")).unwrap().answer(&rows);
        let providers: Vec<_> = by
            .groups
            .iter()
            .map(|g| g.provider.clone().unwrap())
            .collect();
        assert_eq!(
            providers,
            [None, Some("twilio".into()), Some("vonage".into())]
        );
        assert_eq!(
            serde_json::to_value(&by.groups[0]).unwrap()["provider"],
            json!(null)
        );

        let by = q(None, None, Some("country,hour")).unwrap().answer(&rows);
        let keys: Vec<_> = by
            .groups
            .iter()
            .map(|g| {
                (
                    g.hour.clone().unwrap(),
                    g.country.clone().unwrap(),
                    g.attempts,
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("2027-01-15T06:00:00+00:00".to_owned(), "FR".to_owned(), 3),
                ("2027-01-15T07:00:00+00:00".to_owned(), "BR".to_owned(), 0),
                ("2027-01-15T07:00:00+00:00".to_owned(), "FR".to_owned(), 2),
            ]
        );
        assert_eq!(by.groups[1].conversion_rate, None);
        assert_eq!(
            serde_json::to_value(&by).unwrap()["groupBy"],
            json!(["country", "hour"])
        );
    }

    proptest! {
        /// The rate is the exact quotient rounded half up at 9 decimals, printed as such.
        #[test]
        fn rates(converted in 0u64..1_000_000, extra in 0u64..1_000_000) {
            let attempts = converted + extra;
            let rate = conversion_rate(converted, attempts);
            if attempts == 0 {
                prop_assert_eq!(rate, None);
            } else {
                let r = rate.unwrap();
                prop_assert!((0.0..=100.0).contains(&r));
                let exact = converted as f64 * 100.0 / attempts as f64;
                prop_assert!((r - exact).abs() <= 0.5e-9 + 1e-12);
                let text = serde_json::to_string(&r).unwrap();
                let decimals = text.split('.').nth(1).map_or(0, str::len);
                prop_assert!(decimals <= 9, "{}", text);
            }
        }

        /// Grouping only regroups: every grouping's groups add up to the total.
        #[test]
        fn groups_add_up_to_the_total(
            rows in prop::collection::vec((0u32..30, 0usize..3, 0usize..2, 0u64..50, 0u64..50), 0..40),
            dims in prop::sample::subsequence(vec!["country", "channel", "provider", "hour"], 0..=4),
        ) {
            let countries = ["FR", "DE", "ZZ"];
            let providers = ["twilio", ""];
            let rows: Vec<StatsRow> = rows
                .into_iter()
                .map(|(h, c, p, created, verified)| StatsRow {
                    key: BucketKey { hour: H - h, country: countries[c].into(), channel: Channel::Sms, provider: providers[p].into() },
                    counters: Counters { created, verified, ..Counters::default() },
                })
                .collect();
            let total = q(None, None, None).unwrap().answer(&rows).groups[0].clone();
            let g = if dims.is_empty() { None } else { Some(dims.join(",")) };
            let grouped = q(None, None, g.as_deref()).unwrap().answer(&rows);
            let attempts: u64 = grouped.groups.iter().map(|g| g.attempts).sum();
            let converted: u64 = grouped.groups.iter().map(|g| g.converted).sum();
            prop_assert_eq!((attempts, converted), (total.attempts, total.converted));
        }
    }
}
