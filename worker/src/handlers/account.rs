//! `GET /v1/account` (extension, secret key): the tenant's policy as the worker applies it,
//! read-only, for the operator's dashboard (`/admin/`, docs/admin.md) and for anyone who
//! wants to see what a record plus the deployment's defaults came to.
//!
//! Built field by field from the parsed [`Tenant`], never by serialising the record or the
//! struct: a field added to either later stays out of this answer until someone writes it
//! here. What is never in it: API keys or their hashes, the webhook secret, publishable keys
//! (their origins are shown, not the keys), Turnstile's keys (only whether a bot check is
//! set), Twilio credentials, and test numbers' fixed PINs (the numbers are shown: a PIN that
//! always verifies is a credential of its own).

use serde_json::{json, Map, Value};
use smsotp_edge::tenant::AllowedCountries;

use smsotp_core::time::format_rfc3339;
use smsotp_edge::guard::{GuardEvent, GuardMode, RECORD_FIRST_MS};

use crate::config::Settings;
use crate::error::AppResult;
use crate::limiter;
use crate::pipeline::answer::Answer;
use crate::pipeline::context::Ctx;
use crate::tenant::Tenant;

/// How many of the guard's newest events the answer lists (the limiter keeps 100).
const GUARD_EVENTS_SHOWN: u32 = 50;

/// `GET /v1/account`: 200 with the tenant's policy ([`view`]) and its guard ([`guard_view`]:
/// one call to the tenant's limiter, which keeps the guard's events).
pub async fn account(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    let (events, first_seen) =
        limiter::wire::guard(&cx.env, &tenant.id, GUARD_EVENTS_SHOWN, &cx.usage).await?;
    let mut body = view(tenant, &cx.settings);
    body["guard"] = guard_view(tenant, &events, first_seen, crate::clock::now());
    Ok(Answer::json(200, body))
}

/// The adaptive guard as it stands for the tenant (docs/guard.md): the mode now and
/// whether the tenant set it (`modeSet`, `null`: the default, `record` until
/// `recordUntil`, a week after `createdAt` — or after the guard first kept state for a
/// record without one — then `enforce`), the settings (the record's key names), and the
/// newest events (`guard.triggered`, newest first).
pub fn guard_view(
    tenant: &Tenant,
    events: &[GuardEvent],
    first_seen: Option<u64>,
    now: u64,
) -> Value {
    let policy = &tenant.policy.guard;
    // No createdAt and no state yet: the first week starts with the first SMS.
    let created = tenant.created_at.or(first_seen);
    let mode = policy.mode_at(created.unwrap_or(now), now);
    let record_until = match (policy.mode, created) {
        (None, Some(c)) => json!(format_rfc3339(c.saturating_add(RECORD_FIRST_MS))),
        _ => Value::Null,
    };
    json!({
        "mode": mode.as_str(),
        "modeSet": policy.mode.map(GuardMode::as_str),
        "recordUntil": record_until,
        "settings": policy.to_json(),
        "events": events,
    })
}

/// The tenant's policy as JSON, in the record's key names where there is one
/// (docs/api.md, "The account"; `AccountPolicy` in docs/openapi.json).
pub fn view(tenant: &Tenant, settings: &Settings) -> Value {
    let policy = &tenant.policy;
    let allowed_countries = match &policy.allowed_countries {
        AllowedCountries::Any => json!("*"),
        AllowedCountries::Only(set) => json!(set),
    };
    let blocked: Vec<&str> = policy
        .blocked_number_types
        .iter()
        .map(|t| t.as_str())
        .collect();
    // Per-number and across-number limits in one object, as the record's `limits` has them.
    let mut limits = Map::new();
    for part in [
        serde_json::to_value(&policy.number_limits),
        serde_json::to_value(policy.limits),
    ] {
        if let Ok(Value::Object(m)) = part {
            limits.extend(m);
        }
    }
    let delivery = &policy.delivery;
    let (routes, routes_from) = match &delivery.routes {
        Some(r) => (r, "tenant"),
        None => (&settings.providers.routes, "deployment"),
    };
    let mut timeout = Map::new();
    timeout.insert("*".into(), json!(delivery.delivery_timeout.default));
    for (country, seconds) in &delivery.delivery_timeout.by_country {
        timeout.insert(country.clone(), json!(seconds));
    }
    let origins: Vec<Value> = tenant
        .publishable_keys
        .keys
        .iter()
        .map(
            |k| json!({ "origins": k.origins.iter().map(ToString::to_string).collect::<Vec<_>>() }),
        )
        .collect();
    let mut browser_settings = tenant.browser.fields.clone();
    if let Some(country) = &tenant.browser.default_country {
        browser_settings.insert("defaultCountry".into(), json!(country));
    }
    json!({
        "id": tenant.id,
        "allowedCountries": allowed_countries,
        "blockedNumberTypes": blocked,
        "defaults": policy.config.defaults,
        "maxParts": policy.config.max_parts,
        "limits": limits,
        "requestsPerMinute": {
            "server": settings.rate_limit_per_minute,
            "browser": settings.browser_rate_limit_per_minute,
        },
        "delivery": {
            "channels": delivery.channels,
            "fallback": delivery.fallback,
            "routes": routes.0,
            "routesFrom": routes_from,
            "deliveryTimeout": timeout,
            "maxFailovers": delivery.max_failovers,
            "deliveryCallbacks": delivery.delivery_callbacks,
        },
        "browser": {
            "publishableKeys": origins,
            "turnstile": tenant.turnstile.is_some(),
            "settings": browser_settings,
            "problems": tenant.browser_problems,
        },
        "testNumbers": policy.test_numbers.keys().collect::<Vec<_>>(),
    })
}
