//! `Idempotency-Key`: a client that retries a `POST` with the same key gets the first
//! answer again instead of a second OTP (and a second SMS).
//!
//! The shell keeps, per tenant and key, an [`IdempotencyEntry`]: the request body's
//! [`fingerprint`], when it started, and the answer once there is one. For each request
//! with the header it asks [`decide`]:
//!
//! | stored entry (younger than 24 h) | decision |
//! |---|---|
//! | none, or older than [`IDEMPOTENCY_TTL_MS`] | [`Decision::Proceed`] (store an entry without answer, handle the request, then store the answer) |
//! | another body's fingerprint | [`Decision::Conflict`]: 2117, 422 |
//! | same body, answered | [`Decision::Replay`] the stored status and body |
//! | same body, no answer yet, started less than [`IN_FLIGHT_LEASE_MS`] ago | [`Decision::InFlight`]: 2118, 409 |
//! | same body, no answer, started longer ago (the first attempt died) | [`Decision::Proceed`] |

use sha2::{Digest, Sha256};

use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::time::UnixMillis;

/// How long a key is remembered: 24 hours, after which it may be used again.
pub const IDEMPOTENCY_TTL_MS: UnixMillis = 24 * 3600 * 1000;

/// How long a request without an answer counts as still being processed: 5 minutes, far
/// above the longest create (the SMS provider's timeout). After that the first attempt is
/// taken as dead (its answer was never stored) and a retry proceeds, rather than the key
/// being unusable for 24 hours.
pub const IN_FLIGHT_LEASE_MS: UnixMillis = 5 * 60 * 1000;

/// The longest key accepted, in characters.
pub const MAX_KEY_LEN: usize = 255;

/// Checks an `Idempotency-Key` header value: 1 to 255 visible ASCII characters (`!` to
/// `~`; a UUID is the usual choice). Refused with 2119.
///
/// ```
/// use smsotp_edge::idempotency::check_key;
///
/// assert_eq!(check_key("9f1c6a1e-7c1e-4d2a-9a57-3c2b1f0e8d7a"), Ok("9f1c6a1e-7c1e-4d2a-9a57-3c2b1f0e8d7a"));
/// assert_eq!(check_key("").unwrap_err().code.code(), 2119);
/// ```
pub fn check_key(header: &str) -> Result<&str, ApiError> {
    let visible = header.bytes().all(|b| (b'!'..=b'~').contains(&b));
    if header.is_empty() || header.len() > MAX_KEY_LEN || !visible {
        return Err(ApiError::new(ErrorCode::IdempotencyKeyInvalid).for_field("Idempotency-Key"));
    }
    Ok(header)
}

/// The fingerprint of a request body: the hex SHA-256 of its canonical JSON (objects'
/// keys sorted, no white space), so that the same request sent with its keys in another
/// order or other spacing counts as the same body. A body that is not JSON is hashed as
/// its raw bytes (canonical JSON is always JSON, so the two never coincide).
///
/// Numbers are compared as parsed: `1` and `1.0` differ; integers beyond 64 bits are
/// compared as floating point.
///
/// ```
/// use smsotp_edge::idempotency::fingerprint;
///
/// assert_eq!(
///     fingerprint(r#"{"phoneNumber": "+33612345678", "ttl": 600}"#),
///     fingerprint("{\"ttl\":600,\n \"phoneNumber\":\"+33612345678\"}"),
/// );
/// assert_ne!(fingerprint(r#"{"ttl": 600}"#), fingerprint(r#"{"ttl": 601}"#));
/// ```
pub fn fingerprint(body_text: &str) -> String {
    let digest = match serde_json::from_str::<serde_json::Value>(body_text) {
        // serde_json's maps are sorted (no `preserve_order` feature in this workspace), so
        // serialising a parsed value gives its canonical form.
        Ok(value) => Sha256::digest(value.to_string().as_bytes()),
        Err(_) => Sha256::digest(body_text.as_bytes()),
    };
    smsotp_core::pin_hash::to_hex(&digest)
}

/// An answer kept for replay: the HTTP status and the response body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The response body, as sent.
    pub body: String,
}

/// What the shell stored for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyEntry {
    /// The [`fingerprint`] of the first request's body.
    pub fingerprint: String,
    /// When the first request started (unix milliseconds).
    pub created_at: UnixMillis,
    /// Its answer, once it has one.
    pub answer: Option<StoredAnswer>,
}

/// What to do with a request that carries an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Handle the request (store an entry without answer first, then its answer).
    Proceed,
    /// Answer with this stored answer again, without handling the request.
    Replay(StoredAnswer),
    /// The key was used with another body: refuse with 2117 (422).
    Conflict,
    /// The first request with this key is still being handled: refuse with 2118 (409).
    InFlight,
}

impl Decision {
    /// The refusal of [`Decision::Conflict`] and [`Decision::InFlight`].
    pub fn error(&self) -> Option<ApiError> {
        match self {
            Decision::Conflict => Some(ApiError::new(ErrorCode::IdempotencyKeyReused)),
            Decision::InFlight => {
                Some(ApiError::new(ErrorCode::IdempotencyInFlight).retry_after(1))
            }
            Decision::Proceed | Decision::Replay(_) => None,
        }
    }
}

/// Decides what to do with a request whose body has `fingerprint`, given what is stored
/// for its key (see the module's table).
///
/// ```
/// use smsotp_edge::idempotency::{decide, fingerprint, Decision, IdempotencyEntry, StoredAnswer};
///
/// let now = 1_800_000_000_000;
/// let body = fingerprint(r#"{"phoneNumber": "+33612345678"}"#);
/// assert_eq!(decide(None, &body, now), Decision::Proceed);
/// let answer = StoredAnswer { status: 201, body: "{}".into() };
/// let entry = IdempotencyEntry { fingerprint: body.clone(), created_at: now, answer: Some(answer.clone()) };
/// assert_eq!(decide(Some(&entry), &body, now + 1000), Decision::Replay(answer));
/// assert_eq!(decide(Some(&entry), &fingerprint("{}"), now + 1000), Decision::Conflict);
/// ```
pub fn decide(stored: Option<&IdempotencyEntry>, fingerprint: &str, now: UnixMillis) -> Decision {
    let Some(entry) = stored else {
        return Decision::Proceed;
    };
    let age = now.saturating_sub(entry.created_at);
    if age >= IDEMPOTENCY_TTL_MS {
        return Decision::Proceed;
    }
    if entry.fingerprint != fingerprint {
        return Decision::Conflict;
    }
    match &entry.answer {
        Some(answer) => Decision::Replay(answer.clone()),
        None if age < IN_FLIGHT_LEASE_MS => Decision::InFlight,
        None => Decision::Proceed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    #[test]
    fn keys() {
        let long = "k".repeat(255);
        let too_long = "k".repeat(256);
        let cases: &[(&str, bool)] = &[
            ("a", true),
            ("9f1c6a1e-7c1e-4d2a-9a57-3c2b1f0e8d7a", true),
            ("!#$%&'*+-.^_`|~09azAZ", true),
            (&long, true),
            ("", false),
            (&too_long, false),
            ("two words", false),
            ("tab\there", false),
            ("clé", false),
            ("line\n", false),
            ("nul\0", false),
        ];
        for &(key, ok) in cases {
            match check_key(key) {
                Ok(k) => {
                    assert!(ok, "{key:?} accepted");
                    assert_eq!(k, key);
                }
                Err(e) => {
                    assert!(!ok, "{key:?} refused");
                    assert_eq!((e.code.code(), e.http_status()), (2119, 400));
                }
            }
        }
    }

    #[test]
    fn fingerprints() {
        // `printf '%s' '{"a":1,"b":[true,null]}' | sha256sum`
        assert_eq!(
            fingerprint(r#"{ "b": [true, null], "a": 1 }"#),
            "1cc69c7fa23616ca2ec3ee70d24390a6225c8832db8a4c814c7e0e7f942f8668"
        );
        // `printf '%s' 'not json' | sha256sum`
        assert_eq!(
            fingerprint("not json"),
            "7ccfa1fbf3940e6f0c0375d87c0f9235a50514e14cb427bdfaf5077987b26ccf"
        );
        assert_ne!(fingerprint(r#"{"a": "1"}"#), fingerprint(r#"{"a": 1}"#));
        assert_ne!(fingerprint("[1, 2]"), fingerprint("[2, 1]"));
    }

    #[test]
    fn decisions() {
        let body = fingerprint(r#"{"phoneNumber": "+33612345678"}"#);
        let other = fingerprint(r#"{"phoneNumber": "+33612345679"}"#);
        let answer = StoredAnswer {
            status: 201,
            body: r#"{"otpId": "x"}"#.into(),
        };
        let answered = IdempotencyEntry {
            fingerprint: body.clone(),
            created_at: NOW,
            answer: Some(answer.clone()),
        };
        let pending = IdempotencyEntry {
            answer: None,
            ..answered.clone()
        };
        let hour = 3600 * 1000;
        let cases = [
            (None, &body, NOW, Decision::Proceed),
            (
                Some(&answered),
                &body,
                NOW + hour,
                Decision::Replay(answer.clone()),
            ),
            (
                Some(&answered),
                &body,
                NOW + 24 * hour - 1,
                Decision::Replay(answer),
            ),
            (Some(&answered), &body, NOW + 24 * hour, Decision::Proceed),
            (Some(&answered), &other, NOW + hour, Decision::Conflict),
            (Some(&answered), &other, NOW + 24 * hour, Decision::Proceed),
            (Some(&pending), &body, NOW + 1000, Decision::InFlight),
            (Some(&pending), &other, NOW + 1000, Decision::Conflict),
            (
                Some(&pending),
                &body,
                NOW + 5 * 60 * 1000,
                Decision::Proceed,
            ),
            // A clock that went back does not make an entry expire.
            (Some(&pending), &body, NOW - 1000, Decision::InFlight),
        ];
        for (i, (stored, fp, now, expected)) in cases.into_iter().enumerate() {
            assert_eq!(decide(stored, fp, now), expected, "case {i}");
        }
        let e = Decision::Conflict.error().unwrap();
        assert_eq!((e.code.code(), e.http_status()), (2117, 422));
        let e = Decision::InFlight.error().unwrap();
        assert_eq!((e.code.code(), e.http_status()), (2118, 409));
        assert_eq!(Decision::Proceed.error(), None);
    }
}
