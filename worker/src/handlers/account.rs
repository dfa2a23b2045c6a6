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

use crate::config::Settings;
use crate::error::AppResult;
use crate::pipeline::answer::Answer;
use crate::pipeline::context::Ctx;
use crate::tenant::Tenant;

/// `GET /v1/account`: 200 with the tenant's policy ([`view`]).
pub async fn account(cx: &mut Ctx, tenant: &Tenant) -> AppResult<Answer> {
    Ok(Answer::json(200, view(tenant, &cx.settings)))
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
