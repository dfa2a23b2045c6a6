//! A tenant's Twilio Verify services, in its `TenantLimiter` object: the services created
//! through `POST /v2/Services`, and the changes made through the API to services imported
//! from Twilio (those live in the tenant's KV record, which nothing writes on the path of
//! a request: an update is a row here that wins over the import, a delete a tombstone).
//!
//! Why here: every Twilio Verify request spends the tenant's minute in this object anyway,
//! so the same call reads the service ([`Ask::Service`](super::Ask::Service)) and a
//! verification costs no extra round trip; an update or a delete is read, changed and
//! written with no `await` in between, so two concurrent updates never lose one another.
//! One row per service; a list reads them all (at most
//! [`MAX_SERVICES`](smsotp_edge::twilio::service::MAX_SERVICES) per tenant).

use serde::{Deserialize, Serialize};
use smsotp_edge::twilio::service::{Service, ServiceChange, MAX_SERVICES};
use worker::Result;

use super::TenantLimiter;
use crate::durable::{int, text};

/// The table (created with the limiter's others).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS twilio_services (
  sid TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  deleted INTEGER NOT NULL
);
";

/// What the worker asks of the services (the imported ones come with the ask: the
/// object has no KV binding).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceOp {
    /// A new service (its SID fresh from the worker).
    Create { service: Service },
    /// The service `sid`: its row, else its import, unless deleted.
    Get {
        sid: String,
        imported: Option<Service>,
    },
    /// The service `sid` changed (found as [`ServiceOp::Get`] finds it).
    Update {
        sid: String,
        imported: Option<Service>,
        change: ServiceChange,
        now: u64,
    },
    /// The service `sid` gone (an import: a tombstone that hides it).
    Delete {
        sid: String,
        imported: Option<Service>,
    },
    /// Every service, oldest first (ties by SID).
    List { imported: Vec<Service> },
}

/// The answer about services.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceResult {
    Found(Service),
    NotFound,
    Deleted,
    List(Vec<Service>),
    /// `Create`: the tenant has [`MAX_SERVICES`] already.
    Full,
}

#[derive(Deserialize)]
struct Row {
    sid: String,
    body: String,
    deleted: f64,
}

impl TenantLimiter {
    /// The stored row of `sid`: `Some(None)` for a tombstone.
    fn service_row(&self, sid: &str) -> Result<Option<Option<Service>>> {
        let rows: Vec<Row> = self
            .store()
            .0
            .exec(
                "SELECT sid, body, deleted FROM twilio_services WHERE sid = ?",
                vec![text(sid)],
            )?
            .to_array()?;
        rows.into_iter()
            .next()
            .map(|r| {
                if r.deleted != 0.0 {
                    return Ok(None);
                }
                serde_json::from_str(&r.body)
                    .map(Some)
                    .map_err(|e| worker::Error::RustError(format!("twilio service {}: {e}", r.sid)))
            })
            .transpose()
    }

    fn write_service(&self, s: &Service, deleted: bool) -> Result<()> {
        let body = serde_json::to_string(s)?;
        self.store().0.exec(
            "INSERT OR REPLACE INTO twilio_services (sid, body, deleted) VALUES (?, ?, ?)",
            vec![text(&s.sid), text(&body), int(u64::from(deleted))],
        )?;
        Ok(())
    }

    /// The service as the tenant sees it now.
    fn resolve(&self, sid: &str, imported: Option<&Service>) -> Result<Option<Service>> {
        Ok(match self.service_row(sid)? {
            Some(row) => row,
            None => imported.cloned(),
        })
    }

    /// One [`ServiceOp`].
    pub(super) fn service(&self, op: &ServiceOp) -> Result<ServiceResult> {
        Ok(match op {
            ServiceOp::Create { service } => {
                #[derive(Deserialize)]
                struct Live {
                    n: f64,
                }
                let live: Vec<Live> = self
                    .store()
                    .0
                    .exec(
                        "SELECT COUNT(*) AS n FROM twilio_services WHERE deleted = 0",
                        None,
                    )?
                    .to_array()?;
                if live.first().map_or(0.0, |l| l.n) >= MAX_SERVICES as f64 {
                    ServiceResult::Full
                } else {
                    self.write_service(service, false)?;
                    ServiceResult::Found(service.clone())
                }
            }
            ServiceOp::Get { sid, imported } => match self.resolve(sid, imported.as_ref())? {
                Some(s) => ServiceResult::Found(s),
                None => ServiceResult::NotFound,
            },
            ServiceOp::Update {
                sid,
                imported,
                change,
                now,
            } => match self.resolve(sid, imported.as_ref())? {
                Some(mut s) => {
                    s.apply(change, *now);
                    self.write_service(&s, false)?;
                    ServiceResult::Found(s)
                }
                None => ServiceResult::NotFound,
            },
            ServiceOp::Delete { sid, imported } => match self.resolve(sid, imported.as_ref())? {
                None => ServiceResult::NotFound,
                // An import stays hidden by its tombstone; a service made here goes.
                Some(s) if imported.is_some() => {
                    self.write_service(&s, true)?;
                    ServiceResult::Deleted
                }
                Some(_) => {
                    self.store()
                        .0
                        .exec("DELETE FROM twilio_services WHERE sid = ?", vec![text(sid)])?;
                    ServiceResult::Deleted
                }
            },
            ServiceOp::List { imported } => {
                let rows: Vec<Row> = self
                    .store()
                    .0
                    .exec("SELECT sid, body, deleted FROM twilio_services", None)?
                    .to_array()?;
                let mut all: Vec<Service> = imported
                    .iter()
                    .filter(|i| !rows.iter().any(|r| r.sid == i.sid))
                    .cloned()
                    .collect();
                for r in rows.iter().filter(|r| r.deleted == 0.0) {
                    all.push(serde_json::from_str(&r.body)?);
                }
                all.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
                ServiceResult::List(all)
            }
        })
    }
}
