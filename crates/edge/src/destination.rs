//! The test-number rule in one place: where an OTP's messages go decides what is sent and
//! what is counted.
//!
//! A tenant's test numbers (its policy's `testNumbers`, E.164 → a fixed PIN) exist so that
//! app-store reviewers, end-to-end tests and demos can go through the flow without a phone:
//! an OTP to one gets the fixed PIN and **no SMS**, so no limit may count it either (it
//! would spend the tenant's caps on messages that never left, and lock a shared demo number
//! for everyone), and the country and number-type policy does not apply (test numbers are
//! often fictitious). Everything else is a [`Destination::Sms`].
//!
//! Before this type the rule was spelled out in seven places of the worker (the create's
//! checks, its limits, its limiter call, the shard's create and resend, the resend's limiter
//! call, the browser token's `test` claim); now each asks the destination.

use std::collections::BTreeMap;

use smsotp_core::pin_hash::PinHasher;
use smsotp_core::ApiError;

use crate::limits::{AbuseLimits, NumberLimits};
use crate::placement;
use crate::tenant::TenantPolicy;

/// Where an OTP's messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// A real number: a random PIN, an SMS, counted by every limit.
    Sms,
    /// One of the tenant's test numbers: its fixed `pin`, no SMS, counted by no limit.
    Test {
        /// The test number's fixed PIN.
        pin: &'a str,
    },
}

impl<'a> Destination<'a> {
    /// The destination of `e164` among a tenant's test numbers (E.164 → fixed PIN).
    pub fn among(test_numbers: &'a BTreeMap<String, String>, e164: &str) -> Self {
        match test_numbers.get(e164) {
            Some(pin) => Destination::Test { pin },
            None => Destination::Sms,
        }
    }

    /// Where a create for `e164` may go under `policy`: a test number always; any other
    /// number only if the policy allows its country and number type (2022, 2112, 2113).
    pub fn for_create(policy: &'a TenantPolicy, e164: &str) -> Result<Self, ApiError> {
        let destination = Self::among(&policy.test_numbers, e164);
        if destination == Destination::Sms {
            policy.check_destination(e164)?;
        }
        Ok(destination)
    }

    /// The destination of an existing OTP, from its id alone: an id carries the keyed
    /// digests of its number (`placement::new_otp_id_for`), compared with those of each
    /// test number ([`placement::number_of_otp_id`]). No storage read, so a resend can be
    /// counted, or not, before the shard is asked.
    pub fn of_otp_id(
        policy: &'a TenantPolicy,
        hasher: &PinHasher,
        tenant: &str,
        otp_id: &str,
    ) -> Self {
        placement::number_of_otp_id(hasher, tenant, otp_id, policy.test_numbers.keys())
            .and_then(|number| policy.test_numbers.get(number))
            .map_or(Destination::Sms, |pin| Destination::Test { pin })
    }

    /// Whether this is a test number.
    pub fn is_test(self) -> bool {
        matches!(self, Destination::Test { .. })
    }

    /// Whether an SMS leaves for this destination.
    pub fn sends_sms(self) -> bool {
        !self.is_test()
    }

    /// The fixed PIN of a test number.
    pub fn fixed_pin(self) -> Option<&'a str> {
        match self {
            Destination::Test { pin } => Some(pin),
            Destination::Sms => None,
        }
    }

    /// The per-number limits that apply (none for a test number).
    pub fn number_limits(self, policy: &TenantPolicy) -> NumberLimits {
        match self {
            Destination::Sms => policy.number_limits.clone(),
            Destination::Test { .. } => NumberLimits::unlimited(),
        }
    }

    /// The tenant's abuse limits as the number's shard applies them at a create (a test
    /// number is not counted by the range rule).
    pub fn shard_limits(self, policy: &TenantPolicy) -> AbuseLimits {
        match self {
            Destination::Sms => policy.limits,
            Destination::Test { .. } => AbuseLimits {
                prefix_unverified_per_hour: 0,
                ..policy.limits
            },
        }
    }

    /// The limits the tenant's limiter counts this destination's SMS against (the day's
    /// cap, the end-user IP's hour): `None` for a test number, which sends none.
    pub fn counted_limits(self, policy: &TenantPolicy) -> Option<AbuseLimits> {
        self.sends_sms().then_some(policy.limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smsotp_core::{Config, FallibleSource};

    fn policy() -> TenantPolicy {
        let record = json!({
            "allowedCountries": ["FR"],
            "testNumbers": { "+15005550006": "123456" },
            "limits": { "dailySendCap": 100, "prefixUnverifiedPerHour": 5, "sendsPerDay": 3 },
        });
        TenantPolicy::from_json(&record, &Config::default(), &NumberLimits::default())
            .expect("a valid policy")
    }

    #[test]
    fn a_test_number_skips_the_country_rule_and_has_its_fixed_pin() {
        let p = policy();
        let test = Destination::for_create(&p, "+15005550006").unwrap();
        assert_eq!(test, Destination::Test { pin: "123456" });
        assert_eq!((test.is_test(), test.sends_sms()), (true, false));
        assert_eq!(test.fixed_pin(), Some("123456"));
        // The same US number range, not a test number: refused by the country rule.
        let e = Destination::for_create(&p, "+12015550123").unwrap_err();
        assert_eq!(e.code.code(), 2112, "{e}");
        let fr = Destination::for_create(&p, "+33612345678").unwrap();
        assert_eq!(
            (fr, fr.sends_sms(), fr.fixed_pin()),
            (Destination::Sms, true, None)
        );
    }

    #[test]
    fn a_test_number_is_counted_by_no_limit() {
        let p = policy();
        let test = Destination::among(&p.test_numbers, "+15005550006");
        assert_eq!(test.number_limits(&p), NumberLimits::unlimited());
        assert_eq!(test.counted_limits(&p), None);
        let shard = test.shard_limits(&p);
        assert_eq!(shard.prefix_unverified_per_hour, 0);
        assert_eq!(
            shard.daily_send_cap, 100,
            "only the range rule is the shard's to skip"
        );
        let real = Destination::among(&p.test_numbers, "+33612345678");
        assert_eq!(real.number_limits(&p), p.number_limits);
        assert_eq!(real.number_limits(&p).sends_per_day, 3);
        assert_eq!(real.counted_limits(&p), Some(p.limits));
        assert_eq!(real.shard_limits(&p).prefix_unverified_per_hour, 5);
    }

    #[test]
    fn an_otp_ids_destination_comes_from_the_keys_it_carries() {
        let p = policy();
        let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
        let id_for = |tenant: &str, number: &str| {
            let shard = placement::of_number(&hasher, tenant, number);
            let (pk, nk) = placement::number_keys(&hasher, tenant, number);
            let fill = |bytes: &mut [u8]| {
                bytes.fill(7);
                true
            };
            FallibleSource::run(fill, |rng| {
                placement::new_otp_id_for(rng, shard, (pk, nk), "US")
            })
            .unwrap()
        };
        let test_id = id_for("acme", "+15005550006");
        assert_eq!(
            Destination::of_otp_id(&p, &hasher, "acme", &test_id),
            Destination::Test { pin: "123456" }
        );
        // Another tenant's digests of the same number differ: not its test number.
        let other = id_for("globex", "+15005550006");
        assert_eq!(
            Destination::of_otp_id(&p, &hasher, "acme", &other),
            Destination::Sms
        );
        let real = id_for("acme", "+33612345678");
        assert_eq!(
            Destination::of_otp_id(&p, &hasher, "acme", &real),
            Destination::Sms
        );
        assert_eq!(
            Destination::of_otp_id(&p, &hasher, "acme", "not-an-id"),
            Destination::Sms
        );
    }
}
