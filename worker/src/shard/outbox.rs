//! Status callbacks: queued in `callbacks` in the same synchronous step as the change, and
//! delivered by the alarm (retried with backoff until a 2xx, each tenant's capped), so
//! neither a failing receiver nor an alarm that stops half-way loses one.

use futures_util::stream::{FuturesUnordered, StreamExt};
use smsotp_core::OtpRecord;
use worker::Result;

use super::storage::OutboxRow;
use super::OtpShard;
use crate::{callback, log, tenant};

/// Callbacks tried at once by a shard (their fetches interleave: the object is
/// single-threaded, but waits on no try to start the next).
const CALLBACK_CONCURRENCY: usize = 6;
/// Callbacks of one tenant tried per alarm run, so one tenant's backlog cannot take a
/// whole run (the next alarm comes at once for the rest).
const CALLBACKS_PER_TENANT_PER_RUN: usize = 20;
/// Callbacks tried per alarm run in all: with every receiver hanging, a run lasts at most
/// 60 / 6 × 5 s = 50 s, and expiries due meanwhile wait no longer than that.
const CALLBACKS_PER_RUN: usize = 60;
/// Callbacks of one tenant queued in one shard at most: past it, the tenant's oldest are
/// dropped (`callback.dropped`), so a tenant whose receiver is down cannot grow a shard's
/// queue (and every run's reads) without bound.
const MAX_QUEUED_PER_TENANT: u64 = 1000;

/// What an alarm run has tried so far.
#[derive(Default)]
struct CallbackRun {
    /// Webhook ids tried (each at most once a run).
    tried: Vec<String>,
    /// Tries per tenant.
    per_tenant: std::collections::HashMap<String, usize>,
}

impl CallbackRun {
    fn tries_of(&self, tenant: &str) -> usize {
        self.per_tenant.get(tenant).copied().unwrap_or(0)
    }
}

impl OtpShard {
    /// A record left PENDING: its callback (if it has a URL) is queued, and its expiry
    /// no longer needs an alarm — in the same synchronous step as the row's write.
    pub(super) fn status_changed(&self, record: &OtpRecord, now: u64) -> Result<()> {
        let Some(url) = &record.otp_callback_url else {
            return Ok(());
        };
        let store = self.store();
        store.remove_deadline(record.expires_at, &record.otp_id)?;
        let object = record.to_object(now);
        // The same id for every delivery of this change, so receivers can dedupe.
        let webhook_id = format!(
            "msg_{}_{}",
            object.otp_id,
            object.status.as_str().to_ascii_lowercase()
        );
        let body = callback::body(&object);
        store.queue_callback(&webhook_id, &record.tenant, url, &body, now)?;
        self.cap_callbacks(&record.tenant)?;
        self.wake(now);
        Ok(())
    }

    /// Queues a callback that is no OTP's (a guard event: `ShardOp::QueueCallback`), capped
    /// with the tenant's others, and rings the alarm to deliver it now.
    pub(super) fn queue_other_callback(
        &self,
        tenant: &str,
        webhook_id: &str,
        (url, body): (&str, &str),
        now: u64,
    ) -> Result<()> {
        self.store()
            .queue_callback(webhook_id, tenant, url, body, now)?;
        self.cap_callbacks(tenant)?;
        self.wake(now);
        Ok(())
    }

    /// Keeps at most [`MAX_QUEUED_PER_TENANT`] callbacks of `tenant` queued in this shard:
    /// the oldest queued beyond are dropped, each logged (`callback.dropped`).
    fn cap_callbacks(&self, tenant: &str) -> Result<()> {
        let store = self.store();
        let n = store.queued_callbacks(tenant)?;
        if n <= MAX_QUEUED_PER_TENANT {
            return Ok(());
        }
        for row in store.oldest_callbacks(tenant, n - MAX_QUEUED_PER_TENANT)? {
            log::event(
                "warn",
                "callback.dropped",
                serde_json::json!({
                    "webhookId": row.webhook_id,
                    "tenant": tenant,
                    "tries": row.tries,
                    "reason": format!("more than {MAX_QUEUED_PER_TENANT} callbacks of the tenant queued in the shard"),
                }),
            );
            store.forget_callback(&row.webhook_id)?;
        }
        Ok(())
    }

    /// The next callback to try in this run: among those due now (re-read at each free
    /// slot, so one queued during the run is seen), not yet tried in this run, of a tenant
    /// with fewer than [`CALLBACKS_PER_TENANT_PER_RUN`] tries in it, the oldest (by
    /// `next_at`) of the tenant with the fewest tries in this run: each tenant's oldest
    /// first, tenants in turn, so one tenant's backlog does not hold up the others.
    fn next_callback(&self, run: &CallbackRun, now: u64) -> Result<Option<OutboxRow>> {
        let due = self
            .store()
            .due_callbacks(now, (CALLBACKS_PER_TENANT_PER_RUN * 2) as u64)?;
        Ok(due
            .into_iter()
            .filter(|row| !run.tried.contains(&row.webhook_id))
            .filter(|row| run.tries_of(&row.tenant) < CALLBACKS_PER_TENANT_PER_RUN)
            // `min_by_key` keeps the first of equals: the oldest of the least served tenant.
            .min_by_key(|row| run.tries_of(&row.tenant)))
    }

    /// Delivers the callbacks that are due, one try each: at most
    /// [`CALLBACK_CONCURRENCY`] at once, each tenant's oldest first and tenants in turn, at
    /// most [`CALLBACKS_PER_TENANT_PER_RUN`] per tenant and [`CALLBACKS_PER_RUN`] in all
    /// (the next alarm comes at once for the rest). A try takes at most
    /// [`callback::LIMITS`]' 5 s; a failure waits for the next try.
    pub(super) async fn deliver_callbacks(&self) -> Result<()> {
        let mut run = CallbackRun::default();
        let mut next = self.next_callback(&run, crate::clock::now())?;
        if next.is_none() {
            return Ok(());
        }
        let settings = crate::config::settings_or_error(&self.env)?;
        let mut in_flight = FuturesUnordered::new();
        loop {
            // Fill the free slots (each try's time is when it starts).
            while let Some(row) = next.take() {
                run.tried.push(row.webhook_id.clone());
                *run.per_tenant.entry(row.tenant.clone()).or_default() += 1;
                in_flight.push(self.try_callback(row, &settings, crate::clock::now()));
                if in_flight.len() < CALLBACK_CONCURRENCY && run.tried.len() < CALLBACKS_PER_RUN {
                    next = self.next_callback(&run, crate::clock::now())?;
                }
            }
            let Some((row, result, started)) = in_flight.next().await else {
                return Ok(());
            };
            self.callback_tried(&row, result, started, &settings)?;
            if run.tried.len() < CALLBACKS_PER_RUN {
                next = self.next_callback(&run, crate::clock::now())?;
            }
        }
    }

    /// One try of a callback: `(row, outcome, when it started)`.
    async fn try_callback(
        &self,
        row: OutboxRow,
        settings: &crate::config::Settings,
        now: u64,
    ) -> (OutboxRow, std::result::Result<u16, String>, u64) {
        let kv = crate::usage::Usage::default();
        // Signed with the OTP's tenant's own secret: a tenant cannot sign for another.
        // Its record is read through the isolate's cache; KV failing (and nothing
        // cached) is a failed try, retried like a receiver's failure.
        let result = match tenant::by_id(&self.env, &row.tenant, settings, &kv).await {
            Ok(Some(t)) => {
                callback::send(&row.url, &row.webhook_id, &row.body, &t.webhook_key, now).await
            }
            Ok(None) => Err(format!("tenant {} no longer exists", row.tenant)),
            Err(e) => Err(format!("tenant {} unavailable: {e:?}", row.tenant)),
        };
        (row, result, now)
    }

    /// Writes a try's outcome: delivered (forgotten), retried later, or abandoned.
    fn callback_tried(
        &self,
        row: &OutboxRow,
        result: std::result::Result<u16, String>,
        started: u64,
        settings: &crate::config::Settings,
    ) -> Result<()> {
        let tries = row.tries as usize + 1;
        let (level, outcome) = match &result {
            Ok(status) => ("info", serde_json::json!(status)),
            Err(why) => ("warn", serde_json::json!(why)),
        };
        log::event(
            level,
            "callback",
            serde_json::json!({ "webhookId": row.webhook_id, "try": tries, "outcome": outcome }),
        );
        // config::CALLBACK_BACKOFF_MS, or development's CALLBACK_BACKOFF_MS.
        let retry = settings.callback_backoff.get(tries - 1);
        let store = self.store();
        match (result, retry) {
            (Err(_), Some(wait)) => {
                // A callback dropped (over its tenant's cap) while tried is not written back.
                store.retry_callback(&row.webhook_id, tries as u64, started + wait)?;
            }
            (Err(_), None) => {
                log::event(
                    "error",
                    "callback.abandoned",
                    serde_json::json!({ "webhookId": row.webhook_id, "tries": tries }),
                );
                store.forget_callback(&row.webhook_id)?;
            }
            (Ok(_), _) => store.forget_callback(&row.webhook_id)?,
        }
        Ok(())
    }
}
