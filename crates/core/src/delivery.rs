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
    /// Our id of the message, `{otpId}.{n}`: handed to the provider with the message (in
    /// the report URL, Vonage's `client-ref`, SMS.cx's `trackData`, WhatsApp's
    /// `biz_opaque_callback_data`), it comes back in every report, which finds its OTP and
    /// attempt by it without a lookup table.
    pub reference: String,
    /// The provider's id of the message, once known (from its first report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
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
    /// When a final report is due: past it without one, the attempt is `expired` (0: no
    /// report can come, nothing expires).
    pub report_by: UnixMillis,
}

impl Attempt {
    /// A message handed to the provider `provider` (`queued`), `reference` our id of it,
    /// a final report due within `report_within_ms` (0: none can come).
    pub fn new(
        channel: Channel,
        provider: &str,
        reference: &str,
        now: UnixMillis,
        report_within_ms: u64,
    ) -> Attempt {
        let mut attempt = Attempt {
            channel,
            provider: provider.to_owned(),
            reference: reference.to_owned(),
            message_id: None,
            status: DeliveryStatus::Queued,
            error_code: None,
            error_text: None,
            at: now,
            report_by: 0,
        };
        attempt.expect_report_within(report_within_ms);
        attempt
    }

    /// A final report is due `report_within_ms` after the message was sent (0: none can
    /// come, it never expires).
    pub fn expect_report_within(&mut self, report_within_ms: u64) {
        self.report_by = match report_within_ms {
            0 => 0,
            ms => self.at.saturating_add(ms),
        };
    }

    /// Its status as of `now`: `expired` when no final report came by `report_by`.
    pub fn status_at(&self, now: UnixMillis) -> DeliveryStatus {
        if !self.status.is_final() && self.report_by != 0 && now >= self.report_by {
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

/// A provider's delivery report on one message, normalised.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// The provider that posted it (its route: `/v1/delivery/{provider}`).
    pub provider: &'a str,
    /// Our id of the message, as the report carried it back (`None`: the provider's
    /// report cannot carry it, as SMS.cx's, whose `trackData` must be a UUID: the OTP id).
    pub reference: Option<&'a str>,
    /// The provider's id of the message.
    pub message_id: &'a str,
    /// What happened.
    pub status: DeliveryStatus,
    /// The provider's error code, with a failure.
    pub error_code: Option<&'a str>,
    /// The provider's error text (numbers masked), with a failure.
    pub error_text: Option<&'a str>,
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

    /// Applies a report of `provider` on our message `reference` (the provider's id of it:
    /// `message_id`): the status moves only forward (queued → sent → a final one), and a
    /// final status stays. A report from another provider than the one that took the
    /// message, or naming another message id than the one first reported, is unknown.
    pub fn report(&mut self, report: &Report<'_>) -> Reported {
        let of_provider = |a: &&mut Attempt| a.provider == report.provider;
        let found = match report.reference {
            Some(reference) => self
                .attempts
                .iter_mut()
                .filter(of_provider)
                .find(|a| a.reference == reference),
            // Without our reference: the provider's message already reported, else its
            // latest message not yet reported.
            None => {
                let known = self.attempts.iter().position(|a| {
                    a.provider == report.provider
                        && a.message_id.as_deref() == Some(report.message_id)
                });
                let unreported = || {
                    self.attempts
                        .iter()
                        .rposition(|a| a.provider == report.provider && a.message_id.is_none())
                };
                match known.or_else(unreported) {
                    Some(i) => self.attempts.get_mut(i),
                    None => None,
                }
            }
        };
        let Some(attempt) = found else {
            return Reported::Unknown;
        };
        match &attempt.message_id {
            Some(known) if known != report.message_id => return Reported::Unknown,
            Some(_) => {}
            None => attempt.message_id = Some(report.message_id.to_owned()),
        }
        let Report {
            status,
            error_code,
            error_text,
            ..
        } = *report;
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
                    reference: a.reference.clone(),
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
    /// The provider's id of the message, once a report gave it, else `null`.
    pub message_id: Option<String>,
    /// Our id of the message (`{otpId}.{n}`), as handed to the provider.
    pub reference: String,
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
                Attempt::new(Channel::Sms, "twilio", "o.1", T, 30_000),
                Attempt::new(Channel::Sms, "vonage", "o.2", T + 31_000, 30_000),
            ],
        }
    }

    fn rep<'a>(
        provider: &'a str,
        reference: &'a str,
        id: &'a str,
        status: DeliveryStatus,
    ) -> Report<'a> {
        Report {
            provider,
            reference: Some(reference),
            message_id: id,
            status,
            error_code: Some("30003"),
            error_text: Some("Unreachable"),
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
                d.report(&rep("twilio", "o.1", "SM1", *s));
            }
            assert_eq!(d.attempts[0].status, *expected, "{reports:?}");
            // The other attempt is untouched.
            assert_eq!(d.attempts[1].status, Queued);
        }
    }

    #[test]
    fn what_a_report_did() {
        let mut d = two();
        assert_eq!(
            d.report(&rep("vonage", "nope", "V2", Delivered)),
            Reported::Unknown
        );
        // The right reference from another provider: not its message.
        assert_eq!(
            d.report(&rep("twilio", "o.2", "V2", Delivered)),
            Reported::Unknown
        );
        assert_eq!(
            d.report(&rep("vonage", "o.2", "V2", Sent)),
            Reported::Changed(Sent)
        );
        assert_eq!(d.attempts[1].message_id.as_deref(), Some("V2"));
        assert_eq!(
            d.report(&rep("vonage", "o.2", "V2", Sent)),
            Reported::Unchanged
        );
        // Another provider message id for the same reference: not this message.
        assert_eq!(
            d.report(&rep("vonage", "o.2", "V3", Failed)),
            Reported::Unknown
        );
        assert_eq!(
            d.report(&rep("vonage", "o.2", "V2", Undelivered)),
            Reported::Changed(Undelivered)
        );
        assert_eq!(d.attempts[1].error_code.as_deref(), Some("30003"));
        // A delivered message keeps no error text.
        assert_eq!(
            d.report(&rep("twilio", "o.1", "SM1", Delivered)),
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
        d.report(&rep("vonage", "o.2", "V2", Delivered));
        assert!(!d.latest_failed(T + 61_000));
        assert_eq!(d.to_object(T + 61_000).unwrap().status, Delivered);
        // No report can come: nothing expires.
        let never = Attempt::new(Channel::Sms, "twilio", "o.1", T, 0);
        assert_eq!(never.status_at(u64::MAX - 1), Queued);
        // A failure report is a failure at once.
        let mut d = two();
        d.report(&rep("vonage", "o.2", "V2", Failed));
        assert!(d.latest_failed(T + 32_000));
    }

    /// SMS.cx's reports name the OTP, not our message: the provider's message id, else
    /// its latest message not reported yet.
    #[test]
    fn reports_without_our_reference() {
        let mut d = Delivery {
            attempts: vec![
                Attempt::new(Channel::Sms, "smscx", "o.1", T, 30_000),
                Attempt::new(Channel::Sms, "twilio", "o.2", T, 30_000),
                Attempt::new(Channel::Sms, "smscx", "o.3", T, 30_000),
            ],
        };
        let bare = |id, status| Report {
            provider: "smscx",
            reference: None,
            message_id: id,
            status,
            error_code: None,
            error_text: None,
        };
        assert_eq!(d.report(&bare("X3", Sent)), Reported::Changed(Sent));
        assert_eq!(d.attempts[2].message_id.as_deref(), Some("X3"));
        assert_eq!(
            d.report(&bare("X1", Delivered)),
            Reported::Changed(Delivered)
        );
        assert_eq!(d.attempts[0].message_id.as_deref(), Some("X1"));
        assert_eq!(
            d.report(&bare("X3", Delivered)),
            Reported::Changed(Delivered)
        );
        // Every smscx message has its id: a third one is unknown.
        assert_eq!(d.report(&bare("X9", Delivered)), Reported::Unknown);
        assert_eq!(d.attempts[1].status, Queued);
    }

    #[test]
    fn object_shape() {
        let d = two();
        let v = serde_json::to_value(d.to_object(T).unwrap()).unwrap();
        assert_eq!(v["channel"], "sms");
        assert_eq!(v["status"], "queued");
        assert_eq!(v["attempts"][0]["messageId"], serde_json::Value::Null);
        assert_eq!(v["attempts"][0]["reference"], "o.1");
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
