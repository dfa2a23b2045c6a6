//! PINs are never stored: an OTP record holds HMAC-SHA256(server key, domain ‖ otpId ‖ PIN).
//!
//! Binding the OTP id into the MAC means a hash copied from one record cannot verify
//! another, and the server key means a leaked store cannot be brute-forced offline (a
//! 6-digit PIN has only 10^6 values). Comparison is constant-time (`subtle`).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::pin::normalise_pin;

/// Shortest accepted server key, in bytes.
pub const MIN_KEY_LEN: usize = 16;
/// Longest submitted PIN that is hashed at all; longer input cannot be a PIN.
const MAX_SUBMITTED_PIN_LEN: usize = 64;
const DOMAIN: &[u8] = b"smsotp/pin/v1\0";

/// The server key given to [`PinHasher::new`] is shorter than [`MIN_KEY_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the PIN hash key must be at least {MIN_KEY_LEN} bytes")]
pub struct KeyTooShort;

/// Computes and checks keyed PIN hashes.
#[derive(Clone)]
pub struct PinHasher {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for PinHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHasher { key: <redacted> }")
    }
}

impl PinHasher {
    /// A hasher with the server key `key` (`PIN_HASH_KEY`, at least [`MIN_KEY_LEN`] bytes).
    pub fn new(key: &[u8]) -> Result<Self, KeyTooShort> {
        if key.len() < MIN_KEY_LEN {
            return Err(KeyTooShort);
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| KeyTooShort)?;
        Ok(Self { mac })
    }

    fn mac(&self, otp_id: &str, normalised_pin: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(DOMAIN);
        mac.update(otp_id.as_bytes());
        mac.update(b"\0");
        mac.update(normalised_pin.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA256 under the server key of `domain` then each part, NUL-separated: for keyed
    /// placement (smsotp-edge's `placement`) with its own domain, so never equal to a PIN hash.
    pub fn keyed_digest(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(domain);
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(b"\0");
            }
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The hash to store for a freshly generated PIN, as 64 lower-case hex digits.
    pub fn hash(&self, otp_id: &str, pin: &str) -> String {
        to_hex(&self.mac(otp_id, &normalise_pin(pin)))
    }

    /// Does `submitted` (as the user typed it) match the stored hash? Constant-time in the
    /// PIN and the hash.
    pub fn verify(&self, otp_id: &str, submitted: &str, stored_hex: &str) -> bool {
        let Some(stored) = from_hex(stored_hex) else {
            return false;
        };
        if submitted.len() > MAX_SUBMITTED_PIN_LEN {
            return false;
        }
        let candidate = self.mac(otp_id, &normalise_pin(submitted));
        candidate.ct_eq(&stored).into()
    }
}

/// Whether `s` is a SHA-256 digest as [`to_hex`] writes it: 64 lower-case hex digits (how
/// the edge stores secrets it only compares: API keys, Twilio tokens).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `bytes` as lower-case hex digits, the form of a stored PIN hash (also the edge's
/// `Idempotency-Key` body fingerprints).
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                HEX[(b >> 4) as usize] as char,
                HEX[(b & 15) as usize] as char,
            ]
        })
        .collect()
}

fn from_hex(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn hash_verifies_only_the_right_pin_for_the_right_otp() {
        let h = PinHasher::new(KEY).unwrap();
        let stored = h.hash("otp-1", "123456");
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains("123456"));
        assert!(h.verify("otp-1", "123456", &stored));
        assert!(h.verify("otp-1", " 123 456", &stored));
        assert!(!h.verify("otp-1", "123457", &stored));
        assert!(!h.verify("otp-2", "123456", &stored));
        assert!(!h.verify("otp-1", "123456", "not hex"));
        let other = PinHasher::new(b"another key, long enough").unwrap();
        assert!(!other.verify("otp-1", "123456", &stored));
    }

    #[test]
    fn odd_input_is_a_mismatch_not_a_panic() {
        let h = PinHasher::new(KEY).unwrap();
        let stored = h.hash("otp", "123456");
        let long = "1".repeat(100_000);
        for submitted in ["", long.as_str(), "\u{0}", "é"] {
            assert!(!h.verify("otp", submitted, &stored));
        }
        for stored in ["", "0", &stored[..63], &long, "é".repeat(32).as_str()] {
            assert!(!h.verify("otp", "123456", stored));
        }
        // A 100 KB id hashes like any other.
        assert!(h.verify(&long, "1", &h.hash(&long, "1")));
    }

    #[test]
    fn letters_compare_case_insensitively() {
        let h = PinHasher::new(KEY).unwrap();
        let stored = h.hash("otp", "GRNXQ");
        assert!(h.verify("otp", "grnxq", &stored));
    }

    /// Found while writing the state-machine fuzz target's own PIN rule: Unicode
    /// upper-casing made text that is not the PIN verify (`ſ` is `S` upper-cased, `ı` is `I`,
    /// `ß` is `SS`, the ligature `ﬆ` is `ST`). Only ASCII letters fold.
    #[test]
    fn only_ascii_letters_compare_case_insensitively() {
        let h = PinHasher::new(KEY).unwrap();
        let stored = h.hash("otp", "SSIST");
        assert!(h.verify("otp", "ssist", &stored));
        assert!(h.verify("otp", "Ss-Is t", &stored));
        for near_miss in ["ſsist", "ssıst", "ßist", "ssiﬆ", "ßıﬆ", "ＳＳＩＳＴ"] {
            assert!(!h.verify("otp", near_miss, &stored), "{near_miss}");
        }
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256(KEY, "smsotp/pin/v1\0" "otp" "\0" "1234"), computed independently
        // (Python: hmac.new(KEY, b"smsotp/pin/v1\x00otp\x001234", "sha256").hexdigest()).
        let h = PinHasher::new(KEY).unwrap();
        assert_eq!(h.hash("otp", "1234"), KNOWN);
    }
    const KNOWN: &str = "ead307e4fb267b9ddd86d5d3df6493dbaf4d1a67096f0449558b5cc2d0679336";

    #[test]
    fn short_keys_are_refused_and_debug_hides_the_key() {
        assert_eq!(PinHasher::new(b"short").unwrap_err(), KeyTooShort);
        let h = PinHasher::new(KEY).unwrap();
        assert!(!format!("{h:?}").contains("0123"));
    }
}
