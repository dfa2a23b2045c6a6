//! The OTP record and its state machine — **the one place where a PIN is checked**.
//!
//! ```text
//!            check(right PIN)                      PENDING ──cancel──▶ CANCELLED
//! PENDING ─────────────────────▶ VERIFIED            │
//!    │ check(wrong PIN) × maxAttempts ──▶ FAILED     ├─ TTL passes ──▶ EXPIRED
//!    │                                              └─ SMS not sent ─▶ FAILED
//! ```
//! Every transition is a pure function of the record, the input and the time passed in.
//! VERIFIED, EXPIRED, CANCELLED and FAILED are final. The worker applies these transitions
//! inside a Durable Object, one at a time per OTP, so they are also atomic.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::pin::PinType;
use crate::pin_hash::PinHasher;
use crate::time::{format_rfc3339, UnixMillis};

#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OtpStatus {
    Pending,
    Verified,
    Expired,
    Cancelled,
    Failed,
}

impl OtpStatus {
    pub const fn is_final(self) -> bool {
        !matches!(self, OtpStatus::Pending)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            OtpStatus::Pending => "PENDING",
            OtpStatus::Verified => "VERIFIED",
            OtpStatus::Expired => "EXPIRED",
            OtpStatus::Cancelled => "CANCELLED",
            OtpStatus::Failed => "FAILED",
        }
    }
}

/// Why an OTP ended FAILED (an extension field; the contract has one FAILED status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// `maxAttempts` wrong PINs.
    TooManyAttempts,
    /// The SMS provider refused or did not answer; the PIN never reached the user.
    NotDelivered,
}

/// What is stored for an OTP. The PIN is only present as its keyed hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpRecord {
    pub otp_id: String,
    /// The API key name (tenant) that created the OTP.
    pub tenant: String,
    pub track_id: Option<String>,
    pub phone_number: String,
    pub country_iso: String,
    pub status: OtpStatus,
    pub failure_reason: Option<FailureReason>,
    pub cost: f64,
    pub parts: u32,
    pub max_attempts: u8,
    pub attempts: u8,
    pub ttl: u32,
    pub otp_callback_url: Option<String>,
    pub pin_type: PinType,
    pub pin_hash: String,
    pub created_at: UnixMillis,
    pub expires_at: UnixMillis,
    /// When the status last changed.
    pub updated_at: UnixMillis,
}

/// The contract's OTP object (201 of `POST /otp`, 200 of `GET /otp/{id}`, callbacks).
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpObject {
    pub otp_id: String,
    pub track_id: Option<String>,
    pub phone_number: String,
    pub country_iso: String,
    pub status: OtpStatus,
    pub cost: f64,
    pub parts: u32,
    pub max_attempts: u8,
    pub attempts: u8,
    pub ttl: u32,
    pub otp_callback_url: Option<String>,
    pub date_created: String,
    pub date_expires: String,
}

/// A successful check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified;

impl OtpRecord {
    /// The status as of `now`: a PENDING record whose TTL has passed is EXPIRED even if
    /// nothing has stored that yet.
    pub fn status_at(&self, now: UnixMillis) -> OtpStatus {
        if self.status == OtpStatus::Pending && now >= self.expires_at {
            OtpStatus::Expired
        } else {
            self.status
        }
    }

    pub fn to_object(&self, now: UnixMillis) -> OtpObject {
        OtpObject {
            otp_id: self.otp_id.clone(),
            track_id: self.track_id.clone(),
            phone_number: self.phone_number.clone(),
            country_iso: self.country_iso.clone(),
            status: self.status_at(now),
            cost: self.cost,
            parts: self.parts,
            max_attempts: self.max_attempts,
            attempts: self.attempts,
            ttl: self.ttl,
            otp_callback_url: self.otp_callback_url.clone(),
            date_created: format_rfc3339(self.created_at),
            date_expires: format_rfc3339(self.expires_at),
        }
    }

    fn set_status(&mut self, status: OtpStatus, now: UnixMillis) {
        self.status = status;
        self.updated_at = now;
    }

    /// Stores EXPIRED if the TTL has passed. Returns whether the status changed (so the
    /// caller sends the callback).
    pub fn expire(&mut self, now: UnixMillis) -> bool {
        if self.status_at(now) == OtpStatus::Expired && self.status == OtpStatus::Pending {
            self.set_status(OtpStatus::Expired, now);
            true
        } else {
            false
        }
    }

    /// The SMS could not be sent: the PIN never reached anyone, so the OTP must not stay
    /// usable. Returns whether the status changed.
    pub fn fail_delivery(&mut self, now: UnixMillis) -> bool {
        if self.status == OtpStatus::Pending {
            self.failure_reason = Some(FailureReason::NotDelivered);
            self.set_status(OtpStatus::Failed, now);
            true
        } else {
            false
        }
    }

    fn final_status_error(&self) -> ApiError {
        let code = match self.status {
            OtpStatus::Verified => ErrorCode::AlreadyVerified,
            OtpStatus::Cancelled => ErrorCode::Cancelled,
            OtpStatus::Expired => ErrorCode::Expired,
            OtpStatus::Failed => ErrorCode::Failed,
            OtpStatus::Pending => ErrorCode::Internal,
        };
        let mut e = ApiError::new(code);
        if self.failure_reason == Some(FailureReason::NotDelivered) {
            e.message = "OTP failed: the SMS could not be delivered".into();
        }
        e
    }

    /// Checks a submitted PIN. On success the record is VERIFIED and can never verify again.
    /// Errors (the record may have changed; store it either way):
    /// - 2022 empty PIN (not counted as an attempt);
    /// - 2023 / 2024 / 2025 / 2026 the OTP is already final;
    /// - 2028 the TTL passed (the record becomes EXPIRED);
    /// - 2029 wrong PIN, attempts remain (`attempts_left` set);
    /// - 2027 wrong PIN that used the last attempt (the record becomes FAILED).
    pub fn check(
        &mut self,
        submitted: &str,
        now: UnixMillis,
        hasher: &PinHasher,
    ) -> Result<Verified, ApiError> {
        if submitted.trim().is_empty() {
            return Err(ErrorCode::PinMissing.into());
        }
        if self.status.is_final() {
            return Err(self.final_status_error());
        }
        if self.expire(now) {
            return Err(ErrorCode::PinExpired.into());
        }
        if self.attempts >= self.max_attempts {
            // Unreachable through these transitions; kept so a corrupted record fails closed.
            self.failure_reason = Some(FailureReason::TooManyAttempts);
            self.set_status(OtpStatus::Failed, now);
            return Err(ErrorCode::Failed.into());
        }
        if hasher.verify(&self.otp_id, submitted, &self.pin_hash) {
            self.set_status(OtpStatus::Verified, now);
            return Ok(Verified);
        }
        self.attempts += 1;
        let left = self.max_attempts - self.attempts;
        let mut e = if left == 0 {
            self.failure_reason = Some(FailureReason::TooManyAttempts);
            self.set_status(OtpStatus::Failed, now);
            ApiError::new(ErrorCode::FailedLastAttempt)
        } else {
            let plural = if left == 1 { "" } else { "s" };
            ApiError::with_message(
                ErrorCode::InvalidPin,
                format!("Invalid PIN: {left} attempt{plural} left"),
            )
        };
        e.attempts_left = Some(left);
        Err(e)
    }

    /// Cancels a PENDING OTP. 2030 if already cancelled, 2031 if in any other state
    /// (including a PENDING OTP whose TTL has passed, which becomes EXPIRED).
    pub fn cancel(&mut self, now: UnixMillis) -> Result<(), ApiError> {
        self.expire(now);
        match self.status {
            OtpStatus::Pending => {
                self.set_status(OtpStatus::Cancelled, now);
                Ok(())
            }
            OtpStatus::Cancelled => Err(ErrorCode::CancelAlreadyCancelled.into()),
            _ => Err(ErrorCode::CancelNotPending.into()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const KEY: &[u8] = b"test key: at least sixteen bytes";

    pub(crate) fn record(pin: &str, max_attempts: u8, hasher: &PinHasher) -> OtpRecord {
        OtpRecord {
            otp_id: "4e1c2a6a-0b0e-4f6e-9a55-7d8f1f0c2b11".into(),
            tenant: "acme".into(),
            track_id: None,
            phone_number: "+33612345678".into(),
            country_iso: "FR".into(),
            status: OtpStatus::Pending,
            failure_reason: None,
            cost: 0.0,
            parts: 1,
            max_attempts,
            attempts: 0,
            ttl: 300,
            otp_callback_url: None,
            pin_type: PinType::Numbers,
            pin_hash: hasher.hash("4e1c2a6a-0b0e-4f6e-9a55-7d8f1f0c2b11", pin),
            created_at: 1_000_000,
            expires_at: 1_300_000,
            updated_at: 1_000_000,
        }
    }

    fn code(r: Result<Verified, ApiError>) -> u16 {
        r.map_or_else(|e| e.code.code(), |_| 200)
    }

    #[test]
    fn right_pin_verifies_once() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        assert_eq!(r.check("123456", 1_000_001, &h), Ok(Verified));
        assert_eq!(r.status, OtpStatus::Verified);
        assert_eq!(code(r.check("123456", 1_000_002, &h)), 2023);
        assert_eq!(r.cancel(1_000_003).unwrap_err().code.code(), 2031);
    }

    #[test]
    fn wrong_pins_count_down_then_fail() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        let e = r.check("000000", 1_000_001, &h).unwrap_err();
        assert_eq!((e.code.code(), e.attempts_left), (2029, Some(2)));
        assert_eq!(e.message, "Invalid PIN: 2 attempts left");
        assert_eq!(code(r.check("000000", 1_000_002, &h)), 2029);
        let e = r.check("000000", 1_000_003, &h).unwrap_err();
        assert_eq!((e.code.code(), e.attempts_left), (2027, Some(0)));
        assert_eq!((r.status, r.attempts), (OtpStatus::Failed, 3));
        // Even the right PIN is refused now, and attempts stop counting.
        assert_eq!(code(r.check("123456", 1_000_004, &h)), 2026);
        assert_eq!(r.attempts, 3);
    }

    #[test]
    fn empty_pin_is_not_an_attempt() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        assert_eq!(code(r.check("  ", 1_000_001, &h)), 2022);
        assert_eq!(r.attempts, 0);
    }

    #[test]
    fn expiry() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        assert_eq!(r.status_at(1_299_999), OtpStatus::Pending);
        assert_eq!(r.to_object(1_300_000).status, OtpStatus::Expired);
        assert_eq!(code(r.check("123456", 1_300_000, &h)), 2028);
        assert_eq!(r.status, OtpStatus::Expired);
        assert_eq!(code(r.check("123456", 1_300_001, &h)), 2025);
        assert!(
            !r.expire(1_400_000),
            "already expired: no second status change"
        );
    }

    #[test]
    fn cancel() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        assert_eq!(r.cancel(1_000_001), Ok(()));
        assert_eq!(r.cancel(1_000_002).unwrap_err().code.code(), 2030);
        assert_eq!(code(r.check("123456", 1_000_003, &h)), 2024);
        let mut late = record("123456", 3, &h);
        assert_eq!(late.cancel(1_300_000).unwrap_err().code.code(), 2031);
        assert_eq!(late.status, OtpStatus::Expired);
    }

    #[test]
    fn undelivered_otp_is_unusable() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        assert!(r.fail_delivery(1_000_001));
        let e = r.check("123456", 1_000_002, &h).unwrap_err();
        assert_eq!(e.code.code(), 2026);
        assert!(e.message.contains("could not be delivered"));
    }

    #[test]
    fn object_has_every_contract_key() {
        let h = PinHasher::new(KEY).unwrap();
        let obj = serde_json::to_value(record("1234", 3, &h).to_object(1_000_000)).unwrap();
        let keys: Vec<&str> = obj
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "otpId",
            "trackId",
            "phoneNumber",
            "countryIso",
            "status",
            "cost",
            "parts",
            "maxAttempts",
            "attempts",
            "ttl",
            "otpCallbackUrl",
            "dateCreated",
            "dateExpires",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(obj["status"], "PENDING");
        assert_eq!(obj["dateExpires"], "1970-01-01T00:21:40+00:00");
    }
}
