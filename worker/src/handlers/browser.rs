//! The browser API (`/v1/browser/*`, docs/browser.md): what a web page may do
//! with a tenant's publishable key (`pk_…`, public by design) — read the tenant's browser
//! settings, start an OTP for a number, ask for a resend, check a PIN and get a signed
//! token — and `/.well-known/jwks.json`, the keys a backend checks those tokens with.
//!
//! Glue, as the rest of the worker: the rules (which fields a browser may send, origins,
//! Turnstile's answers, the token's claims and signature) are the core's
//! (`smsotp_edge::browser`); the OTP itself goes through the same budgets, shard and
//! provider as a server API create (`service/otp.rs`). The pipeline has checked the key,
//! its origin and [`safe`] before any handler here runs (`pipeline/mod.rs`).
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
use smsotp_edge::Destination;

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::limiter::Budget;
use crate::pipeline::answer::Answer;
use crate::pipeline::budget::{self, client_ip, client_of};
use crate::pipeline::context::{Ctx, Visitor};
use crate::service::otp::{self as service, checked_id, Resend};
use crate::shard::{self, ShardOp, ShardReply};
use crate::tenant::Tenant;
use crate::{http, log};

/// How long siteverify may take before the request is refused (fail closed).
const SITEVERIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// The visitor's own address, as Turnstile's `remoteip` wants it (not the /64 a limit
/// counts): `CF-Connecting-IP` when it is an address.
fn visitor_ip(cx: &Ctx) -> Option<String> {
    let ip = cx.header("CF-Connecting-IP")?;
    let ip: std::net::IpAddr = ip.trim().parse().ok()?;
    Some(ip.to_string())
}

/// A browser request's body: at most [`MAX_BODY_BYTES`] (its few fields need far less
/// than the server API's 64 KiB), else 413 without reading further.
async fn body(cx: &mut Ctx) -> AppResult<String> {
    cx.body_within(MAX_BODY_BYTES).await
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

/// `GET /v1/browser/config`: what the widget needs to draw itself and preview the SMS.
pub async fn config(_cx: &mut Ctx, visitor: &Visitor) -> AppResult<Answer> {
    let tenant = &visitor.tenant;
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
    Ok(Answer::json(
        200,
        json!({
            "tenant": tenant.id,
            "allowedCountries": allowed,
            "defaultCountry": tenant.browser.default_country,
            "pinType": field("pinType").unwrap_or_else(|| json!(defaults.pin_type)),
            "pinLength": field("pinLength").unwrap_or_else(|| json!(defaults.pin_length)),
            "ttl": field("ttl").unwrap_or_else(|| json!(defaults.ttl)),
            "templates": templates,
            "turnstileSiteKey": tenant.turnstile.as_ref().map(|t| t.site_key.clone()),
            "resendCooldowns": tenant.policy.number_limits.resend_cooldowns,
            // The channels a code may go by, as this deployment offers them: the widget
            // offers the others once a resend is allowed.
            "channels": tenant.policy.delivery.channels.iter()
                .filter(|c| {
                    let p = &_cx.settings.providers;
                    tenant.policy.delivery.plan(**c, "", &p.routes, &|ch, name| p.offers(ch, name)).is_ok()
                        || **c == smsotp_core::Channel::Sms
                })
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
        }),
    ))
}

/// Checks the visitor's Turnstile token when the tenant requires one: before anything is
/// stored or sent.
async fn turnstile(cx: &Ctx, visitor: &Visitor, token: Option<&str>) -> AppResult<()> {
    let tenant = &visitor.tenant;
    let Some(keys) = &tenant.turnstile else {
        return Ok(());
    };
    let Some(key) = tenant.publishable_keys.find(&visitor.key) else {
        return Err(ApiError::new(ErrorCode::InvalidApiKey).into());
    };
    let token = required_token(token)?;
    // The same idempotency key for a retry of the same token would let siteverify answer
    // it again; a fresh one per check is what a single use needs.
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    let idempotency_key =
        smsotp_core::FallibleSource::run(fill, smsotp_core::create::new_otp_id)
            .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    let ip = visitor_ip(cx);
    let form = siteverify_form(&keys.secret, token, ip.as_deref(), Some(&idempotency_key));
    cx.usage.subrequest();
    let verdict = match http::post(
        &cx.settings.turnstile_url,
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
        // The channel and status only: which provider a tenant uses, its message ids and
        // error texts are not the visitor's business.
        "delivery": b["delivery"].as_object().map(|d| json!({
            "channel": d.get("channel"), "status": d.get("status"),
        })),
    })
}

/// `GET /v1/browser/otp/{otpId}` (with its `X-Client-Secret`): the OTP as the browser sees
/// it, its delivery included (the widget says "not delivered" when a report says so).
pub async fn status(cx: &mut Ctx, visitor: &Visitor) -> AppResult<Answer> {
    let param = cx.param.clone();
    let (otp_id, shard) = checked_id(&param)?;
    let secret = cx.header(CLIENT_SECRET);
    check_client_secret(&cx.settings.pin_hasher, otp_id, secret.as_deref())?;
    let op = ShardOp::Get {
        service: None,
        otp_id: otp_id.to_owned(),
        tenant: visitor.tenant.id.clone(),
    };
    let record = match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(record) => record,
        other => return Err(other.into_error()),
    };
    let now = crate::clock::now();
    let answer = Answer::json(200, json!(record.to_object(now))).about(otp_id);
    let mut body = otp_view(&answer);
    if let Some(o) = body.as_object_mut() {
        for hidden in ["phoneNumber", "parts", "clientSecret", "resendAfter"] {
            o.remove(hidden);
        }
    }
    Ok(Answer { body, ..answer })
}

/// A browser start or resend past its own checks (`checked`: what it prepared, its
/// Turnstile token, the client's IP) and Turnstile. A refusal here is still one request of
/// the tenant's browser minute.
async fn passed<T>(
    cx: &mut Ctx,
    visitor: &Visitor,
    checked: AppResult<(T, Option<String>, Option<String>)>,
) -> AppResult<(T, Option<String>)> {
    let checked = match checked {
        Ok((prepared, token, ip)) => turnstile(cx, visitor, token.as_deref())
            .await
            .map(|()| (prepared, ip)),
        Err(e) => Err(e),
    };
    match checked {
        Ok(c) => Ok(c),
        Err(e) => Err(budget::refused(cx, &visitor.tenant, Budget::Browser, e).await),
    }
}

/// `POST /v1/browser/otp`: the tenant's browser settings with the visitor's number.
pub async fn start(cx: &mut Ctx, visitor: &Visitor) -> AppResult<Answer> {
    let tenant = &visitor.tenant;
    let checked = async {
        let text = body(cx).await?;
        let otp = validate_browser_otp(&text, &tenant.browser, &tenant.policy.config)
            .map_err(AppError::Invalid)?;
        cx.destination = Some((otp.request.country_iso.clone(), otp.request.channel));
        let ip = client_ip(&cx.req)?;
        let mut prepared = service::prepared(otp.request, tenant, None, ip.clone())?;
        prepared.budget = Budget::Browser;
        prepared.client_secret = cx.header(CLIENT_SECRET);
        prepared.client = Some(client_of(&ip));
        Ok::<_, AppError>((prepared, otp.turnstile_token, ip))
    }
    .await;
    let (prepared, _) = passed(cx, visitor, checked).await?;
    let answer = service::create(cx, tenant, prepared).await?;
    Ok(Answer {
        body: otp_view(&answer),
        ..answer
    })
}

/// `POST /v1/browser/otp/{otpId}/resend`.
pub async fn resend(cx: &mut Ctx, visitor: &Visitor) -> AppResult<Answer> {
    let otp_id = cx.param.clone();
    let checked = async {
        let text = body(cx).await?;
        let (token, channel) = browser_resend(&text).map_err(AppError::Invalid)?;
        // Only who made the OTP may have its PIN replaced (before Turnstile: no
        // siteverify call for a request that cannot go on).
        let secret = cx.header(CLIENT_SECRET);
        check_client_secret(&cx.settings.pin_hasher, &otp_id, secret.as_deref())?;
        Ok::<_, AppError>((channel, token, client_ip(&cx.req)?))
    }
    .await;
    let (channel, ip) = passed(cx, visitor, checked).await?;
    let asked = Resend {
        otp_id: &otp_id,
        client: Some(client_of(&ip)),
        ip,
        budget: Budget::Browser,
        channel,
    };
    let answer = service::resend(cx, &visitor.tenant, asked).await?;
    let mut body = otp_view(&answer);
    if let Some(o) = body.as_object_mut() {
        // The client secret is the create's to hand out (the page has it already).
        for hidden in ["phoneNumber", "parts", "clientSecret"] {
            o.remove(hidden);
        }
    }
    Ok(Answer { body, ..answer })
}

/// `POST /v1/browser/otp/{otpId}`: the PIN; when right, a signed token for the site's
/// backend (a PIN verifies once, so one token per OTP).
pub async fn check(cx: &mut Ctx, visitor: &Visitor) -> AppResult<Answer> {
    let tenant = &visitor.tenant;
    let settings = cx.settings.clone();
    // Every precondition before the shard spends the PIN: the signing key (also refused
    // for the whole browser API by `safe`), the OTP's client secret, the body.
    let (Some(keys), Some(issuer)) = (&settings.signing_keys, &settings.public_url) else {
        return Err(ApiError::new(ErrorCode::BrowserMisconfigured).into());
    };
    let param = cx.param.clone();
    let (otp_id, shard) = checked_id(&param)?;
    let text = body(cx).await?;
    let pin = browser_verify_pin(&text).map_err(AppError::Invalid)?;
    let secret = cx.header(CLIENT_SECRET);
    check_client_secret(&settings.pin_hasher, otp_id, secret.as_deref())?;
    let checker = service::Checker {
        client: Some(client_of(&client_ip(&cx.req)?)),
        ..service::Checker::default()
    };
    let record = service::check_pin(cx, tenant, (otp_id, shard), pin, checker).await?;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).map_err(|e| AppError::Internal(format!("getrandom: {e}")))?;
    let now = crate::clock::now();
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
    .with_authorized_party(&visitor.origin)
    .for_test_number(
        Destination::among(&tenant.policy.test_numbers, &record.phone_number).is_test(),
    );
    let token =
        sign_token(&claims, keys.current()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Answer::json(
        200,
        json!({ "status": "VERIFIED", "token": token, "expiresIn": MAX_TOKEN_TTL_SECONDS }),
    )
    .about(otp_id))
}
