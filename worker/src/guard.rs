//! `OtpGuard`: one Durable Object per OTP id, the only writer of its record. Every check,
//! cancel, delivery failure and expiry goes through it, one at a time, so attempts are
//! counted exactly and an OTP verifies at most once however many requests race. It keeps
//! the record in its own storage (authoritative), copies it to KV after each change (what
//! `GET` reads), fires the status callback, and expires the OTP with an alarm at its TTL.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use smsotp_core::{ApiError, OtpRecord};
use worker::*;

use crate::callback;
use crate::config::{var, GRACE_SECONDS};
use crate::log;

/// A request to the guard (internal JSON, from the worker).
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GuardOp {
    Init { record: OtpRecord },
    Check { tenant: String, pin: String },
    Cancel { tenant: String },
    FailDelivery,
    Get { tenant: String },
}

impl GuardOp {
    /// The tenant the operation is made for: another tenant's OTP does not exist for it.
    fn tenant(&self) -> Option<&str> {
        match self {
            GuardOp::Check { tenant, .. }
            | GuardOp::Cancel { tenant }
            | GuardOp::Get { tenant } => Some(tenant),
            GuardOp::Init { .. } | GuardOp::FailDelivery => None,
        }
    }
}

/// The guard's answer: the record after the operation, and the error it produced.
#[derive(Serialize, Deserialize)]
pub struct GuardReply {
    pub record: Option<OtpRecord>,
    pub error: Option<GuardError>,
}

/// An `ApiError` across the Durable Object boundary.
#[derive(Serialize, Deserialize)]
pub struct GuardError {
    pub code: u16,
    pub message: String,
    pub attempts_left: Option<u8>,
}

impl GuardError {
    fn from_api(e: &ApiError) -> Self {
        GuardError {
            code: e.code.code(),
            message: e.message.clone(),
            attempts_left: e.attempts_left,
        }
    }

    pub fn into_api(self) -> ApiError {
        let code = smsotp_core::ErrorCode::from_code(self.code)
            .unwrap_or(smsotp_core::ErrorCode::Internal);
        let mut e = ApiError::with_message(code, self.message);
        e.attempts_left = self.attempts_left;
        e
    }
}

pub const KV_BINDING: &str = "OTPS";

pub fn kv_key(otp_id: &str) -> String {
    format!("otp:{otp_id}")
}

#[durable_object]
pub struct OtpGuard {
    state: State,
    env: Env,
    record: RefCell<Option<OtpRecord>>,
}

impl OtpGuard {
    async fn load(&self) -> Result<()> {
        if self.record.borrow().is_none() {
            let stored: Option<OtpRecord> = self.state.storage().get("record").await?;
            if self.record.borrow().is_none() {
                *self.record.borrow_mut() = stored;
            }
        }
        Ok(())
    }

    /// Persists the record (storage, then the KV copy) and fires the callback if the
    /// status changed.
    async fn persist(&self, record: OtpRecord, status_changed: bool) -> Result<()> {
        self.state.storage().put("record", &record).await?;
        let ttl = (record.expires_at.saturating_sub(record.created_at)) / 1000 + GRACE_SECONDS;
        let kv = self.env.kv(KV_BINDING)?;
        kv.put(&kv_key(&record.otp_id), serde_json::to_string(&record)?)
            .map_err(|e| Error::RustError(e.to_string()))?
            .expiration_ttl(ttl.max(60))
            .execute()
            .await
            .map_err(|e| Error::RustError(e.to_string()))?;
        if status_changed {
            if let Some(url) = record.otp_callback_url.clone() {
                let key = var(&self.env, "WEBHOOK_SECRET").and_then(|s| callback::secret_key(&s));
                let now = Date::now().as_millis();
                let object = record.to_object(now);
                self.state.wait_until(async move {
                    let result = callback::send(&url, &object, key.as_deref(), now).await;
                    let (level, outcome) = match &result {
                        Ok(status) => ("info", serde_json::json!(status)),
                        Err(why) => ("warn", serde_json::json!(why)),
                    };
                    log::event(
                        level,
                        "callback",
                        serde_json::json!({
                            "otpId": object.otp_id, "status": object.status, "outcome": outcome,
                        }),
                    );
                });
            }
        }
        Ok(())
    }
}

impl DurableObject for OtpGuard {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            record: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let op: GuardOp = req.json().await?;
        let now = Date::now().as_millis();
        // A new id: its object is new too, with nothing stored to load.
        if let GuardOp::Init { record } = op {
            let expires_at = record.expires_at;
            *self.record.borrow_mut() = Some(record.clone());
            self.persist(record.clone(), false).await?;
            // An offset from now (an i64 would also be read as an offset, not a date).
            let offset = std::time::Duration::from_millis(expires_at.saturating_sub(now));
            self.state.storage().set_alarm(offset).await?;
            return Response::from_json(&GuardReply {
                record: Some(record),
                error: None,
            });
        }
        self.load().await?;
        // A missing key is the deployment's fault: a worker error (logged, 500), not an
        // answer naming it.
        let hasher =
            crate::config::pin_hasher(&self.env).map_err(|e| Error::RustError(format!("{e:?}")))?;
        // The transition happens synchronously on the in-memory record: no other request
        // can interleave between reading the state and changing it.
        let outcome = {
            let mut slot = self.record.borrow_mut();
            let owned = |r: &OtpRecord| op.tenant().is_none_or(|t| t == r.tenant);
            let Some(record) = slot.as_mut().filter(|r| owned(r)) else {
                return Response::from_json(&GuardReply {
                    record: None,
                    error: None,
                });
            };
            let before = record.status;
            let result: std::result::Result<(), ApiError> = match op {
                GuardOp::Check { pin, .. } => record.check(&pin, now, &hasher).map(|_| ()),
                GuardOp::Cancel { .. } => record.cancel(now),
                GuardOp::FailDelivery => {
                    record.fail_delivery(now);
                    Ok(())
                }
                GuardOp::Get { .. } => {
                    record.expire(now);
                    Ok(())
                }
                GuardOp::Init { .. } => Ok(()),
            };
            let changed = record.status != before;
            let attempts_changed = matches!(result, Err(ref e) if e.attempts_left.is_some());
            (
                record.clone(),
                result.err(),
                changed,
                changed || attempts_changed,
            )
        };
        let (record, error, status_changed, dirty) = outcome;
        if dirty {
            self.persist(record.clone(), status_changed).await?;
        }
        Response::from_json(&GuardReply {
            record: Some(record),
            error: error.as_ref().map(GuardError::from_api),
        })
    }

    async fn alarm(&self) -> Result<Response> {
        self.load().await?;
        let now = Date::now().as_millis();
        let changed = {
            let mut slot = self.record.borrow_mut();
            match slot.as_mut() {
                Some(record) => record.expire(now).then(|| record.clone()),
                None => None,
            }
        };
        if let Some(record) = changed {
            let otp_id = record.otp_id.clone();
            self.persist(record, true).await?;
            log::event(
                "info",
                "otp.expired",
                serde_json::json!({ "otpId": otp_id }),
            );
        }
        // Past the grace period nothing is readable any more: free the object's storage.
        let finished = self
            .record
            .borrow()
            .as_ref()
            .map(|r| r.expires_at + GRACE_SECONDS * 1000);
        match finished {
            Some(at) if now < at => {
                let offset = std::time::Duration::from_millis(at - now);
                self.state.storage().set_alarm(offset).await?
            }
            _ => {
                self.state.storage().delete_all().await?;
                *self.record.borrow_mut() = None;
            }
        }
        Response::ok("")
    }
}

/// Sends an operation to the guard of `otp_id`.
pub async fn call(env: &Env, otp_id: &str, op: &GuardOp) -> Result<GuardReply> {
    let stub = env
        .durable_object("OTP_GUARD")?
        .id_from_name(otp_id)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(op)?.into()));
    let req = Request::new_with_init("https://guard/op", &init)?;
    let mut res = stub.fetch_with_request(req).await?;
    res.json().await
}
