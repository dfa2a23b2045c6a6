//! # smsotp-edge
//!
//! The rules of smsotp, the SMS one-time-password service, that only the edge (the worker
//! serving the HTTP API) applies; the browser package never needs them. The rules both
//! share — requests, phone numbers, PINs, templates, SMS, the state machine — are in
//! [`smsotp_core`].
//!
//! | rule | module |
//! |---|---|
//! | a tenant's policy: countries, number types, its limits, test numbers | [`tenant`] |
//! | the test-number rule: what is sent and counted for a destination | [`destination`] |
//! | every abuse limit: per number, per end-user IP, per number range, per day | [`limits`] |
//! | `Idempotency-Key`: key rules, body fingerprints, replay decisions | [`idempotency`] |
//! | which shard owns a number and an OTP | [`placement`] |
//! | a number's state in its shard: wrong PINs across its OTPs, locks, superseding, the last verification, forgetting after 24 h | [`number`] |
//! | the browser API: publishable keys, origins, Turnstile, the signed verification token, client secrets | [`browser`] |
//! | statistics per hour, country, channel and provider; the `GET /v1/stats` query; prices per country | [`stats`] |
//! | `application/x-www-form-urlencoded`, decoded (Twilio Verify bodies, delivery reports) | [`form`] |
//! | Twilio Verify v2's wire format: SIDs, form bodies, errors, resources, Basic auth | [`twilio`] |
//!
//! No platform dependency, as in the core: randomness comes in through
//! [`smsotp_core::RandomSource`] and time as unix milliseconds.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The edge answers for every region, from its first request: a build of the core that
// loads phone metadata per region (the npm package's `lazy-metadata`) must never reach it,
// not even through cargo's feature unification in a workspace build.
const _: () = assert!(
    smsotp_core::phone::METADATA_EMBEDDED,
    "smsotp-edge needs smsotp-core with every region's phone metadata compiled in"
);

pub mod browser;
pub mod delivery;
pub mod destination;
pub mod form;
pub mod idempotency;
pub mod limits;
pub mod number;
pub mod placement;
pub mod stats;
pub mod tenant;
pub mod twilio;

pub use destination::Destination;
pub use limits::{AbuseLimits, NumberLimits, PrefixRefusal};
pub use tenant::{AllowedCountries, TenantPolicy};
