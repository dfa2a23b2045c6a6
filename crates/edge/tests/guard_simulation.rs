//! The guard against a simulated fortnight of one tenant's traffic (issue 22): a week in
//! `record` (a new tenant's default, while the thresholds learn its traffic), then the
//! measured week in `enforce`. Normal traffic goes to 5 countries with 70–95 % conversion,
//! a daily and weekly rhythm, resends, and a few carrier NAT addresses shared across
//! countries; then a pumping burst of 0–5 % conversion into 20 ranges of one country.
//!
//! Asserted: in `enforce`, the guard refuses the burst within its first hour and refuses
//! under 0.5 % of the normal traffic over the week; in `record`, it refuses nothing and
//! reports what it would have. Deterministic (a seeded SplitMix64); the figures are printed
//! (`cargo test -p smsotp-edge --test guard_simulation -- --nocapture`) and copied into
//! docs/guard.md.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use smsotp_edge::guard::{Decision, GuardPolicy, Scope, SendRequest, TenantGuard};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
/// The tenant is created on Monday 2027-01-04T00:00:00Z.
const T0: u64 = 1_799_020_800_000;

/// SplitMix64: small, deterministic, good enough for traffic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A Poisson count of mean `lambda` (Knuth's; the means here are small).
    fn poisson(&mut self, lambda: f64) -> u32 {
        let l = (-lambda).exp();
        let (mut k, mut p) = (0, 1.0);
        loop {
            p *= self.unit();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
}

/// A destination country of the normal traffic.
struct Country {
    iso: &'static str,
    /// Calling code and the digits before a range (a mobile prefix).
    prefix: &'static str,
    /// OTPs an hour, averaged over a day.
    per_hour: f64,
    /// Share of OTPs verified.
    conversion: f64,
    /// Its users' UTC offset, in hours (the daily rhythm is local).
    utc_offset: i64,
}

const COUNTRIES: [Country; 5] = [
    Country {
        iso: "US",
        prefix: "+1202",
        per_hour: 400.0,
        conversion: 0.88,
        utc_offset: -5,
    },
    Country {
        iso: "IN",
        prefix: "+9198",
        per_hour: 300.0,
        conversion: 0.70,
        utc_offset: 5,
    },
    Country {
        iso: "BR",
        prefix: "+55119",
        per_hour: 150.0,
        conversion: 0.78,
        utc_offset: -3,
    },
    Country {
        iso: "FR",
        prefix: "+336",
        per_hour: 100.0,
        conversion: 0.92,
        utc_offset: 1,
    },
    Country {
        iso: "DE",
        prefix: "+49151",
        per_hour: 40.0,
        conversion: 0.95,
        utc_offset: 1,
    },
];

/// Ranges of normal traffic per country (a range: 10,000 numbers).
const RANGES: u64 = 2000;
/// Carrier NAT addresses shared by users of every country, and their share of OTPs.
const SHARED_IPS: u64 = 5;
const SHARED_SHARE: f64 = 0.03;
/// Share of unverified OTPs whose user asks for a second SMS 45 s later.
const RESEND: f64 = 0.10;

/// The pumping burst.
struct Burst {
    country: usize,
    start: u64,
    hours: u64,
    per_hour: f64,
    /// Conversion, drawn per SMS from 0 to this (0–5 %).
    max_conversion: f64,
    ranges: u64,
}

struct Otp {
    e164: String,
    country: &'static str,
    ip: String,
    burst: bool,
    verifies: bool,
    sms: Vec<u64>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The OTP's n-th SMS is asked for.
    Send(usize),
    /// The user types the right PIN.
    Verify(usize),
}

#[derive(Default, Debug)]
struct Figures {
    normal_sms: u64,
    normal_refused: u64,
    /// Normal SMS of the measured week only.
    week_normal_sms: u64,
    week_normal_refused: u64,
    burst_sms: u64,
    burst_refused: u64,
    burst_would_refuse: u64,
    burst_sent_first_hour: u64,
    first_burst_refusal: Option<u64>,
    first_burst_would_refuse: Option<u64>,
    /// Trips started by a normal SMS (false alarms: each a `guard.triggered` event), in the
    /// measured week, and in all.
    week_normal_trips: u64,
    normal_trips: u64,
    /// Trips started by a burst SMS, and of those, of a whole country.
    burst_trips: u64,
    burst_country_trips: u64,
    /// A few events, for the log.
    events: Vec<String>,
}

/// The traffic's rate multiplier at `t` for a country: a daily rhythm around the local
/// afternoon (0.2× at night to 1.8×), weekends at 80 %.
fn rhythm(c: &Country, t: u64) -> f64 {
    let local = t as i64 + c.utc_offset * HOUR as i64;
    let hour = (local.rem_euclid(DAY as i64)) as f64 / HOUR as f64;
    let day = local.div_euclid(DAY as i64) - (T0 / DAY) as i64; // 0 = Monday
    let weekend = if day.rem_euclid(7) >= 5 { 0.8 } else { 1.0 };
    weekend * (1.0 + 0.8 * (std::f64::consts::TAU * (hour - 9.0) / 24.0).sin())
}

fn simulate(seed: u64, burst: Option<&Burst>, days: u64) -> Figures {
    let mut rng = Rng(seed);
    let policy = GuardPolicy::default();
    let mut guard = TenantGuard::default();
    let mut otps: Vec<Otp> = Vec::new();
    let mut queue: BinaryHeap<Reverse<(u64, Event)>> = BinaryHeap::new();
    let end = T0 + days * DAY;
    let week2 = T0 + 7 * DAY;
    // Each country's ranges, fixed for the run.
    let ranges: Vec<Vec<u64>> = COUNTRIES
        .iter()
        .map(|_| (0..RANGES).map(|_| rng.below(100_000)).collect())
        .collect();
    let burst_ranges: Vec<u64> = burst
        .map(|b| (0..b.ranges).map(|i| 77_000 + i).collect())
        .unwrap_or_default();
    // Arrivals, minute by minute.
    for minute in 0..days * 24 * 60 {
        let t = T0 + minute * MINUTE;
        for (ci, c) in COUNTRIES.iter().enumerate() {
            let noise = 0.9 + 0.2 * rng.unit();
            let n = rng.poisson(c.per_hour / 60.0 * rhythm(c, t) * noise);
            for _ in 0..n {
                let range = ranges[ci][rng.below(RANGES) as usize];
                let ip = if rng.unit() < SHARED_SHARE {
                    format!("100.64.0.{}", rng.below(SHARED_IPS))
                } else {
                    format!("user-{}-{}", c.iso, rng.below(1_000_000))
                };
                otps.push(Otp {
                    e164: format!("{}{range:05}{:04}", c.prefix, rng.below(10_000)),
                    country: c.iso,
                    ip,
                    burst: false,
                    verifies: rng.unit() < c.conversion,
                    sms: Vec::new(),
                });
                queue.push(Reverse((
                    t + rng.below(MINUTE),
                    Event::Send(otps.len() - 1),
                )));
            }
        }
        if let Some(b) = burst.filter(|b| t >= b.start && t < b.start + b.hours * HOUR) {
            let c = &COUNTRIES[b.country];
            for _ in 0..rng.poisson(b.per_hour / 60.0) {
                let range = burst_ranges[rng.below(b.ranges) as usize];
                otps.push(Otp {
                    e164: format!("{}{range:05}{:04}", c.prefix, rng.below(10_000)),
                    country: c.iso,
                    // Rotating residential proxies: a new address each time.
                    ip: format!("proxy-{}", rng.next()),
                    burst: true,
                    verifies: rng.unit() < rng.unit() * b.max_conversion,
                    sms: Vec::new(),
                });
                queue.push(Reverse((
                    t + rng.below(MINUTE),
                    Event::Send(otps.len() - 1),
                )));
            }
        }
    }
    let mut f = Figures::default();
    let mut next_cleanup = T0 + HOUR;
    while let Some(Reverse((now, event))) = queue.pop() {
        if now >= end {
            continue;
        }
        if now >= next_cleanup {
            guard.forget_idle(&policy, now);
            next_cleanup += HOUR;
        }
        let mode = policy.mode_at(T0, now);
        match event {
            Event::Send(i) => {
                let otp = &otps[i];
                let req = SendRequest {
                    e164: &otp.e164,
                    country: otp.country,
                    ip: Some(&otp.ip),
                    test_number: false,
                };
                let out = guard.check(&policy, mode, &req, now);
                if let Some(e) = &out.event {
                    if otp.burst {
                        f.burst_trips += 1;
                        f.burst_country_trips += u64::from(matches!(e.scope, Scope::Country(_)));
                    } else {
                        f.normal_trips += 1;
                        f.week_normal_trips += u64::from(now >= week2);
                    }
                    if f.events.len() < 12 || (otp.burst && f.burst_trips <= 3) {
                        f.events.push(format!(
                            "{:>6.1} h {} {:?} {:?} {:?} observed {:.2} over {:.2}",
                            (now - T0) as f64 / HOUR as f64,
                            if otp.burst { "burst " } else { "normal" },
                            e.mode,
                            e.rule,
                            e.scope,
                            e.observed,
                            e.threshold
                        ));
                    }
                }
                let refused = out.decision.refuses();
                let would = matches!(out.decision, Decision::WouldRefuse { .. });
                if otp.burst {
                    f.burst_sms += 1;
                    let b = burst.unwrap();
                    if refused {
                        f.burst_refused += 1;
                        f.first_burst_refusal.get_or_insert(now - b.start);
                    } else if now < b.start + HOUR {
                        f.burst_sent_first_hour += 1;
                    }
                    if would {
                        f.burst_would_refuse += 1;
                        f.first_burst_would_refuse.get_or_insert(now - b.start);
                    }
                } else {
                    f.normal_sms += 1;
                    f.normal_refused += u64::from(refused);
                    if now >= week2 {
                        f.week_normal_sms += 1;
                        f.week_normal_refused += u64::from(refused);
                    }
                }
                if refused {
                    continue;
                }
                guard.record_sent(&policy, mode, &req, now);
                let first = otps[i].sms.is_empty();
                otps[i].sms.push(now);
                if first {
                    let otp = &otps[i];
                    if otp.verifies {
                        queue.push(Reverse((
                            now + 15_000 + rng.below(105_000),
                            Event::Verify(i),
                        )));
                    } else if !otp.burst && rng.unit() < RESEND {
                        queue.push(Reverse((now + 45_000, Event::Send(i))));
                    }
                }
            }
            Event::Verify(i) => {
                let otp = &otps[i];
                let req = SendRequest {
                    e164: &otp.e164,
                    country: otp.country,
                    ip: Some(&otp.ip),
                    test_number: false,
                };
                guard.record_verified(&policy, mode, &req, &otp.sms, now);
            }
        }
    }
    f
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[test]
fn enforce_refuses_the_burst_within_its_first_hour_and_little_else() {
    let mut worst_normal: f64 = 0.0;
    for (country, c) in COUNTRIES.iter().enumerate() {
        let burst = Burst {
            country,
            // Friday of the second week, 14:00 UTC, for 6 hours.
            start: T0 + 11 * DAY + 14 * HOUR,
            hours: 6,
            per_hour: 600.0,
            max_conversion: 0.05,
            ranges: 20,
        };
        let f = simulate(42 + country as u64, Some(&burst), 14);
        let first = f.first_burst_refusal.map(|ms| ms as f64 / MINUTE as f64);
        let normal = pct(f.week_normal_refused, f.week_normal_sms);
        println!(
            "burst into {}: first refusal after {} min; burst refused {:.1} % ({} of {} SMS; {} sent in its first hour; {} trips, {} of the whole country); normal traffic refused in the enforce week {:.3} % ({} of {}; {} false trips that week, {} in the fortnight)",
            c.iso,
            first.map_or("never".into(), |m| format!("{m:.1}")),
            pct(f.burst_refused, f.burst_sms),
            f.burst_refused,
            f.burst_sms,
            f.burst_sent_first_hour,
            f.burst_trips,
            f.burst_country_trips,
            normal,
            f.week_normal_refused,
            f.week_normal_sms,
            f.week_normal_trips,
            f.normal_trips,
        );
        for e in &f.events {
            println!("    {e}");
        }
        assert!(first.is_some_and(|m| m < 60.0), "{}: {first:?}", c.iso);
        assert!(normal < 0.5, "{}: {normal} %", c.iso);
        assert_eq!(
            f.normal_refused, f.week_normal_refused,
            "record week refused"
        );
        worst_normal = worst_normal.max(normal);
    }
    println!("worst normal traffic refused: {worst_normal:.3} %");
}

#[test]
fn record_refuses_nothing_but_reports_what_it_would_have() {
    let burst = Burst {
        country: 0,
        // Friday of the first week, still in `record`.
        start: T0 + 4 * DAY + 14 * HOUR,
        hours: 6,
        per_hour: 600.0,
        max_conversion: 0.05,
        ranges: 20,
    };
    let f = simulate(7, Some(&burst), 7);
    println!(
        "record week, burst into US: refused {} SMS; would have refused {:.1} % of the burst ({} of {}), the first after {:.1} min; {} events",
        f.burst_refused + f.normal_refused,
        pct(f.burst_would_refuse, f.burst_sms),
        f.burst_would_refuse,
        f.burst_sms,
        f.first_burst_would_refuse.unwrap_or(0) as f64 / MINUTE as f64,
        f.events.len(),
    );
    for e in &f.events {
        println!("    {e}");
    }
    assert_eq!(f.burst_refused + f.normal_refused, 0);
    assert!(f.burst_would_refuse > 0);
    assert!(f.first_burst_would_refuse.is_some_and(|ms| ms < HOUR));
    assert!(f.events.iter().all(|e| e.contains("Record")));
}
