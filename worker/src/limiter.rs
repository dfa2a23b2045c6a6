//! Per-tenant rate limit: a fixed one-minute window counted in a Durable Object per tenant
//! (`TenantLimiter`), so the count is exact across the edge.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use worker::*;

#[derive(Serialize, Deserialize, Clone, Copy)]
pub struct Window {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the window resets.
    pub reset: u64,
    pub allowed: bool,
}

#[durable_object]
pub struct TenantLimiter {
    state: State,
    /// (window start in unix minutes, requests in it), in memory; a restarted object
    /// starts a fresh window, which only errs towards allowing.
    count: Cell<(u64, u32)>,
}

impl DurableObject for TenantLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            count: Cell::new((0, 0)),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let _ = &self.state;
        let limit: u32 = req
            .url()?
            .query()
            .and_then(|q| q.strip_prefix("limit="))
            .and_then(|l| l.parse().ok())
            .unwrap_or(600);
        let minute = Date::now().as_millis() / 60_000;
        let (start, used) = self.count.get();
        let used = if start == minute { used } else { 0 };
        let allowed = used < limit;
        let used = if allowed { used + 1 } else { used };
        self.count.set((minute, used));
        Response::from_json(&Window {
            limit,
            remaining: limit - used,
            reset: (minute + 1) * 60,
            allowed,
        })
    }
}

pub async fn take(env: &Env, tenant: &str, limit: u32) -> Result<Window> {
    let stub = env
        .durable_object("TENANT_LIMITER")?
        .id_from_name(tenant)?
        .get_stub()?;
    let mut res = stub
        .fetch_with_str(&format!("https://limiter/take?limit={limit}"))
        .await?;
    res.json().await
}
