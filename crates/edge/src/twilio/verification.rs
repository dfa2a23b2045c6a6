//! A Verification is an OTP: its SID is the OTP's id, so nothing maps one to the other.
//!
//! - **`VE` + the OTP id's 32 hex digits** ([`verification_sid`], [`otp_id_of`]): the
//!   OTP id is a UUID carrying its shard and its number's keys
//!   (`crate::placement`), so a `VE…` reaches its row as directly as an `otpId` does.
//! - **`VL…` attempt SIDs** are derived from the message's reference (`{otpId}.{n}`) by
//!   SHA-256: stable across reads, distinct per send, and revealing nothing new.
//! - **The view** ([`view_of`]) reads the record: Twilio's status, the channel of the
//!   latest message, each message as a `send_code_attempts` entry.

use sha2::{Digest, Sha256};
use smsotp_core::{Channel, OtpRecord};

use super::resource::{SendAttempt, VerificationView};
use super::sid::{self, SidKind};

/// `VE…` of an OTP id (a hyphenated UUID, lower-case).
pub fn verification_sid(otp_id: &str) -> String {
    format!("VE{}", otp_id.replace('-', ""))
}

/// The OTP id a `VE…` names, hyphenated again; `None` when it is not one.
pub fn otp_id_of(verification_sid: &str) -> Option<String> {
    let s = sid::parse(SidKind::Verification, verification_sid)?;
    Some(uuid::Uuid::from_bytes(s.bytes).hyphenated().to_string())
}

/// The `VL…` of one message (its reference, `{otpId}.{n}`).
pub fn attempt_sid(reference: &str) -> String {
    let digest = Sha256::digest(reference.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    sid::new(SidKind::Attempt, bytes)
}

/// What a verification shows that its record does not hold.
pub struct Context<'a> {
    /// `VA…`.
    pub service_sid: &'a str,
    /// `AC…` (the tenant's).
    pub account_sid: &'a str,
    /// The channel asked for when no message was sent (a test number).
    pub channel: Channel,
}

/// The attempts of a record (each message sent), for [`view_of`].
pub fn attempts_of(record: &OtpRecord) -> Vec<SendAttempt> {
    record
        .delivery
        .attempts
        .iter()
        .map(|a| SendAttempt {
            attempt_sid: attempt_sid(&a.reference),
            time: a.at,
            channel: a.channel,
        })
        .collect()
}

/// The record as a Verification, at `now`. `sends` is [`attempts_of`] the record and
/// `status` Twilio's status for it (which the caller may override: a check that used the
/// last attempt answers `max_attempts_reached`).
pub fn view_of<'a>(
    record: &'a OtpRecord,
    sid: &'a str,
    status: &'a str,
    cx: &Context<'a>,
    sends: &'a [SendAttempt],
) -> VerificationView<'a> {
    VerificationView {
        sid,
        service_sid: cx.service_sid,
        account_sid: cx.account_sid,
        to: &record.phone_number,
        channel: record
            .delivery
            .attempts
            .last()
            .map_or(cx.channel, |a| a.channel),
        status,
        amount: record.amount.as_deref(),
        payee: record.payee.as_deref(),
        attempts: sends,
        created: record.created_at,
        updated: record.updated_at,
    }
}

/// The `lookup` of a verification whose service has `LookupEnabled`: Twilio's carrier
/// object with the line type the number's metadata gives (`mobile`, `landline`, `voip`;
/// `null` when the metadata cannot tell). smsotp asks no carrier database, so the
/// carrier's name and network codes are `null` (docs/twilio.md).
pub fn lookup_json(e164: &str) -> serde_json::Value {
    use smsotp_core::phone::NumberType as T;
    let line = smsotp_core::phone::parse(e164, None)
        .ok()
        .and_then(|p| match p.number_type {
            T::Mobile => Some("mobile"),
            T::FixedLine => Some("landline"),
            T::Voip => Some("voip"),
            _ => None,
        });
    serde_json::json!({"carrier": {"error_code": null, "name": null,
        "mobile_country_code": null, "mobile_network_code": null, "type": line}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_sid_is_its_otp_id() {
        let id = "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3";
        let sid = verification_sid(id);
        assert_eq!(sid, "VE0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3");
        assert_eq!(otp_id_of(&sid).as_deref(), Some(id));
        for bad in [
            "VA0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3",
            "VE0A1B2C3D4E5F4A6B8C7D8E9FA0B1C2D3",
            "VE0a1b2c3d",
            "+15005550006",
            "",
        ] {
            assert_eq!(otp_id_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn lookup_gives_the_line_type_of_the_numbers_metadata() {
        let line = |n: &str| lookup_json(n)["carrier"]["type"].clone();
        assert_eq!(line("+447400123456"), "mobile");
        assert_eq!(line("+442079460000"), "landline");
        assert_eq!(line("+15005550006"), serde_json::Value::Null);
    }

    #[test]
    fn attempt_sids_differ_per_message_and_stay_the_same_per_message() {
        let a = attempt_sid("0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3.1");
        let b = attempt_sid("0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3.2");
        assert_ne!(a, b);
        assert_eq!(a, attempt_sid("0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3.1"));
        assert!(sid::parse(SidKind::Attempt, &a).is_some(), "{a}");
    }
}
