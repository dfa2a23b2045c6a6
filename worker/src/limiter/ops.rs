//! The limiter's answers: each reads what it needs (the counters from memory when it
//! can), decides with the core's rules and writes, with no `await` in between.

use std::cell::Cell;

use smsotp_edge::idempotency::{self, Decision, StoredAnswer};
use smsotp_edge::limits::{ipv6_net48, utc_day};
use worker::Result;

use super::counters::{minute_window, restored, take_one, Count, Counter};
use super::counters::{BROWSER_DAY, BROWSER_MINUTE, DAY, MINUTE};
use super::wire::{Budget, IdempotencyAsk, LimiterReply, SendAsk};
use super::{TenantLimiter, IP_WINDOW_MS};
use crate::durable::WireError;

impl TenantLimiter {
    fn cell(&self, counter: Counter) -> &Cell<Option<Count>> {
        match counter.table {
            t if t == MINUTE.table => &self.minute,
            t if t == BROWSER_MINUTE.table => &self.browser_minute,
            t if t == BROWSER_DAY.table => &self.browser_day,
            _ => &self.day,
        }
    }

    /// A counter's count: the copy in memory, or else the row (restored: see the module
    /// doc).
    fn stored(&self, counter: Counter, limit: u32) -> Result<Option<Count>> {
        if let Some(c) = self.cell(counter).get() {
            return Ok(Some(c));
        }
        let stored = self
            .store()
            .count(counter)?
            .map(|c| restored(c, limit, counter.divisor));
        self.cell(counter).set(stored);
        Ok(stored)
    }

    /// Takes one unit of a counter in `window` under `limit`; writes at checkpoints.
    fn take(&self, counter: Counter, window: u64, limit: u32) -> Result<(Count, bool)> {
        let stored = self.stored(counter, limit)?;
        let (count, allowed, write) = take_one(stored, window, limit, counter.divisor);
        if write {
            self.store().write_count(counter, count)?;
        }
        self.cell(counter).set(Some(count));
        Ok((count, allowed))
    }

    /// Gives back one unit of a counter (a refund): in memory, and written at once so a
    /// restart does not take it again (refunds are rare: a refused or failed SMS).
    fn give_back(&self, counter: Counter, window: u64, limit: u32) -> Result<()> {
        // Read back (conservatively) if the object restarted since the unit was taken.
        let Some(mut count) = self.stored(counter, limit)? else {
            return Ok(());
        };
        if count.window != window || count.used == 0 {
            return Ok(());
        }
        count.used -= 1;
        self.store().write_used(counter, count.used)?;
        self.cell(counter).set(Some(count));
        Ok(())
    }

    /// The end-user IP's SMS of the last hour.
    fn ip_times(&self, ip: &str, now: u64) -> Result<Vec<u64>> {
        let times = self.store().ip_times(ip)?;
        Ok(times
            .into_iter()
            .filter(|&t| t + IP_WINDOW_MS > now)
            .collect())
    }

    /// The idempotency step of a create: what the key's record says, and (for a new key)
    /// the key recorded as in flight.
    fn idempotency(&self, ask: &IdempotencyAsk, now: u64) -> Result<Decision> {
        let stored = self.store().idempotency_entry(&ask.key)?;
        let decision = idempotency::decide(stored.as_ref(), &ask.fingerprint, now);
        if let Decision::Proceed = decision {
            self.store()
                .key_in_flight(&ask.key, &ask.fingerprint, now)?;
        }
        Ok(decision)
    }

    /// `Take`: one request of the minute of `budget`.
    pub(super) fn take_minute(&self, limit: u32, budget: Budget, now: u64) -> Result<LimiterReply> {
        let (count, allowed) = self.take(budget.minute(), now / 60_000, limit)?;
        Ok(LimiterReply::Counted {
            window: (limit > 0).then(|| minute_window(count, limit, allowed)),
            guard: None,
        })
    }

    /// `Create`: see [`Ask::Create`](super::Ask::Create). Later steps run only if the
    /// earlier allowed.
    pub(super) fn create(
        &self,
        limit: u32,
        budget: Budget,
        idempotency: Option<&IdempotencyAsk>,
        send: Option<&SendAsk>,
        now: u64,
    ) -> Result<LimiterReply> {
        // No limit: nothing to count (not even in memory).
        let window = if limit == 0 {
            None
        } else {
            let (count, allowed) = self.take(budget.minute(), now / 60_000, limit)?;
            if !allowed {
                return Ok(LimiterReply::Counted {
                    window: Some(minute_window(count, limit, false)),
                    guard: None,
                });
            }
            Some(minute_window(count, limit, true))
        };
        if let Some(ask) = idempotency {
            match self.idempotency(ask, now)? {
                Decision::Proceed => {}
                Decision::Replay(answer) => return Ok(LimiterReply::Replay { window, answer }),
                refused @ (Decision::Conflict | Decision::InFlight) => {
                    return Ok(match refused.error() {
                        Some(e) => LimiterReply::Refused {
                            window,
                            error: WireError::from_api(&e),
                        },
                        None => LimiterReply::Counted {
                            window,
                            guard: None,
                        },
                    });
                }
            }
        }
        let Some(send) = send else {
            return Ok(LimiterReply::Counted {
                window,
                guard: None,
            });
        };
        self.count_send(send, idempotency, window, now)
    }

    /// `Failover`: an SMS the shard sends again through the next provider, counted against
    /// the day's caps like any (no minute: no request of the tenant's made it).
    pub(super) fn failover(&self, send: &SendAsk, now: u64) -> Result<LimiterReply> {
        self.count_send(send, None, None, now)
    }

    /// An SMS against the day's cap (and the browser's), then the end-user IP's hour; a
    /// refusal takes nothing (and frees the idempotency key).
    pub(super) fn count_send(
        &self,
        send: &SendAsk,
        idempotency: Option<&IdempotencyAsk>,
        window: Option<super::Window>,
        now: u64,
    ) -> Result<LimiterReply> {
        // The day's cap, then the IP's hour; a refusal takes nothing (and frees the key).
        let refuse = |e: smsotp_core::ApiError| -> Result<LimiterReply> {
            if let Some(ask) = idempotency {
                self.store().forget_key(&ask.key)?;
            }
            Ok(LimiterReply::Refused {
                window,
                error: WireError::from_api(&e),
            })
        };
        let day = u64::from(utc_day(now));
        let sent_today = self.stored(DAY, send.limits.daily_send_cap)?;
        let sent_today = sent_today.filter(|c| c.window == day).map_or(0, |c| c.used);
        if let Err(e) = send.limits.check_daily_cap(sent_today, now) {
            return refuse(e);
        }
        // Browser SMS have a cap of their own inside the account's: the backend keeps the
        // rest of the day's SMS whatever public traffic does.
        let browser_cap = send.limits.browser_daily_send_cap;
        if send.browser {
            let sent = self.stored(BROWSER_DAY, browser_cap)?;
            let sent = sent.filter(|c| c.window == day).map_or(0, |c| c.used);
            if let Err(e) = send.limits.check_browser_daily_cap(sent, now) {
                return refuse(e);
            }
        }
        // The IP's hour: its /64 (or IPv4), then, for IPv6, its /48.
        let mut ip_times = Vec::new();
        if let Some(ip) = &send.ip {
            let times = self.ip_times(ip, now)?;
            if let Err(e) = send.limits.check_ip(&times, now) {
                return refuse(e);
            }
            ip_times.push((ip.clone(), times));
            if let Some(net) = ipv6_net48(ip) {
                let times = self.ip_times(&net, now)?;
                if let Err(e) = send.limits.check_ipv6_net48(&times, now) {
                    return refuse(e);
                }
                ip_times.push((net, times));
            }
        }
        // The adaptive guard, last: a refusal there takes nothing either.
        let guarded = match self.guard_check(send, now)? {
            Ok(guarded) => guarded,
            Err(e) => return refuse(e),
        };
        self.take(DAY, day, send.limits.daily_send_cap)?;
        // What the number's shard needs for the range rule, before `guard_sent` takes it.
        let verdict = guarded.as_ref().and_then(|g| g.verdict);
        self.guard_sent(guarded, send, now)?;
        if send.browser {
            self.take(BROWSER_DAY, day, browser_cap)?;
        }
        for (ip, mut times) in ip_times {
            times.push(now);
            self.store().write_ip_times(&ip, &times, now)?;
        }
        Ok(LimiterReply::Counted {
            window,
            guard: verdict,
        })
    }

    /// `Refund`: the day's SMS and the IP's latest one given back.
    pub(super) fn refund(
        &self,
        ip: Option<&str>,
        daily_cap: u32,
        browser_cap: Option<u32>,
        now: u64,
    ) -> Result<LimiterReply> {
        let day = u64::from(utc_day(now));
        self.give_back(DAY, day, daily_cap)?;
        if let Some(cap) = browser_cap {
            self.give_back(BROWSER_DAY, day, cap)?;
        }
        let subjects = ip
            .into_iter()
            .map(str::to_owned)
            .chain(ip.and_then(ipv6_net48));
        for subject in subjects {
            let mut times = self.ip_times(&subject, now)?;
            times.pop();
            self.store().write_ip_times(&subject, &times, now)?;
        }
        Ok(LimiterReply::Done)
    }

    /// `Finish`: the key's answer kept for replays, or the key forgotten.
    pub(super) fn finish(&self, key: &str, answer: Option<&StoredAnswer>) -> Result<LimiterReply> {
        match answer {
            Some(a) => self.store().key_answered(key, a)?,
            None => self.store().forget_key(key)?,
        }
        Ok(LimiterReply::Done)
    }

    /// Sets the clean-up alarm (an hour away) unless it is known to be set.
    pub(super) async fn schedule_cleanup(&self) -> Result<()> {
        if self.alarm_set.get() {
            return Ok(());
        }
        let now = crate::clock::now();
        // The next clean-up when known, else in an hour.
        let at = match self.clean_up_at.get() {
            due if due > now => due,
            _ => now + IP_WINDOW_MS,
        };
        self.wake_at(at, now).await?;
        self.alarm_set.set(true);
        Ok(())
    }

    /// Sets the alarm for `at` unless it is set for earlier (an alarm finds what is due
    /// and sets the next itself).
    pub(super) async fn wake_at(&self, at: u64, now: u64) -> Result<()> {
        if self.alarm_at.get() == 0 {
            let set = self.state.storage().get_alarm().await?;
            self.alarm_at
                .set(set.map_or(u64::MAX, |t| crate::clock::from_real(t.max(0) as u64)));
        }
        if at < self.alarm_at.get() {
            let offset = std::time::Duration::from_millis(at.saturating_sub(now));
            self.state.storage().set_alarm(offset).await?;
            crate::durable::alarm_set(&self.usage);
            self.alarm_at.set(at);
        }
        Ok(())
    }
}
