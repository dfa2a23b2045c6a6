//! Where an OTP lives at the edge: in one of [`SHARDS`] shards, chosen by a keyed hash of
//! (tenant, number range) — the range being the E.164 number without its last 4 digits
//! ([`crate::limits::number_prefix`]) — so that every OTP of a number, the number's own
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
//! first byte and the keys of its number in 8 more ([`new_otp_id_for`]: still a version-4
//! UUID, with 50 random bits), so a verify goes straight to its shard and its row without
//! any lookup.

use smsotp_core::pin::RandomSource;
use smsotp_core::pin_hash::PinHasher;

/// How many shards there are. Changing it moves numbers between shards: OTPs already
/// created stay readable (their id names their shard), but per-number history restarts.
pub const SHARDS: u8 = 64;

/// The shard of a tenant's phone number (E.164): that of its range (the number without
/// its last 4 digits), so every number of a range is in one shard.
///
/// ```
/// use smsotp_core::PinHasher;
/// use smsotp_edge::placement;
///
/// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
/// let s = placement::of_number(&hasher, "acme", "+33612345678");
/// assert!(s < placement::SHARDS);
/// // A number of the same range is in the same shard.
/// assert_eq!(s, placement::of_number(&hasher, "acme", "+33612349999"));
/// ```
pub fn of_number(hasher: &PinHasher, tenant: &str, e164: &str) -> u8 {
    let prefix = crate::limits::number_prefix(e164);
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

/// The keys of a tenant's number inside its shard: `(prefix key, number key)`, each the
/// first 4 bytes of a keyed digest (of (tenant, [`number_prefix`](crate::limits::number_prefix)) and of (tenant, number),
/// under their own domains). The shard stores one row per number under both keys, and a new
/// OTP id carries them ([`new_otp_id_for`]), so an id finds its number's row, and a prefix
/// all its numbers' rows, by the primary key alone (no secondary index to write).
///
/// ```
/// use smsotp_core::PinHasher;
/// use smsotp_edge::placement;
///
/// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
/// let (p1, n1) = placement::number_keys(&hasher, "acme", "+33612345678");
/// let (p2, n2) = placement::number_keys(&hasher, "acme", "+33612349999");
/// assert_eq!(p1, p2); // the same prefix, +3361234
/// assert_ne!(n1, n2);
/// ```
pub fn number_keys(hasher: &PinHasher, tenant: &str, e164: &str) -> (u32, u32) {
    let first4 = |d: [u8; 32]| u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let prefix = hasher.keyed_digest(
        b"smsotp/prefix-key/v1\0",
        &[
            tenant.as_bytes(),
            crate::limits::number_prefix(e164).as_bytes(),
        ],
    );
    let number = hasher.keyed_digest(
        b"smsotp/number-key/v1\0",
        &[tenant.as_bytes(), e164.as_bytes()],
    );
    (first4(prefix), first4(number))
}

/// Where an OTP id keeps the number key: bytes 6 and 8 carry the UUID's version and
/// variant bits, so the 4 bytes are 5, 7, 9 and 10.
const NUMBER_KEY_BYTES: [usize; 4] = [5, 7, 9, 10];

/// Where an OTP id keeps its number's country (ISO 3166-1 alpha-2, as two ASCII capitals).
const COUNTRY_BYTES: [usize; 2] = [11, 12];

/// A new OTP id for a number: a version-4 UUID whose byte 0 is the shard, bytes 1–4 the
/// prefix key, bytes 5, 7, 9, 10 the number key ([`number_keys`]) and bytes 11–12 its
/// country's two letters ([`country_of_otp_id`]: a resend, asked by id, is counted and
/// guarded in its country before its shard is asked — `crate::guard`); the other 34 bits
/// (122 of a version-4 UUID, less these 88) are random. An OTP id is not a secret — using
/// it takes the tenant's API key, and its PIN; its country is in every answer about it —
/// and 34 random bits keep ids unique per number (a number gets a handful of OTPs a day).
pub fn new_otp_id_for(
    rng: &mut impl RandomSource,
    shard: u8,
    (prefix_key, number_key): (u32, u32),
    country: &str,
) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[0] = shard % SHARDS;
    bytes[1..5].copy_from_slice(&prefix_key.to_be_bytes());
    for (i, b) in NUMBER_KEY_BYTES.iter().zip(number_key.to_be_bytes()) {
        bytes[*i] = b;
    }
    // Not a country: two zero bytes, which no country reads back as.
    let letters = match country.as_bytes() {
        &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => [a, b],
        _ => [0, 0],
    };
    for (i, b) in COUNTRY_BYTES.iter().zip(letters) {
        bytes[*i] = b;
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The country an id made by [`new_otp_id_for`] carries; `None` when it carries none (an
/// id made before ids carried it reads as a country about once in a hundred — its two
/// random bytes both capitals — which only counts a resend in that country).
///
/// ```
/// use smsotp_core::pin::RandomSource;
/// use smsotp_edge::placement;
///
/// struct Sevens;
/// impl RandomSource for Sevens {
///     fn fill_bytes(&mut self, b: &mut [u8]) { b.fill(7) }
/// }
/// let mut rng = Sevens;
/// let id = placement::new_otp_id_for(&mut rng, 5, (1, 2), "FR");
/// assert_eq!(placement::country_of_otp_id(&id).as_deref(), Some("FR"));
/// assert_eq!(placement::keys_of_otp_id(&id), Some((5, 1, 2)));
/// let none = placement::new_otp_id_for(&mut rng, 5, (1, 2), "");
/// assert_eq!(placement::country_of_otp_id(&none), None);
/// ```
pub fn country_of_otp_id(otp_id: &str) -> Option<String> {
    let bytes = *uuid::Uuid::try_parse(otp_id).ok()?.as_bytes();
    let letters = COUNTRY_BYTES.map(|i| bytes[i]);
    letters
        .iter()
        .all(u8::is_ascii_uppercase)
        .then(|| String::from_utf8_lossy(&letters).into_owned())
}

/// Which of `numbers` an OTP id of `tenant` was made for: the one whose keys
/// ([`number_keys`]) the id carries (a false match takes both 32-bit keys colliding). No
/// storage read: what a request naming an OTP by id (a resend) learns of its number —
/// whether it is a test number, or allow-listed by the guard.
pub fn number_of_otp_id<'a>(
    hasher: &PinHasher,
    tenant: &str,
    otp_id: &str,
    numbers: impl IntoIterator<Item = &'a String>,
) -> Option<&'a String> {
    let (_, pk, nk) = keys_of_otp_id(otp_id)?;
    numbers
        .into_iter()
        .find(|number| number_keys(hasher, tenant, number) == (pk, nk))
}

/// `(shard, prefix key, number key)` of an id made by [`new_otp_id_for`]; `None` for
/// anything that is not a UUID of one of our shards.
pub fn keys_of_otp_id(otp_id: &str) -> Option<(u8, u32, u32)> {
    let bytes = *uuid::Uuid::try_parse(otp_id).ok()?.as_bytes();
    let shard = bytes[0];
    if shard >= SHARDS {
        return None;
    }
    let prefix_key = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let number_key = u32::from_be_bytes(NUMBER_KEY_BYTES.map(|i| bytes[i]));
    Some((shard, prefix_key, number_key))
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
            assert!(smsotp_core::request::is_otp_id(&id), "{id}");
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

    #[test]
    fn ids_carry_shard_prefix_and_number_keys_and_stay_v4_uuids() {
        let mut rng = Counter(0);
        for (shard, pk, nk) in [
            (0, 0, 0),
            (SHARDS - 1, u32::MAX, u32::MAX),
            (17, 0xdead_beef, 0x0123_4567),
            (5, 0x8000_0001, 0xffff_0000),
        ] {
            let id = new_otp_id_for(&mut rng, shard, (pk, nk), "GB");
            assert_eq!(country_of_otp_id(&id).as_deref(), Some("GB"));
            assert!(smsotp_core::request::is_otp_id(&id), "{id}");
            // Version 4 and the RFC 4122 variant, whatever the keys.
            let u = uuid::Uuid::parse_str(&id).unwrap();
            assert_eq!(u.get_version_num(), 4, "{id}");
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(id.as_bytes()[14], b'4', "{id}");
            assert_eq!(keys_of_otp_id(&id), Some((shard, pk, nk)), "{id}");
            assert_eq!(of_otp_id(&id), Some(shard));
        }
        // Two ids of one number differ (the random bits).
        let a = new_otp_id_for(&mut rng, 3, (1, 2), "FR");
        let b = new_otp_id_for(&mut rng, 3, (1, 2), "FR");
        assert_ne!(a, b);
        // Written out by hand: shard 2a, prefix key 01020304, number key 05 _ 07 _ 09 0a
        // (bytes 6 and 8 are 46 and 88: version and variant).
        assert_eq!(
            keys_of_otp_id("2a010203-0405-4607-8809-0a0b0c0d0e0f"),
            Some((0x2a, 0x0102_0304, 0x0507_090a))
        );
        assert_eq!(keys_of_otp_id("ff010203-0405-4607-8809-0a0b0c0d0e0f"), None);
        // Bytes 11 and 12 (0b, 0c here; "FR" is 46 52): the country, when both are capitals.
        assert_eq!(
            country_of_otp_id("2a010203-0405-4607-8809-0a0b0c0d0e0f"),
            None
        );
        assert_eq!(
            country_of_otp_id("2a010203-0405-4607-8809-0a46520d0e0f").as_deref(),
            Some("FR")
        );
        // Not a country: "fr" given, or one letter.
        let mut rng = Counter(0);
        for bad in ["fr", "F", "FRA", ""] {
            assert_eq!(
                country_of_otp_id(&new_otp_id_for(&mut rng, 1, (1, 2), bad)),
                None,
                "{bad}"
            );
        }
        assert_eq!(keys_of_otp_id("not an id"), None);
    }

    #[test]
    fn number_keys_are_keyed_and_share_the_prefix_key_within_a_prefix() {
        let a = PinHasher::new(b"first server key 0123").unwrap();
        let b = PinHasher::new(b"other server key 0123").unwrap();
        let (p1, n1) = number_keys(&a, "acme", "+33612345678");
        let (p2, n2) = number_keys(&a, "acme", "+33612340000");
        let (p3, _) = number_keys(&a, "acme", "+33612355678");
        let (p4, n4) = number_keys(&a, "globex", "+33612345678");
        let (p5, n5) = number_keys(&b, "acme", "+33612345678");
        assert_eq!(p1, p2);
        assert_ne!(n1, n2);
        assert_ne!(p1, p3);
        // Another tenant, or another server key: other keys.
        assert!(p4 != p1 && n4 != n1);
        assert!(p5 != p1 && n5 != n1);
        // The prefix and number domains are separate: a number is not keyed as a prefix.
        assert_ne!(number_keys(&a, "acme", "+336123456780000").0, n1);
    }
    /// A test number's OTP (smsotp-core's `create_test_otp_with_id`) keeps the id it is
    /// given, so the shard that id names. (Moved from smsotp-core's create tests, which can
    /// no longer name this module.)
    #[test]
    fn a_test_otp_keeps_the_shard_of_its_id() {
        use smsotp_core::create::create_test_otp_with_id;
        use smsotp_core::{validate_request_text, Config};

        let request = validate_request_text(
            r#"{"phoneNumber": "+15005550006", "pinType": "letters"}"#,
            &Config::default(),
        )
        .unwrap();
        let hasher = PinHasher::new(&[9; 32]).unwrap();
        let id = "03000000-0000-4000-8000-000000000000".to_owned();
        let new = create_test_otp_with_id(&request, "t", &hasher, id, 1000, "AB12");
        assert_eq!(of_otp_id(&new.record.otp_id), Some(3));
    }
}
