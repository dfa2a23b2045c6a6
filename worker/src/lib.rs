//! The smsotp HTTP API on Cloudflare Workers — wire-compatible with the SMS.cx OTP API.
//! Glue only: routes, the request's steps (authenticate, limit, route, answer) and headers
//! here; rules in `smsotp-core`; tenants in KV (`tenant.rs`); state in the `OtpShard`
//! Durable Object (`shard.rs`); SMS in `providers/`; development-only routes (the demo
//! pages, the dev inbox) in `dev.rs`.

mod api;
mod auth;
mod browser;
mod callback;
mod config;
mod dev;
mod durable;
mod error;
mod http;
mod limiter;
mod log;
mod lru;
mod providers;
mod shard;
mod tenant;
mod usage;

use std::rc::Rc;

use serde_json::json;
use smsotp_core::{ApiError, ErrorCode};
use worker::*;

use crate::api::Answer;
use crate::config::Settings;
use crate::error::AppError;

pub use crate::dev::DevInbox;
pub use crate::limiter::TenantLimiter;
pub use crate::shard::OtpShard;

enum Route<'a> {
    Health,
    /// `GET /openapi.json`: the API's OpenAPI document.
    OpenApi,
    Create,
    Otp(&'a str),
    Resend(&'a str),
    /// `GET /.well-known/jwks.json`.
    Jwks,
    /// The browser API (`/v1/browser/…`).
    Browser(BrowserRoute<'a>),
    /// `DELETE /v1/numbers/{phoneNumber}/lock` (secret key): clears a number's locks.
    NumberLock(&'a str),
}

/// The browser API's routes.
enum BrowserRoute<'a> {
    Config,
    Start,
    Check(&'a str),
    Resend(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    match path.trim_end_matches('/') {
        "/health" => Some(Route::Health),
        "/openapi.json" => Some(Route::OpenApi),
        "/otp" => Some(Route::Create),
        "/.well-known/jwks.json" => Some(Route::Jwks),
        "/v1/browser/config" => Some(Route::Browser(BrowserRoute::Config)),
        "/v1/browser/otp" => Some(Route::Browser(BrowserRoute::Start)),
        p if p.starts_with("/v1/numbers/") => {
            let number = p["/v1/numbers/".len()..].strip_suffix("/lock")?;
            (!number.is_empty() && !number.contains('/')).then_some(Route::NumberLock(number))
        }
        p if p.starts_with("/v1/browser/otp/") => {
            let rest = &p["/v1/browser/otp/".len()..];
            match rest.split_once('/') {
                None if !rest.is_empty() => Some(Route::Browser(BrowserRoute::Check(rest))),
                Some((id, "resend")) if !id.is_empty() => {
                    Some(Route::Browser(BrowserRoute::Resend(id)))
                }
                _ => None,
            }
        }
        p => {
            let rest = p.strip_prefix("/otp/")?;
            match rest.split_once('/') {
                None if !rest.is_empty() => Some(Route::Otp(rest)),
                Some((id, "resend")) if !id.is_empty() => Some(Route::Resend(id)),
                _ => None,
            }
        }
    }
}

fn allowed(route: &Route<'_>, method: &Method) -> bool {
    match route {
        Route::Health | Route::OpenApi => *method == Method::Get,
        Route::Create => *method == Method::Post,
        Route::Otp(_) => matches!(method, Method::Post | Method::Get | Method::Delete),
        Route::Resend(_) => *method == Method::Post,
        Route::NumberLock(_) => *method == Method::Delete,
        Route::Jwks => *method == Method::Get,
        // OPTIONS: the CORS preflight.
        Route::Browser(BrowserRoute::Config) => matches!(method, Method::Get | Method::Options),
        Route::Browser(_) => matches!(method, Method::Post | Method::Options),
    }
}

/// The methods a route answers, for the `Allow` header of its 405s (RFC 9110 §15.5.6).
fn allow(route: &Route<'_>) -> String {
    [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ]
    .into_iter()
    .filter(|m| allowed(route, m))
    .map(|m| m.to_string())
    .collect::<Vec<_>>()
    .join(", ")
}

/// The request's method, `None` for one the `worker` crate has no variant for: it reads
/// any other method (`QUERY`, `PROPFIND`, …) as GET, which would answer them as GETs.
/// Methods are case-sensitive (RFC 9110 §9.1): `patch` is not `PATCH`.
pub(crate) fn known_method(req: &Request) -> Option<Method> {
    let raw = req.inner().method();
    let method = Method::from(raw.clone());
    (method.as_ref() == raw).then_some(method)
}

/// One request's outcome before it becomes a Response.
enum Outcome {
    Ok(Answer),
    Error(ApiError, Vec<ApiError>),
}

fn request_id() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `handle` learnt about a request, for the answer and its log line.
#[derive(Default)]
struct Seen {
    /// A browser request's allowed origin, echoed in the CORS headers (never `*`).
    cors: Option<String>,
    /// A browser API request: its answer carries no `X-Rate-Limit-*` (they would show
    /// any page the tenant's volume).
    browser: bool,
    /// The request is a CORS preflight.
    preflight: bool,
    tenant: Option<String>,
    window: Option<limiter::Window>,
    docs: Option<String>,
    /// A body answered as these bytes rather than re-serialized JSON (the OpenAPI
    /// document, served byte for byte as committed).
    raw: Option<&'static str>,
}

/// The OpenAPI document of this API (`docs/openapi.json`), compiled in: what is served is
/// what the tests check against the error table and the routes.
const OPENAPI: &str = include_str!("../../docs/openapi.json");

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    // The demo pages and the dev inbox, in development only (dev.rs); not API requests.
    if dev::is_dev_path(&req.path()) {
        if let Some(res) = dev::serve(req.clone()?, &env).await {
            return res;
        }
    }
    let started = Date::now().as_millis();
    let id = request_id();
    let usage = usage::Usage::default();
    let mut seen = Seen::default();
    let outcome = handle(&mut req, &env, &id, &usage, &mut seen).await;
    answer(&req, outcome, &seen, &id, started, &usage)
}

/// Route, authenticate, limit, then the endpoint: the request's outcome.
async fn handle(
    req: &mut Request,
    env: &Env,
    id: &str,
    usage: &usage::Usage,
    seen: &mut Seen,
) -> Outcome {
    let path = req.path();
    let Some(r) = route(&path) else {
        return Outcome::Error(ApiError::new(ErrorCode::RouteNotFound), vec![]);
    };
    let method = match known_method(req) {
        Some(m) if allowed(&r, &m) => m,
        _ => return Outcome::Error(ApiError::new(ErrorCode::MethodNotAllowed), vec![]),
    };
    if let (Route::Browser(_), Method::Options) = (&r, &method) {
        // A preflight carries no key: answered for any origin; the request that follows
        // is checked against its key's origins (browser.rs).
        seen.preflight = true;
        seen.cors = api::header(req, "Origin");
        return Outcome::Ok(Answer {
            status: 204,
            body: serde_json::Value::Null,
            otp_id: None,
            resend_after: None,
        });
    }
    if let Route::OpenApi = r {
        // Public, like the health check: no key, served even when misconfigured.
        seen.raw = Some(OPENAPI);
        return Outcome::Ok(Answer {
            status: 200,
            body: serde_json::Value::Null,
            otp_id: None,
            resend_after: None,
        });
    }
    let settings = config::settings(env);
    if let Route::Health = r {
        return health(env, &settings).await;
    }
    let settings = match settings {
        Ok(s) => s,
        Err(problems) => return misconfigured(problems, id),
    };
    let settings = &*settings;
    seen.docs = Some(settings.docs_url.clone());
    match r {
        Route::Jwks => return Outcome::Ok(browser::jwks(settings)),
        Route::Browser(b) => return handle_browser(req, env, settings, b, id, usage, seen).await,
        _ => {}
    }
    let tenant = match auth::tenant(req, env, settings, usage).await {
        Ok(t) => t,
        Err(e) => return to_outcome(e, id),
    };
    seen.tenant = Some(tenant.id.clone());
    let t = &tenant;
    // A create or a resend asks the limiter once for everything it counts (api.rs); every
    // other request takes one unit of the tenant's minute here.
    if !matches!(r, Route::Create | Route::Resend(_)) {
        let budget = limiter::Budget::Server;
        if let Err(e) = take_minute(env, settings, &tenant.id, budget, usage, seen).await {
            return to_outcome(e, id);
        }
    }
    let result = match r {
        Route::Create => api::create(req, env, settings, t, usage, &mut seen.window).await,
        Route::Otp(otp_id) => match method {
            Method::Post => api::verify(req, env, t, otp_id, usage).await,
            Method::Get => api::status(env, t, otp_id, usage).await,
            _ => api::cancel(env, t, otp_id, usage).await,
        },
        Route::Resend(otp_id) => {
            api::resend(req, env, settings, t, otp_id, usage, &mut seen.window).await
        }
        Route::NumberLock(number) => api::unlock(env, settings, t, number, usage).await,
        Route::Health | Route::OpenApi | Route::Jwks | Route::Browser(_) => {
            unreachable!("answered above")
        }
    };
    match result {
        Ok(a) => Outcome::Ok(a),
        Err(e) => to_outcome(e, id),
    }
}

/// One unit of the tenant's minute of `budget`, for a request that asks the limiter
/// nothing else (a create or a resend counts it in its own limiter call, api.rs).
async fn take_minute(
    env: &Env,
    settings: &Settings,
    tenant: &str,
    budget: limiter::Budget,
    usage: &usage::Usage,
    seen: &mut Seen,
) -> error::AppResult<()> {
    let limit = api::minute_limit(settings, budget);
    limiter::take_request(env, tenant, limit, budget, usage, &mut seen.window).await
}

/// A browser API request: the connecting IP's budget (before anything else: it costs no
/// KV read and no Durable Object call), its publishable key, its origin (refused without
/// CORS headers when not the key's), the tenant's browser settings (refused, 503, when
/// unsafe), the tenant's browser minute (not the server API's), then the route.
async fn handle_browser(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    r: BrowserRoute<'_>,
    id: &str,
    usage: &usage::Usage,
    seen: &mut Seen,
) -> Outcome {
    seen.browser = true;
    if let Err(e) = browser::ip_budget(req, env).await {
        return to_outcome(e, id);
    }
    let (tenant, key) = match auth::browser_tenant(req, env, settings, usage).await {
        Ok(t) => t,
        Err(e) => return to_outcome(e, id),
    };
    seen.tenant = Some(tenant.id.clone());
    let origin = match browser::check_origin(req, &tenant, &key) {
        Ok(origin) => origin,
        Err(e) => return Outcome::Error(e, vec![]),
    };
    seen.cors = Some(origin.clone());
    if let Err(e) = browser::safe(settings, &tenant, id) {
        return Outcome::Error(e, vec![]);
    }
    let t = &tenant;
    // `GET /v1/browser/config` is served from the isolate's cached tenant: only the per-IP
    // budget above. A start or a resend counts the browser minute in its own limiter call.
    if matches!(r, BrowserRoute::Check(_)) {
        let budget = limiter::Budget::Browser;
        if let Err(e) = take_minute(env, settings, &tenant.id, budget, usage, seen).await {
            return to_outcome(e, id);
        }
    }
    let w = &mut seen.window;
    let page = browser::Page {
        key: &key,
        origin: &origin,
    };
    let result = match r {
        BrowserRoute::Config => Ok(browser::config(t)),
        BrowserRoute::Start => browser::start(req, env, settings, t, page, usage, w).await,
        BrowserRoute::Check(otp_id) => {
            browser::check(req, env, settings, t, (otp_id, page), usage).await
        }
        BrowserRoute::Resend(otp_id) => {
            browser::resend(req, env, settings, t, (otp_id, page), usage, w).await
        }
    };
    match result {
        Ok(a) => Outcome::Ok(a),
        Err(e) => to_outcome(e, id),
    }
}

/// `GET /health`, the configuration check: 503 with every problem (settings named, no
/// values), so a deploy or `npm run dev` shows what is wrong without a key. In
/// development it also checks every tenant record in KV (what `npm run dev` loaded).
async fn health(env: &Env, settings: &std::result::Result<Rc<Settings>, Vec<String>>) -> Outcome {
    let problems = match settings {
        Ok(s) if s.development => tenant::problems(env, s).await,
        Ok(_) => vec![],
        Err(problems) => problems.clone(),
    };
    let (status, body) = if problems.is_empty() {
        (200, json!({"status": "ok"}))
    } else {
        (
            503,
            json!({"status": "misconfigured", "problems": problems}),
        )
    };
    Outcome::Ok(Answer {
        status,
        body,
        otp_id: None,
        resend_after: None,
    })
}

/// The outcome as an HTTP response, with the headers every answer carries, and its one
/// log line.
fn answer(
    req: &Request,
    outcome: Outcome,
    seen: &Seen,
    id: &str,
    started: u64,
    usage: &usage::Usage,
) -> Result<Response> {
    let docs = seen
        .docs
        .as_deref()
        .unwrap_or(smsotp_core::error::DEFAULT_DOCS_BASE);
    let mut retry_after = None;
    let (status, body, otp_id) = match outcome {
        Outcome::Ok(a) => (a.status, a.body, a.otp_id),
        Outcome::Error(first, rest) => {
            let mut body = json!(first.envelope(docs));
            if !rest.is_empty() {
                let all: Vec<_> = std::iter::once(&first)
                    .chain(&rest)
                    .map(smsotp_core::FieldError::from)
                    .collect();
                body["error"]["errors"] = json!(all);
            }
            retry_after = first.retry_after;
            (first.http_status(), body, None)
        }
    };
    let elapsed = Date::now().as_millis().saturating_sub(started);
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    // Answers hold OTP states, tokens and client secrets: no cache keeps them, and no
    // browser sniffs them into something else.
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("X-Request-Id", id)?;
    headers.set("X-Response-Time", &format!("{elapsed}ms"))?;
    // A 405 says which methods the route has (RFC 9110 requires it).
    if status == 405 {
        if let Some(r) = route(&req.path()) {
            headers.set("Allow", &allow(&r))?;
        }
    }
    // Every 429 (and 503) says when to come back.
    if let Some(seconds) = retry_after {
        headers.set("Retry-After", &seconds.to_string())?;
    }
    if let Some(w) = seen.window.filter(|_| !seen.browser) {
        headers.set("X-Rate-Limit-Limit", &w.limit.to_string())?;
        headers.set("X-Rate-Limit-Remaining", &w.remaining.to_string())?;
        // As the contract has it: the reset only on the limiter's 429.
        if !w.allowed {
            headers.set("X-Rate-Limit-Reset", &w.reset.to_string())?;
        }
    }
    if let Some(origin) = &seen.cors {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Vary", "Origin")?;
        if seen.preflight {
            headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
            headers.set(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, X-Client-Secret",
            )?;
            headers.set(
                "Access-Control-Max-Age",
                &browser::PREFLIGHT_MAX_AGE.to_string(),
            )?;
        } else {
            headers.set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id")?;
        }
    }
    let path = req.path();
    log::event(
        "info",
        "request",
        json!({
            "requestId": id, "method": req.method().to_string(), "route": route_name(&path),
            "status": status, "latencyMs": elapsed, "otpId": otp_id, "tenant": seen.tenant,
            "usage": usage.to_json(),
        }),
    );
    let response = if status == 204 {
        Response::empty()?
    } else if let (Some(raw), 200) = (seen.raw, status) {
        Response::ok(raw)?
    } else {
        Response::from_json(&body)?
    };
    Ok(response.with_status(status).with_headers(headers))
}

/// The route without the OTP id, for logs.
fn route_name(path: &str) -> &'static str {
    match route(path) {
        Some(Route::Health) => "/health",
        Some(Route::OpenApi) => "/openapi.json",
        Some(Route::Create) => "/otp",
        Some(Route::Otp(_)) => "/otp/{otpId}",
        Some(Route::Resend(_)) => "/otp/{otpId}/resend",
        Some(Route::Jwks) => "/.well-known/jwks.json",
        Some(Route::NumberLock(_)) => "/v1/numbers/{phoneNumber}/lock",
        Some(Route::Browser(BrowserRoute::Config)) => "/v1/browser/config",
        Some(Route::Browser(BrowserRoute::Start)) => "/v1/browser/otp",
        Some(Route::Browser(BrowserRoute::Check(_))) => "/v1/browser/otp/{otpId}",
        Some(Route::Browser(BrowserRoute::Resend(_))) => "/v1/browser/otp/{otpId}/resend",
        None => "unknown",
    }
}

/// A request under a bad configuration: 500 `internal_error` to the client, and one log
/// line listing every problem (the same list `GET /health` answers with).
fn misconfigured(problems: Vec<String>, request_id: &str) -> Outcome {
    log::event(
        "error",
        "internal",
        json!({
            "requestId": request_id,
            "detail": format!("misconfigured: {}", problems.join("; ")),
            "problems": problems,
        }),
    );
    Outcome::Error(ApiError::new(ErrorCode::Internal), vec![])
}

/// The one error mapping: client errors become their envelope; anything that is not the
/// client's doing is logged with details and answered without them.
fn to_outcome(e: AppError, request_id: &str) -> Outcome {
    let detail = match e {
        AppError::Api(api) => return Outcome::Error(api, vec![]),
        AppError::Invalid(mut errors) if !errors.is_empty() => {
            let first = errors.remove(0);
            return Outcome::Error(first, errors);
        }
        AppError::Invalid(_) => "validation failed without an error".to_owned(),
        AppError::Unavailable(d) => {
            log::event(
                "error",
                "unavailable",
                json!({"requestId": request_id, "detail": d}),
            );
            return Outcome::Error(ApiError::new(ErrorCode::Unavailable).retry_after(5), vec![]);
        }
        AppError::Internal(d) => d,
    };
    log::event(
        "error",
        "internal",
        json!({"requestId": request_id, "detail": detail}),
    );
    Outcome::Error(ApiError::new(ErrorCode::Internal), vec![])
}
