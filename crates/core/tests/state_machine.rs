//! Property tests of the verification state machine over random sequences of checks
//! (right PINs as typed, wrong and empty PINs), cancels, delivery failures, expiry sweeps
//! and clock moves, for every PIN type and length: the record is compared after every step
//! with a small model of the state machine of docs/api.md ("The OTP object"), and the
//! stored PIN hash with an HMAC-SHA256 computed here from the definition in
//! docs/operations.md ("Storage"), itself pinned by literal vectors computed with Python's
//! `hmac` and `openssl dgst -hmac`.

mod common;

use common::SplitMix;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use serde_json::json;
use sha2::Sha256;
use smsotp_core::otp::FailureReason;
use smsotp_core::pin::{PinType, MAX_PIN_LENGTH, MIN_PIN_LENGTH};
use smsotp_core::{
    create_otp, validate_request, ApiError, Config, OtpStatus, PinHasher, RandomSource, Verified,
};

const KEY: &[u8] = b"property-test key, 32 bytes long";

/// `HMAC-SHA256(KEY, "smsotp/pin/v1\0" ‖ otpId ‖ "\0" ‖ PIN)` as docs/operations.md defines
/// it, with the `hmac` crate directly (not through `PinHasher`).
fn expected_hash(otp_id: &str, pin: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    mac.update(b"smsotp/pin/v1\0");
    mac.update(otp_id.as_bytes());
    mac.update(b"\0");
    mac.update(pin.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Computed independently: `hmac.new(KEY, b"smsotp/pin/v1\x00" + id + b"\x00" + pin,
/// hashlib.sha256).hexdigest()` in Python 3.11 (the first also with `printf
/// 'smsotp/pin/v1\0%s\0%s' id pin | openssl dgst -sha256 -hmac "$KEY"`).
const VECTORS: [(&str, &str, &str); 7] = [
    (
        "00000000-0000-4000-8000-000000000000",
        "0123",
        "d67695c05c3043ecbe9a1c18bdead5da426a467163e9b47848a8e8e9ccc594fc",
    ),
    (
        "4e1c2a6a-0b0e-4f6e-9a55-7d8f1f0c2b11",
        "987654",
        "ab59e55295a38b5ab57460e6093edc985e088059f010d68a3b075961650eb032",
    ),
    (
        "4e1c2a6a-0b0e-4f6e-9a55-7d8f1f0c2b11",
        "9876543210",
        "98398e83e8b433d8cfb8b237a0fc587d6c80d611984af014fa4b6aa6fbbd7c56",
    ),
    (
        "c5a0b6e2-7f1d-4b8a-8c3e-2d9f0a1b2c3d",
        "QWERT",
        "73056b9ee2f78f2f6c60befc354f17bb79ab0090d8466be2ba8797275633e5e3",
    ),
    (
        "c5a0b6e2-7f1d-4b8a-8c3e-2d9f0a1b2c3d",
        "ZYXWVUTS",
        "21cc0328a8dcc42546976bc0b62ba26c51c4465a7b2c73c2d6686a0819052f6b",
    ),
    (
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "23456789AB",
        "c64f185fc79bda323bf5bf5115d501f500e4b5bf818db7f3e159901f967a374f",
    ),
    (
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "HJKN",
        "aaf7cddb1b02d50387dc3f76f9f736dfabae807c7eb58d4c5bf19fe5cef90dad",
    ),
];

#[test]
fn pin_hashes_match_independent_hmac_vectors() {
    let hasher = PinHasher::new(KEY).unwrap();
    for (otp_id, pin, hash) in VECTORS {
        assert_eq!(expected_hash(otp_id, pin), hash, "the test's own HMAC");
        assert_eq!(hasher.hash(otp_id, pin), hash, "{otp_id} {pin}");
        // As a user may type it: lower case, grouped with a space or a hyphen.
        let typed = format!(" {}-{} ", &pin[..2].to_lowercase(), &pin[2..]);
        assert_eq!(hasher.hash(otp_id, &typed), hash, "{typed:?}");
        assert!(hasher.verify(otp_id, &typed, hash));
    }
}

#[derive(Debug, Clone)]
enum Op {
    RightPin,
    /// The right PIN as a person types it: lower case, with a space and a hyphen.
    RightPinTyped,
    /// A random PIN of the same type and length (skipped when it happens to be right).
    WrongPin(u64),
    /// The right PIN without its last symbol.
    ShortPin,
    EmptyPin,
    Cancel,
    DeliveryFailure,
    Sweep,
    Wait(u64),
    /// The clock moves to the TTL's edge: 1 ms before, at, or 1 ms after (if not past it).
    ToExpiry(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::RightPin),
        1 => Just(Op::RightPinTyped),
        6 => any::<u64>().prop_map(Op::WrongPin),
        1 => Just(Op::ShortPin),
        1 => Just(Op::EmptyPin),
        1 => Just(Op::Cancel),
        1 => Just(Op::DeliveryFailure),
        1 => Just(Op::Sweep),
        3 => (0u64..300_000).prop_map(Op::Wait),
        1 => (0u8..3).prop_map(Op::ToExpiry),
    ]
}

fn pin_type() -> impl Strategy<Value = PinType> {
    prop::sample::select(PinType::ALL.to_vec())
}

/// What docs/api.md says an OTP is after each step: status, attempts, and the answer
/// (`Ok`, or the error code with `attemptsLeft`).
struct Model {
    status: OtpStatus,
    attempts: u8,
    max_attempts: u8,
    expires_at: u64,
    not_delivered: bool,
}

type Answer = Result<(), (u16, Option<u8>)>;

impl Model {
    fn expire(&mut self, now: u64) -> bool {
        if self.status == OtpStatus::Pending && now >= self.expires_at {
            self.status = OtpStatus::Expired;
            return true;
        }
        false
    }

    fn check(&mut self, right: bool, now: u64) -> Answer {
        match self.status {
            OtpStatus::Verified => return Err((2023, None)),
            OtpStatus::Cancelled => return Err((2024, None)),
            OtpStatus::Expired => return Err((2025, None)),
            OtpStatus::Failed => return Err((2026, None)),
            OtpStatus::Pending => {}
        }
        if self.expire(now) {
            return Err((2028, None));
        }
        if right {
            self.status = OtpStatus::Verified;
            return Ok(());
        }
        self.attempts += 1;
        let left = self.max_attempts - self.attempts;
        if left == 0 {
            self.status = OtpStatus::Failed;
            Err((2027, Some(0)))
        } else {
            Err((2029, Some(left)))
        }
    }

    fn cancel(&mut self, now: u64) -> Answer {
        self.expire(now);
        match self.status {
            OtpStatus::Pending => {
                self.status = OtpStatus::Cancelled;
                Ok(())
            }
            OtpStatus::Cancelled => Err((2030, None)),
            _ => Err((2031, None)),
        }
    }

    fn fail_delivery(&mut self, now: u64) {
        if self.expire(now) {
            return;
        }
        if self.status == OtpStatus::Pending {
            self.status = OtpStatus::Failed;
            self.not_delivered = true;
        }
    }
}

fn answer(r: Result<Verified, ApiError>) -> Answer {
    r.map(|_| ()).map_err(|e| (e.code.code(), e.attempts_left))
}

/// A PIN of `len` symbols of `t`'s alphabet from `seed` (a wrong guess, usually).
fn guess(t: PinType, len: usize, seed: u64) -> String {
    let mut bytes = vec![0u8; len];
    SplitMix(seed).fill_bytes(&mut bytes);
    let a = t.alphabet();
    bytes
        .iter()
        .map(|b| a[*b as usize % a.len()] as char)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn invariants_hold(
        seed: u64,
        pin_type in pin_type(),
        pin_length in MIN_PIN_LENGTH..=MAX_PIN_LENGTH,
        max_attempts in 1u8..=10,
        ttl in 60u32..=1800,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let request = validate_request(
            &json!({"phoneNumber": "+33612345678", "maxAttempts": max_attempts, "ttl": ttl,
                    "pinType": pin_type.as_str(), "pinLength": pin_length}),
            &Config::default(),
        ).unwrap();
        let hasher = PinHasher::new(KEY).unwrap();
        let mut rng = SplitMix(seed);
        let mut now = 1_800_000_000_000u64;
        let new = create_otp(&request, "tenant", &hasher, &mut rng, now, 0.0);
        let pin: String = new.message.text.rsplit(' ').next().unwrap().to_owned();
        prop_assert_eq!(pin.len(), pin_length as usize);
        prop_assert!(pin.bytes().all(|b| pin_type.alphabet().contains(&b)), "{}", pin);
        let mut record = new.record;
        prop_assert_eq!(record.expires_at, now + u64::from(ttl) * 1000);
        // The record holds no clear PIN: no stored text is the PIN, and the only PIN-derived
        // field is the keyed hash (random ids, timestamps and the TTL may contain or equal any
        // short digit run by chance, so "contains" would not be a sound test).
        let stored = serde_json::to_value(&record).unwrap();
        for (key, value) in stored.as_object().unwrap() {
            prop_assert!(value.as_str() != Some(pin.as_str()), "{}", key);
            prop_assert!(!key.to_ascii_lowercase().contains("pin") || key == "pinHash" || key == "pinType");
        }
        prop_assert_eq!(&record.pin_hash, &expected_hash(&record.otp_id, &pin));

        let mut model = Model {
            status: OtpStatus::Pending,
            attempts: 0,
            max_attempts,
            expires_at: record.expires_at,
            not_delivered: false,
        };
        let mut verified = 0;
        // When the record became final, if it did.
        let mut final_since: Option<u64> = None;
        for op in ops {
            let before = record.clone();
            let (got, want) = match op {
                Op::RightPin => (Some(answer(record.check(&pin, now, &hasher))), Some(model.check(true, now))),
                Op::RightPinTyped => {
                    let typed = format!("{} {}-", &pin[..2], &pin[2..]).to_lowercase();
                    (Some(answer(record.check(&typed, now, &hasher))), Some(model.check(true, now)))
                }
                Op::WrongPin(n) => {
                    let wrong = guess(pin_type, pin.len(), n);
                    if wrong == pin {
                        (None, None)
                    } else {
                        (Some(answer(record.check(&wrong, now, &hasher))), Some(model.check(false, now)))
                    }
                }
                Op::ShortPin => (
                    Some(answer(record.check(&pin[..pin.len() - 1], now, &hasher))),
                    Some(model.check(false, now)),
                ),
                // Not an attempt, whatever the state.
                Op::EmptyPin => (Some(answer(record.check(" ", now, &hasher))), Some(Err((2022, None)))),
                Op::Cancel => (Some(record.cancel(now).map_err(|e| (e.code.code(), e.attempts_left))), Some(model.cancel(now))),
                // A failed send after the TTL expires the OTP instead.
                Op::DeliveryFailure => {
                    let changed = record.fail_delivery(now);
                    prop_assert_eq!(changed, model.status == OtpStatus::Pending);
                    model.fail_delivery(now);
                    (None, None)
                }
                Op::Sweep => {
                    let changed = record.expire(now);
                    prop_assert_eq!(changed, model.expire(now));
                    (None, None)
                }
                Op::Wait(ms) => { now += ms; (None, None) }
                Op::ToExpiry(k) => { now = now.max(record.expires_at + u64::from(k) - 1); (None, None) }
            };
            prop_assert_eq!(got, want, "{:?} at +{} ms", op, now - record.created_at);
            prop_assert_eq!(record.status, model.status, "{:?}", op);
            prop_assert_eq!(record.attempts, model.attempts, "{:?}", op);
            if matches!(got, Some(Ok(()))) && matches!(op, Op::RightPin | Op::RightPinTyped) {
                verified += 1;
                prop_assert!(now < record.expires_at, "verified after expiry");
            }
            // Attempts never exceed maxAttempts and only grow by one, on a wrong PIN.
            prop_assert!(record.attempts <= record.max_attempts);
            prop_assert!(record.attempts == before.attempts
                || (record.attempts == before.attempts + 1 && matches!(op, Op::WrongPin(_) | Op::ShortPin)));
            // attempts = maxAttempts ⇒ FAILED (too many attempts), and FAILED ⇒ that or an
            // undelivered SMS.
            if record.attempts == record.max_attempts {
                prop_assert_eq!(record.status, OtpStatus::Failed);
                prop_assert_eq!(record.failure_reason, Some(FailureReason::TooManyAttempts));
            }
            if record.status == OtpStatus::Failed {
                let reason = if model.not_delivered { FailureReason::NotDelivered } else { FailureReason::TooManyAttempts };
                prop_assert_eq!(record.failure_reason, Some(reason));
            }
            if model.not_delivered && matches!(got, Some(Err((2026, _)))) {
                prop_assert!(record.check(&pin, now, &hasher).unwrap_err().message.contains("could not be delivered"));
            }
            // No transition out of a final state.
            if before.status.is_final() {
                prop_assert_eq!(&record, &before);
            }
            if record.status.is_final() && final_since.is_none() {
                final_since = Some(now);
            }
            // TTL passed ⇒ EXPIRED, unless the OTP ended before: as seen at once, and stored
            // by any check, cancel or sweep.
            if now >= record.expires_at && final_since.is_none_or(|t| t >= record.expires_at) {
                prop_assert_eq!(record.status_at(now), OtpStatus::Expired);
                prop_assert_eq!(record.to_object(now).status, OtpStatus::Expired);
                if (got.is_some() && !matches!(op, Op::EmptyPin)) || matches!(op, Op::Sweep) {
                    prop_assert_eq!(record.status, OtpStatus::Expired, "{:?}", op);
                }
            }
        }
        prop_assert!(verified <= 1, "verified {} times", verified);
        prop_assert_eq!(verified == 1, record.status == OtpStatus::Verified);
    }
}
