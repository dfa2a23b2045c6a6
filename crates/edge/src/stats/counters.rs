//! What is counted: the hourly bucket's key ([`BucketKey`]), its counters ([`Counters`]),
//! the events that move them ([`StatsEvent`]) and a stored row ([`StatsRow`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smsotp_core::{Channel, DeliveryStatus, UnixMillis};

use super::unix_hour;

/// The country of a bucket whose number could not be placed in one (a refusal of an
/// unparseable number): `ZZ`, the "unknown region" of CLDR (user-assigned in ISO 3166-1,
/// so never a real country).
pub const UNKNOWN_COUNTRY: &str = "ZZ";

/// The provider of a bucket whose OTP sent nothing (a refusal, an OTP whose every send
/// failed): the empty string, answered as `null`.
pub const NO_PROVIDER: &str = "";

/// The refusals the statistics count, by error code: the abuse controls — the number's
/// limits, the tenant's policy (countries, number types, ranges, the day's caps, the
/// end-user IP's hour), the browser API's checks (Turnstile, origins, the client lock),
/// channels, the adaptive guard (2137–2139, counted in `enforce` mode only: in `record`
/// nothing is refused), and the tenant's minute. A malformed request is not a refusal of anything
/// (it is the client's bug, not traffic to steer), nor is a wrong PIN (counted by its OTP).
/// The connecting IP's minute (2134) is not counted: it is answered before the tenant is
/// known, by the platform's rate limiter, and counting a flood would cost a Durable
/// Object call per request of it.
pub const REFUSALS: [u16; 19] = [
    2108, 2109, 2110, 2111, 2112, 2113, 2114, 2115, 2116, 2122, 2123, 2124, 2126, 2131, 2133, 2136,
    2137, 2138, 2139,
];

/// Whether a refusal with this error code is counted ([`REFUSALS`], or the tenant's
/// minute, 429).
pub fn counts_refusal(code: u16) -> bool {
    code == 429 || REFUSALS.contains(&code)
}

/// One hourly bucket of a tenant's statistics (the tenant is the object's, or a column
/// beside this key): the unix hour, the destination country, the channel and the
/// provider. One stored row per key, so a tenant sending to 5 countries through one
/// provider writes at most 5 rows an hour (see [`super::checkpoint`]).
///
/// Which key an event goes to (the *cohort* rule, as Twilio's attempts are filtered by
/// their creation date):
/// - an OTP's events (created, verified, failed, expired) go to the hour it was created,
///   with the channel and provider of its first message ([`BucketKey::of_otp`]), so an OTP
///   created at 10:59 and verified at 11:01 converts in the 10:00 bucket, and
///   `converted / attempts` of a bucket is a real conversion rate;
/// - a message's events (sent, its parts and cost, its final delivery report) go to the
///   hour its OTP was created, with that message's own channel and provider (a failover's
///   message counts under the provider that carried it);
/// - a refusal goes to the hour it happened, with the channel asked and [`NO_PROVIDER`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketKey {
    /// Hours since 1970-01-01T00:00Z ([`unix_hour`]).
    pub hour: u32,
    /// The destination's ISO 3166-1 alpha-2 region, upper case, or [`UNKNOWN_COUNTRY`].
    pub country: String,
    /// The channel.
    pub channel: Channel,
    /// The provider (`twilio`, `vonage`, …), or [`NO_PROVIDER`].
    pub provider: String,
}

impl BucketKey {
    /// The key of an event at `at` (unix milliseconds; its hour is taken).
    pub fn new(at: UnixMillis, country: &str, channel: Channel, provider: &str) -> Self {
        Self {
            hour: unix_hour(at),
            country: if country.is_empty() {
                UNKNOWN_COUNTRY.to_owned()
            } else {
                country.to_owned()
            },
            channel,
            provider: provider.to_owned(),
        }
    }

    /// The key of an OTP's own events: the hour it was created (`created_at`), its
    /// country, and the channel and provider of its first message (`first`; `None` when
    /// nothing was sent: the channel asked, [`NO_PROVIDER`]).
    ///
    /// ```
    /// use smsotp_core::Channel;
    /// use smsotp_edge::stats::BucketKey;
    ///
    /// // 2027-01-15T08:59:59Z
    /// let key = BucketKey::of_otp(1_800_003_599_000, "FR", Channel::Sms, Some((Channel::Sms, "twilio")));
    /// assert_eq!((key.hour, key.provider.as_str()), (500_000, "twilio"));
    /// ```
    pub fn of_otp(
        created_at: UnixMillis,
        country: &str,
        asked: Channel,
        first: Option<(Channel, &str)>,
    ) -> Self {
        let (channel, provider) = first.unwrap_or((asked, NO_PROVIDER));
        Self::new(created_at, country, channel, provider)
    }
}

/// What one event adds to its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsEvent {
    /// An OTP was created (a message was asked for and no control refused it): an
    /// *attempt*.
    Created,
    /// A message left (a first send, a resend, a failover), of `parts` SMS parts (1 for
    /// WhatsApp and voice) costing `cost_micros` ([`super::PriceTable::cost_micros`]).
    Sent {
        /// SMS parts.
        parts: u32,
        /// Its cost in millionths of the price table's currency.
        cost_micros: u64,
    },
    /// A message counted [`StatsEvent::Sent`] that its provider refused or never answered
    /// within the request (the next step of the plan, or none, took over): taken back out
    /// of `sent`, `parts` and `cost` in the answer (`unsent…`), and counted in
    /// `deliveryFailed`.
    SendFailed {
        /// SMS parts counted with the send.
        parts: u32,
        /// Its cost, as counted with the send.
        cost_micros: u64,
    },
    /// An OTP counted [`StatsEvent::Created`] here whose first message a later step of the
    /// plan took within the request: it counts under that step's bucket instead.
    Moved,
    /// A message's first final delivery report (delivered, undelivered, failed); any
    /// other status counts nothing (the worker passes a message's final status once).
    Delivery(DeliveryStatus),
    /// An OTP was verified: *converted*.
    Verified,
    /// An OTP failed on its last wrong PIN.
    FailedMaxAttempts,
    /// An OTP expired unverified.
    Expired,
    /// A request was refused by an abuse control, with this error code (2108, 2115, …).
    Refused {
        /// The error code.
        code: u16,
    },
    /// The adaptive guard in `record` mode let an SMS go that `enforce` would have refused
    /// with this code (2137, 2138, 2139): counted apart, as the issue's "count what would
    /// have been refused".
    WouldRefuse {
        /// The error code `enforce` would have answered.
        code: u16,
    },
}

/// The counters of one bucket. Whole numbers only, so rows merge exactly: the cost is in
/// millionths of the price table's currency (`cost_micros`; a dollar is 1,000,000).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Counters {
    /// OTPs created (Twilio's `total_attempts`, which counts verifications).
    pub created: u64,
    /// Messages sent (resends and failovers included).
    pub sent: u64,
    /// Messages reported delivered.
    pub delivered: u64,
    /// Messages reported undelivered (the carrier could not deliver them).
    pub undelivered: u64,
    /// Messages the provider could not send: refused at once, or reported `failed`.
    pub delivery_failed: u64,
    /// OTPs verified (Twilio's `total_converted`).
    pub verified: u64,
    /// OTPs failed on their last wrong PIN.
    pub failed_max_attempts: u64,
    /// OTPs expired unverified.
    pub expired: u64,
    /// Requests refused, by error code.
    #[serde(with = "code_keys")]
    pub refused: BTreeMap<u16, u64>,
    /// SMS the guard let go in `record` mode that `enforce` would have refused, by the
    /// code it would have answered.
    #[serde(with = "code_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub would_refuse: BTreeMap<u16, u64>,
    /// SMS parts sent.
    pub parts: u64,
    /// What the parts cost, in millionths.
    pub cost_micros: u64,
    /// Of `sent`, the messages a provider refused or never answered within the request
    /// ([`StatsEvent::SendFailed`]), and their parts and cost: kept apart and taken off in
    /// the answer ([`Counters::messages_sent`]), so that the two may land in different
    /// checkpoints (a send that times out after 10 s does) and still cancel out.
    pub unsent: u64,
    /// Their parts.
    pub unsent_parts: u64,
    /// Their cost, in millionths.
    pub unsent_cost_micros: u64,
    /// Of `created`, the OTPs whose first message a later step of the plan took within the
    /// request: counted again under that step's channel and provider ([`StatsEvent::Moved`]),
    /// so an OTP's own events all land in one bucket.
    pub moved: u64,
}

impl Counters {
    /// OTPs created, less those moved to the bucket of the step that took their first
    /// message.
    pub fn attempts(&self) -> u64 {
        self.created.saturating_sub(self.moved)
    }

    /// Messages a provider took.
    pub fn messages_sent(&self) -> u64 {
        self.sent.saturating_sub(self.unsent)
    }

    /// Their SMS parts.
    pub fn parts_sent(&self) -> u64 {
        self.parts.saturating_sub(self.unsent_parts)
    }

    /// Their cost, in millionths.
    pub fn cost_sent_micros(&self) -> u64 {
        self.cost_micros.saturating_sub(self.unsent_cost_micros)
    }
}

impl Counters {
    /// The counters of one event.
    pub fn of(event: StatsEvent) -> Self {
        let mut c = Self::default();
        c.add(event);
        c
    }

    /// Counts one event.
    pub fn add(&mut self, event: StatsEvent) {
        let one = |n: &mut u64| *n = n.saturating_add(1);
        match event {
            StatsEvent::Created => one(&mut self.created),
            StatsEvent::Sent { parts, cost_micros } => {
                one(&mut self.sent);
                self.parts = self.parts.saturating_add(u64::from(parts));
                self.cost_micros = self.cost_micros.saturating_add(cost_micros);
            }
            StatsEvent::SendFailed { parts, cost_micros } => {
                one(&mut self.unsent);
                self.unsent_parts = self.unsent_parts.saturating_add(u64::from(parts));
                self.unsent_cost_micros = self.unsent_cost_micros.saturating_add(cost_micros);
                one(&mut self.delivery_failed);
            }
            StatsEvent::Moved => one(&mut self.moved),
            StatsEvent::Delivery(status) => match status {
                DeliveryStatus::Delivered => one(&mut self.delivered),
                DeliveryStatus::Undelivered => one(&mut self.undelivered),
                DeliveryStatus::Failed => one(&mut self.delivery_failed),
                _ => {}
            },
            StatsEvent::Verified => one(&mut self.verified),
            StatsEvent::FailedMaxAttempts => one(&mut self.failed_max_attempts),
            StatsEvent::Expired => one(&mut self.expired),
            StatsEvent::Refused { code } => one(self.refused.entry(code).or_default()),
            StatsEvent::WouldRefuse { code } => one(self.would_refuse.entry(code).or_default()),
        }
    }

    /// Adds `other` into these counters (a delta into a stored row, or rows into a group
    /// of an answer). Saturating, so a merge never panics; commutative and associative.
    pub fn merge(&mut self, other: &Counters) {
        for (mine, theirs) in [
            (&mut self.created, other.created),
            (&mut self.sent, other.sent),
            (&mut self.delivered, other.delivered),
            (&mut self.undelivered, other.undelivered),
            (&mut self.delivery_failed, other.delivery_failed),
            (&mut self.verified, other.verified),
            (&mut self.failed_max_attempts, other.failed_max_attempts),
            (&mut self.expired, other.expired),
            (&mut self.parts, other.parts),
            (&mut self.cost_micros, other.cost_micros),
            (&mut self.unsent, other.unsent),
            (&mut self.unsent_parts, other.unsent_parts),
            (&mut self.unsent_cost_micros, other.unsent_cost_micros),
            (&mut self.moved, other.moved),
        ] {
            *mine = mine.saturating_add(theirs);
        }
        for (mine, theirs) in [
            (&mut self.refused, &other.refused),
            (&mut self.would_refuse, &other.would_refuse),
        ] {
            for (&code, &n) in theirs {
                let m = mine.entry(code).or_default();
                *m = m.saturating_add(n);
            }
        }
    }

    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        *self == Counters::default()
    }
}

/// A stored row: a bucket and its counters (as JSON, `{"key": {…}, "counters": {…}}`: a
/// flattened form would lose the integer keys of `refused`). As a SQLite row: the key's four columns as
/// the primary key (`WITHOUT ROWID`, no other index), one integer column per counter,
/// and `refused` as JSON text (`{"2115": 3}`); a checkpoint upserts a delta by adding
/// column to column (read-modify-write for `refused`, or SQLite's JSON functions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsRow {
    /// The bucket.
    pub key: BucketKey,
    /// What it counted.
    pub counters: Counters,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn events_count_where_they_belong() {
        let mut c = Counters::default();
        for e in [
            StatsEvent::Created,
            StatsEvent::Sent {
                parts: 2,
                cost_micros: 140_000,
            },
            StatsEvent::Sent {
                parts: 1,
                cost_micros: 70_000,
            },
            StatsEvent::Delivery(DeliveryStatus::Delivered),
            StatsEvent::Delivery(DeliveryStatus::Sent),
            StatsEvent::Delivery(DeliveryStatus::Undelivered),
            StatsEvent::Delivery(DeliveryStatus::Failed),
            StatsEvent::Verified,
            StatsEvent::Refused { code: 2115 },
            StatsEvent::Refused { code: 2115 },
            StatsEvent::Refused { code: 2108 },
        ] {
            c.add(e);
        }
        assert_eq!(
            (c.created, c.sent, c.parts, c.cost_micros),
            (1, 2, 3, 210_000)
        );
        assert_eq!((c.delivered, c.undelivered, c.delivery_failed), (1, 1, 1));
        assert_eq!(c.refused, BTreeMap::from([(2108, 1), (2115, 2)]));
        assert!(!c.is_empty() && Counters::default().is_empty());
    }

    #[test]
    fn a_row_as_json_with_refusals_by_code() {
        let row = StatsRow {
            key: BucketKey::new(1_800_000_000_000, "", Channel::Sms, NO_PROVIDER),
            counters: Counters::of(StatsEvent::Refused { code: 2112 }),
        };
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["key"]["country"], "ZZ");
        assert_eq!(json["key"]["channel"], "sms");
        assert_eq!(json["counters"]["refused"], serde_json::json!({"2112": 1}));
        assert_eq!(json["counters"]["costMicros"], 0);
        let back: StatsRow = serde_json::from_value(json).unwrap();
        assert_eq!(back, row);
        // A row stored before a counter existed reads it as 0.
        let old: Counters = serde_json::from_str(r#"{"created": 4}"#).unwrap();
        assert_eq!((old.created, old.expired), (4, 0));
    }

    fn counters() -> impl Strategy<Value = Counters> {
        (
            prop::array::uniform10(0u64..1_000_000),
            prop::collection::btree_map(2100u16..2140, 0u64..1000, 0..4),
        )
            .prop_map(|(n, refused)| Counters {
                created: n[0],
                sent: n[1],
                delivered: n[2],
                undelivered: n[3],
                delivery_failed: n[4],
                verified: n[5],
                failed_max_attempts: n[6],
                expired: n[7],
                refused,
                parts: n[8],
                cost_micros: n[9],
                ..Counters::default()
            })
    }

    proptest! {
        /// Checkpoints may group deltas any way: merging is commutative and associative,
        /// and the empty counters are its identity.
        #[test]
        fn merging_is_a_commutative_monoid(a in counters(), b in counters(), c in counters()) {
            let mut ab = a.clone();
            ab.merge(&b);
            let mut ba = b.clone();
            ba.merge(&a);
            prop_assert_eq!(&ab, &ba);
            let mut ab_c = ab.clone();
            ab_c.merge(&c);
            let mut bc = b.clone();
            bc.merge(&c);
            let mut a_bc = a.clone();
            a_bc.merge(&bc);
            prop_assert_eq!(&ab_c, &a_bc);
            let mut a0 = a.clone();
            a0.merge(&Counters::default());
            prop_assert_eq!(a0, a);
        }
    }
}

/// `refused` with its codes as the map's string keys (`{"2115": 3}`), written and read so
/// by any serde format: JSON requires string keys, and a JavaScript object read back into
/// Rust (a Durable Object's message) gives strings, which not every format turns into
/// numbers.
mod code_keys {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(map: &BTreeMap<u16, u64>, s: S) -> Result<S::Ok, S::Error> {
        let text: BTreeMap<String, u64> = map.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        text.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u16, u64>, D::Error> {
        let text = BTreeMap::<String, u64>::deserialize(d)?;
        text.into_iter()
            .map(|(k, v)| {
                k.parse::<u16>()
                    .map(|k| (k, v))
                    .map_err(|_| serde::de::Error::custom(format!("{k:?} is not an error code")))
            })
            .collect()
    }
}

#[cfg(test)]
mod code_keys_tests {
    use super::*;

    #[test]
    fn refusals_travel_with_their_codes_as_string_keys_and_come_back() {
        let mut c = Counters::default();
        c.add(StatsEvent::Refused { code: 2115 });
        c.add(StatsEvent::Refused { code: 2115 });
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains(r#""refused":{"2115":2}"#), "{text}");
        assert_eq!(serde_json::from_str::<Counters>(&text).unwrap(), c);
        let bad = text.replace("2115", "x");
        assert!(serde_json::from_str::<Counters>(&bad).is_err());
    }
}
