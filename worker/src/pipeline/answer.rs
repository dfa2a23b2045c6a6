//! A request's outcome as an HTTP response: the one error mapping (client errors become
//! their envelope; anything that is not the client's doing is logged with details and
//! answered without them), the headers every answer carries, and the request's one log
//! line.

use serde_json::{json, Value};
use smsotp_core::{ApiError, ErrorCode};
use worker::{Date, Headers, Response, Result};

use crate::error::AppError;
use crate::limiter::Window;
use crate::log;
use crate::usage::Usage;

/// A successful answer: HTTP status and JSON body, and the OTP it concerns (for the log).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub otp_id: Option<String>,
    /// Creates and resends: seconds before another SMS for the OTP may be asked for (the
    /// resend's body says it; the browser API's answers too).
    pub resend_after: Option<u32>,
    /// A body answered as these bytes rather than `body` serialized (the OpenAPI document,
    /// served byte for byte as committed).
    pub raw: Option<&'static str>,
    /// A plain-text body instead of JSON (Meta's subscription check echoes a challenge).
    pub text: Option<String>,
    /// The OTP a create or resend left (the Twilio Verify API shows it its own way).
    pub record: Option<Box<smsotp_core::OtpRecord>>,
}

impl Answer {
    /// `status` with a JSON `body`.
    pub fn json(status: u16, body: Value) -> Self {
        Answer {
            status,
            body,
            otp_id: None,
            resend_after: None,
            raw: None,
            text: None,
            record: None,
        }
    }

    /// `status` with a plain-text body.
    pub fn text(status: u16, text: String) -> Self {
        Answer {
            text: Some(text),
            ..Answer::json(status, Value::Null)
        }
    }

    /// The same answer, about the OTP `otp_id` (its log line names it).
    pub fn about(mut self, otp_id: &str) -> Self {
        self.otp_id = Some(otp_id.to_owned());
        self
    }
}

/// One request's outcome before it becomes a Response.
pub enum Outcome {
    Ok(Answer),
    /// The error shown, and the others found with it (validation).
    Error(ApiError, Vec<ApiError>),
    /// A Twilio Verify API error with no code of ours.
    Twilio(smsotp_edge::twilio::TwilioError),
}

/// What the pipeline learnt about a request, for its answer and its log line.
#[derive(Default)]
pub struct Trace {
    /// The route's pattern (`/otp/{otpId}`), `unknown` when none matched.
    pub route: &'static str,
    /// The request's method as sent.
    pub method: String,
    /// A browser request's allowed origin, echoed in the CORS headers (never `*`).
    pub cors: Option<String>,
    /// A browser API request: its answer carries no `X-Rate-Limit-*` (they would show
    /// any page the tenant's volume).
    pub browser: bool,
    /// The request is a CORS preflight.
    pub preflight: bool,
    /// The `Allow` header of a 405.
    pub allow: Option<String>,
    pub tenant: Option<String>,
    pub window: Option<Window>,
    /// Where error codes are documented (`DOCS_URL`), once the settings are known.
    pub docs: Option<String>,
    /// A Twilio Verify API request (`/v2/…`): errors are answered in Twilio's envelope
    /// with Twilio's codes (`smsotp_edge::twilio::error::from_api_error`), and this is the
    /// path its 20404 quotes (Twilio's: without `/v2`).
    pub twilio: Option<String>,
}

/// The one error mapping: client errors become their envelope; anything that is not the
/// client's doing is logged with details and answered without them.
pub fn to_outcome(e: AppError, request_id: &str) -> Outcome {
    let detail = match e {
        AppError::Api(api) => return Outcome::Error(api, vec![]),
        AppError::Twilio(t) => return Outcome::Twilio(t),
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

/// A request under a bad configuration: 500 `internal_error` to the client, and one log
/// line listing every problem (the same list `GET /health` answers with).
pub fn misconfigured(problems: &[String], request_id: &str) -> Outcome {
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

/// One of our errors as the Twilio Verify API answers it. A wrong PIN with attempts left
/// never reaches here (the check answers it 200 `pending`); should one, it is a 60200
/// naming `Code`.
fn twilio_error(e: &ApiError, path: &str) -> smsotp_edge::twilio::TwilioError {
    smsotp_edge::twilio::error::from_api_error(e, path)
        .unwrap_or_else(|| smsotp_edge::twilio::TwilioError::invalid_parameter("Code"))
}

/// How long a preflight may be cached by the browser.
pub const PREFLIGHT_MAX_AGE: u32 = 600;

/// The outcome as an HTTP response, with the headers every answer carries, and its one
/// log line.
pub fn respond(
    outcome: Outcome,
    trace: &Trace,
    id: &str,
    started: u64,
    usage: &Usage,
) -> Result<Response> {
    let docs = trace
        .docs
        .as_deref()
        .unwrap_or(smsotp_core::error::DEFAULT_DOCS_BASE);
    let mut retry_after = None;
    let mut raw = None;
    let mut text = None;
    let (status, body, otp_id) = match outcome {
        Outcome::Ok(a) => {
            raw = a.raw;
            text = a.text;
            (a.status, a.body, a.otp_id)
        }
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
            match &trace.twilio {
                None => (first.http_status(), body, None),
                Some(path) => {
                    let t = twilio_error(&first, path);
                    (t.status, t.envelope(), None)
                }
            }
        }
        Outcome::Twilio(t) => (t.status, t.envelope(), None),
    };
    let elapsed = Date::now().as_millis().saturating_sub(started);
    let headers = Headers::new();
    // A 204 has no body, so no type.
    if status != 204 {
        headers.set(
            "Content-Type",
            if text.is_some() {
                "text/plain; charset=utf-8"
            } else {
                "application/json"
            },
        )?;
    }
    // Answers hold OTP states, tokens and client secrets: no cache keeps them, and no
    // browser sniffs them into something else.
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("X-Request-Id", id)?;
    headers.set("X-Response-Time", &format!("{elapsed}ms"))?;
    // A 405 says which methods the route has (RFC 9110 requires it).
    if let (405, Some(allow)) = (status, &trace.allow) {
        headers.set("Allow", allow)?;
    }
    // Every 429 (and 503) says when to come back.
    if let Some(seconds) = retry_after {
        headers.set("Retry-After", &seconds.to_string())?;
    }
    // Twilio's 401 asks for Basic credentials (RFC 9110 §11.6.1).
    if let (401, Some(_)) = (status, &trace.twilio) {
        headers.set("WWW-Authenticate", "Basic realm=\"smsotp\"")?;
    }
    if let Some(w) = trace.window.filter(|_| !trace.browser) {
        headers.set("X-Rate-Limit-Limit", &w.limit.to_string())?;
        headers.set("X-Rate-Limit-Remaining", &w.remaining.to_string())?;
        // As the contract has it: the reset only on the limiter's 429.
        if !w.allowed {
            headers.set("X-Rate-Limit-Reset", &w.reset.to_string())?;
        }
    }
    if let Some(origin) = &trace.cors {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Vary", "Origin")?;
        if trace.preflight {
            headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
            headers.set(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, X-Client-Secret",
            )?;
            headers.set("Access-Control-Max-Age", &PREFLIGHT_MAX_AGE.to_string())?;
        } else {
            headers.set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id")?;
        }
    }
    log::event(
        "info",
        "request",
        json!({
            "requestId": id, "method": trace.method, "route": trace.route,
            "status": status, "latencyMs": elapsed, "otpId": otp_id, "tenant": trace.tenant,
            "usage": usage.to_json(),
        }),
    );
    let response = if status == 204 {
        Response::empty()?
    } else if let (Some(raw), 200) = (raw, status) {
        Response::ok(raw)?
    } else if let Some(text) = text {
        Response::ok(text)?
    } else {
        Response::from_json(&body)?
    };
    Ok(response.with_status(status).with_headers(headers))
}
