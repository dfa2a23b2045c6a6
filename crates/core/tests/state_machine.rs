//! Property tests of the verification state machine over random sequences of checks
//! (right, wrong and empty PINs), cancels, expiry sweeps and clock moves.

mod common;

use common::SplitMix;
use proptest::prelude::*;
use serde_json::json;
use smsotp_core::{create_otp, validate_request, Config, OtpStatus, PinHasher, Verified};

#[derive(Debug, Clone)]
enum Op {
    RightPin,
    WrongPin(u32),
    EmptyPin,
    Cancel,
    Sweep,
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::RightPin),
        6 => any::<u32>().prop_map(Op::WrongPin),
        1 => Just(Op::EmptyPin),
        1 => Just(Op::Cancel),
        1 => Just(Op::Sweep),
        2 => (0u64..200_000).prop_map(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn invariants_hold(seed: u64, max_attempts in 1u8..=10, ttl in 60u32..=1800, ops in prop::collection::vec(op(), 1..60)) {
        let request = validate_request(
            &json!({"phoneNumber": "+33612345678", "maxAttempts": max_attempts, "ttl": ttl}),
            &Config::default(),
        ).unwrap();
        let hasher = PinHasher::new(b"property-test key, 32 bytes long").unwrap();
        let mut rng = SplitMix(seed);
        let mut now = 1_800_000_000_000u64;
        let new = create_otp(&request, "tenant", &hasher, &mut rng, now, 0.0);
        let pin: String = new.message.text.rsplit(' ').next().unwrap().to_owned();
        let mut record = new.record;
        // The record holds no clear PIN: no stored text is the PIN, and the only PIN-derived
        // field is the keyed hash (random ids, timestamps and the TTL may contain or equal any
        // short digit run by chance, so "contains" would not be a sound test).
        let stored = serde_json::to_value(&record).unwrap();
        for (key, value) in stored.as_object().unwrap() {
            prop_assert!(value.as_str() != Some(pin.as_str()), "{}", key);
            prop_assert!(!key.to_ascii_lowercase().contains("pin") || key == "pinHash" || key == "pinType");
        }
        prop_assert_eq!(&record.pin_hash, &hasher.hash(&record.otp_id, &pin));

        let mut verified = 0;
        let mut final_status: Option<OtpStatus> = None;
        for op in ops {
            let before = record.clone();
            let result = match op {
                Op::RightPin => Some(record.check(&pin, now, &hasher)),
                Op::WrongPin(n) => {
                    let wrong = format!("{:06}", n % 1_000_000);
                    (wrong != pin).then(|| record.check(&wrong, now, &hasher))
                }
                Op::EmptyPin => Some(record.check("", now, &hasher)),
                Op::Cancel => { let _ = record.cancel(now); None }
                Op::Sweep => { record.expire(now); None }
                Op::Wait(ms) => { now += ms; None }
            };
            if let Some(Ok(Verified)) = result {
                verified += 1;
                prop_assert!(matches!(op, Op::RightPin));
                prop_assert!(now < record.expires_at, "verified after expiry");
            }
            // Attempts never exceed maxAttempts and only grow by one, on a wrong PIN.
            prop_assert!(record.attempts <= record.max_attempts);
            prop_assert!(record.attempts == before.attempts
                || (record.attempts == before.attempts + 1 && matches!(op, Op::WrongPin(_))));
            // No transition out of a final state.
            if let Some(f) = final_status {
                prop_assert_eq!(record.status, f);
                prop_assert_eq!(record.attempts, before.attempts);
            }
            if record.status.is_final() {
                final_status = Some(record.status);
            }
            if record.status == OtpStatus::Failed {
                prop_assert_eq!(record.attempts, record.max_attempts);
            }
        }
        prop_assert!(verified <= 1, "verified {} times", verified);
        prop_assert_eq!(verified == 1, record.status == OtpStatus::Verified);
    }
}
