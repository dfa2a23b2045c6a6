//! The browser API (`/v1/browser/*`, README: "From the browser"): what a web page may do
//! with a tenant's publishable key (`pk_…`, public by design) — read the tenant's browser
//! settings, start an OTP for a number, ask for a resend, check a PIN and get a signed
//! token — and `/.well-known/jwks.json`, the keys a backend checks those tokens with.
//!
//! Glue, as the rest of the worker: the rules (which fields a browser may send, origins,
//! Turnstile's answers, the token's claims and signature) are the core's
//! (`smsotp_edge::browser`); the OTP itself goes through the same limiter, shard and
//! provider as a server API create (`api.rs`).
//!
//! Why these choices:
//! - The origin is checked on every request against the key's exact list (CORS alone only
//!   stops a browser from *reading* an answer; the check here stops the SMS). An allowed
//!   origin is echoed with `Vary: Origin`, never `*`; a refused one gets no CORS headers.
//! - A preflight carries no key, so it cannot know the tenant's origins: it is answered
//!   for any origin, and the request that follows is checked.
//! - Turnstile fails closed: a token that is missing, refused, spent, or that siteverify
//!   cannot judge (timeout, error) stops the request before anything is stored or sent.
//! - The per-IP limit counts the connecting client (`CF-Connecting-IP`), not a header the
//!   page could set.
//! - Budgets of their own (docs/api.md: "Hardening for the open internet"): every request first spends
//!   the connecting IP's minute (`BROWSER_IP_LIMITER`, Cloudflare's rate-limiting binding:
//!   no KV read, no Durable Object call, so a flood is stopped for free); then starts,
//!   resends and checks spend the tenant's *browser* minute and its SMS the *browser*
//!   daily cap, never the server API's, so public traffic cannot starve the backend.
//! - An OTP's resend and check need its client secret (`X-Client-Secret`,
//!   `smsotp_edge::browser::client_secret`): ids are not secret, the key is public.
//! - Preconditions before any state change: a tenant whose browser settings are unsafe,
//!   or a deployment that cannot sign tokens, is refused (503 2132) before anything is
//!   counted, stored or sent — a right PIN is never spent on a token that cannot be made.

use std::time::Duration;

use serde_json::{json, Value};
use smsotp_core::{ApiError, ErrorCode};
use smsotp_edge::browser::client_secret::{check_client_secret, HEADER as CLIENT_SECRET};
use smsotp_edge::browser::request::{
    browser_resend, browser_verify_pin, validate_browser_otp, MAX_BODY_BYTES,
};
use smsotp_edge::browser::token::{sign_token, TokenClaims, MAX_TOKEN_TTL_SECONDS};
use smsotp_edge::browser::turnstile::{required_token, siteverify_form, Siteverify};
use smsotp_edge::limits::end_user_ip;
use worker::{Date, Env, Request};

use crate::api::{self, Answer};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::limiter::{Budget, Window};
use crate::tenant::Tenant;
use crate::usage::Usage;
use crate::{http, log};

/// A browser request's body: at most [`MAX_BODY_BYTES`] (its few fields need far less
/// than the server API's 64 KiB), else 413 without reading further.
async fn body(req: &mut Request) -> AppResult<String> {
    api::body_text_within(req, MAX_BODY_BYTES).await
}

/// How long siteverify may take before the request is refused (fail closed).
const SITEVERIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a preflight may be cached by the browser.
pub const PREFLIGHT_MAX_AGE: u32 = 600;

/// The connecting client's IP as the per-IP limit counts it (`None` when the platform did
/// not say, as in local tests without the header).
fn client_ip(req: &Request) -> AppResult<Option<String>> {
    match api::header(req, "CF-Connecting-IP") {
        Some(ip) => Ok(Some(end_user_ip(&ip)?)),
        None => Ok(None),
    }
}

/// The visitor's own address, as Turnstile's `remoteip` wants it (not the /64 a limit
/// counts): `CF-Connecting-IP` when it is an address.
fn visitor_ip(req: &Request) -> Option<String> {
    let ip = api::header(req, "CF-Connecting-IP")?;
    let ip: std::net::IpAddr = ip.trim().parse().ok()?;
    Some(ip.to_string())
}

/// Who a browser request's per-client locks count: its IP subject, or one shared subject
/// when the platform did not name the client.
fn client_of(ip: &Option<String>) -> String {
    ip.clone().unwrap_or_else(|| "unknown".to_owned())
}

/// The binding of the per-IP budget (wrangler.toml `[[ratelimits]]`).
pub const IP_LIMITER: &str = "BROWSER_IP_LIMITER";

/// The connecting IP's minute (an IPv6 counted by its /64), before anything else: 429
/// 2134 when spent. Cloudflare's rate-limiting binding counts per location and forgets
/// within the period, which is what a per-IP flood guard needs, at no per-request cost.
pub async fn ip_budget(req: &Request, env: &Env) -> AppResult<()> {
    let subject = client_of(&client_ip(req).unwrap_or(None));
    let limiter = env
        .rate_limiter(IP_LIMITER)
        .map_err(|e| AppError::Internal(format!("binding {IP_LIMITER}: {e}")))?;
    let outcome = limiter
        .limit(format!("ip:{subject}"))
        .await
        .map_err(|e| AppError::Internal(format!("{IP_LIMITER}.limit: {e}")))?;
    if outcome.success {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ClientIpRateLimited)
            .retry_after(60)
            .into())
    }
}

/// The browser API's preconditions on the tenant and the deployment: none of its
/// requests go on (503 2132, logged with the reasons) while any is unmet.
pub fn safe(settings: &Settings, tenant: &Tenant, request_id: &str) -> Result<(), ApiError> {
    let can_sign = settings.signing_keys.is_some() && settings.public_url.is_some();
    // The usual case costs no allocation: this runs on every browser request.
    if can_sign && tenant.browser_problems.is_empty() {
        return Ok(());
    }
    let mut problems = tenant.browser_problems.clone();
    if !can_sign {
        problems.push(
            "TOKEN_SIGNING_KEYS (and PUBLIC_URL) not set: the browser API cannot issue tokens"
                .into(),
        );
    }
    log::event(
        "error",
        "browser.misconfigured",
        json!({ "requestId": request_id, "tenant": tenant.id, "problems": problems }),
    );
    Err(ApiError::new(ErrorCode::BrowserMisconfigured))
}

/// The page a browser request comes from: the publishable key it used and its origin.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    pub key: &'a str,
    pub origin: &'a str,
}

/// The page's origin: its `Origin` header; or, for a same-origin `GET` (which browsers send
/// without one: Fetch adds `Origin` to CORS requests and to other methods only — the demo
/// page's config request), this request's own origin when the browser says it is one with
/// `Sec-Fetch-Site: same-origin` (a header pages cannot set).
fn page_origin(req: &Request) -> Option<String> {
    api::header(req, "Origin").or_else(|| {
        let site = api::header(req, "Sec-Fetch-Site")?;
        if !site.eq_ignore_ascii_case("same-origin") {
            return None;
        }
        Some(req.url().ok()?.origin().ascii_serialization())
    })
}

/// The page's origin ([`page_origin`]), checked against the publishable key `key` of `tenant`.
pub fn check_origin(req: &Request, tenant: &Tenant, key: &str) -> Result<String, ApiError> {
    let origin = page_origin(req);
    let Some(pk) = tenant.publishable_keys.find(key) else {
        return Err(ApiError::new(ErrorCode::InvalidApiKey));
    };
    pk.check_origin(origin.as_deref())?;
    Ok(origin.unwrap_or_default())
}

/// `GET /v1/browser/config`: what the widget needs to draw itself and preview the SMS.
pub fn config(tenant: &Tenant) -> Answer {
    let config = &tenant.policy.config;
    let defaults = &config.defaults;
    let fields = &tenant.browser.fields;
    // The browser's settings over the tenant's defaults, as a browser OTP is made.
    let field = |name: &str| fields.get(name).cloned();
    let mut templates = serde_json::Map::new();
    if let Some(t) = field("template").or_else(|| defaults.template.clone().map(Value::from)) {
        let language = field("templateLanguage")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| defaults.template_language.clone());
        templates.insert(language, t);
    }
    for (name, value) in fields {
        if let Some(language) = name.strip_prefix("template_") {
            templates.insert(language.to_owned(), value.clone());
        }
    }
    let allowed = match &tenant.policy.allowed_countries {
        smsotp_edge::tenant::AllowedCountries::Any => json!("*"),
        smsotp_edge::tenant::AllowedCountries::Only(set) => json!(set),
    };
    Answer {
        status: 200,
        body: json!({
            "tenant": tenant.id,
            "allowedCountries": allowed,
            "defaultCountry": tenant.browser.default_country,
            "pinType": field("pinType").unwrap_or_else(|| json!(defaults.pin_type)),
            "pinLength": field("pinLength").unwrap_or_else(|| json!(defaults.pin_length)),
            "ttl": field("ttl").unwrap_or_else(|| json!(defaults.ttl)),
            "templates": templates,
            "turnstileSiteKey": tenant.turnstile.as_ref().map(|t| t.site_key.clone()),
            "resendCooldowns": tenant.policy.number_limits.resend_cooldowns,
        }),
        otp_id: None,
        resend_after: None,
    }
}

/// Checks the visitor's Turnstile token when the tenant requires one: before anything is
/// stored or sent.
async fn turnstile(
    settings: &Settings,
    tenant: &Tenant,
    page: Page<'_>,
    token: Option<&str>,
    ip: Option<&str>,
    usage: &Usage,
) -> AppResult<()> {
    let Some(keys) = &tenant.turnstile else {
        return Ok(());
    };
    let Some(key) = tenant.publishable_keys.find(page.key) else {
        return Err(ApiError::new(ErrorCode::InvalidApiKey).into());
    };
    let token = required_token(token)?;
    // The same idempotency key for a retry of the same token would let siteverify answer
    // it again; a fresh one per check is what a single use needs.
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    let idempotency_key =
        smsotp_core::FallibleSource::run(fill, smsotp_core::create::new_otp_id)
            .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    let form = siteverify_form(&keys.secret, token, ip, Some(&idempotency_key));
    usage.subrequest();
    let verdict = match http::post(
        &settings.turnstile_url,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
        SITEVERIFY_TIMEOUT,
    )
    .await
    {
        Ok(reply) => Siteverify::from_response(reply.status, &reply.body),
        Err(failure) => Siteverify::Unavailable {
            reason: failure.to_string(),
        },
    };
    if !matches!(verdict, Siteverify::Passed { .. }) {
        log::event(
            "warn",
            "turnstile",
            json!({ "tenant": tenant.id, "verdict": format!("{verdict:?}") }),
        );
    }
    // Passed is not enough: solved on one of the key's sites, for the widget's action.
    Ok(verdict.accept_for(key)?)
}

/// The browser's view of an OTP from a create's or resend's answer.
fn otp_view(answer: &Answer) -> Value {
    let b = &answer.body;
    let left = b["maxAttempts"]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(b["attempts"].as_u64().unwrap_or(0));
    json!({
        "otpId": b["otpId"],
        "phoneNumber": b["phoneNumber"],
        "status": b["status"],
        "expiresAt": b["dateExpires"],
        "resendAfter": answer.resend_after,
        "attemptsLeft": left,
        "parts": b["parts"],
        "clientSecret": b["clientSecret"],
    })
}

/// A browser start or resend past its own checks (`checked`: what it prepared, its
/// Turnstile token, the client's IP) and Turnstile. A refusal here is still one request of
/// the tenant's minute.
#[allow(clippy::too_many_arguments)]
async fn passed<T>(
    req: &Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    page: Page<'_>,
    usage: &Usage,
    window: &mut Option<Window>,
    checked: AppResult<(T, Option<String>, Option<String>)>,
) -> AppResult<(T, Option<String>)> {
    let checked = match checked {
        Ok((prepared, token, ip)) => {
            let visitor = visitor_ip(req);
            turnstile(
                settings,
                tenant,
                page,
                token.as_deref(),
                visitor.as_deref(),
                usage,
            )
            .await
            .map(|()| (prepared, ip))
        }
        Err(e) => Err(e),
    };
    match checked {
        Ok(c) => Ok(c),
        Err(e) => {
            let budget = Budget::Browser;
            Err(api::refused(env, settings, tenant, budget, usage, window, e).await)
        }
    }
}

/// `POST /v1/browser/otp`: the tenant's browser settings with the visitor's number.
pub async fn start(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    page: Page<'_>,
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<Answer> {
    let checked = async {
        let text = body(req).await?;
        let otp = validate_browser_otp(&text, &tenant.browser, &tenant.policy.config)
            .map_err(AppError::Invalid)?;
        let ip = client_ip(req)?;
        let mut prepared = api::prepared(otp.request, tenant, None, ip.clone())?;
        prepared.budget = Budget::Browser;
        prepared.client_secret = api::header(req, CLIENT_SECRET);
        prepared.client = Some(client_of(&ip));
        Ok::<_, AppError>((prepared, otp.turnstile_token, ip))
    }
    .await;
    let (prepared, _) = passed(req, env, settings, tenant, page, usage, window, checked).await?;
    let answer = api::create_prepared(env, settings, tenant, usage, window, prepared).await?;
    Ok(Answer {
        body: otp_view(&answer),
        ..answer
    })
}

/// `POST /v1/browser/otp/{id}/resend`.
pub async fn resend(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    (otp_id, page): (&str, Page<'_>),
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<Answer> {
    let checked = async {
        let text = body(req).await?;
        let token = browser_resend(&text).map_err(AppError::Invalid)?;
        // Only who made the OTP may have its PIN replaced (before Turnstile: no
        // siteverify call for a request that cannot go on).
        let secret = api::header(req, CLIENT_SECRET);
        check_client_secret(&settings.pin_hasher, otp_id, secret.as_deref())?;
        Ok::<_, AppError>(((), token, client_ip(req)?))
    }
    .await;
    let ((), ip) = passed(req, env, settings, tenant, page, usage, window, checked).await?;
    let asked = api::Resend {
        otp_id,
        client: Some(client_of(&ip)),
        ip,
        budget: Budget::Browser,
    };
    let answer = api::resend_for(env, settings, tenant, asked, usage, window).await?;
    let mut body = otp_view(&answer);
    if let Some(o) = body.as_object_mut() {
        o.remove("phoneNumber");
        o.remove("parts");
    }
    Ok(Answer { body, ..answer })
}

/// `POST /v1/browser/otp/{id}`: the PIN; when right, a signed token for the site's
/// backend (a PIN verifies once, so one token per OTP).
pub async fn check(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    (otp_id, page): (&str, Page<'_>),
    usage: &Usage,
) -> AppResult<Answer> {
    // Every precondition before the shard spends the PIN: the signing key (also refused
    // for the whole browser API by `safe`), the OTP's client secret, the body.
    let (Some(keys), Some(issuer)) = (&settings.signing_keys, &settings.public_url) else {
        return Err(ApiError::new(ErrorCode::BrowserMisconfigured).into());
    };
    let (otp_id, shard) = api::checked_id(otp_id)?;
    let text = body(req).await?;
    let pin = browser_verify_pin(&text).map_err(AppError::Invalid)?;
    let secret = api::header(req, CLIENT_SECRET);
    check_client_secret(&settings.pin_hasher, otp_id, secret.as_deref())?;
    let client = Some(client_of(&client_ip(req)?));
    let record = api::check_pin(env, tenant, otp_id, shard, pin, client, usage).await?;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).map_err(|e| AppError::Internal(format!("getrandom: {e}")))?;
    let now = Date::now().as_millis();
    let claims = TokenClaims::for_verified_otp(
        issuer,
        &tenant.id,
        &record.phone_number,
        otp_id,
        jti,
        now,
        MAX_TOKEN_TTL_SECONDS,
    )
    .map_err(|e| AppError::Internal(e.to_string()))?
    // A payment confirmation: the token says which payment the code confirmed.
    .with_payment(record.amount.as_deref(), record.payee.as_deref())
    // The page the code was typed on, and whether the number was a test number.
    .with_authorized_party(page.origin)
    .for_test_number(tenant.policy.test_pin(&record.phone_number).is_some());
    let token =
        sign_token(&claims, keys.current()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Answer {
        status: 200,
        body: json!({ "status": "VERIFIED", "token": token, "expiresIn": MAX_TOKEN_TTL_SECONDS }),
        otp_id: Some(otp_id.to_owned()),
        resend_after: None,
    })
}

/// `GET /.well-known/jwks.json`: every signing key's public half (an empty set when the
/// deployment signs no tokens).
pub fn jwks(settings: &Settings) -> Answer {
    let body = match &settings.signing_keys {
        Some(keys) => keys.public_jwks(),
        None => json!({ "keys": [] }),
    };
    Answer {
        status: 200,
        body,
        otp_id: None,
        resend_after: None,
    }
}
