//! Everything the shard that owns a number keeps about one (tenant, phone number), and its
//! rules: wrong PINs counted across the number's OTPs and the locks they set, a new OTP
//! superseding the pending one, the last verification, and forgetting what is more than
//! 24 h past. The worker's `OtpShard` keeps a [`NumberState`] as one SQLite row per number
//! (its `sends` and `verified_at` in columns of their own), reads it, calls these and
//! writes it back.

use serde::{Deserialize, Serialize};
use smsotp_core::{ApiError, OtpRecord, OtpRequest, OtpStatus};

use crate::delivery::Route;
use crate::limits::{check_hard_lock, NumberHistory, NumberLimits};

/// How long a finished OTP stays readable in its shard before it is forgotten.
pub const GRACE_SECONDS: u64 = 24 * 3600;
/// A day, in milliseconds: the window of the per-number SMS count.
pub const DAY_MS: u64 = 24 * 3600 * 1000;
/// Earlier OTPs kept per number (beyond their 24 h, they are dropped anyway): a number
/// gets at most 10 SMS a day by default, so this only bounds a tenant without limits.
const MAX_EARLIER: usize = 32;
/// SMS times kept per number: enough for any daily limit up to this; a tenant allowing
/// more per day is counted as if it allowed this many (the row stays bounded).
const MAX_SENDS: usize = 1000;
/// Browser clients remembered per number: enough for any real number (a person uses one
/// or two devices); an attacker rotating more only pushes out the oldest, which locks
/// nothing wider (the hard cap counts every wrong PIN anyway).
const MAX_CLIENTS: usize = 16;

/// When a record may be forgotten: 24 h after it ended (or after its TTL, if still pending).
pub fn forget_at(record: &OtpRecord) -> u64 {
    let end = if record.status.is_final() {
        record.updated_at
    } else {
        record.expires_at
    };
    end.saturating_add(GRACE_SECONDS * 1000)
}

/// Everything the shard keeps about one (tenant, phone number): one row, `numbers.state`.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct NumberState {
    /// The number's latest OTP (pending or not), with what a resend needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<CurrentOtp>,
    /// When SMS were sent to the number in the last 24 h, oldest first (column `sends`:
    /// the prefix rule reads it for every number of a prefix, without the rest).
    #[serde(skip)]
    pub sends: Vec<u64>,
    /// Consecutive wrong PINs typed through the server API, across its OTPs: they lock
    /// the number for everyone (`failuresBeforeLock`).
    #[serde(default)]
    pub failures: u32,
    /// Consecutive wrong PINs from anyone (server and browsers): from
    /// [`MAX_CONSECUTIVE_FAILURES`](crate::limits::MAX_CONSECUTIVE_FAILURES) on, the number
    /// is refused checks and SMS until the tenant unlocks it.
    #[serde(default)]
    pub consecutive: u32,
    /// Browser clients' wrong PINs and locks for this number (bounded: the most recent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientFailures>,
    /// Until when the number is locked (0: never).
    #[serde(default)]
    pub locked_until: u64,
    /// When a PIN of the number was last verified (0: never): its SMS before are verified
    /// (column `verified_at`, as `sends`).
    #[serde(skip)]
    pub verified_at: u64,
    /// Its earlier OTPs (all final), oldest first, until 24 h after they ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<OtpRecord>,
}

/// One browser client's (an IP subject's) wrong PINs for a number, and its lock.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClientFailures {
    /// The client: its IP subject.
    pub client: String,
    /// Its consecutive wrong PINs for the number.
    pub failures: u32,
    /// Until when it is locked for the number (0: never).
    pub locked_until: u64,
}

/// A number's latest OTP.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct CurrentOtp {
    /// The OTP.
    pub record: OtpRecord,
    /// The request it was made from (a resend renders its SMS again).
    pub request: OtpRequest,
    /// SMS it has had.
    pub sends: u32,
    /// When its last SMS was sent.
    pub last_send_at: u64,
    /// Made from the browser API (it may then be superseded by the same visitor only).
    #[serde(default)]
    pub by_browser: bool,
    /// How its messages go and what a failover needs (none for a test number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
}

impl NumberState {
    /// Until when the browser client `client` is locked for this number (0: not).
    fn client_locked_until(&self, client: Option<&str>) -> u64 {
        let Some(client) = client else { return 0 };
        self.clients
            .iter()
            .find(|c| c.client == client)
            .map_or(0, |c| c.locked_until)
    }

    /// May this number be checked or sent to by `client` (`None`: the server API) now?
    /// The hard lock, then the number's lock (checks only: a send checks it with the
    /// per-number limits), then the client's.
    pub fn check_locks(&self, client: Option<&str>, check: bool, now: u64) -> Result<(), ApiError> {
        check_hard_lock(self.consecutive)?;
        if check {
            NumberLimits::check_lock(self.locked_until, now)?;
        }
        NumberLimits::check_lock(self.client_locked_until(client), now)
    }

    /// A wrong PIN from `client` (`None`: the server API): counted in a row for the hard
    /// cap; a browser client's locks that client, the server's locks the number.
    pub fn wrong_pin(&mut self, client: Option<&str>, limits: &NumberLimits, now: u64) {
        self.consecutive = self.consecutive.saturating_add(1);
        match client {
            None => {
                self.failures = self.failures.saturating_add(1);
                if let Some(until) = limits.lock_after(self.failures, now) {
                    self.locked_until = self.locked_until.max(until);
                }
            }
            Some(client) => {
                let i = match self.clients.iter().position(|c| c.client == client) {
                    Some(i) => i,
                    None => {
                        if self.clients.len() >= MAX_CLIENTS {
                            self.clients.remove(0);
                        }
                        self.clients.push(ClientFailures {
                            client: client.to_owned(),
                            failures: 0,
                            locked_until: 0,
                        });
                        self.clients.len() - 1
                    }
                };
                let c = &mut self.clients[i];
                c.failures = c.failures.saturating_add(1);
                if let Some(until) = limits.lock_after(c.failures, now) {
                    c.locked_until = c.locked_until.max(until);
                }
            }
        }
    }

    /// A right PIN: every count of wrong ones starts again.
    pub fn right_pin(&mut self, now: u64) {
        self.failures = 0;
        self.consecutive = 0;
        self.clients.clear();
        self.verified_at = now;
    }

    /// A PIN check of one of the number's OTPs, from its status and attempts `before` and
    /// its record after: an attempt spent is a wrong PIN (counted against the number,
    /// across its OTPs); a pending OTP verified is a right one (it clears them). Whether
    /// the number's state changed.
    pub fn checked(
        &mut self,
        before: (OtpStatus, u8),
        after: &OtpRecord,
        client: Option<&str>,
        limits: &NumberLimits,
        now: u64,
    ) -> bool {
        if after.attempts != before.1 {
            self.wrong_pin(client, limits, now);
            true
        } else if after.status == OtpStatus::Verified && before.0 == OtpStatus::Pending {
            self.right_pin(now);
            true
        } else {
            false
        }
    }

    /// The tenant's unlock: every lock and count cleared.
    pub fn unlock(&mut self) {
        self.failures = 0;
        self.consecutive = 0;
        self.locked_until = 0;
        self.clients.clear();
    }

    /// What the per-number limits look at before an SMS.
    pub fn history(&self) -> NumberHistory<'_> {
        NumberHistory {
            sends: &self.sends,
            locked_until: self.locked_until,
        }
    }

    /// The number's OTP still pending at `now`, if any (only the current one can be: a new
    /// one supersedes it).
    pub fn pending(&self, now: u64) -> Option<&CurrentOtp> {
        self.current
            .as_ref()
            .filter(|c| c.record.status_at(now) == OtpStatus::Pending)
    }

    /// A new OTP becomes the number's current one; the one before goes to the earlier
    /// ones, superseded (CANCELLED; EXPIRED if its TTL passed) if it was pending. `sms`:
    /// the new OTP's SMS is one of the number's sends (a test number's is not). The record
    /// superseded, when its status changed (its callback is due).
    pub fn supersede(&mut self, new: CurrentOtp, sms: bool, now: u64) -> Option<OtpRecord> {
        let mut ended = None;
        if let Some(old) = self.current.take() {
            let mut old = old.record;
            let before = old.status;
            let _ = old.cancel(now);
            if old.status != before {
                ended = Some(old.clone());
            }
            self.earlier.push(old);
        }
        self.current = Some(new);
        if sms {
            self.sends.push(now);
        }
        ended
    }

    /// The OTP `otp_id` of this number, if it is still remembered at `now`.
    pub fn find_mut(&mut self, otp_id: &str, now: u64) -> Option<&mut OtpRecord> {
        let current = self.current.as_mut().map(|c| &mut c.record);
        current
            .into_iter()
            .chain(self.earlier.iter_mut())
            .find(|r| r.otp_id == otp_id && forget_at(r) > now)
    }

    /// The OTP `otp_id` of this number, if it is still remembered at `now` (read only).
    pub fn find(&self, otp_id: &str, now: u64) -> Option<&OtpRecord> {
        self.current
            .as_ref()
            .map(|c| &c.record)
            .into_iter()
            .chain(self.earlier.iter())
            .find(|r| r.otp_id == otp_id && forget_at(r) > now)
    }

    /// Whether the OTP `otp_id` is one of this number's (remembered or not yet tidied).
    pub fn holds(&self, otp_id: &str) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| c.record.otp_id == otp_id)
            || self.earlier.iter().any(|r| r.otp_id == otp_id)
    }

    /// Drops what is past: SMS older than 24 h, OTPs 24 h after they ended; keeps the
    /// lists bounded.
    pub fn tidy(&mut self, now: u64) {
        self.sends.retain(|&at| at.saturating_add(DAY_MS) > now);
        if self.sends.len() > MAX_SENDS {
            self.sends.drain(..self.sends.len() - MAX_SENDS);
        }
        self.earlier.retain(|r| forget_at(r) > now);
        if self.earlier.len() > MAX_EARLIER {
            self.earlier.drain(..self.earlier.len() - MAX_EARLIER);
        }
        if self
            .current
            .as_ref()
            .is_some_and(|c| forget_at(&c.record) <= now)
        {
            self.current = None;
        }
        // The sealed PIN goes as soon as the OTP stops being pending.
        if let Some(c) = self.current.as_mut() {
            if c.record.status_at(now) != OtpStatus::Pending {
                if let Some(route) = c.route.as_mut() {
                    route.sealed_pin = None;
                }
            }
        }
    }

    /// When the row holds nothing of use any more (the clean-up deletes it then): every
    /// OTP forgotten, every SMS out of the 24-hour window, the lock over. (A count of wrong
    /// PINs without a lock goes with it: a day without any SMS resets it.)
    pub fn forget_at(&self) -> u64 {
        let otps = self
            .current
            .iter()
            .map(|c| forget_at(&c.record))
            .chain(self.earlier.iter().map(forget_at));
        let sends = self.sends.iter().map(|&at| at.saturating_add(DAY_MS));
        // A hard lock stays until the tenant clears it.
        if check_hard_lock(self.consecutive).is_err() {
            return u64::MAX;
        }
        let client_locks = self.clients.iter().map(|c| c.locked_until);
        otps.chain(sends)
            .chain([self.locked_until])
            .chain(client_locks)
            .max()
            .unwrap_or(0)
    }

    /// When the shard's alarm must look at this number for a failover of its current OTP
    /// (0: never).
    pub fn failover_at(&self) -> u64 {
        self.current
            .as_ref()
            .and_then(|c| c.route.as_ref()?.failover_at(&c.record))
            .unwrap_or(0)
    }

    /// Its SMS after `since` that no verified PIN followed.
    pub fn unverified_sends_after(&self, since: u64) -> impl Iterator<Item = u64> + '_ {
        self.sends
            .iter()
            .copied()
            .filter(move |&at| at > since && at > self.verified_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_CONSECUTIVE_FAILURES;
    use smsotp_core::{Config, ErrorCode, PinType};

    const NOW: u64 = 1_800_000_000_000;
    const MIN: u64 = 60_000;
    const DAY: u64 = 24 * 60 * MIN;

    fn record(otp_id: &str, status: OtpStatus, updated_at: u64) -> OtpRecord {
        OtpRecord {
            otp_id: otp_id.into(),
            tenant: "acme".into(),
            track_id: None,
            phone_number: "+33612345678".into(),
            country_iso: "FR".into(),
            status,
            failure_reason: None,
            cost: 0.0,
            parts: 1,
            max_attempts: 3,
            attempts: 0,
            ttl: 300,
            otp_callback_url: None,
            pin_type: PinType::Numbers,
            pin_hash: String::new(),
            created_at: updated_at,
            expires_at: updated_at + 5 * MIN,
            updated_at,
            amount: None,
            payee: None,
            delivery: Default::default(),
            service: None,
        }
    }

    fn current_otp(record: OtpRecord) -> CurrentOtp {
        let request = smsotp_core::validate_request_text(
            r#"{"phoneNumber": "+33612345678"}"#,
            &Config::default(),
        )
        .unwrap();
        CurrentOtp {
            last_send_at: record.created_at,
            record,
            request,
            sends: 1,
            by_browser: false,
            route: None,
        }
    }

    fn code(result: Result<(), ApiError>) -> Option<u16> {
        result.err().map(|e| e.code.code())
    }

    /// The server API's wrong PINs count against the number across its OTPs (a new OTP
    /// does not reset them) and lock it for everyone at `failuresBeforeLock`: checks are
    /// refused with the time left; an SMS sees the lock through the per-number limits.
    #[test]
    fn wrong_pins_lock_the_number_across_its_otps() {
        let limits = NumberLimits::default();
        let mut state = NumberState {
            current: Some(current_otp(record("id-1", OtpStatus::Pending, NOW))),
            ..NumberState::default()
        };
        for _ in 0..5 {
            state.wrong_pin(None, &limits, NOW);
        }
        let next = current_otp(record("id-2", OtpStatus::Pending, NOW + MIN));
        state.supersede(next, true, NOW + MIN);
        for _ in 0..4 {
            state.wrong_pin(None, &limits, NOW + MIN);
        }
        assert_eq!((state.failures, state.locked_until), (9, 0));
        assert!(state.check_locks(None, true, NOW + MIN).is_ok());
        state.wrong_pin(None, &limits, NOW + MIN);
        let until = NOW + MIN + 3600 * 1000;
        assert_eq!(state.locked_until, until);
        let refused = state.check_locks(None, true, NOW + MIN).unwrap_err();
        assert_eq!(
            (refused.code, refused.retry_after),
            (ErrorCode::NumberLocked, Some(3600))
        );
        // Browsers are refused checks too; a send is left to the per-number limits.
        assert_eq!(
            code(state.check_locks(Some("ip:a"), true, NOW + MIN)),
            Some(2110)
        );
        assert!(state.check_locks(None, false, NOW + MIN).is_ok());
        assert_eq!(state.history().locked_until, until);
        // The lock ends on its own.
        assert!(state.check_locks(None, true, until).is_ok());
    }

    /// A browser client's wrong PINs lock that client for the number, not the number nor
    /// other clients; for SMS as for checks.
    #[test]
    fn a_browser_clients_wrong_pins_lock_that_client_only() {
        let limits = NumberLimits::default();
        let mut state = NumberState::default();
        for _ in 0..10 {
            state.wrong_pin(Some("ip:a"), &limits, NOW);
        }
        assert_eq!(
            (state.failures, state.consecutive, state.locked_until),
            (0, 10, 0)
        );
        assert_eq!(code(state.check_locks(Some("ip:a"), true, NOW)), Some(2110));
        assert_eq!(
            code(state.check_locks(Some("ip:a"), false, NOW)),
            Some(2110)
        );
        assert!(state.check_locks(Some("ip:b"), true, NOW).is_ok());
        assert!(state.check_locks(None, true, NOW).is_ok());
        assert!(state
            .check_locks(Some("ip:a"), true, NOW + 3600 * 1000)
            .is_ok());
    }

    #[test]
    fn the_clients_remembered_stay_bounded() {
        let limits = NumberLimits::default();
        let mut state = NumberState::default();
        for i in 0..=MAX_CLIENTS {
            state.wrong_pin(Some(&format!("ip:{i}")), &limits, NOW);
        }
        assert_eq!(state.clients.len(), MAX_CLIENTS);
        // The oldest is pushed out.
        assert_eq!(state.clients[0].client, "ip:1");
        assert_eq!(state.consecutive, MAX_CLIENTS as u32 + 1);
    }

    /// `MAX_CONSECUTIVE_FAILURES` wrong PINs in a row from anyone lock the number for
    /// checks and SMS, whoever asks, until the tenant unlocks it; the row is kept.
    #[test]
    fn wrong_pins_in_a_row_lock_the_number_until_unlocked() {
        let limits = NumberLimits::default();
        let mut state = NumberState::default();
        for i in 0..MAX_CONSECUTIVE_FAILURES {
            // A new client every time: no client's own lock stops them.
            state.wrong_pin(Some(&format!("ip:{i}")), &limits, NOW);
        }
        for (client, check) in [(None, true), (None, false), (Some("ip:new"), false)] {
            assert_eq!(
                code(state.check_locks(client, check, NOW + 7 * DAY)),
                Some(2133)
            );
        }
        assert_eq!(state.forget_at(), u64::MAX);
        state.unlock();
        assert!(state.check_locks(None, true, NOW).is_ok());
        assert!(state.clients.is_empty());
        assert_eq!(state.forget_at(), 0);
    }

    /// The tenant's unlock clears the number's lock and every count.
    #[test]
    fn an_unlock_clears_every_lock_and_count() {
        let limits = NumberLimits::default();
        let mut state = NumberState::default();
        for _ in 0..10 {
            state.wrong_pin(None, &limits, NOW);
            state.wrong_pin(Some("ip:a"), &limits, NOW);
        }
        state.unlock();
        assert_eq!(
            (state.failures, state.consecutive, state.locked_until),
            (0, 0, 0)
        );
        assert!(state.check_locks(Some("ip:a"), true, NOW).is_ok());
    }

    /// A right PIN starts every count of wrong ones again and is the number's last
    /// verification: its SMS before no longer count as unverified (the prefix rule).
    #[test]
    fn a_right_pin_clears_the_counts_and_is_the_last_verification() {
        let limits = NumberLimits::default();
        let mut state = NumberState {
            sends: vec![NOW - 20 * MIN, NOW - 10 * MIN],
            ..NumberState::default()
        };
        for _ in 0..3 {
            state.wrong_pin(None, &limits, NOW);
            state.wrong_pin(Some("ip:a"), &limits, NOW);
        }
        let since = NOW - 60 * MIN;
        assert_eq!(state.unverified_sends_after(since).count(), 2);
        state.right_pin(NOW - 15 * MIN);
        assert_eq!((state.failures, state.consecutive), (0, 0));
        assert!(state.clients.is_empty());
        assert_eq!(state.verified_at, NOW - 15 * MIN);
        assert_eq!(
            state.unverified_sends_after(since).collect::<Vec<_>>(),
            [NOW - 10 * MIN]
        );
    }

    /// A check marks the number by what it did to the OTP: an attempt spent is a wrong
    /// PIN, a pending OTP verified a right one, anything else nothing.
    #[test]
    fn a_check_counts_by_what_it_did() {
        let limits = NumberLimits::default();
        let pending = record("id-1", OtpStatus::Pending, NOW);
        let mut state = NumberState::default();
        let mut wrong = pending.clone();
        wrong.attempts = 1;
        assert!(state.checked((OtpStatus::Pending, 0), &wrong, None, &limits, NOW));
        assert_eq!((state.failures, state.consecutive), (1, 1));
        // A check that spent nothing (a finished OTP): nothing changes.
        let mut finished = record("id-1", OtpStatus::Expired, NOW);
        finished.attempts = 1;
        assert!(!state.checked((OtpStatus::Expired, 1), &finished, None, &limits, NOW));
        assert_eq!((state.failures, state.verified_at), (1, 0));
        let mut right = wrong.clone();
        right.status = OtpStatus::Verified;
        assert!(state.checked((OtpStatus::Pending, 1), &right, None, &limits, NOW + MIN));
        assert_eq!(
            (state.failures, state.consecutive, state.verified_at),
            (0, 0, NOW + MIN)
        );
    }

    /// A new OTP supersedes the pending one (CANCELLED, or EXPIRED past its TTL: its
    /// callback is due); a finished one just goes to the earlier ones. A test number's
    /// OTP is no SMS of the number.
    #[test]
    fn a_new_otp_supersedes_the_pending_one() {
        let mut state = NumberState {
            current: Some(current_otp(record("id-1", OtpStatus::Pending, NOW))),
            ..NumberState::default()
        };
        assert!(state.pending(NOW).is_some());
        let ended = state.supersede(
            current_otp(record("id-2", OtpStatus::Pending, NOW + MIN)),
            true,
            NOW + MIN,
        );
        let ended = ended.unwrap();
        assert_eq!(
            (ended.otp_id.as_str(), ended.status),
            ("id-1", OtpStatus::Cancelled)
        );
        assert_eq!(state.earlier[0].status, OtpStatus::Cancelled);
        assert_eq!(state.current.as_ref().unwrap().record.otp_id, "id-2");
        assert_eq!(state.sends, [NOW + MIN]);
        // Past its TTL (5 minutes), the pending OTP ends EXPIRED.
        assert!(state.pending(NOW + 7 * MIN).is_none());
        let ended = state.supersede(
            current_otp(record("id-3", OtpStatus::Pending, NOW + 7 * MIN)),
            false,
            NOW + 7 * MIN,
        );
        assert_eq!(ended.unwrap().status, OtpStatus::Expired);
        assert_eq!(state.sends, [NOW + MIN]);
        // A finished OTP: no callback due.
        state.current.as_mut().unwrap().record.status = OtpStatus::Verified;
        let ended = state.supersede(
            current_otp(record("id-4", OtpStatus::Pending, NOW + 8 * MIN)),
            true,
            NOW + 8 * MIN,
        );
        assert!(ended.is_none());
        let earlier: Vec<_> = state.earlier.iter().map(|r| r.otp_id.as_str()).collect();
        assert_eq!(earlier, ["id-1", "id-2", "id-3"]);
        assert!(state.holds("id-1") && state.holds("id-4") && !state.holds("id-5"));
    }

    /// An earlier OTP answers until 24 h after it ended, then is gone; SMS leave the
    /// count after 24 h; the row may be deleted once nothing in it is of use.
    #[test]
    fn a_number_forgets_its_past_after_a_day() {
        let day = 24 * 60 * MIN;
        let mut state = NumberState {
            current: Some(current_otp(record("id-2", OtpStatus::Verified, NOW))),
            earlier: vec![record("id-1", OtpStatus::Cancelled, NOW - 10 * MIN)],
            sends: vec![NOW - 10 * MIN, NOW],
            ..NumberState::default()
        };
        assert!(state.find_mut("id-1", NOW + day - 11 * MIN).is_some());
        assert!(state.find_mut("id-1", NOW + day - 10 * MIN).is_none());
        assert_eq!(state.forget_at(), NOW + day);
        state.tidy(NOW + day - 5 * MIN);
        assert!(state.earlier.is_empty());
        assert_eq!(state.sends, [NOW]);
        assert!(state.current.is_some());
        // A lock keeps the row beyond that.
        state.locked_until = NOW + 2 * day;
        assert_eq!(state.forget_at(), NOW + 2 * day);
    }

    /// A pending OTP is remembered until 24 h after its TTL.
    #[test]
    fn a_pending_otp_is_forgotten_a_day_after_its_ttl() {
        let pending = record("id-1", OtpStatus::Pending, NOW);
        assert_eq!(forget_at(&pending), NOW + 5 * MIN + DAY);
        let mut state = NumberState {
            current: Some(current_otp(pending)),
            ..NumberState::default()
        };
        state.tidy(NOW + 5 * MIN + DAY - 1);
        assert!(state.current.is_some());
        state.tidy(NOW + 5 * MIN + DAY);
        assert!(state.current.is_none());
    }

    #[test]
    fn the_earlier_otps_and_the_sms_times_stay_bounded() {
        let mut state = NumberState {
            earlier: (0..100)
                .map(|i| record(&format!("id-{i}"), OtpStatus::Cancelled, NOW))
                .collect(),
            sends: (0..2000).map(|i| NOW - 2000 + i).collect(),
            ..NumberState::default()
        };
        state.tidy(NOW);
        assert_eq!(state.earlier.len(), 32);
        // The most recent are kept.
        assert_eq!(state.earlier.last().unwrap().otp_id, "id-99");
        assert_eq!(state.sends.len(), 1000);
        assert_eq!(state.sends.last(), Some(&(NOW - 1)));
    }
}
