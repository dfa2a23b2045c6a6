//! Where an OTP lives at the edge: in one of [`SHARDS`] shards, chosen by a keyed hash of
//! (tenant, number range) — the range being the E.164 number without its last 4 digits
//! ([`crate::tenant::number_prefix`]) — so that every OTP of a number, the number's own
//! state (per-number limits) and its range's state (unverified SMS per range) are owned by
//! one place that applies every check-and-act atomically, while the set of owners stays
//! small (objects that stay warm instead of a new one per OTP).
//!
//! Why the range and not the number: SMS pumping goes through sequential numbers of one
//! range, and the range's count must be checked and updated with the number's in one
//! step. A range holds at most 10,000 numbers, so real traffic (spread over many ranges)
//! still spreads evenly over 64 shards; an attacked range loads one shard, which then
//! refuses it.
//!
//! The hash is keyed with the deployment's secret (the PIN hash key, under its own domain),
//! so nobody outside can aim many ranges at one shard. The OTP id carries its shard in its
//! first byte (still a random version-4 UUID: 116 random bits), so a verify goes straight to
//! its shard without any lookup.

use crate::pin::RandomSource;
use crate::pin_hash::PinHasher;

/// How many shards there are. Changing it moves numbers between shards: OTPs already
/// created stay readable (their id names their shard), but per-number history restarts.
pub const SHARDS: u8 = 64;

/// The shard of a tenant's phone number (E.164): that of its range (the number without
/// its last 4 digits), so every number of a range is in one shard.
///
/// ```
/// use smsotp_core::{shard, PinHasher};
///
/// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
/// let s = shard::of_number(&hasher, "acme", "+33612345678");
/// assert!(s < shard::SHARDS);
/// // A number of the same range is in the same shard.
/// assert_eq!(s, shard::of_number(&hasher, "acme", "+33612349999"));
/// ```
pub fn of_number(hasher: &PinHasher, tenant: &str, e164: &str) -> u8 {
    let prefix = crate::tenant::number_prefix(e164);
    // A new domain (v2): placement by range differs from v1's placement by number.
    let digest = hasher.keyed_digest(
        b"smsotp/shard/v2\0",
        &[tenant.as_bytes(), prefix.as_bytes()],
    );
    // 64 divides 256: the first byte reduced is uniform.
    digest[0] % SHARDS
}

/// The shard named in an OTP id (its first byte), if the id is one of ours.
pub fn of_otp_id(otp_id: &str) -> Option<u8> {
    let byte = u8::from_str_radix(otp_id.get(..2)?, 16).ok()?;
    (byte < SHARDS).then_some(byte)
}

/// A new OTP id in `shard`: a random version-4 UUID whose first byte is the shard.
pub fn new_otp_id(rng: &mut impl RandomSource, shard: u8) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[0] = shard % SHARDS;
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u8);
    impl RandomSource for Counter {
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                self.0 = self.0.wrapping_add(37);
                *b = self.0;
            }
        }
    }

    #[test]
    fn ids_carry_their_shard_and_stay_uuids() {
        let mut rng = Counter(0);
        for shard in [0, 1, 17, SHARDS - 1] {
            let id = new_otp_id(&mut rng, shard);
            assert!(crate::request::is_otp_id(&id), "{id}");
            assert_eq!(of_otp_id(&id), Some(shard));
        }
        assert_eq!(of_otp_id("ff000000-0000-4000-8000-000000000000"), None);
        assert_eq!(of_otp_id("zz"), None);
        assert_eq!(of_otp_id(""), None);
    }

    #[test]
    fn numbers_spread_over_every_shard_by_a_keyed_hash() {
        let a = PinHasher::new(b"first server key 0123").unwrap();
        let b = PinHasher::new(b"other server key 0123").unwrap();
        let mut seen = [0u32; SHARDS as usize];
        let mut moved = 0;
        for n in 0..6400 {
            // 6,400 ranges (the last 4 digits do not choose the shard).
            let number = format!("+336{n:04}5678");
            let s = of_number(&a, "acme", &number);
            seen[s as usize] += 1;
            if s != of_number(&b, "acme", &number) {
                moved += 1;
            }
        }
        // 100 expected per shard; a keyed hash spreads sequential numbers evenly.
        assert!(seen.iter().all(|&c| (50..=160).contains(&c)), "{seen:?}");
        // Another key gives another placement (an attacker cannot compute it).
        assert!(moved > 6000, "{moved}");
    }

    #[test]
    fn numbers_of_one_range_share_a_shard() {
        let key = PinHasher::new(b"first server key 0123").unwrap();
        let shard = of_number(&key, "acme", "+33612340000");
        for n in [1, 42, 5678, 9999] {
            let number = format!("+3361234{n:04}");
            assert_eq!(of_number(&key, "acme", &number), shard, "{number}");
        }
        // Other ranges, and the same range of other tenants, are spread: not all here.
        let elsewhere = (0..20)
            .filter(|r| of_number(&key, "acme", &format!("+336123{r:02}0000")) != shard)
            .count();
        assert!(elsewhere > 10, "{elsewhere}");
        let tenants = (0..20)
            .filter(|t| of_number(&key, &format!("tenant{t}"), "+33612340000") != shard)
            .count();
        assert!(tenants > 10, "{tenants}");
    }
}
