//! An OTP's client secret: what a page shows (`X-Client-Secret`) to resend or check an OTP
//! on the browser API.
//!
//! Why: OTP ids are not secret (they sit in logs, callbacks, the page), and the publishable
//! key is public by design, so without a second proof anyone holding an id could resend
//! (killing the PIN the person just received) or burn the attempts of any of the tenant's
//! OTPs, server-made payment confirmations included. The secret goes only to whoever made
//! the OTP: the browser create's answer, or the server API's create answer (an extension
//! field a backend hands to its own page).
//!
//! The secret is HMAC-SHA256(server key, domain ‖ otp id), 192 bits, base64url, prefixed
//! `cs_`: as unguessable as 192 random bits to anyone without `PIN_HASH_KEY`, yet never
//! stored anywhere — in clear or hashed — because it can be computed again from the id. A
//! stored random secret would have to sit in clear in the idempotency store for a replayed
//! create to answer it again; this one cannot leak from storage at all. Comparison is
//! constant-time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::pin_hash::PinHasher;

/// The prefix of every client secret (so a leaked one is recognisable in a scan).
pub const PREFIX: &str = "cs_";
/// The header a page sends it in.
pub const HEADER: &str = "X-Client-Secret";
/// Bytes of the keyed digest kept: 192 bits.
const SECRET_BYTES: usize = 24;
const DOMAIN: &[u8] = b"smsotp/client-secret/v1\0";

/// The client secret of the OTP `otp_id` (`cs_` + 32 base64url characters).
///
/// ```
/// use smsotp_edge::browser::client_secret::{client_secret, check_client_secret};
/// use smsotp_core::PinHasher;
///
/// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
/// let secret = client_secret(&hasher, "otp-1");
/// assert!(secret.starts_with("cs_") && secret.len() == 35);
/// assert!(check_client_secret(&hasher, "otp-1", Some(&secret)).is_ok());
/// // Another OTP's secret, or none, is 2130.
/// let other = client_secret(&hasher, "otp-2");
/// assert_eq!(check_client_secret(&hasher, "otp-1", Some(&other)).unwrap_err().code.code(), 2130);
/// assert!(check_client_secret(&hasher, "otp-1", None).is_err());
/// ```
pub fn client_secret(hasher: &PinHasher, otp_id: &str) -> String {
    let digest = hasher.keyed_digest(DOMAIN, &[otp_id.as_bytes()]);
    format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(&digest[..SECRET_BYTES])
    )
}

/// Is `presented` (the request's `X-Client-Secret`, trimmed) the client secret of `otp_id`?
/// 2130 when it is missing or another; constant-time in the secret.
pub fn check_client_secret(
    hasher: &PinHasher,
    otp_id: &str,
    presented: Option<&str>,
) -> Result<(), ApiError> {
    let expected = client_secret(hasher, otp_id);
    let presented = presented.map(str::trim).unwrap_or_default();
    // Lengths are not secret (every secret has the same).
    let same = presented.len() == expected.len()
        && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()));
    if same {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ClientSecretInvalid).for_field(HEADER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(key: &[u8]) -> PinHasher {
        PinHasher::new(key).unwrap()
    }

    #[test]
    fn a_secret_belongs_to_one_otp_and_one_server_key() {
        let a = hasher(b"server-key-one-0123456789");
        let b = hasher(b"server-key-two-0123456789");
        let secret = client_secret(&a, "id-1");
        assert_eq!(
            secret,
            client_secret(&a, "id-1"),
            "computed again, not stored"
        );
        assert_ne!(secret, client_secret(&a, "id-2"));
        assert_ne!(secret, client_secret(&b, "id-1"));
        // Never the PIN hash's MAC, nor placement's: a domain of its own.
        assert!(!a.hash("id-1", "").contains(&secret[3..]));
        // 32 base64url characters: 192 bits.
        assert_eq!(secret.len(), PREFIX.len() + 32);
        assert!(secret[3..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn anything_but_the_secret_is_refused() {
        let h = hasher(b"server-key-one-0123456789");
        let secret = client_secret(&h, "id-1");
        assert!(check_client_secret(&h, "id-1", Some(&format!(" {secret} "))).is_ok());
        let mut flipped = secret.clone().into_bytes();
        flipped[10] ^= 1;
        let flipped = String::from_utf8(flipped).unwrap();
        for wrong in [
            None,
            Some(""),
            Some(&secret[..34]),
            Some(flipped.as_str()),
            Some(&secret[3..]),
        ] {
            let e = check_client_secret(&h, "id-1", wrong).unwrap_err();
            assert_eq!(
                (e.code.code(), e.http_status(), e.field.as_deref()),
                (2130, 403, Some(HEADER)),
                "{wrong:?}"
            );
        }
    }
}
