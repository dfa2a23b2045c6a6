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

use crate::delivery::{Delivery, DeliveryObject};
use crate::error::{ApiError, ErrorCode};
use crate::pin::PinType;
use crate::pin_hash::PinHasher;
use crate::time::{format_rfc3339, UnixMillis};

#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
/// The status of an OTP, as the contract names it. Only `PENDING` can change.
pub enum OtpStatus {
    /// Created, SMS sent, waiting for the PIN.
    Pending,
    /// The right PIN was submitted (once).
    Verified,
    /// The TTL passed before the right PIN was submitted.
    Expired,
    /// Cancelled by the client.
    Cancelled,
    /// `maxAttempts` wrong PINs, or the SMS could not be sent.
    Failed,
}

impl OtpStatus {
    /// Is this a final status (anything but `PENDING`)?
    pub const fn is_final(self) -> bool {
        !matches!(self, OtpStatus::Pending)
    }

    /// The wire name (`PENDING`, `VERIFIED`, …).
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
    /// The OTP's id: a random UUID (version 4), lower-case.
    pub otp_id: String,
    /// The API key name (tenant) that created the OTP.
    pub tenant: String,
    /// The client's `trackId`, if it sent one.
    pub track_id: Option<String>,
    /// The recipient, E.164.
    pub phone_number: String,
    /// The recipient's region (ISO 3166-1 alpha-2).
    pub country_iso: String,
    /// The status as last stored (see [`OtpRecord::status_at`] for the status now).
    pub status: OtpStatus,
    /// Why the OTP is FAILED, when it is.
    pub failure_reason: Option<FailureReason>,
    /// `parts × price per part`.
    pub cost: f64,
    /// SMS parts of the message sent.
    pub parts: u32,
    /// Wrong PINs allowed.
    pub max_attempts: u8,
    /// Wrong PINs submitted so far.
    pub attempts: u8,
    /// Validity in seconds.
    pub ttl: u32,
    /// Where status changes are POSTed, if anywhere.
    pub otp_callback_url: Option<String>,
    /// The PIN's type (letters compare case-insensitively).
    pub pin_type: PinType,
    /// The PIN's keyed hash ([`PinHasher::hash`]), 64 hex digits.
    pub pin_hash: String,
    /// Creation time.
    pub created_at: UnixMillis,
    /// `created_at + ttl`: from then on the OTP is EXPIRED.
    pub expires_at: UnixMillis,
    /// When the status last changed.
    pub updated_at: UnixMillis,
    /// Extension: the payment this OTP confirms (`amount`, `payee` of its request), bound
    /// to it so that a verification token can carry them (PSD2 dynamic linking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Extension: see `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    /// Extension: every message sent for the OTP and what its reports said (none for a
    /// test number).
    #[serde(default, skip_serializing_if = "is_empty")]
    pub delivery: Delivery,
    /// Extension: the Twilio Verify service (`VA…`) the OTP was started under, when it
    /// was started through the Twilio Verify API (another service's SID does not find it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

fn is_empty(d: &Delivery) -> bool {
    d.attempts.is_empty()
}

/// The contract's OTP object (201 of `POST /otp`, 200 of `GET /otp/{id}`, callbacks).
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpObject {
    /// The OTP's id.
    pub otp_id: String,
    /// The client's `trackId`, or `null`.
    pub track_id: Option<String>,
    /// The recipient, E.164.
    pub phone_number: String,
    /// The recipient's region (ISO 3166-1 alpha-2).
    pub country_iso: String,
    /// The status at the time of the answer.
    pub status: OtpStatus,
    /// What the SMS cost (`parts × price per part`).
    pub cost: f64,
    /// SMS parts of the message.
    pub parts: u32,
    /// Wrong PINs allowed.
    pub max_attempts: u8,
    /// Wrong PINs submitted so far.
    pub attempts: u8,
    /// Validity in seconds.
    pub ttl: u32,
    /// Where status changes are POSTed, or `null`.
    pub otp_callback_url: Option<String>,
    /// Creation time, `2026-11-26T12:00:00+00:00`.
    pub date_created: String,
    /// Expiry time, same format.
    pub date_expires: String,
    /// Extension, only for an OTP created with one: the payment amount it confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub amount: Option<String>,
    /// Extension, only for an OTP created with one: the payee of the payment it confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub payee: Option<String>,
    /// Extension, once a message was sent: its channel, provider and delivery status, and
    /// every message sent for the OTP ([`crate::delivery`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub delivery: Option<DeliveryObject>,
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

    /// The contract's OTP object as of `now` (the tenant, hash and failure reason are not
    /// part of it).
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
            amount: self.amount.clone(),
            payee: self.payee.clone(),
            delivery: self.delivery.to_object(now),
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
    /// usable. A record whose TTL has passed expires instead (its final state is EXPIRED
    /// whatever is reported later, as for a check or a cancel). Returns whether the status
    /// changed.
    pub fn fail_delivery(&mut self, now: UnixMillis) -> bool {
        if self.expire(now) {
            return true;
        }
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
    ///
    /// ```
    /// use smsotp_core::{create_otp, validate_request_text, Config, FallibleSource, OtpStatus, PinHasher};
    ///
    /// let body = r#"{"phoneNumber": "+33612345678", "maxAttempts": 2}"#;
    /// let request = validate_request_text(body, &Config::default()).unwrap();
    /// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
    /// let now = 1_795_000_000_000;
    /// // A stand-in for the platform's CSPRNG: every byte 4, so the PIN is 444444.
    /// let platform = |bytes: &mut [u8]| { bytes.fill(4); true };
    /// let mut record = FallibleSource::run(platform, |rng| create_otp(&request, "acme", &hasher, rng, now, 0.0))
    ///     .unwrap()
    ///     .record;
    ///
    /// // A wrong PIN: 2029, one attempt left.
    /// let e = record.check("123456", now + 1_000, &hasher).unwrap_err();
    /// assert_eq!((e.code.code(), e.attempts_left), (2029, Some(1)));
    /// // The right PIN, typed with a space: VERIFIED, once.
    /// assert!(record.check("444 444", now + 2_000, &hasher).is_ok());
    /// assert_eq!(record.status, OtpStatus::Verified);
    /// assert_eq!(record.check("444444", now + 3_000, &hasher).unwrap_err().code.code(), 2023);
    /// ```
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

    /// Is the OTP still PENDING at `now`? One whose TTL has passed becomes EXPIRED first; a
    /// final one answers with its status's error (2023–2026), as a check would.
    pub fn still_pending(&mut self, now: UnixMillis) -> Result<(), ApiError> {
        self.expire(now);
        if self.status == OtpStatus::Pending {
            Ok(())
        } else {
            Err(self.final_status_error())
        }
    }

    /// A new PIN for a PENDING OTP (a resend): `pin_hash` replaces the old one, which stops
    /// working; the attempts made carry over (a new secret does not reset failures). An OTP
    /// that is not pending (or whose TTL has passed: it becomes EXPIRED) answers as a check
    /// would (2023–2026).
    pub fn replace_pin(&mut self, pin_hash: String, now: UnixMillis) -> Result<(), ApiError> {
        self.still_pending(now)?;
        self.pin_hash = pin_hash;
        self.updated_at = now;
        Ok(())
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

    /// Marks a PENDING OTP VERIFIED without a PIN: the Twilio Verify API's
    /// `Status=approved`, for a caller that checked the user some other way. An OTP that
    /// is no longer pending answers what a check would (2023–2026).
    pub fn approve(&mut self, now: UnixMillis) -> Result<Verified, ApiError> {
        if self.status.is_final() {
            return Err(self.final_status_error());
        }
        if self.expire(now) {
            return Err(ErrorCode::Expired.into());
        }
        self.set_status(OtpStatus::Verified, now);
        Ok(Verified)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const KEY: &[u8] = b"test key: at least sixteen bytes";

    #[test]
    fn approve_verifies_a_pending_otp_once_and_never_an_ended_one() {
        let hasher = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &hasher);
        let now = r.created_at + 1_000;
        assert!(r.approve(now).is_ok());
        assert_eq!(r.status, OtpStatus::Verified);
        assert_eq!(r.approve(now).unwrap_err().code, ErrorCode::AlreadyVerified);
        let mut c = record("123456", 3, &hasher);
        c.cancel(now).unwrap();
        assert_eq!(c.approve(now).unwrap_err().code, ErrorCode::Cancelled);
        let mut e = record("123456", 3, &hasher);
        assert_eq!(
            e.approve(e.expires_at).unwrap_err().code,
            ErrorCode::Expired
        );
        assert_eq!(e.status, OtpStatus::Expired);
    }

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
            amount: None,
            payee: None,
            delivery: Default::default(),
            service: None,
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

    /// Odd submitted PINs are answers, never panics: blank is 2022 (not an attempt), 100 KB
    /// or foreign digits are wrong PINs.
    #[test]
    fn odd_pins_are_answers() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 10, &h);
        for blank in ["", " ", "\t\n", "\u{3000}"] {
            assert_eq!(code(r.check(blank, 1_000_001, &h)), 2022, "{blank:?}");
        }
        assert_eq!(r.attempts, 0);
        let long = "1".repeat(100_000);
        for wrong in [
            long.as_str(),
            "١٢٣٤٥٦", // Arabic-Indic digits are not the PIN's digits
            "123456\u{0}",
            "--",
            "１２３４５６", // full-width digits
        ] {
            let shown: String = wrong.chars().take(10).collect();
            assert_eq!(code(r.check(wrong, 1_000_002, &h)), 2029, "{shown}");
        }
        assert_eq!(r.attempts, 5);
        assert_eq!(r.check("123-456", 1_000_003, &h), Ok(Verified));
    }

    /// A damaged stored record fails closed, without a panic.
    #[test]
    fn damaged_records_fail_closed() {
        let h = PinHasher::new(KEY).unwrap();
        let mut bad_hash = record("123456", 3, &h);
        bad_hash.pin_hash = "zz".repeat(50_000);
        assert_eq!(code(bad_hash.check("123456", 1_000_001, &h)), 2029);
        let mut over = record("123456", 3, &h);
        over.attempts = 200;
        assert_eq!(code(over.check("123456", 1_000_001, &h)), 2026);
        assert_eq!(over.status, OtpStatus::Failed);
        let mut far = record("123456", 3, &h);
        far.expires_at = u64::MAX;
        assert_eq!(code(far.check("123456", u64::MAX - 1, &h)), 200);
        assert_eq!(far.to_object(u64::MAX).status, OtpStatus::Verified);
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
    fn a_new_pin_replaces_the_old_one_and_keeps_the_attempts() {
        let h = PinHasher::new(KEY).unwrap();
        let mut r = record("123456", 3, &h);
        assert_eq!(code(r.check("000000", 1_000_001, &h)), 2029);
        let new_hash = h.hash(&r.otp_id, "654321");
        assert_eq!(r.replace_pin(new_hash, 1_000_002), Ok(()));
        // The old PIN is a wrong PIN now, and it is the second attempt.
        let e = r.check("123456", 1_000_003, &h).unwrap_err();
        assert_eq!((e.code.code(), e.attempts_left), (2029, Some(1)));
        assert!(r.check("654321", 1_000_004, &h).is_ok());
        // Not pending: the check's answer.
        assert_eq!(
            r.replace_pin(String::new(), 1_000_005)
                .unwrap_err()
                .code
                .code(),
            2023
        );
        let mut late = record("123456", 3, &h);
        assert_eq!(
            late.replace_pin(String::new(), 1_300_000)
                .unwrap_err()
                .code
                .code(),
            2025
        );
        assert_eq!(late.status, OtpStatus::Expired);
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
