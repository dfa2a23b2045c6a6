//! The smsotp HTTP API on Cloudflare Workers — wire-compatible with the SMS.cx OTP API.
//! Glue only: the rules are in the pure crates. Where things are (docs/architecture.md
//! has the picture):
//! - `pipeline/`: how a request goes from `fetch` to a handler and back — the route table
//!   (`table.rs`), the request context, the budgets, the answer and its log line;
//! - `handlers/`: one file per route family; `service/`: the OTP operations both APIs
//!   share and the SMS's delivery;
//! - `auth.rs` (keys, origins), `tenant.rs` (tenants in KV), `config.rs` (settings);
//! - `shard/` (the `OtpShard` Durable Object: OTP state), `limiter/` (the
//!   `TenantLimiter` Durable Object: a tenant's counters), `durable.rs` (what both share:
//!   the call, the counted SQL), `callback.rs`;
//! - `admin.rs` (the operator's dashboard at `/admin/`: static files with a strict CSP);
//! - `providers/` (SMS providers); `dev.rs` (development-only routes: the demo pages, the
//!   dev inbox).

mod admin;
mod auth;
mod callback;
mod clock;
mod config;
mod dev;
mod durable;
mod error;
mod handlers;
mod http;
mod limiter;
mod log;
mod lru;
mod pipeline;
mod providers;
mod reports;
mod service;
mod shard;
mod tenant;
mod usage;

use worker::*;

pub use crate::dev::DevInbox;
pub use crate::limiter::TenantLimiter;
pub use crate::shard::OtpShard;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    // The demo pages and the dev inbox, in development only (dev.rs); not API requests.
    if dev::is_dev_path(&req.path()) {
        if let Some(res) = dev::serve(req.clone()?, &env).await {
            return res;
        }
    }
    // The operator's dashboard, in every deployment (admin.rs): static files, not the API.
    if admin::is_admin_path(&req.path()) {
        return admin::serve(req, &env).await;
    }
    pipeline::run(req, env).await
}
