//! An OTP's delivery: every message sent for it (an *attempt*: the channel, the provider,
//! the provider's message id) and what the provider's delivery reports said of each, in
//! the five statuses every provider's report is normalised to.
//!
//! Reports arrive late, twice and out of order (Twilio posts `sent` after `delivered` at
//! times; WhatsApp posts `read` after `delivered`): [`Delivery::report`] keeps the most
//! advanced status of each attempt, so a duplicate or an older status changes nothing, and
//! the first final status of an attempt stays. An attempt whose provider said nothing
//! final by its `reportBy` time is shown `expired` ([`Attempt::status_at`]): computed when
//! read, never stored, so a late `delivered` still counts.
//!
//! The object (`delivery` on the OTP object, an extension SMS.cx clients ignore) is
//! `{channel, provider, status, attempts: [{channel, provider, messageId, status,
//! errorCode, errorText, at}]}`, the first three those of the latest attempt.

use serde::{Deserialize, Serialize};

use crate::time::{format_rfc3339, UnixMillis};

/// The ways a code reaches a person.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A text message (the default).
    Sms,
    /// A WhatsApp authentication template (Meta's WhatsApp Cloud API).
    Whatsapp,
    /// A phone call that says the code (Twilio's Calls API).
    Voice,
}

impl Channel {
    /// Every channel, in the order the API documents them.
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Whatsapp, Channel::Voice];

    /// The wire name (`sms`, `whatsapp`, `voice`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Voice => "voice",
        }
    }

    /// The channel a wire name names (exactly: `SMS` is not `sms`).
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A message's delivery status, normalised from each provider's own words.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// The provider took the message and has not sent it on yet.
    Queued,
    /// Handed to the carrier (or WhatsApp, or the call is ringing): no final word yet.
    Sent,
    /// On the person's phone (read, for WhatsApp; answered, for a call).
    Delivered,
    /// The carrier could not deliver it (unreachable, unknown number, filtered, not
    /// answered).
    Undelivered,
    /// The provider could not send it at all.
    Failed,
    /// No final report came within the delivery timeout (shown, never stored).
    Expired,
}

impl DeliveryStatus {
    /// Delivered, undelivered or failed: what the provider will not take back.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Delivered | DeliveryStatus::Undelivered | DeliveryStatus::Failed
        )
    }

    /// Undelivered or failed: the person did not get this message.
    pub const fn is_failure(self) -> bool {
        matches!(self, DeliveryStatus::Undelivered | DeliveryStatus::Failed)
    }

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Undelivered => "undelivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Expired => "expired",
        }
    }

    /// How far along a message is: a report of a lower rank than the attempt's status is
    /// an old one arriving late (ignored).
    const fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent | DeliveryStatus::Expired => 1,
            DeliveryStatus::Delivered | DeliveryStatus::Undelivered | DeliveryStatus::Failed => 2,
        }
    }
}

/// One message sent for an OTP, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// How it went.
    pub channel: Channel,
    /// The provider that took it (`twilio`, `vonage`, `smscx`, `webhook`, `whatsapp`, …).
    pub provider: String,
    /// The provider's id of the message (reports name it).
    pub message_id: String,
    /// The latest status reported (or `queued`, when the provider took it).
    pub status: DeliveryStatus,
    /// The provider's error code, with a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The provider's error text, phone numbers masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_text: Option<String>,
    /// When it was handed to the provider.
    pub at: UnixMillis,
    /// When a final report is due: past it without one, the attempt is `expired`.
    pub report_by: UnixMillis,
}

impl Attempt {
    /// A message the provider `provider` just took (`queued`).
    pub fn new(
        channel: Channel,
        provider: &str,
        message_id: &str,
        now: UnixMillis,
        report_within_ms: u64,
    ) -> Attempt {
        Attempt {
            channel,
            provider: provider.to_owned(),
            message_id: message_id.to_owned(),
            status: DeliveryStatus::Queued,
            error_code: None,
            error_text: None,
            at: now,
            report_by: now.saturating_add(report_within_ms),
        }
    }

    /// Its status as of `now`: `expired` when no final report came by `report_by`.
    pub fn status_at(&self, now: UnixMillis) -> DeliveryStatus {
        if !self.status.is_final() && now >= self.report_by {
            DeliveryStatus::Expired
        } else {
            self.status
        }
    }
}

/// Every message sent for an OTP, the latest last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The messages, in the order they were sent.
    pub attempts: Vec<Attempt>,
}

/// What a report did to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// No attempt has this message id (another OTP's, or a forged report).
    Unknown,
    /// A duplicate, or an older status arriving after a newer one: nothing changed.
    Unchanged,
    /// The attempt's status changed to this one.
    Changed(DeliveryStatus),
}

impl Delivery {
    /// The latest attempt.
    pub fn latest(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// Applies a provider's report on its message `message_id`: the status moves only
    /// forward (queued → sent → a final one), and a final status stays.
    pub fn report(
        &mut self,
        message_id: &str,
        status: DeliveryStatus,
        error_code: Option<&str>,
        error_text: Option<&str>,
    ) -> Reported {
        let Some(attempt) = self
            .attempts
            .iter_mut()
            .find(|a| a.message_id == message_id)
        else {
            return Reported::Unknown;
        };
        // `expired` is the absence of a report, not one: no provider reports it.
        if status == DeliveryStatus::Expired
            || attempt.status.is_final()
            || status.rank() <= attempt.status.rank()
        {
            return Reported::Unchanged;
        }
        attempt.status = status;
        if status.is_failure() {
            attempt.error_code = error_code.map(str::to_owned);
            attempt.error_text = error_text.map(str::to_owned);
        }
        Reported::Changed(status)
    }

    /// Has the latest message failed (a final failure report, or no final report in
    /// time)? Then the next provider or channel may carry the code.
    pub fn latest_failed(&self, now: UnixMillis) -> bool {
        self.latest().is_some_and(|a| {
            let status = a.status_at(now);
            status.is_failure() || status == DeliveryStatus::Expired
        })
    }

    /// The delivery as the OTP object shows it at `now` (`None`: nothing was sent, as for
    /// a test number).
    pub fn to_object(&self, now: UnixMillis) -> Option<DeliveryObject> {
        let latest = self.latest()?;
        Some(DeliveryObject {
            channel: latest.channel,
            provider: latest.provider.clone(),
            status: latest.status_at(now),
            attempts: self
                .attempts
                .iter()
                .map(|a| AttemptObject {
                    channel: a.channel,
                    provider: a.provider.clone(),
                    message_id: a.message_id.clone(),
                    status: a.status_at(now),
                    error_code: a.error_code.clone(),
                    error_text: a.error_text.clone(),
                    at: format_rfc3339(a.at),
                })
                .collect(),
        })
    }
}

/// `delivery` on the OTP object.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryObject {
    /// The latest message's channel.
    pub channel: Channel,
    /// The latest message's provider.
    pub provider: String,
    /// The latest message's status.
    pub status: DeliveryStatus,
    /// Every message, the first first.
    pub attempts: Vec<AttemptObject>,
}

/// One message on the OTP object.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptObject {
    /// How it went.
    pub channel: Channel,
    /// The provider that took it.
    pub provider: String,
    /// The provider's message id.
    pub message_id: String,
    /// Its status.
    pub status: DeliveryStatus,
    /// The provider's error code, with a failure, else `null`.
    pub error_code: Option<String>,
    /// The provider's error text (numbers masked), with a failure, else `null`.
    pub error_text: Option<String>,
    /// When it was handed to the provider (RFC 3339).
    pub at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::*;

    const T: UnixMillis = 1_800_000_000_000;

    fn two() -> Delivery {
        Delivery {
            attempts: vec![
                Attempt::new(Channel::Sms, "twilio", "SM1", T, 30_000),
                Attempt::new(Channel::Sms, "vonage", "V2", T + 31_000, 30_000),
            ],
        }
    }

    /// Out of order, twice, late: the most advanced status stays; a final one is kept.
    #[test]
    fn reports_only_move_forward() {
        let cases: &[(&[DeliveryStatus], DeliveryStatus)] = &[
            (&[Sent, Delivered], Delivered),
            (&[Delivered, Sent], Delivered),
            (&[Delivered, Delivered], Delivered),
            (&[Sent, Queued], Sent),
            (&[Failed, Delivered], Failed),
            (&[Delivered, Undelivered], Delivered),
            (&[Expired], Queued),
            (&[Queued, Sent, Undelivered], Undelivered),
        ];
        for (reports, expected) in cases {
            let mut d = two();
            for s in *reports {
                d.report("SM1", *s, Some("30003"), Some("Unreachable"));
            }
            assert_eq!(d.attempts[0].status, *expected, "{reports:?}");
            // The other attempt is untouched.
            assert_eq!(d.attempts[1].status, Queued);
        }
    }

    #[test]
    fn what_a_report_did() {
        let mut d = two();
        assert_eq!(d.report("nope", Delivered, None, None), Reported::Unknown);
        assert_eq!(d.report("V2", Sent, None, None), Reported::Changed(Sent));
        assert_eq!(d.report("V2", Sent, None, None), Reported::Unchanged);
        assert_eq!(
            d.report("V2", Undelivered, Some("30003"), Some("Unreachable")),
            Reported::Changed(Undelivered)
        );
        assert_eq!(d.attempts[1].error_code.as_deref(), Some("30003"));
        // A delivered message keeps no error text.
        assert_eq!(
            d.report("SM1", Delivered, Some("0"), Some("x")),
            Reported::Changed(Delivered)
        );
        assert_eq!(d.attempts[0].error_code, None);
    }

    /// No final report by `report_by`: expired (shown); a late final report still counts.
    #[test]
    fn expired_is_computed_and_a_late_report_wins() {
        let mut d = two();
        assert!(!d.latest_failed(T + 60_000));
        assert!(d.latest_failed(T + 61_000));
        let shown = d.to_object(T + 61_000).unwrap();
        assert_eq!(shown.status, Expired);
        assert_eq!(shown.attempts[0].status, Expired);
        assert_eq!(shown.provider, "vonage");
        d.report("V2", Delivered, None, None);
        assert!(!d.latest_failed(T + 61_000));
        assert_eq!(d.to_object(T + 61_000).unwrap().status, Delivered);
        // A failure report is a failure at once.
        let mut d = two();
        d.report("V2", Failed, None, None);
        assert!(d.latest_failed(T + 32_000));
    }

    #[test]
    fn object_shape() {
        let d = two();
        let v = serde_json::to_value(d.to_object(T).unwrap()).unwrap();
        assert_eq!(v["channel"], "sms");
        assert_eq!(v["status"], "queued");
        assert_eq!(v["attempts"][0]["messageId"], "SM1");
        assert_eq!(v["attempts"][0]["errorCode"], serde_json::Value::Null);
        assert_eq!(v["attempts"][1]["at"], "2027-01-15T08:00:31+00:00");
        assert!(Delivery::default().to_object(T).is_none());
    }

    #[test]
    fn channel_names() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("SMS"), None);
        assert_eq!(Channel::parse("email"), None);
    }
}
