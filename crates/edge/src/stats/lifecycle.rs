//! The statistics of an OTP shard's writes: what a number's row held when it was read
//! ([`Seen`]) against what is written back, as events in their buckets
//! ([`events`]).
//!
//! Why a comparison and not a call at each place a status changes: an OTP changes in a
//! dozen places of the shard (create, supersede, resend, a PIN check, cancel, approve,
//! a report, a failover, a send that failed within the request, an expiry seen by a read,
//! by the alarm, or by the row being tidied), and every one of them ends in the one write
//! of the row. Comparing there counts each change exactly once, whichever path made it,
//! and a path added later is counted without anyone remembering to.
//!
//! What counts as what:
//! - an OTP that appears: `Created` — unless it has no message at all (a test number's,
//!   which sends nothing and is not traffic);
//! - a message that appears: `Sent` under its own channel and provider;
//! - a message whose provider changed (an earlier step of the plan refused it within the
//!   request and a later one took it): `SendFailed` under the first, `Sent` under the
//!   second — and for an OTP's first message, `Moved` under the first and `Created` under
//!   the second, so that all of an OTP's events land in one bucket; a message that became `failed` without a provider's id (no report ever named
//!   it: refused or unanswered at send): `SendFailed`;
//! - a message's first final report: `Delivery(status)`;
//! - an OTP leaving PENDING: `Verified`, `FailedMaxAttempts` (its last wrong PIN),
//!   `Expired`; a cancel or a supersede counts nothing (the OTP is simply unconverted);
//! - an OTP still PENDING in storage that the write drops (the row forgets OTPs a day
//!   after they end, so it expired long before; the hourly clean-up deletes a whole row
//!   and compares it with an empty state): `Expired`.
//!
//! OTP events go to the OTP's bucket ([`BucketKey::of_otp`]: its creation hour, its first
//! message's channel and provider); message events to the creation hour with the message's
//! own channel and provider.

use smsotp_core::delivery::Attempt;
use smsotp_core::{DeliveryStatus, OtpRecord, OtpStatus};

use super::counters::{BucketKey, StatsEvent};
use super::price::PriceTable;
use crate::number::NumberState;

/// A message as the statistics last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SeenAttempt {
    reference: String,
    channel: smsotp_core::Channel,
    provider: String,
    status: DeliveryStatus,
}

/// An OTP as the statistics last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SeenOtp {
    otp_id: String,
    status: OtpStatus,
    /// Its bucket (`None`: a test number's OTP, not counted).
    key: Option<BucketKey>,
    attempts: Vec<SeenAttempt>,
}

/// What a number's row held when read: each OTP's status and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    otps: Vec<SeenOtp>,
}

impl Seen {
    /// Nothing (a number's row that did not exist).
    pub fn none() -> Self {
        Self::default()
    }

    /// What `state` holds.
    pub fn of(state: &NumberState) -> Self {
        Seen {
            otps: records(state)
                .map(|r| SeenOtp {
                    otp_id: r.otp_id.clone(),
                    status: r.status,
                    key: (!r.delivery.attempts.is_empty()).then(|| otp_key(r)),
                    attempts: r
                        .delivery
                        .attempts
                        .iter()
                        .map(|a| SeenAttempt {
                            reference: a.reference.clone(),
                            channel: a.channel,
                            provider: a.provider.clone(),
                            status: a.status,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Every OTP a number's state holds.
fn records(state: &NumberState) -> impl Iterator<Item = &OtpRecord> {
    state
        .current
        .as_ref()
        .map(|c| &c.record)
        .into_iter()
        .chain(state.earlier.iter())
}

/// The bucket of an OTP's own events.
fn otp_key(r: &OtpRecord) -> BucketKey {
    let first = r.delivery.attempts.first();
    BucketKey::of_otp(
        r.created_at,
        &r.country_iso,
        first.map_or(smsotp_core::Channel::Sms, |a| a.channel),
        first.map(|a| (a.channel, a.provider.as_str())),
    )
}

/// The bucket of one message of `r`, sent through `provider`.
fn message_key(r: &OtpRecord, a: &Attempt, provider: &str) -> BucketKey {
    BucketKey::new(r.created_at, &r.country_iso, a.channel, provider)
}

/// A message's parts (an SMS's, as counted at create) and their cost in the country's
/// price.
fn sent(r: &OtpRecord, a: &Attempt, prices: &PriceTable) -> (u32, u64) {
    parts_and_cost(r, a.channel, prices)
}

/// A message's SMS parts and their cost: the price table prices SMS parts only, so a call
/// or a WhatsApp message counts as sent with no part and no cost.
fn parts_and_cost(r: &OtpRecord, channel: smsotp_core::Channel, prices: &PriceTable) -> (u32, u64) {
    match channel {
        smsotp_core::Channel::Sms => {
            let parts = r.parts.max(1);
            (parts, prices.cost_micros(&r.country_iso, parts))
        }
        _ => (0, 0),
    }
}

/// The events between what was read (`before`) and what is written (`after`), each with
/// its bucket, in the order they happened as far as one write can tell.
pub fn events(
    before: &Seen,
    after: &NumberState,
    prices: &PriceTable,
) -> Vec<(BucketKey, StatsEvent)> {
    let mut out = Vec::new();
    for r in records(after) {
        let seen = before.otps.iter().find(|s| s.otp_id == r.otp_id);
        // A test number's OTP sends nothing, ever, and is not counted.
        if r.delivery.attempts.is_empty() {
            continue;
        }
        if seen.is_none() {
            out.push((otp_key(r), StatsEvent::Created));
        }
        for a in &r.delivery.attempts {
            let was = seen.and_then(|s| s.attempts.iter().find(|x| x.reference == a.reference));
            let (parts, cost_micros) = sent(r, a, prices);
            let failed_at_send = a.status == DeliveryStatus::Failed && a.message_id.is_none();
            match was {
                None => {
                    out.push((
                        message_key(r, a, &a.provider),
                        StatsEvent::Sent { parts, cost_micros },
                    ));
                    if failed_at_send {
                        out.push((
                            message_key(r, a, &a.provider),
                            StatsEvent::SendFailed { parts, cost_micros },
                        ));
                    }
                }
                Some(was) if (was.channel, &was.provider) != (a.channel, &a.provider) => {
                    // An earlier step refused it within the request; this one took it.
                    let key =
                        BucketKey::new(r.created_at, &r.country_iso, was.channel, &was.provider);
                    let (parts, cost_micros) = parts_and_cost(r, was.channel, prices);
                    out.push((key.clone(), StatsEvent::SendFailed { parts, cost_micros }));
                    let (parts, cost_micros) = sent(r, a, prices);
                    out.push((
                        message_key(r, a, &a.provider),
                        StatsEvent::Sent { parts, cost_micros },
                    ));
                    // The OTP's first message: the OTP moves to the step that took it, so
                    // that its verification counts where its creation does.
                    if r.delivery.attempts.first().map(|f| &f.reference) == Some(&a.reference) {
                        out.push((key, StatsEvent::Moved));
                        out.push((otp_key(r), StatsEvent::Created));
                    }
                }
                Some(was) if !was.status.is_final() && a.status.is_final() => {
                    let event = if failed_at_send {
                        StatsEvent::SendFailed { parts, cost_micros }
                    } else {
                        StatsEvent::Delivery(a.status)
                    };
                    out.push((message_key(r, a, &a.provider), event));
                }
                Some(_) => {}
            }
        }
        let was_pending = seen.is_none_or(|s| s.status == OtpStatus::Pending);
        if was_pending {
            let event = match r.status {
                OtpStatus::Verified => Some(StatsEvent::Verified),
                OtpStatus::Expired => Some(StatsEvent::Expired),
                OtpStatus::Failed
                    if r.failure_reason
                        == Some(smsotp_core::otp::FailureReason::TooManyAttempts) =>
                {
                    Some(StatsEvent::FailedMaxAttempts)
                }
                _ => None,
            };
            if let Some(event) = event {
                out.push((otp_key(r), event));
            }
        }
    }
    // An OTP still PENDING in storage that the write drops: the row forgets an OTP only
    // a day after it ended, so it expired unread long before.
    for s in &before.otps {
        if let (OtpStatus::Pending, Some(key)) = (s.status, &s.key) {
            if !records(after).any(|r| r.otp_id == s.otp_id) {
                out.push((key.clone(), StatsEvent::Expired));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::CurrentOtp;
    use crate::stats::Counters;
    use smsotp_core::delivery::Attempt;
    use smsotp_core::otp::FailureReason;
    use smsotp_core::{Channel, Config, PinType};

    /// 2027-01-15T08:00:00Z.
    const NOW: u64 = 1_800_000_000_000;
    const MIN: u64 = 60_000;

    fn prices() -> PriceTable {
        PriceTable::from_json(&serde_json::json!({"FR": 0.07, "*": 0.01}), 0, "p").unwrap()
    }

    fn record(otp_id: &str, parts: u32, attempts: &[(&str, Channel)]) -> OtpRecord {
        let mut r = OtpRecord {
            otp_id: otp_id.into(),
            tenant: "acme".into(),
            track_id: None,
            phone_number: "+33612345678".into(),
            country_iso: "FR".into(),
            status: OtpStatus::Pending,
            failure_reason: None,
            cost: 0.0,
            parts,
            max_attempts: 3,
            attempts: 0,
            ttl: 300,
            otp_callback_url: None,
            pin_type: PinType::Numbers,
            pin_hash: String::new(),
            created_at: NOW,
            expires_at: NOW + 5 * MIN,
            updated_at: NOW,
            amount: None,
            payee: None,
            delivery: Default::default(),
            service: None,
        };
        for (n, (provider, channel)) in attempts.iter().enumerate() {
            let reference = format!("{otp_id}.{}", n + 1);
            r.delivery
                .attempts
                .push(Attempt::new(*channel, provider, &reference, NOW, 30_000));
        }
        r
    }

    fn state(records: Vec<OtpRecord>) -> NumberState {
        let mut records = records.into_iter();
        let request = smsotp_core::validate_request_text(
            r#"{"phoneNumber": "+33612345678"}"#,
            &Config::default(),
        )
        .unwrap();
        NumberState {
            current: records.next().map(|record| CurrentOtp {
                last_send_at: record.created_at,
                record,
                request,
                sends: 1,
                by_browser: false,
                route: None,
            }),
            earlier: records.collect(),
            ..NumberState::default()
        }
    }

    /// The events of a write as the counters of each bucket (provider → counters).
    fn counted(before: &Seen, after: &NumberState) -> Vec<(String, Counters)> {
        let mut out: Vec<(String, Counters)> = Vec::new();
        for (key, event) in events(before, after, &prices()) {
            let name = format!("{}/{:?}/{}", key.country, key.channel, key.provider);
            match out.iter_mut().find(|(k, _)| *k == name) {
                Some((_, c)) => c.add(event),
                None => out.push((name, Counters::of(event))),
            }
        }
        out
    }

    #[test]
    fn a_create_counts_an_attempt_and_its_message_at_the_country_price() {
        let after = state(vec![record("a", 2, &[("twilio", Channel::Sms)])]);
        let got = counted(&Seen::none(), &after);
        assert_eq!(got.len(), 1);
        let c = &got[0].1;
        assert_eq!(
            (c.created, c.sent, c.parts, c.cost_micros),
            (1, 1, 2, 140_000)
        );
        // Written again unchanged: nothing more.
        assert!(events(&Seen::of(&after), &after, &prices()).is_empty());
    }

    #[test]
    fn a_test_numbers_otp_is_not_counted() {
        let after = state(vec![record("t", 1, &[])]);
        assert!(events(&Seen::none(), &after, &prices()).is_empty());
    }

    #[test]
    fn verified_failed_and_expired_count_once_in_the_otps_bucket() {
        for (status, reason, want) in [
            (OtpStatus::Verified, None, (1, 0, 0)),
            (
                OtpStatus::Failed,
                Some(FailureReason::TooManyAttempts),
                (0, 1, 0),
            ),
            (OtpStatus::Expired, None, (0, 0, 1)),
            (OtpStatus::Cancelled, None, (0, 0, 0)),
        ] {
            let before = state(vec![record("a", 1, &[("twilio", Channel::Sms)])]);
            let mut after = before.clone();
            let r = &mut after.current.as_mut().unwrap().record;
            r.status = status;
            r.failure_reason = reason;
            let got = counted(&Seen::of(&before), &after);
            let c = got.first().map(|(_, c)| c.clone()).unwrap_or_default();
            assert_eq!(
                (c.verified, c.failed_max_attempts, c.expired),
                want,
                "{status:?}"
            );
            assert_eq!(c.created, 0);
            // Once: the ended OTP written again counts nothing.
            assert!(events(&Seen::of(&after), &after, &prices()).is_empty());
        }
    }

    #[test]
    fn a_send_refused_within_the_request_moves_to_the_provider_that_took_it() {
        let before = state(vec![record("a", 1, &[("twilio", Channel::Sms)])]);
        let mut after = before.clone();
        after.current.as_mut().unwrap().record.delivery.attempts[0].provider = "vonage".into();
        // Counted with the create, then moved: twilio sent 0 and failed 1, vonage sent 1,
        // and the OTP itself counts under vonage.
        let mut all = Counters::default();
        let mut by: std::collections::BTreeMap<String, Counters> = Default::default();
        for (key, event) in events(&Seen::none(), &before, &prices())
            .into_iter()
            .chain(events(&Seen::of(&before), &after, &prices()))
        {
            by.entry(key.provider.clone()).or_default().add(event);
            all.add(event);
        }
        let net = |c: &Counters| {
            (
                c.attempts(),
                c.messages_sent(),
                c.delivery_failed,
                c.cost_sent_micros(),
            )
        };
        assert_eq!(net(&by["twilio"]), (0, 0, 1, 0));
        assert_eq!(net(&by["vonage"]), (1, 1, 0, 70_000));
        assert_eq!(
            (all.attempts(), all.messages_sent(), all.parts_sent()),
            (1, 1, 1)
        );
        // Verified later: where the OTP now is, with its creation.
        let mut verified = after.clone();
        verified.current.as_mut().unwrap().record.status = OtpStatus::Verified;
        let v = events(&Seen::of(&after), &verified, &prices());
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].0.provider.as_str(), v[0].1),
            ("vonage", StatsEvent::Verified)
        );
    }

    #[test]
    fn every_provider_failing_at_send_is_not_a_message_sent() {
        let before = state(vec![record("a", 1, &[("twilio", Channel::Sms)])]);
        let mut after = before.clone();
        let r = &mut after.current.as_mut().unwrap().record;
        r.delivery.attempts[0].status = DeliveryStatus::Failed;
        r.status = OtpStatus::Failed;
        r.failure_reason = Some(FailureReason::NotDelivered);
        // The create's checkpoint and the failure's (a timeout comes 10 s later): still
        // no message sent, nothing priced.
        let mut first = Counters::default();
        for (_, e) in events(&Seen::none(), &before, &prices()) {
            first.add(e);
        }
        let mut second = Counters::default();
        for (_, e) in events(&Seen::of(&before), &after, &prices()) {
            second.add(e);
        }
        first.merge(&second);
        let c = first;
        assert_eq!(
            (
                c.attempts(),
                c.messages_sent(),
                c.delivery_failed,
                c.failed_max_attempts,
                c.parts_sent(),
                c.cost_sent_micros()
            ),
            (1, 0, 1, 0, 0, 0)
        );
    }

    #[test]
    fn reports_count_their_first_final_status_and_a_failover_is_one_more_message() {
        let before = state(vec![record("a", 1, &[("twilio", Channel::Sms)])]);
        let mut after = before.clone();
        {
            let r = &mut after.current.as_mut().unwrap().record;
            r.delivery.attempts[0].status = DeliveryStatus::Undelivered;
            r.delivery.attempts[0].message_id = Some("SM1".into());
            r.delivery.attempts.push(Attempt::new(
                Channel::Voice,
                "twilio",
                "a.2",
                NOW + MIN,
                30_000,
            ));
        }
        let got = counted(&Seen::of(&before), &after);
        let sms = &got.iter().find(|(k, _)| k == "FR/Sms/twilio").unwrap().1;
        let voice = &got.iter().find(|(k, _)| k == "FR/Voice/twilio").unwrap().1;
        assert_eq!((sms.undelivered, sms.sent), (1, 0));
        // A call is a message sent, with no SMS part to price.
        assert_eq!((voice.sent, voice.parts, voice.cost_micros), (1, 0, 0));
        // A duplicate report: nothing.
        assert!(events(&Seen::of(&after), &after, &prices()).is_empty());
        // A report failed with the provider's id: a delivery failure, the message still sent.
        let mut failed = before.clone();
        {
            let a = &mut failed.current.as_mut().unwrap().record.delivery.attempts[0];
            a.status = DeliveryStatus::Failed;
            a.message_id = Some("SM1".into());
        }
        let c = &counted(&Seen::of(&before), &failed)[0].1;
        assert_eq!((c.delivery_failed, c.sent), (1, 0));
    }

    #[test]
    fn a_pending_otp_dropped_by_the_write_counts_expired_and_a_superseded_one_does_not_twice() {
        let old = record("a", 1, &[("twilio", Channel::Sms)]);
        let before = state(vec![old.clone()]);
        // The row forgot it (or the clean-up deleted the row): expired.
        let got = counted(&Seen::of(&before), &NumberState::default());
        assert_eq!(got[0].1.expired, 1);
        // Superseded (cancelled) and kept as earlier: a new attempt, nothing for the old.
        let mut cancelled = old.clone();
        cancelled.status = OtpStatus::Cancelled;
        let after = state(vec![record("b", 1, &[("twilio", Channel::Sms)]), cancelled]);
        let got = counted(&Seen::of(&before), &after);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].1.created, got[0].1.expired), (1, 0));
    }
}
