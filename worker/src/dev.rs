//! Development-only routes, for `npm run dev`: the demo pages and the dev inbox. With
//! `ENVIRONMENT` anything but `development` they do not exist (the request goes on to the
//! API's router, which answers 404 like for any unknown path), so a production deployment
//! serves neither the demo nor anybody's SMS, whatever files were uploaded with it.
//!
//! - `/demo/…`: the widget's demo pages (`www/` and the npm package, assembled into
//!   `worker/public/demo/` by `scripts/build-demo.sh`), from the `ASSETS` binding. The
//!   worker runs before the assets (`run_worker_first` in wrangler.toml), so this check
//!   cannot be bypassed.
//! - `/dev/inbox`: the SMS the console provider "sent" (it sends none), newest first, for
//!   the demo page's inbox panel and the browser tests: `GET` lists, `DELETE` empties. Kept
//!   by the [`DevInbox`] Durable Object, the last [`INBOX_SIZE`] only. PINs are in those
//!   texts: that is the point of a development inbox, and why it exists only there, with
//!   the console provider, which production refuses (config.rs).

use serde::{Deserialize, Serialize};
use worker::*;

use crate::config;

/// The `ASSETS` binding (wrangler.toml `[assets]`).
const ASSETS: &str = "ASSETS";
/// The `DEV_INBOX` binding of [`DevInbox`].
const INBOX: &str = "DEV_INBOX";
/// How many SMS the inbox keeps.
pub const INBOX_SIZE: usize = 50;

/// One SMS of the inbox, as `GET /dev/inbox` lists it.
#[derive(Serialize, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct InboxSms {
    /// The OTP the SMS belongs to.
    pub otp_id: String,
    /// The recipient, E.164 (development: not masked).
    pub to: String,
    /// The text, PIN included.
    pub text: String,
    /// When it was "sent", ISO 8601.
    pub sent_at: String,
}

/// `path` is one of the development-only routes (checked before anything else, cheaply).
pub fn is_dev_path(path: &str) -> bool {
    path == "/demo" || path.starts_with("/demo/") || path == "/dev/inbox"
}

/// The answer to a development-only route, or `None` when `req` is not one or the
/// deployment is not in development (the API's router answers then).
pub async fn serve(req: Request, env: &Env) -> Option<Result<Response>> {
    let path = req.path();
    // The demo answers in development even when another setting has a problem (the page
    // then shows the API's 500, and `/health` says why); the inbox needs the settings.
    if path.starts_with("/demo") && config::development(env) {
        return Some(demo(req, env, &path).await);
    }
    if path == "/dev/inbox" && config::settings(env).is_ok_and(|s| s.keeps_dev_inbox()) {
        return Some(inbox(req, env).await);
    }
    None
}

/// A demo file from the `ASSETS` binding (`/demo` redirects to `/demo/`, so the pages'
/// relative URLs resolve).
async fn demo(req: Request, env: &Env, path: &str) -> Result<Response> {
    if path == "/demo" {
        let mut url = req.url()?;
        url.set_path("/demo/");
        return Response::redirect_with_status(url, 308);
    }
    match env.assets(ASSETS) {
        Ok(assets) => assets.fetch_request(req).await,
        Err(_) => Response::error(
            "no ASSETS binding: the demo is served by `npm run dev` (scripts/build-demo.sh)",
            404,
        ),
    }
}

/// `GET` / `DELETE /dev/inbox`, answered by the inbox object.
async fn inbox(req: Request, env: &Env) -> Result<Response> {
    let method = match crate::pipeline::known_method(&req) {
        Some(m @ (Method::Get | Method::Delete)) => m,
        _ => {
            let headers = Headers::new();
            headers.set("Allow", "GET, DELETE")?;
            return Ok(Response::error("GET or DELETE", 405)?.with_headers(headers));
        }
    };
    let stub = env
        .durable_object(INBOX)?
        .id_from_name("inbox")?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(method);
    let mut res = stub
        .fetch_with_request(Request::new_with_init("https://inbox/", &init)?)
        .await?;
    let body = res.text().await?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(Response::ok(body)?.with_headers(headers))
}

/// Puts an SMS of the console provider into the inbox (development only: the caller
/// checks). A failure is logged, not raised: the inbox is a convenience, the SMS "sent".
pub async fn record(env: &Env, sms: InboxSms) {
    let put = async {
        let stub = env
            .durable_object(INBOX)?
            .id_from_name("inbox")?
            .get_stub()?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(serde_json::to_string(&sms)?.into()));
        stub.fetch_with_request(Request::new_with_init("https://inbox/", &init)?)
            .await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = put.await {
        crate::log::event(
            "warn",
            "dev.inbox",
            serde_json::json!({ "otpId": sms.otp_id, "reason": e.to_string() }),
        );
    }
}

/// The dev inbox: one object (named `inbox`) holding the last 50 SMS of the
/// console provider in its storage, so they survive the object's eviction between polls.
#[durable_object]
pub struct DevInbox {
    state: State,
}

impl DurableObject for DevInbox {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let mut messages: Vec<InboxSms> = storage.get("messages").await?.unwrap_or_default();
        match req.method() {
            Method::Post => {
                let sms: InboxSms = req.json().await?;
                messages.insert(0, sms);
                messages.truncate(INBOX_SIZE);
                storage.put("messages", &messages).await?;
            }
            Method::Delete => {
                messages.clear();
                storage.delete("messages").await?;
            }
            _ => {}
        }
        Response::from_json(&serde_json::json!({ "messages": messages }))
    }
}
