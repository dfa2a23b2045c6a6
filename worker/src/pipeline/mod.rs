//! How a request goes through the worker, in one place: from `fetch` to its handler and
//! back to a response (the picture is in docs/architecture.md).
//!
//! 1. The route table (`table.rs`) matches the path once: 404 when no route, 405 (with
//!    `Allow`) when the path has no route for the method, a CORS preflight answered for
//!    any origin on a browser route (it carries no key; the request that follows is
//!    checked).
//! 2. Routes that run whatever the settings (`/health`, `/openapi.json`) are answered;
//!    every other route needs valid settings (500, logged, when not).
//! 3. The budgets declared before the handler (`budget.rs`): the connecting IP's minute on
//!    browser routes, before anything costs a KV read or a Durable Object call.
//! 4. Authentication as the route's handler kind declares it (`auth.rs`): a secret key, a
//!    publishable key from one of its origins with the tenant's browser settings safe, or
//!    Twilio credentials (HTTP Basic) on `/v2/…`, whose answers are Twilio's envelope.
//! 5. The tenant's minute when the route spends it before its handler.
//! 6. The handler, with the request context (`context.rs`).
//! 7. The answer (`answer.rs`): the error mapping, the headers, the log line.

pub mod answer;
pub mod budget;
pub mod context;
pub mod table;

use worker::{Date, Env, Method, Request, Response, Result};

use crate::config;
use crate::error::{AppError, AppResult};
use crate::usage::Usage;
use crate::{auth, handlers};

use answer::{misconfigured, respond, to_outcome, Answer, Outcome, Trace};
use context::{Ctx, Visitor};
use table::{Handler, Route, TenantSpend};

/// The request's method, `None` for one the `worker` crate has no variant for: it reads
/// any other method (`QUERY`, `PROPFIND`, …) as GET, which would answer them as GETs.
/// Methods are case-sensitive (RFC 9110 §9.1): `patch` is not `PATCH`.
pub fn known_method(req: &Request) -> Option<Method> {
    let raw = req.inner().method();
    let method = Method::from(raw.clone());
    (method.as_ref() == raw).then_some(method)
}

/// A fresh request id: 16 hex digits from `crypto.getRandomValues`.
fn request_id() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs one API request through the pipeline and answers it.
pub async fn run(req: Request, env: Env) -> Result<Response> {
    let started = Date::now().as_millis();
    let id = request_id();
    let mut trace = Trace {
        route: "unknown",
        method: req.method().to_string(),
        ..Trace::default()
    };
    let (outcome, usage) = handle(req, env, &id, &mut trace).await;
    respond(outcome, &trace, &id, started, &usage)
}

/// Steps 1–6: the request's outcome, and what it used.
async fn handle(req: Request, env: Env, id: &str, trace: &mut Trace) -> (Outcome, Usage) {
    let path = req.path();
    // The Twilio Verify API answers in Twilio's envelope, its 404s and 405s too; its
    // 20404 quotes the path as Twilio does, without `/v2`.
    if path == "/v2" || path.starts_with("/v2/") {
        trace.twilio = Some(path[3..].trim_end_matches('/').to_owned());
    }
    let (routes, params) = table::find(&path);
    let Some(first) = routes.first() else {
        return (Outcome::Error(not_found(), vec![]), Usage::default());
    };
    trace.route = first.path;
    let method = known_method(&req);
    if method == Some(Method::Options) && table::cors(&routes) {
        trace.preflight = true;
        trace.cors = context::header(&req, "Origin");
        return (
            Outcome::Ok(Answer::json(204, serde_json::Value::Null)),
            Usage::default(),
        );
    }
    let Some(route) = routes
        .iter()
        .copied()
        .find(|r| Some(&r.method) == method.as_ref())
    else {
        // Only a 405 says which methods the path has: no `Allow` built for other requests.
        trace.allow = Some(table::allow(&routes));
        let e = smsotp_core::ApiError::new(smsotp_core::ErrorCode::MethodNotAllowed);
        return (Outcome::Error(e, vec![]), Usage::default());
    };
    let configuration = config::settings(&env);
    // The test clock (development only), from the settings already read: no other read of
    // the environment on each request.
    let development = configuration.as_ref().is_ok_and(|s| s.development);
    crate::clock::follow_request(&req, development);
    if let Handler::Open(handler) = route.handler {
        return (
            outcome(handler(&env, &configuration).await, id),
            Usage::default(),
        );
    }
    let settings = match configuration {
        Ok(s) => s,
        Err(problems) => return (misconfigured(&problems, id), Usage::default()),
    };
    trace.docs = Some(settings.docs_url.clone());
    let mut cx = Ctx {
        req,
        env,
        settings,
        usage: Usage::default(),
        id: id.to_owned(),
        param: params.last().cloned().unwrap_or_default(),
        params,
        window: None,
        destination: None,
    };
    let result = serve(&mut cx, route, trace).await;
    trace.window = cx.window;
    (outcome(result, id), cx.usage)
}

/// Steps 3–6 for a route with valid settings.
async fn serve(cx: &mut Ctx, route: &'static Route, trace: &mut Trace) -> AppResult<Answer> {
    if route.ip_minute {
        budget::ip_minute(&cx.req, &cx.env).await?;
    }
    match route.handler {
        // Answered before the settings are checked (`handle`).
        Handler::Open(_) => Err(AppError::Internal("an open route reached serve".into())),
        Handler::Public(handler) => handler(cx).await,
        Handler::SecretKey(handler) => {
            let tenant = auth::tenant(&cx.req, &cx.env, &cx.settings, &cx.usage).await?;
            trace.tenant = Some(tenant.id.clone());
            spend_minute(cx, route, &tenant.id).await?;
            handler(cx, &tenant).await
        }
        Handler::TwilioAccount(handler) => {
            let caller = auth::twilio_caller(&cx.req, &cx.env, &cx.settings, &cx.usage).await?;
            trace.tenant = Some(caller.tenant.id.clone());
            handler(cx, &caller).await
        }
        Handler::PublishableKey(handler) => {
            trace.browser = true;
            let visitor = visitor(cx, trace).await?;
            spend_minute(cx, route, &visitor.tenant.id).await?;
            handler(cx, &visitor).await
        }
    }
}

/// A browser request's caller: its publishable key's tenant, its origin (refused without
/// CORS headers when not one of the key's; echoed when it is), and the tenant's browser
/// settings safe (503 2132 before anything is counted, stored or sent).
async fn visitor(cx: &Ctx, trace: &mut Trace) -> AppResult<Visitor> {
    let (tenant, key) = auth::browser_tenant(&cx.req, &cx.env, &cx.settings, &cx.usage).await?;
    trace.tenant = Some(tenant.id.clone());
    let origin = auth::check_origin(&cx.req, &tenant, &key)?;
    trace.cors = Some(origin.clone());
    handlers::browser::safe(&cx.settings, &tenant, &cx.id)?;
    Ok(Visitor {
        tenant,
        key,
        origin,
    })
}

/// The tenant's minute, when the route spends it before its handler.
async fn spend_minute(cx: &mut Ctx, route: &Route, tenant: &str) -> AppResult<()> {
    match route.tenant_spends {
        TenantSpend::Minute(b) => budget::minute(cx, tenant, b).await,
        TenantSpend::Nothing | TenantSpend::MinuteWithSms(_) => Ok(()),
    }
}

fn outcome(result: AppResult<Answer>, id: &str) -> Outcome {
    match result {
        Ok(a) => Outcome::Ok(a),
        Err(e) => to_outcome(e, id),
    }
}

fn not_found() -> smsotp_core::ApiError {
    smsotp_core::ApiError::new(smsotp_core::ErrorCode::RouteNotFound)
}
