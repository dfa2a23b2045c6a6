//! The request context: what the pipeline knows about one request, handed to its handler
//! instead of half a dozen positional arguments — the request, the bindings, the settings,
//! the usage counted so far, the request id, the route's path parameter, and what the
//! answer must carry (the rate-limit window). Modelled on workers-rs's `RouteContext`.

use std::rc::Rc;

use futures_util::StreamExt;
use smsotp_core::ErrorCode;
use worker::{Env, Request};

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::limiter::Window;
use crate::tenant::Tenant;
use crate::usage::Usage;

/// The deployment's settings as read: valid, or every problem found (`GET /health`
/// answers them; any other route refuses to run on them).
pub type Configuration = Result<Rc<Settings>, Vec<String>>;

/// Largest server API request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// One request on its way through the pipeline, with valid settings.
pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub settings: Rc<Settings>,
    /// What the request used of what Cloudflare bills (its log line).
    pub usage: Usage,
    /// `X-Request-Id`, and the id of its log lines.
    pub id: String,
    /// The route's last path parameter (`{otpId}`, `{phoneNumber}`, `{Sid}`), as the
    /// client wrote it.
    pub param: String,
    /// Every path parameter of the route, in order (`{ServiceSid}`, `{Sid}`).
    pub params: Vec<String>,
    /// The tenant's minute as the limiter last answered it (`X-Rate-Limit-*` on server
    /// API answers).
    pub window: Option<Window>,
    /// Where and how the SMS asked for goes, once the request has named them (the
    /// statistics of a refusal: `pipeline::budget::refused`).
    pub destination: Option<(String, smsotp_core::Channel)>,
}

/// A browser API caller: the tenant of its publishable key, the key, and the page's
/// origin (one of the key's).
pub struct Visitor {
    pub tenant: Rc<Tenant>,
    pub key: String,
    pub origin: String,
}

/// A Twilio Verify API caller: the tenant whose credential it presented, and the
/// tenant's account SID (every resource shows it as `account_sid`).
pub struct TwilioCaller {
    pub tenant: Rc<Tenant>,
    pub account_sid: String,
}

impl Ctx {
    /// A request header's value, `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.req, name)
    }

    /// The body of a server API request as UTF-8 text: at most [`MAX_BODY`] bytes
    /// ([`Ctx::body_within`]).
    pub async fn body(&mut self) -> AppResult<String> {
        self.body_within(MAX_BODY).await
    }

    /// The body as UTF-8 text, at most `cap` bytes, else 413. A `Content-Length` over
    /// `cap` is refused before anything is read; a body without one (chunked) is read as a
    /// stream, chunk by chunk, and the stream is cancelled as soon as it has gone past
    /// `cap` — so an oversized upload never occupies more than `cap` plus one chunk of the
    /// isolate's memory, and is answered while the client may still be sending it.
    pub async fn body_within(&mut self, cap: usize) -> AppResult<String> {
        let req = &mut self.req;
        if let Ok(Some(len)) = req.headers().get("Content-Length") {
            if len.trim().parse::<u64>().is_ok_and(|n| n > cap as u64) {
                return Err(too_large(cap));
            }
        }
        // No body at all (a resend, a bodiless POST): empty text.
        if req.inner().body().is_none() {
            return Ok(String::new());
        }
        let unreadable = |_| AppError::api(ErrorCode::BadRequest);
        let mut stream = req.stream().map_err(unreadable)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if bytes.len() + chunk.len() > cap {
                // Dropping the stream cancels it: nothing more is read.
                drop(stream);
                return Err(too_large(cap));
            }
            bytes.extend_from_slice(&chunk);
        }
        String::from_utf8(bytes)
            .map_err(|_| AppError::message(ErrorCode::BadRequest, "The request body is not UTF-8"))
    }
}

/// A header's value, `None` when absent.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// An oversized body: 413, naming the route's limit.
fn too_large(cap: usize) -> AppError {
    AppError::message(
        ErrorCode::PayloadTooLarge,
        format!("The request body is larger than {} KiB", cap / 1024),
    )
}
