//! Tenants, from the KV namespace `TENANTS` (docs/operations.md, "Tenants"), read through a
//! per-isolate cache.
//!
//! Layout (written by `npm run tenant` and, in development, `npm run dev` from
//! `worker/tenants.dev.json`):
//! - `apikey:<SHA-256 of the key, hex>` → the tenant id;
//! - `twilio:<AC… or SK…>` → the tenant id (its Twilio Verify credentials);
//! - `tenant:<id>` → the tenant record: `id`, `apiKeys` (`[{id, hash, createdAt}]`, hashes
//!   only), `webhookSecret`, `publishableKeys`, and the policy keys that the core reads
//!   (`smsotp_edge::tenant::TenantPolicy`: `defaults`, `allowedCountries`,
//!   `blockedNumberTypes`, `limits`, `testNumbers`, `guard`, …), and `createdAt` (when
//!   `npm run tenant` created it; absent in older records).
//!
//! Why KV and this shape: tenants are read on every request and written rarely, by people —
//! what KV is for (reads served from the location's cache; writes limited to one per
//! second per key, never on the path of an answer here). Keys are stored as SHA-256
//! hashes: they are 16+ random characters, so a plain hash cannot be reversed, and a
//! lookup by hash reveals nothing through timing. A key is accepted only when its hash is
//! in the tenant's record too, so removing it from the record revokes it even while a
//! stale `apikey:` entry lingers.
//!
//! Cache: an answer from KV is used for [`FRESH_MS`] (KV itself may take ~60 s to show a
//! write elsewhere, so a shorter cache would not make changes visible sooner); an unknown
//! key is remembered for [`UNKNOWN_MS`], so guessing keys costs one KV read per guess per
//! isolate at most that often. When KV fails, an entry up to [`STALE_MS`] old is used
//! rather than refusing requests of a tenant known a moment ago.
//!
//! Known and unknown keys are kept apart, each bounded on its own and least recently used
//! first out ([`MAX_KNOWN`], [`MAX_UNKNOWN`]): keys a guesser makes up only ever push out
//! other unknown keys, never a tenant (nor the stale copy that carries it through a KV
//! outage).

use std::cell::RefCell;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use smsotp_edge::browser::origin::PublishableKeys;
use smsotp_edge::browser::request::BrowserSettings;
use smsotp_edge::tenant::{AllowedCountries, TenantPolicy};
use subtle::ConstantTimeEq;
use worker::Env;

use crate::callback;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::lru::Lru;
use crate::usage::Usage;

/// The KV binding (wrangler.toml).
pub const BINDING: &str = "TENANTS";
/// How long a KV answer is used without asking again.
pub const FRESH_MS: u64 = 60_000;
/// How long an unknown key is remembered as unknown.
pub const UNKNOWN_MS: u64 = 10_000;
/// How old a cached tenant may be and still be used while KV fails.
pub const STALE_MS: u64 = 3_600_000;
/// Known keys (a tenant's API key hashes and publishable keys; tenant ids for callbacks)
/// cached per isolate, least recently used out first. Tenants are few; this bounds memory
/// (an isolate has 128 MB) even for a deployment with many.
pub const MAX_KNOWN: usize = 1_000;
/// Unknown keys remembered per isolate, least recently used out first: bounds memory under
/// key guessing (an entry is ~200 bytes), and a flood of them only pushes out each other.
pub const MAX_UNKNOWN: usize = 10_000;
/// The record keys the worker reads itself; every other key is the core's policy.
const WORKER_KEYS: &[&str] = &[
    "id",
    "apiKeys",
    "webhookSecret",
    "publishableKeys",
    "turnstileSecret",
    "turnstileSiteKey",
    "turnstile",
    "allowAllCountries",
    "browser",
    "twilio",
    "createdAt",
];

/// A tenant, as every request of it needs it.
pub struct Tenant {
    /// The tenant's id (`tenant:<id>` in KV); OTPs belong to it.
    pub id: String,
    /// The key its status callbacks are signed with (from its `webhookSecret`).
    pub webhook_key: Vec<u8>,
    /// What it may do and its defaults (the core's rules over its record).
    pub policy: TenantPolicy,
    /// Its publishable keys (`pk_…`) and their origins: the browser API's keys.
    pub publishable_keys: PublishableKeys,
    /// What browser OTPs are made of (its record's `browser`).
    pub browser: BrowserSettings,
    /// Its Turnstile keys, when browser OTPs need a Turnstile token.
    pub turnstile: Option<Turnstile>,
    /// Why its browser API is not safe to open to the public (publishable keys without a
    /// bot check or without a country list, unless the record says so explicitly): the
    /// browser API refuses every request (503 2132) while any is listed; the server API
    /// is not affected. `/health` lists them in development; `npm run tenant` refuses them.
    pub browser_problems: Vec<String>,
    /// Its Twilio Verify account (`twilio`: credentials hashed, imported services), if it
    /// has one (`npm run tenant -- twilio-credentials`).
    pub twilio: Option<smsotp_edge::twilio::account::TwilioAccount>,
    /// When it was created (`createdAt`, unix milliseconds; `None` in records written
    /// before they carried it): the guard's first week in `record` counts from it
    /// (`smsotp_edge::guard::GuardPolicy::mode_at`).
    pub created_at: Option<u64>,
}

/// A tenant's Turnstile widget: the site key (public, for the page) and the secret (for
/// siteverify; never sent anywhere else).
pub struct Turnstile {
    /// `turnstileSiteKey`.
    pub site_key: String,
    /// `turnstileSecret`.
    pub secret: String,
}

/// One API key of a record: its hash only.
#[derive(Deserialize)]
struct StoredKey {
    hash: String,
}

/// A cache entry: the tenant (`None`: no such key or id) and when KV said so.
#[derive(Clone)]
struct Cached {
    tenant: Option<Rc<Tenant>>,
    at: u64,
}

/// One cache: known keys and unknown keys apart, each its own LRU.
struct Caches {
    /// Keys KV named a tenant for: the tenant and when.
    known: Lru<(Rc<Tenant>, u64)>,
    /// Keys KV knew nothing of: when it said so.
    unknown: Lru<u64>,
}

impl Caches {
    fn new() -> Self {
        Self {
            known: Lru::new(MAX_KNOWN),
            unknown: Lru::new(MAX_UNKNOWN),
        }
    }

    fn get(&mut self, key: &str) -> Option<Cached> {
        if let Some((tenant, at)) = self.known.get(key) {
            return Some(Cached {
                tenant: Some(tenant),
                at,
            });
        }
        self.unknown.get(key).map(|at| Cached { tenant: None, at })
    }

    /// KV's answer for `key`: a tenant goes to the known side, `None` to the unknown side
    /// (and off the known one: the key was revoked or its tenant removed).
    fn remember(&mut self, key: &str, tenant: Option<Rc<Tenant>>, now: u64) {
        match tenant {
            Some(t) => {
                self.unknown.remove(key);
                self.known.insert(key, (t, now));
            }
            None => {
                self.known.remove(key);
                self.unknown.insert(key, now);
            }
        }
    }
}

thread_local! {
    /// By key hash (API keys) or `pubkey:<key>`, for requests.
    static BY_KEY: RefCell<Caches> = RefCell::new(Caches::new());
    /// By id, for callbacks (the shard knows an OTP's tenant id, not a key).
    static BY_ID: RefCell<Caches> = RefCell::new(Caches::new());
}

type Cache = std::thread::LocalKey<RefCell<Caches>>;

fn cached(cache: &'static Cache, key: &str) -> Option<Cached> {
    cache.with(|c| c.borrow_mut().get(key))
}

fn remember(cache: &'static Cache, key: &str, tenant: Option<Rc<Tenant>>, now: u64) {
    cache.with(|c| c.borrow_mut().remember(key, tenant, now));
}

/// The hex SHA-256 of an API key: how keys are stored and looked up.
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A tenant record's problems, or the tenant. `key_hash`, when given, must be one of the
/// record's keys. Problems name the tenant and the field, never a secret's value.
pub fn parse_record(
    text: &str,
    expected_id: &str,
    key_hash: Option<&str>,
    settings: &Settings,
) -> Result<Option<Tenant>, Vec<String>> {
    let problem = |p: String| vec![format!("tenant {expected_id}: {p}")];
    let mut record: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(problem("the record is not a JSON object".into())),
        Err(e) => return Err(problem(format!("the record is not JSON ({e})"))),
    };
    let mut problems = Vec::new();
    if record.get("id").and_then(Value::as_str) != Some(expected_id) {
        problems.push(format!(
            "tenant {expected_id}: id does not match its KV key"
        ));
    }
    let keys: Vec<StoredKey> = match record.get("apiKeys").cloned().map(serde_json::from_value) {
        Some(Ok(keys)) => keys,
        _ => {
            problems.push(format!(
                "tenant {expected_id}: apiKeys must be a list of {{id, hash, createdAt}}"
            ));
            vec![]
        }
    };
    for (i, k) in keys.iter().enumerate() {
        let hex = smsotp_core::pin_hash::is_sha256_hex(&k.hash);
        if !hex {
            problems.push(format!(
                "tenant {expected_id}: apiKeys[{}].hash is not a SHA-256 hex digest (keys are stored hashed, never in clear)",
                i + 1
            ));
        }
    }
    let webhook_key = match record.get("webhookSecret").and_then(Value::as_str) {
        None => {
            problems.push(format!("tenant {expected_id}: webhookSecret is missing"));
            None
        }
        Some(secret) => match crate::config::webhook_secret_problem(secret) {
            Some(p) => {
                problems.push(format!("tenant {expected_id}: {p}"));
                None
            }
            None => callback::secret_key(secret),
        },
    };
    let publishable_keys = match record.get("publishableKeys") {
        None => Some(PublishableKeys::default()),
        Some(v) => PublishableKeys::from_json(v)
            .map_err(|ps| {
                problems.extend(ps.into_iter().map(|p| format!("tenant {expected_id}: {p}")));
            })
            .ok(),
    };
    let turnstile = match (
        record.get("turnstileSiteKey").and_then(Value::as_str),
        record.get("turnstileSecret").and_then(Value::as_str),
    ) {
        (None, None) => None,
        (Some(site_key), Some(secret)) if !site_key.is_empty() && !secret.is_empty() => {
            Some(Turnstile {
                site_key: site_key.to_owned(),
                secret: secret.to_owned(),
            })
        }
        _ => {
            problems.push(format!(
                "tenant {expected_id}: turnstileSiteKey and turnstileSecret go together (both non-empty strings, or neither)"
            ));
            None
        }
    };
    // Explicit opt-outs of the browser API's safe defaults.
    let turnstile_off = match record.get("turnstile") {
        None => false,
        Some(Value::String(s)) if s == "off" => true,
        Some(_) => {
            problems.push(format!(
                "tenant {expected_id}: turnstile must be \"off\" (to accept browser SMS without a bot check) or absent"
            ));
            false
        }
    };
    let allow_all_countries = match record.get("allowAllCountries") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.push(format!(
                "tenant {expected_id}: allowAllCountries must be true or false"
            ));
            false
        }
    };
    if turnstile_off && turnstile.is_some() {
        problems.push(format!(
            "tenant {expected_id}: turnstile is \"off\" but turnstileSiteKey and turnstileSecret are set: keep one"
        ));
    }
    let browser_settings = record.get("browser").cloned();
    let twilio = match record.get("twilio") {
        None => None,
        Some(v) => smsotp_edge::twilio::account::TwilioAccount::from_json(v)
            .map_err(|ps| {
                problems.extend(ps.into_iter().map(|p| format!("tenant {expected_id}: {p}")));
            })
            .ok(),
    };
    let created_at = smsotp_edge::tenant::created_at(record.get("createdAt"))
        .map_err(|p| problems.push(format!("tenant {expected_id}: {p}")))
        .unwrap_or_default();
    for name in WORKER_KEYS {
        record.remove(*name);
    }
    let policy = settings
        .policy
        .overlay_json(&Value::Object(record))
        .map_err(|ps| {
            problems.extend(ps.into_iter().map(|p| format!("tenant {expected_id}: {p}")));
        })
        .ok();
    // The browser settings are checked against the tenant's own defaults.
    let browser = policy.as_ref().and_then(|p| match &browser_settings {
        None => Some(BrowserSettings::default()),
        Some(v) => BrowserSettings::from_json(v, &p.config)
            .map_err(|ps| {
                problems.extend(ps.into_iter().map(|p| format!("tenant {expected_id}: {p}")));
            })
            .ok(),
    });
    match (webhook_key, policy, publishable_keys, browser) {
        (Some(webhook_key), Some(policy), Some(publishable_keys), Some(browser))
            if problems.is_empty() =>
        {
            // Compare every stored hash fully (constant time each).
            let listed = key_hash.is_none_or(|h| {
                keys.iter().fold(false, |found, k| {
                    found | bool::from(k.hash.as_bytes().ct_eq(h.as_bytes()))
                })
            });
            let browser_problems = browser_problems(
                expected_id,
                &publishable_keys,
                &policy,
                turnstile.is_some() || turnstile_off,
                allow_all_countries,
            );
            Ok(listed.then(|| Tenant {
                id: expected_id.to_owned(),
                webhook_key,
                policy,
                publishable_keys,
                browser,
                turnstile,
                browser_problems,
                twilio,
                created_at,
            }))
        }
        _ => Err(problems),
    }
}

/// What makes a tenant's browser API unsafe for public traffic: publishable keys without
/// Turnstile (or an explicit `"turnstile": "off"`), or without an explicit country list
/// (or `"allowAllCountries": true`). A scripted stranger with the public key would
/// otherwise send SMS at will, to any country's premium ranges.
fn browser_problems(
    id: &str,
    keys: &PublishableKeys,
    policy: &TenantPolicy,
    bot_check_decided: bool,
    allow_all_countries: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    if keys.keys.is_empty() {
        return problems;
    }
    if !bot_check_decided {
        problems.push(format!(
            "tenant {id}: publishableKeys without a bot check: set turnstileSiteKey and turnstileSecret, or \"turnstile\": \"off\" to accept browser SMS without one"
        ));
    }
    if policy.allowed_countries == AllowedCountries::Any && !allow_all_countries {
        problems.push(format!(
            "tenant {id}: publishableKeys with every country allowed: list allowedCountries, or set \"allowAllCountries\": true"
        ));
    }
    problems
}

fn store(env: &Env) -> AppResult<worker::kv::KvStore> {
    env.kv(BINDING)
        .map_err(|e| AppError::Internal(format!("KV binding {BINDING}: {e}")))
}

/// A KV read of `key` (counted), cached by KV for [`FRESH_MS`].
async fn kv_text(env: &Env, key: &str, usage: &Usage) -> AppResult<Option<String>> {
    usage.kv_read();
    store(env)?
        .get(key)
        .cache_ttl(FRESH_MS / 1000)
        .text()
        .await
        .map_err(|e| {
            AppError::Unavailable(format!(
                "KV read of {}: {e}",
                key.split(':').next().unwrap_or("")
            ))
        })
}

/// The record `tenant:<id>` as a tenant (`None`: no record, or `key_hash` not in it).
async fn load(
    env: &Env,
    id: &str,
    key_hash: Option<&str>,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Option<Tenant>> {
    let Some(text) = kv_text(env, &format!("tenant:{id}"), usage).await? else {
        return Ok(None);
    };
    parse_record(&text, id, key_hash, settings)
        .map_err(|problems| AppError::Internal(format!("misconfigured: {}", problems.join("; "))))
}

/// Fresh from the cache, else from KV, else (KV failing) stale from the cache.
async fn through_cache<F>(
    cache: &'static Cache,
    key: &str,
    fetch: F,
) -> AppResult<Option<Rc<Tenant>>>
where
    F: std::future::Future<Output = AppResult<Option<Tenant>>>,
{
    let now = crate::clock::now();
    let hit = cached(cache, key);
    if let Some(c) = &hit {
        let ttl = if c.tenant.is_some() {
            FRESH_MS
        } else {
            UNKNOWN_MS
        };
        if now.saturating_sub(c.at) < ttl {
            return Ok(c.tenant.clone());
        }
    }
    match fetch.await {
        Ok(tenant) => {
            let tenant = tenant.map(Rc::new);
            remember(cache, key, tenant.clone(), now);
            Ok(tenant)
        }
        Err(AppError::Unavailable(why)) => match hit {
            Some(Cached {
                tenant: Some(t),
                at,
            }) if now.saturating_sub(at) < STALE_MS => {
                crate::log::event(
                    "warn",
                    "tenant.stale",
                    serde_json::json!({ "tenant": t.id, "ageMs": now - at, "why": why }),
                );
                Ok(Some(t))
            }
            _ => Err(AppError::Unavailable(why)),
        },
        Err(e) => Err(e),
    }
}

/// The tenant whose API key this is, or `None` for an unknown or revoked key.
pub async fn by_key(
    env: &Env,
    key: &str,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Option<Rc<Tenant>>> {
    let hash = key_hash(key);
    through_cache(&BY_KEY, &hash, async {
        let Some(id) = kv_text(env, &format!("apikey:{hash}"), usage).await? else {
            return Ok(None);
        };
        load(env, id.trim(), Some(&hash), settings, usage).await
    })
    .await
}

/// The tenant whose publishable key this is (`pubkey:<key>` → id; the key must also be in
/// the record's `publishableKeys`), or `None`. Publishable keys are public: stored and
/// looked up as they are.
pub async fn by_publishable_key(
    env: &Env,
    key: &str,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Option<Rc<Tenant>>> {
    let tenant = by_index(env, &format!("pubkey:{key}"), settings, usage).await?;
    Ok(tenant.filter(|t| t.publishable_keys.find(key).is_some()))
}

/// The tenant an index entry of public values (`pubkey:<key>`, `twilio:<sid>` → id) names,
/// through the cache; the caller checks that the record still lists the value (removing
/// it from the record revokes it while a stale entry lingers).
async fn by_index(
    env: &Env,
    index_key: &str,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Option<Rc<Tenant>>> {
    through_cache(&BY_KEY, index_key, async {
        let Some(id) = kv_text(env, index_key, usage).await? else {
            return Ok(None);
        };
        load(env, id.trim(), None, settings, usage).await
    })
    .await
}

/// The tenant that holds the Twilio credential `sid` (`AC…` or `SK…`: `twilio:<sid>` →
/// id; the SID must also be in the record's `twilio.credentials`), or `None`. SIDs are not
/// secret (they are the Basic user name): stored and looked up as they are; the secret is
/// checked by the caller against the record's hash.
pub async fn by_twilio_sid(
    env: &Env,
    sid: &str,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Option<Rc<Tenant>>> {
    let tenant = by_index(env, &format!("twilio:{sid}"), settings, usage).await?;
    Ok(tenant.filter(|t| {
        t.twilio
            .as_ref()
            .is_some_and(|a| a.credentials.iter().any(|c| c.sid == sid))
    }))
}

/// The tenant with this id (for signing its callbacks), or `None` if it is gone.
pub async fn by_id(
    env: &Env,
    id: &str,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Option<Rc<Tenant>>> {
    through_cache(&BY_ID, id, load(env, id, None, settings, usage)).await
}

/// Every tenant record's problems (`GET /health` in development: the records
/// `npm run dev` loaded from `worker/tenants.dev.json`). Reads every record: not for
/// production, where the namespace may be large and `npm run tenant` checks what it writes.
pub async fn problems(env: &Env, settings: &Settings) -> Vec<String> {
    let kv = match store(env) {
        Ok(kv) => kv,
        Err(e) => return vec![format!("{BINDING}: {e:?}")],
    };
    let mut problems = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut list = kv.list().prefix("tenant:".into());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = match list.execute().await {
            Ok(p) => p,
            Err(e) => return vec![format!("{BINDING}: cannot list tenants ({e})")],
        };
        for key in &page.keys {
            let id = key.name.trim_start_matches("tenant:");
            match kv.get(&key.name).text().await {
                Ok(Some(text)) => match parse_record(&text, id, None, settings) {
                    Err(ps) => problems.extend(ps),
                    Ok(Some(t)) => {
                        if settings.signing_keys.is_none() && !t.publishable_keys.keys.is_empty() {
                            problems.push(format!(
                                "tenant {id}: publishableKeys but no TOKEN_SIGNING_KEYS: the browser API cannot issue tokens (it answers 503)"
                            ));
                        }
                        problems.extend(t.browser_problems);
                    }
                    Ok(None) => {}
                },
                Ok(None) => {}
                Err(e) => problems.push(format!("tenant {id}: cannot be read ({e})")),
            }
        }
        if page.list_complete {
            break;
        }
        cursor = page.cursor;
    }
    if problems.is_empty() && cursor.is_none() {
        // An empty namespace: nobody can authenticate.
        match kv.list().prefix("tenant:".into()).limit(1).execute().await {
            Ok(p) if p.keys.is_empty() => problems.push(format!(
                "{BINDING}: no tenant (npm run dev loads worker/tenants.dev.json; npm run tenant -- create <id>)"
            )),
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str) -> Rc<Tenant> {
        let settings = Settings::read(|name| {
            match name {
                "ENVIRONMENT" => Some("development"),
                "SMS_PROVIDER" => Some("console"),
                "PIN_HASH_KEY" => Some("pin-hash-key-0123456789"),
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap_or_else(|p| panic!("{p:?}"));
        let record = serde_json::json!({
            "id": id, "apiKeys": [],
            "webhookSecret": "whsec_MDEyMzQ1Njc4OWFiY2RlZg==",
        });
        Rc::new(
            parse_record(&record.to_string(), id, None, &settings)
                .unwrap_or_else(|p| panic!("{p:?}"))
                .expect("the tenant"),
        )
    }

    #[test]
    fn a_records_creation_time_and_its_guard_settings() {
        let settings = Settings::read(|name| {
            match name {
                "ENVIRONMENT" => Some("development"),
                "SMS_PROVIDER" => Some("console"),
                "PIN_HASH_KEY" => Some("pin-hash-key-0123456789"),
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap_or_else(|p| panic!("{p:?}"));
        let parse = |extra: serde_json::Value| {
            let mut record = serde_json::json!({
                "id": "acme", "apiKeys": [],
                "webhookSecret": "whsec_MDEyMzQ1Njc4OWFiY2RlZg==",
            });
            record
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            parse_record(&record.to_string(), "acme", None, &settings)
                .map(|t| t.expect("the tenant"))
        };
        let t = parse(serde_json::json!({
            "createdAt": "1970-01-02T00:00:00Z",
            "guard": {"mode": "enforce"},
        }))
        .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(t.created_at, Some(86_400_000));
        assert_eq!(
            t.policy.guard.mode,
            Some(smsotp_edge::guard::GuardMode::Enforce)
        );
        let old = parse(serde_json::json!({})).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(old.created_at, None);
        let Err(problems) = parse(serde_json::json!({
            "createdAt": "yesterday",
            "guard": {"mode": "on"},
        })) else {
            panic!("accepted");
        };
        assert_eq!(
            problems,
            [
                "tenant acme: createdAt must be a UTC time to the second (\"2026-12-05T07:00:00Z\"), not \"yesterday\"",
                "tenant acme: guard.mode must be off, record, enforce or null",
            ]
        );
    }

    #[test]
    fn unknown_keys_never_push_out_a_known_tenant() {
        let mut c = Caches::new();
        c.remember("acme-hash", Some(tenant("acme")), 1);
        // Far more unknown keys than either side holds.
        for i in 0..(MAX_UNKNOWN + MAX_KNOWN) * 2 {
            c.remember(&format!("guess-{i}"), None, 2);
        }
        let hit = c.get("acme-hash").expect("acme is still cached");
        assert_eq!(
            (hit.tenant.map(|t| t.id.clone()), hit.at),
            (Some("acme".to_owned()), 1)
        );
        // The unknown side is bounded and keeps the most recent guesses.
        assert_eq!(c.unknown.len(), MAX_UNKNOWN);
        assert!(c.get("guess-0").is_none());
        let last = format!("guess-{}", (MAX_UNKNOWN + MAX_KNOWN) * 2 - 1);
        assert!(c.get(&last).is_some_and(|e| e.tenant.is_none()));
    }

    #[test]
    fn known_tenants_are_bounded_on_their_own_and_a_revoked_key_moves_sides() {
        let mut c = Caches::new();
        let t = tenant("acme");
        for i in 0..MAX_KNOWN + 5 {
            c.remember(&format!("key-{i}"), Some(t.clone()), 1);
        }
        assert_eq!(c.known.len(), MAX_KNOWN);
        assert!(c.get("key-0").is_none(), "the least recently used went");
        assert!(c.get(&format!("key-{}", MAX_KNOWN + 4)).is_some());
        // KV now says the key is no one's: unknown from then on, not a tenant.
        c.remember("key-10", None, 2);
        let e = c.get("key-10").expect("remembered");
        assert!(e.tenant.is_none());
        assert_eq!(c.known.len(), MAX_KNOWN - 1);
        // And known again once KV says so.
        c.remember("key-10", Some(t), 3);
        assert!(c.get("key-10").is_some_and(|e| e.tenant.is_some()));
        assert!(c.unknown.get("key-10").is_none());
    }
}
