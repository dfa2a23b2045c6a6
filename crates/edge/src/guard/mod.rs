//! The adaptive guard against SMS pumping (issue 22): per tenant and destination country,
//! unverified SMS against thresholds that follow the tenant's own verified traffic; per
//! number range, in a country over a threshold; per end-user IP, the countries it sends
//! to. Pure: the worker keeps the states and asks; time comes in as unix milliseconds.
//!
//! docs/guard.md has the same, with the simulations' figures and what the worker runs where.
//!
//! # Rules (defaults: the numbers; every one configurable per tenant)
//!
//! | rule | counted per | trips when | what is refused |
//! |---|---|---|---|
//! | country, daily | tenant × destination country | unverified SMS in the last 24 h > `max(20, 0.2 × V14max, 0.2 × V24h)` | its ranges that trip the range rule; the whole country past 3 × the threshold |
//! | country, hourly | tenant × country | unverified SMS in the last hour > `max(3, 0.2 × V14max / 6, 0.2 × V1h)` | the same |
//! | range | range (E.164 minus 4 digits), in a country over a threshold | its unverified SMS in the last hour > `max(5, 1.0 × its verified OTPs in the hour)` | the range |
//! | IP countries | end-user IP (IPv4, IPv6 /64) | SMS to more than 3 countries in the last hour, countries it verified an OTP of left out | the IP |
//!
//! `V14max` is the largest number of verified OTPs of the country in one UTC day, today and
//! the 14 days before (15 daily counts kept); `V24h`, `V1h` the verified OTPs in the last
//! 24 hours and hour. An SMS is *unverified* while its OTP is not verified: a verification
//! takes the OTP's SMS out of the hours they were sent in. A tripped subject is refused for
//! a cool-down (1 hour), with a new error code (403, no SMS), a `guard.triggered` log line
//! and a signed callback to the tenant ([`GuardEvent`], once per trip).
//!
//! **Modes** ([`GuardMode`]): `record` (everything but the refusal: [`Decision::WouldRefuse`],
//! counted and reported), `enforce` and `off` (nothing evaluated, nothing counted). With no
//! mode set, a tenant is in `record` for a week after it was created, then in `enforce`
//! ([`GuardPolicy::mode_at`]): the thresholds learn from its verified traffic before they
//! refuse anything. **Allow-listed** numbers and ranges are never refused but still counted
//! (as Authgear's always-allow since 2026-07: the SMS cost the same); **test numbers** are
//! neither (no SMS leaves).
//!
//! # Differences from Authgear, and why
//!
//! Authgear's published rules (`pkg/lib/fraudprotection`, read 2026-08-21) are the model.
//! - **Ratios 0.2 and 0.2**, as the issue and Authgear's first version (March 2026);
//!   Authgear's current default daily ratio is 0.3. Configurable (`dailyRatio`,
//!   `hourlyRatio`).
//! - **The hourly threshold** is Authgear's current, decoupled one (`max(3, ratio × V14max
//!   / 6, ratio × V1h)`), not its first (`daily threshold / 6`): the same at the defaults'
//!   scale, and it keeps each ratio meaning one thing.
//! - **IP countries in 1 hour**, as the issue asks; Authgear counts 24 hours. One hour
//!   stops a script hopping countries as fast, and forgets a traveller or a shared NAT
//!   sooner; `ipWindowMinutes: 1440` gives Authgear's. Countries the IP verified an OTP of
//!   are left out, as Authgear since April 2026 (a carrier NAT verifies in each country).
//! - **Ranges, and a factor before a whole country.** Authgear refuses every SMS while a
//!   country's bucket is over its threshold. At a ratio of 0.2, a country whose normal
//!   conversion is under 1 / 1.2 = 83 % has more unverified SMS a day than 0.2 × its
//!   verified ones, always: the normal traffic (70–95 %) would have such countries
//!   refused all day. So a country over a threshold is only *suspect*, and what is refused
//!   there is the ranges pumping goes through — a range with more unverified SMS in the hour
//!   than the floor and than its verified OTPs (pumping converts 0–5 %, people 70–95 %) —
//!   and the whole country only past `countryBlockFactor` (3) × a threshold, when the
//!   pumping is spread too thin over ranges to find. The range floor is 5, not 3: in the
//!   simulation (`tests/guard_simulation.rs`), 3 let ~37 ranges of normal traffic a week
//!   trip in the 70 % country (each a `guard.triggered` event to the tenant), 5 about 2,
//!   for 5–14 % more of a burst let through.
//! - **Windowed counts, not leaky buckets.** Authgear's buckets (`{level, last_updated}`,
//!   leaking at threshold / period) are compact, but rows written, not bytes, are what a
//!   Durable Object bills: a country's hourly counts of the last 24 hours are one row as
//!   the bucket would be, and say exactly what the rule says ("unverified SMS in the last 24
//!   h"), a verification leaving the hour its SMS was sent in (a bucket leaks at a rate
//!   that moves with the threshold). The sliding window takes the oldest hour in part
//!   ([`HourlyCounts::window_milli`]). Authgear's bucket also saturates, letting a pump
//!   through at the threshold's rate; here a trip's cool-down refuses all of it.
//! - **A refused SMS is not counted** (Authgear counts blocked requests too): it costs
//!   nothing, and counting it would keep a country suspect, or blocked, as long as a
//!   script keeps asking. A trip refuses for its cool-down whatever the counts.
//!
//! # Where the state lives, and what it costs
//!
//! - A country's state ([`CountryState`], ~100–400 bytes of JSON) in the tenant's object
//!   (the limiter: one per tenant, already asked on every create and verify, so the guard
//!   adds no Durable Object call). It changes on every SMS and verification; written like
//!   the limiter's counters, every [`CountryState::write_step`] changes (a tenth of the
//!   hourly threshold) and at once on a trip, and read back after a restart assuming the
//!   unwritten changes were unverified SMS ([`CountryState::restored`]): at most a tenth of
//!   a threshold, towards refusing. About 2 changes per verified OTP: at 10,000 verified a
//!   day in a country (hourly threshold 333), a write every 33 changes, 0.06 rows ($0.06 per
//!   million); a country under 100 verified OTPs a day (threshold at its floor) is written
//!   on each change.
//! - A range's state ([`RangeState`]) where its numbers are: the OTP shard owns every
//!   number of a range (`crate::placement`) and already keeps its unverified SMS of the
//!   last hour for the 2115 limit; the tenant's object passes the country's verdict with
//!   the create.
//! - An IP's countries ([`IpState`]) with the IP's SMS of the hour in the limiter, in the
//!   row it writes for each SMS already.
//!
//! Its parts: [`counts`] (hourly and daily counts), [`policy`] (settings and modes),
//! [`state`] (the subjects and their rules), [`decide`] (the decision, the event, one
//! tenant in memory).

pub mod counts;
pub mod decide;
pub mod policy;
pub mod state;

pub use counts::{DailyCounts, HourlyCounts, DAYS_KEPT, MILLI};
pub use decide::{Decision, GuardEvent, Outcome, Scope, SendRequest, TenantGuard};
pub use policy::{GuardMode, GuardPolicy, BUSY_HOURS_PER_DAY, RECORD_FIRST_MS};
pub use state::{
    CountryLevels, CountryState, CountryVerdict, IpCountry, IpState, RangeState, Rule, Trip,
};
