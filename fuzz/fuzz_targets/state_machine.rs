//! The verification state machine (`OtpRecord`) driven by arbitrary operation sequences on
//! up to four OTPs: create, verify with the right PIN (as typed: spaces, hyphens, lower
//! case), with any text, with another OTP's PIN, resend (a new PIN), cancel, expiry
//! sweeps, clock moves and delivery failures.
//!
//! Invariants, after every operation:
//! - attempts ≤ maxAttempts, and attempts only grow, by one, on a wrong PIN;
//! - a final state stays final, and the record no longer changes;
//! - at most one successful check per OTP, and VERIFIED exactly when it had one;
//! - a wrong PIN never verifies: only text that is the current PIN once white space and
//!   `-` are removed and ASCII letters upper-cased (the rule of docs/api.md, written here
//!   independently) can; a PIN replaced by a resend is wrong from then on;
//! - the right PIN verifies while the OTP is PENDING and its TTL has not passed, and never
//!   after it is final or expired;
//! - once the TTL has passed, a PENDING OTP reads EXPIRED.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use smsotp_core::create::new_pin_message;
use smsotp_core::pin::{PinType, MAX_PIN_LENGTH, MIN_PIN_LENGTH};
use smsotp_core::{create_otp, Config, OtpRecord, OtpRequest, OtpStatus, PinHasher};

const KEY: &[u8] = b"fuzz key: at least sixteen bytes";
const START: u64 = 1_800_000_000_000;

#[derive(Debug, Arbitrary)]
enum Op {
    Create {
        pin_type: u8,
        pin_length: u8,
        max_attempts: u8,
        ttl: u16,
    },
    RightPin(u8),
    /// The right PIN as a person may type it: `style` picks lower case, spaces, hyphens.
    RightPinTyped(u8, u8),
    /// Any text as the PIN.
    Text(u8, String),
    /// The right PIN with one character replaced by `c` (`edit` even), or `c` inserted
    /// (odd), at `at`: near misses, which only equal the PIN under the rule of docs/api.md.
    NearMiss(u8, u8, u8, char),
    /// An OTP's PIN (current or replaced by a resend: `which`) submitted to an OTP.
    OtherPin(u8, u8, u8),
    Resend(u8),
    Cancel(u8),
    Sweep(u8),
    DeliveryFailure(u8),
    Wait(u32),
    /// The clock to an OTP's expiry: 1 ms before, at, or 1 ms after (never backwards).
    ToExpiry(u8, u8),
}

#[derive(Debug, Arbitrary)]
struct Input {
    seed: u64,
    ops: Vec<Op>,
}

// SplitMix64, seeded by the input: reproducible PINs and ids (the core's tests' own).
#[path = "../../crates/core/tests/common/mod.rs"]
mod common;
use common::SplitMix;

struct Otp {
    request: OtpRequest,
    record: OtpRecord,
    /// The PIN in force (the last one sent).
    pin: String,
    /// PINs sent before a resend replaced them.
    old_pins: Vec<String>,
    successes: u32,
}

/// The rule of docs/api.md for a submitted PIN, written independently of `pin::normalise_pin`:
/// white space and `-` removed, ASCII letters upper-cased; at most 64 bytes are read.
fn is_right(submitted: &str, pin: &str) -> bool {
    submitted.len() <= 64
        && submitted
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .eq(pin.chars())
}

fn typed(pin: &str, style: u8) -> String {
    let mut out = String::new();
    for (i, c) in pin.chars().enumerate() {
        if style & 1 != 0 && i == 2 {
            out.push(' ');
        }
        if style & 2 != 0 && i % 3 == 0 && i > 0 {
            out.push('-');
        }
        out.push(if style & 4 != 0 {
            c.to_ascii_lowercase()
        } else {
            c
        });
    }
    if style & 8 != 0 {
        out = format!("\t{out} \n");
    }
    out
}

fuzz_target!(|input: Input| {
    let hasher = PinHasher::new(KEY).unwrap();
    let mut rng = SplitMix(input.seed);
    let mut now = START;
    let mut otps: Vec<Otp> = Vec::new();

    for op in input.ops.into_iter().take(200) {
        let pick = |i: u8, n: usize| (n > 0).then(|| usize::from(i) % n);
        let index = match &op {
            Op::Create { .. } | Op::Wait(_) => None,
            Op::RightPin(i)
            | Op::RightPinTyped(i, _)
            | Op::Text(i, _)
            | Op::NearMiss(i, _, _, _)
            | Op::OtherPin(i, _, _)
            | Op::Resend(i)
            | Op::Cancel(i)
            | Op::Sweep(i)
            | Op::DeliveryFailure(i)
            | Op::ToExpiry(i, _) => match pick(*i, otps.len()) {
                Some(i) => Some(i),
                None => continue,
            },
        };
        let before = index.map(|i| otps[i].record.clone());

        // What was submitted, if a check, for the invariants below.
        let mut submitted: Option<String> = None;
        let mut result = None;
        match op {
            Op::Create {
                pin_type,
                pin_length,
                max_attempts,
                ttl,
            } => {
                if otps.len() == 4 {
                    continue;
                }
                let pin_type = PinType::ALL[usize::from(pin_type) % PinType::ALL.len()];
                let span = MAX_PIN_LENGTH - MIN_PIN_LENGTH + 1;
                let pin_length = MIN_PIN_LENGTH + pin_length % span;
                let max_attempts = 1 + max_attempts % 10;
                let ttl = 60 + u32::from(ttl) % 1741;
                let body = serde_json::json!({
                    "phoneNumber": "+33612345678", "pinType": pin_type.as_str(),
                    "pinLength": pin_length, "maxAttempts": max_attempts, "ttl": ttl,
                    "template": "{{pin}}",
                });
                let request = smsotp_core::validate_request(&body, &Config::default()).unwrap();
                let new = create_otp(&request, "tenant", &hasher, &mut rng, now, 0.0);
                // The template is `{{pin}}` alone: the message is the PIN.
                let pin = new.message.text.clone();
                assert_eq!(pin.len(), usize::from(pin_length));
                assert!(pin.bytes().all(|b| pin_type.alphabet().contains(&b)));
                assert_eq!(new.record.status, OtpStatus::Pending);
                assert_eq!(new.record.expires_at, now + u64::from(ttl) * 1000);
                otps.push(Otp {
                    request,
                    record: new.record,
                    pin,
                    old_pins: Vec::new(),
                    successes: 0,
                });
                continue;
            }
            Op::Wait(ms) => {
                now += u64::from(ms);
                continue;
            }
            Op::ToExpiry(_, k) => {
                let at = otps[index.unwrap()].record.expires_at + u64::from(k % 3);
                now = now.max(at - 1);
            }
            Op::RightPin(_) => submitted = Some(otps[index.unwrap()].pin.clone()),
            Op::RightPinTyped(_, style) => {
                submitted = Some(typed(&otps[index.unwrap()].pin, style));
            }
            Op::Text(_, text) => submitted = Some(text),
            Op::NearMiss(_, at, edit, c) => {
                let mut chars: Vec<char> = otps[index.unwrap()].pin.chars().collect();
                let at = usize::from(at) % chars.len();
                if edit % 2 == 0 {
                    chars[at] = c;
                } else {
                    chars.insert(at, c);
                }
                submitted = Some(chars.into_iter().collect());
            }
            Op::OtherPin(_, j, which) => {
                let o = &otps[usize::from(j) % otps.len()];
                let all: Vec<&String> = std::iter::once(&o.pin).chain(&o.old_pins).collect();
                submitted = Some(all[usize::from(which) % all.len()].clone());
            }
            Op::Resend(_) => {
                let otp = &mut otps[index.unwrap()];
                let new = new_pin_message(&otp.request, &otp.record.otp_id, &hasher, &mut rng);
                let (hash, message) = (new.hash, new.message);
                let was_pending = otp.record.status_at(now) == OtpStatus::Pending;
                match otp.record.replace_pin(hash, now) {
                    Ok(()) => {
                        assert!(was_pending, "a resend for a final OTP");
                        let old = std::mem::replace(&mut otp.pin, message.text);
                        otp.old_pins.push(old);
                    }
                    Err(e) => {
                        assert!(!was_pending, "a PENDING OTP refused a resend: {e:?}");
                        assert!((2023..=2026).contains(&e.code.code()), "{e:?}");
                    }
                }
            }
            Op::Cancel(_) => {
                let record = &mut otps[index.unwrap()].record;
                let was_pending = record.status_at(now) == OtpStatus::Pending;
                let r = record.cancel(now);
                assert_eq!(r.is_ok(), was_pending, "{r:?}");
            }
            Op::Sweep(_) => {
                let record = &mut otps[index.unwrap()].record;
                let changed = record.expire(now);
                assert_eq!(
                    changed,
                    before.as_ref().unwrap().status_at(now) == OtpStatus::Expired
                        && before.as_ref().unwrap().status == OtpStatus::Pending
                );
            }
            Op::DeliveryFailure(_) => {
                let record = &mut otps[index.unwrap()].record;
                let changed = record.fail_delivery(now);
                assert_eq!(
                    changed,
                    before.as_ref().unwrap().status == OtpStatus::Pending
                );
            }
        }

        let i = index.unwrap();
        if let Some(text) = &submitted {
            let otp = &mut otps[i];
            let r = otp.record.check(text, now, &hasher);
            if r.is_ok() {
                otp.successes += 1;
            }
            result = Some(r);
        }

        let otp = &otps[i];
        let before = before.unwrap();
        let record = &otp.record;

        assert!(record.attempts <= record.max_attempts);
        assert!(
            record.attempts == before.attempts
                || (record.attempts == before.attempts + 1
                    && matches!(result, Some(Err(ref e)) if matches!(e.code.code(), 2027 | 2029))),
            "attempts {} → {}",
            before.attempts,
            record.attempts
        );
        if before.status.is_final() {
            assert_eq!(record, &before, "a final OTP changed");
        }
        assert!(otp.successes <= 1, "verified twice");
        assert_eq!(otp.successes == 1, record.status == OtpStatus::Verified);
        if record.status == OtpStatus::Pending && now >= record.expires_at {
            assert_eq!(record.status_at(now), OtpStatus::Expired);
            assert_eq!(record.to_object(now).status, OtpStatus::Expired);
        }

        if let (Some(text), Some(r)) = (&submitted, &result) {
            let right = is_right(text, &otp.pin);
            if r.is_ok() {
                assert!(right, "{text:?} verified an OTP whose PIN is {}", otp.pin);
                assert!(now < record.expires_at, "verified after expiry");
                assert_eq!(before.status, OtpStatus::Pending);
            }
            let live = before.status == OtpStatus::Pending
                && now < before.expires_at
                && before.attempts < before.max_attempts;
            if right && live {
                assert!(r.is_ok(), "the right PIN {text:?} was refused: {r:?}");
            }
            if !live {
                assert!(r.is_err(), "a final or expired OTP verified");
            }
            if text.trim().is_empty() {
                assert_eq!(r.as_ref().unwrap_err().code.code(), 2022);
                assert_eq!(record, &before, "an empty PIN changed the OTP");
            }
        }
    }
});
