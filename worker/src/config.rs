//! The worker's settings, read from vars and secrets once per isolate ([`settings`]: they
//! cannot change while an isolate lives) (docs/operations.md: settings).
//!
//! [`Settings::read`] checks every setting and returns every problem found, each naming the
//! setting and what is wrong, never a secret's value: `GET /health` answers 503 with that
//! list, and any API request with a bad configuration answers 500 and logs it. Nothing bad
//! is dropped or defaulted silently.

use std::rc::Rc;
use std::time::Duration;

use base64::Engine;
use smsotp_core::{CallbackPolicy, Config, PinHasher};
use smsotp_edge::browser::keys::SigningKeys;
use smsotp_edge::browser::turnstile::SITEVERIFY_URL;
use smsotp_edge::limits::{AbuseLimits, NumberLimits};
use smsotp_edge::stats::{parse_price_micros, PriceTable};
use smsotp_edge::tenant::TenantPolicy;
use worker::{Env, Url};

use crate::providers::{Providers, DEFAULT_TIMEOUT};

/// Waits before the 2nd, 3rd, … delivery of a callback (the 1st is at once), in
/// milliseconds: 6 tries over about an hour (1, 5, 15, 30 and 30 minutes), then the
/// callback is given up (logged). `CALLBACK_BACKOFF_MS` replaces them in development only.
pub const CALLBACK_BACKOFF_MS: [u64; 5] = [60_000, 300_000, 900_000, 1_800_000, 1_800_000];

/// Most retries `CALLBACK_BACKOFF_MS` may list.
const MAX_CALLBACK_RETRIES: usize = 10;

/// Shortest accepted webhook signing key (a tenant's `webhookSecret`), in bytes after
/// base64 decoding.
pub const MIN_WEBHOOK_KEY_BYTES: usize = 16;

/// Settings that hold URLs: each, when set, must be an absolute http(s) URL.
const URLS: &[&str] = &[
    "TWILIO_BASE_URL",
    "VONAGE_BASE_URL",
    "SMSCX_BASE_URL",
    "SMS_WEBHOOK_URL",
    "WHATSAPP_BASE_URL",
    "DOCS_URL",
    "PUBLIC_URL",
    "TURNSTILE_SITEVERIFY_URL",
];

/// The `PIN_HASH_KEY` of `worker/.dev.vars.example`: public, so refused in production (a
/// test checks that it is the file's).
pub const EXAMPLE_PIN_HASH_KEY: &str = "dev-only-pin-hash-key-change-me-0123456789";

/// The settings every request needs, read and checked.
pub struct Settings {
    /// `ENVIRONMENT=development`: loopback callbacks (in `core`), the console provider
    /// (in `provider`), and the dev inbox (dev.rs).
    pub development: bool,
    /// The providers configured and the SMS routes (`SMS_ROUTES` or `SMS_PROVIDER`, and
    /// each provider's settings).
    pub providers: Providers,
    /// How long the provider may take (`SMS_TIMEOUT_MS`, default 10 s).
    pub sms_timeout: Duration,
    /// Waits before each retry of a callback, in ms ([`CALLBACK_BACKOFF_MS`]; in
    /// development `CALLBACK_BACKOFF_MS` may shorten them, so that a soak or a test sees
    /// a failed callback retried within seconds instead of a minute).
    pub callback_backoff: Vec<u64>,
    /// The deployment's policy (`OTP_DEFAULTS`, `NUMBER_LIMITS`), under each tenant's
    /// record.
    pub policy: TenantPolicy,
    /// The keyed hash of PINs and of shard placement (`PIN_HASH_KEY`).
    pub pin_hasher: PinHasher,
    /// What an SMS part costs per destination country (`SMS_PRICES`, `{"*": 0.0079,
    /// "FR": 0.07}`), over `PRICE_PER_PART` for the countries it does not name: an OTP's
    /// `cost`, and the statistics' (`smsotp_edge::stats::PriceTable`).
    pub prices: PriceTable,
    /// Requests per tenant per minute on the server API (`RATE_LIMIT_PER_MINUTE`, default
    /// 600; 0: no limit): spent only by secret-key requests.
    pub rate_limit_per_minute: u32,
    /// Requests per tenant per minute on the browser API (`BROWSER_RATE_LIMIT_PER_MINUTE`,
    /// default 300; 0: no limit): a budget of its own, so public traffic cannot spend the
    /// tenant's backend's (`GET /v1/browser/config` spends none of it: only the per-IP
    /// budget, `BROWSER_IP_LIMITER` in wrangler.toml).
    pub browser_rate_limit_per_minute: u32,
    pub docs_url: String,
    /// The keys that sign browser verification tokens (`TOKEN_SIGNING_KEYS`, a private
    /// JWK set: the first signs, all are published); `None`: the browser API cannot issue
    /// tokens (its verify answers 500 and logs why).
    pub signing_keys: Option<SigningKeys>,
    /// This deployment's public URL (`PUBLIC_URL`): the tokens' `iss`.
    pub public_url: Option<String>,
    /// Turnstile's siteverify endpoint (`TURNSTILE_SITEVERIFY_URL`; a local stand-in in tests).
    pub turnstile_url: String,
    /// How long the circuit breaker skips a failing provider, in ms (60 s; development's
    /// `CIRCUIT_OPEN_MS` may shorten it, so a test sees it close).
    pub circuit_open_ms: u64,
}

/// A var or secret, `None` when unset or blank.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// The keyed PIN hasher from `PIN_HASH_KEY`, or the problem.
fn pin_hasher_from(key: Option<&str>) -> Result<PinHasher, String> {
    let key = key.ok_or("PIN_HASH_KEY: not set (16+ random bytes)")?;
    PinHasher::new(key.as_bytes()).map_err(|e| format!("PIN_HASH_KEY: {e}"))
}

/// The problem with a tenant's `webhookSecret`, if any: `whsec_` then standard base64 of
/// at least [`MIN_WEBHOOK_KEY_BYTES`] bytes. A secret that cannot be decoded would leave
/// callbacks unsigned, which receivers that verify signatures reject.
pub fn webhook_secret_problem(secret: &str) -> Option<String> {
    let Some(b64) = secret.trim().strip_prefix("whsec_") else {
        return Some("webhookSecret: does not start with whsec_".into());
    };
    match base64::engine::general_purpose::STANDARD.decode(b64) {
        Err(_) => Some("webhookSecret: the part after whsec_ is not valid base64".into()),
        Ok(key) if key.len() < MIN_WEBHOOK_KEY_BYTES => Some(format!(
            "webhookSecret: decodes to {} bytes, fewer than {MIN_WEBHOOK_KEY_BYTES}",
            key.len()
        )),
        Ok(_) => None,
    }
}

/// The problem with a set URL setting, if any: an absolute http(s) URL with a host, and in
/// production https only (`http` is for development's local stand-ins). The value is not
/// repeated: a URL may carry a token (a webhook's query string).
fn url_problem(name: &str, value: &str, development: bool) -> Option<String> {
    match Url::parse(value.trim()) {
        Err(e) => Some(format!("{name}: not a valid absolute URL ({e})")),
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            Some(format!("{name}: not an http or https URL"))
        }
        Ok(url) if url.host_str().is_none_or(str::is_empty) => {
            Some(format!("{name}: the URL has no host"))
        }
        Ok(url) if url.scheme() == "http" && !development => Some(format!(
            "{name}: http is for development only (ENVIRONMENT=development); production needs https"
        )),
        Ok(_) => None,
    }
}

/// The deployment's policy: `OTP_DEFAULTS` and the limits from the text of
/// `NUMBER_LIMITS` (JSON, the keys of a tenant's `limits`; absent keys keep their
/// defaults), `off` for no limit at all, the defaults when unset; else every problem.
/// Each tenant's record is read over it.
fn policy_from(
    core: &Config,
    text: Option<&str>,
    development: bool,
) -> Result<TenantPolicy, Vec<String>> {
    let base = TenantPolicy::with_defaults(core, &NumberLimits::default());
    let named = |problems: Vec<String>| {
        problems
            .into_iter()
            .map(|p| format!("NUMBER_LIMITS: {}", p.replace("limits.", "")))
            .collect::<Vec<_>>()
    };
    match text.map(str::trim) {
        None | Some("") => Ok(base),
        // No limit at all is for tests and local runs, never for a deployment.
        Some("off") if !development => Err(vec![
            "NUMBER_LIMITS: off is for development only (ENVIRONMENT=development); production keeps the per-number and per-tenant limits: remove it, or set limits as JSON".into(),
        ]),
        Some("off") => Ok(TenantPolicy {
            number_limits: NumberLimits::unlimited(),
            limits: AbuseLimits {
                ip_sends_per_hour: 0,
                prefix_unverified_per_hour: 0,
                daily_send_cap: 0,
                ..AbuseLimits::default()
            },
            ..base
        }),
        Some(text) => {
            let limits: serde_json::Value =
                serde_json::from_str(text).map_err(|e| vec![format!("NUMBER_LIMITS: {e}")])?;
            base.overlay_json(&serde_json::json!({ "limits": limits }))
                .map_err(named)
        }
    }
}

/// The waits of `CALLBACK_BACKOFF_MS` (`"500,1000,2000"`), or `None` when it is not 1 to
/// [`MAX_CALLBACK_RETRIES`] whole numbers above 0.
fn callback_backoff_from(text: &str) -> Option<Vec<u64>> {
    let waits = text
        .split(',')
        .map(|w| w.trim().parse::<u64>().ok().filter(|&ms| ms > 0))
        .collect::<Option<Vec<u64>>>()?;
    (1..=MAX_CALLBACK_RETRIES)
        .contains(&waits.len())
        .then_some(waits)
}

/// `ENVIRONMENT`: `true` for `development`, `false` for `production` or unset; anything
/// else is a problem (and counts as production).
fn environment(get: &impl Fn(&str) -> Option<String>) -> Result<bool, String> {
    match get("ENVIRONMENT").as_deref().map(str::trim) {
        None | Some("production") => Ok(false),
        Some("development") => Ok(true),
        // Not secret, and the typo is what the reader needs to see.
        Some(other) => Err(format!(
            "ENVIRONMENT: {other:?} is neither production nor development"
        )),
    }
}

/// `ENVIRONMENT=development`, read on its own: for the development-only routes (dev.rs),
/// which answer even when another setting has a problem.
pub fn development(env: &Env) -> bool {
    environment(&|name| var(env, name)).unwrap_or(false)
}

impl Settings {
    /// How long a message through `provider` may wait for its final report (`seconds`, the
    /// tenant's `deliveryTimeout`), or 0 when no report can come from it: no `PUBLIC_URL`
    /// (no report URL is handed out), the console, or a provider whose reports could not be
    /// authenticated (its signing secret unset): its messages then never show `expired`
    /// and never fail over for a silence.
    pub fn report_window_ms(&self, provider: &str, seconds: u32) -> u64 {
        let secrets = &self.providers.report_secrets;
        let reports = self.public_url.is_some()
            && match provider {
                "twilio" => secrets.twilio_auth_token.is_some(),
                "vonage" => secrets.vonage_signature_secret.is_some(),
                "smscx" => secrets.smscx_token.is_some(),
                "webhook" => secrets.webhook_secret.is_some(),
                "whatsapp" => secrets.whatsapp_app_secret.is_some(),
                _ => false,
            };
        if reports {
            u64::from(seconds) * 1000
        } else {
            0
        }
    }

    /// The dev inbox is kept: development with the console provider (dev.rs).
    pub fn keeps_dev_inbox(&self) -> bool {
        self.development && self.providers.console
    }

    /// The settings from the worker's vars and secrets, or every problem with them.
    pub fn from_env(env: &Env) -> Result<Settings, Vec<String>> {
        Settings::read(|name| var(env, name))
    }

    /// The settings from `get` (a setting's value, `None` when unset or blank), or every
    /// problem with them, each naming its setting and never quoting a secret. Checks all
    /// settings, including those that only some requests use (the SMS provider's, the
    /// per-number limits), so that a deployment is either whole or reported.
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Result<Settings, Vec<String>> {
        let mut problems = Vec::new();

        let development = environment(&get).unwrap_or_else(|p| {
            problems.push(p);
            false
        });

        let pin_hasher = pin_hasher_from(get("PIN_HASH_KEY").as_deref())
            .map_err(|p| problems.push(p))
            .ok();
        if !development
            && get("PIN_HASH_KEY").as_deref().map(str::trim) == Some(EXAMPLE_PIN_HASH_KEY)
        {
            problems.push(
                "PIN_HASH_KEY: the public example of worker/.dev.vars.example; set a random secret of 16+ bytes (wrangler secret put PIN_HASH_KEY)"
                    .into(),
            );
        }
        // Settings of earlier versions, now per tenant in KV: set, they would be ignored.
        for (name, now) in [
            ("API_KEYS", "tenants' apiKeys in KV"),
            ("WEBHOOK_SECRET", "tenants' webhookSecret in KV"),
        ] {
            if get(name).is_some() {
                problems.push(format!(
                    "{name}: no longer read (now {now}; docs/operations.md: Tenants); remove it"
                ));
            }
        }

        let providers = Providers::read(&get, development)
            .map_err(|ps| problems.extend(ps))
            .ok();
        for name in URLS {
            if let Some(p) = get(name).and_then(|v| url_problem(name, &v, development)) {
                problems.push(p);
            }
        }
        // Turnstile's answers decide whether an SMS leaves: in production only Cloudflare's
        // may give them (a stand-in answers whatever it likes).
        if !development
            && get("TURNSTILE_SITEVERIFY_URL").is_some_and(|v| v.trim() != SITEVERIFY_URL)
        {
            problems.push(format!(
                "TURNSTILE_SITEVERIFY_URL: in production only Cloudflare's {SITEVERIFY_URL} (another is for development's stand-ins); remove it"
            ));
        }

        let text = |name: &str| get(name).map(|v| v.trim().to_owned());
        // Vars, not secrets: quoting them helps.
        let sms_timeout = match text("SMS_TIMEOUT_MS").map(|v| (v.parse::<u64>(), v)) {
            None => DEFAULT_TIMEOUT,
            Some((Ok(ms @ 1..), _)) => Duration::from_millis(ms),
            Some((_, v)) => {
                problems.push(format!(
                    "SMS_TIMEOUT_MS: {v:?} is not a whole number of milliseconds above 0"
                ));
                DEFAULT_TIMEOUT
            }
        };
        let callback_backoff = match text("CALLBACK_BACKOFF_MS") {
            None => CALLBACK_BACKOFF_MS.to_vec(),
            // Production keeps the documented schedule (docs/api.md: Status callbacks),
            // which receivers may rely on.
            Some(_) if !development => {
                problems.push(
                    "CALLBACK_BACKOFF_MS: development only (production retries after 1, 5, 15, 30 and 30 minutes); remove it"
                        .into(),
                );
                CALLBACK_BACKOFF_MS.to_vec()
            }
            Some(v) => match callback_backoff_from(&v) {
                Some(waits) => waits,
                None => {
                    problems.push(format!(
                        "CALLBACK_BACKOFF_MS: {v:?} is not 1 to {MAX_CALLBACK_RETRIES} comma-separated whole numbers of milliseconds above 0"
                    ));
                    CALLBACK_BACKOFF_MS.to_vec()
                }
            },
        };
        let circuit_open_ms = match text("CIRCUIT_OPEN_MS") {
            None => crate::service::breaker::OPEN_MS,
            Some(_) if !development => {
                problems.push(
                    "CIRCUIT_OPEN_MS: development only (production skips a failing provider for 60 s); remove it"
                        .into(),
                );
                crate::service::breaker::OPEN_MS
            }
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|&ms| ms > 0)
                .unwrap_or_else(|| {
                    problems.push(format!(
                        "CIRCUIT_OPEN_MS: {v:?} is not a whole number of milliseconds above 0"
                    ));
                    crate::service::breaker::OPEN_MS
                }),
        };
        let rate_limit_per_minute = match text("RATE_LIMIT_PER_MINUTE") {
            None => 600,
            Some(v) => v.parse::<u32>().unwrap_or_else(|_| {
                problems.push(format!(
                    "RATE_LIMIT_PER_MINUTE: {v:?} is not a whole number (0 for no limit)"
                ));
                0
            }),
        };
        let browser_rate_limit_per_minute = match text("BROWSER_RATE_LIMIT_PER_MINUTE") {
            None => 300,
            Some(v) => v.parse::<u32>().unwrap_or_else(|_| {
                problems.push(format!(
                    "BROWSER_RATE_LIMIT_PER_MINUTE: {v:?} is not a whole number (0 for no limit)"
                ));
                0
            }),
        };
        // Read exactly, in millionths, as SMS_PRICES's numbers are (no float rounding).
        let default_micros = match text("PRICE_PER_PART") {
            None => 0,
            Some(v) => parse_price_micros(&v).unwrap_or_else(|| {
                let number = v
                    .trim()
                    .parse::<f64>()
                    .is_ok_and(|p| p.is_finite() && p >= 0.0);
                problems.push(if number {
                    format!("PRICE_PER_PART: {v:?} has more than 6 decimals")
                } else {
                    format!("PRICE_PER_PART: {v:?} is not a number of 0 or more")
                });
                0
            }),
        };
        let prices = match get("SMS_PRICES") {
            None => PriceTable::flat(default_micros),
            Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(value) => PriceTable::from_json(&value, default_micros, "SMS_PRICES")
                    .unwrap_or_else(|ps| {
                        problems.extend(ps);
                        PriceTable::flat(default_micros)
                    }),
                Err(e) => {
                    problems.push(format!("SMS_PRICES: not JSON: {e}"));
                    PriceTable::flat(default_micros)
                }
            },
        };

        let mut core = match get("OTP_DEFAULTS") {
            None => Config::default(),
            Some(json) => Config::from_json_text(&json).unwrap_or_else(|ps| {
                problems.extend(ps.into_iter().map(|p| format!("OTP_DEFAULTS: {p}")));
                Config::default()
            }),
        };
        if development {
            core.callback_policy = CallbackPolicy::AllowLoopback;
        }
        let policy = policy_from(&core, get("NUMBER_LIMITS").as_deref(), development)
            .map_err(|ps| problems.extend(ps))
            .ok();

        let signing_keys = get("TOKEN_SIGNING_KEYS").and_then(|text| {
            SigningKeys::from_json_text(&text)
                .map_err(|ps| {
                    problems.extend(ps.into_iter().map(|p| format!("TOKEN_SIGNING_KEYS: {p}")));
                })
                .ok()
        });
        let public_url = get("PUBLIC_URL").map(|v| v.trim().trim_end_matches('/').to_owned());
        if signing_keys.is_some() && public_url.is_none() {
            problems.push(
                "PUBLIC_URL: not set (TOKEN_SIGNING_KEYS is: tokens name their issuer)".into(),
            );
        }

        match (pin_hasher, providers, policy) {
            (Some(pin_hasher), Some(providers), Some(policy)) if problems.is_empty() => {
                Ok(Settings {
                    development,
                    providers,
                    sms_timeout,
                    callback_backoff,
                    policy,
                    pin_hasher,
                    prices,
                    rate_limit_per_minute,
                    browser_rate_limit_per_minute,
                    signing_keys,
                    public_url,
                    circuit_open_ms,
                    turnstile_url: get("TURNSTILE_SITEVERIFY_URL")
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_else(|| SITEVERIFY_URL.to_owned()),
                    docs_url: get("DOCS_URL")
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_else(|| smsotp_core::error::DEFAULT_DOCS_BASE.to_owned()),
                })
            }
            _ => Err(problems),
        }
    }
}

thread_local! {
    /// The settings (or their problems), read once per isolate: vars and secrets cannot
    /// change while an isolate lives (a deploy or a new secret starts new isolates), and
    /// reading and checking them all took a measurable share of a request's CPU time.
    static SETTINGS: std::cell::OnceCell<Result<Rc<Settings>, Vec<String>>> =
        const { std::cell::OnceCell::new() };
}

/// The worker's settings (for requests and for the Durable Objects alike), as the
/// isolate's first use read them from `env`, or every problem with them.
pub fn settings(env: &Env) -> Result<Rc<Settings>, Vec<String>> {
    SETTINGS.with(|cell| {
        cell.get_or_init(|| {
            let read = Settings::from_env(env).map(Rc::new);
            if let Ok(s) = &read {
                crate::service::breaker::set_open_ms(s.circuit_open_ms);
            }
            read
        })
        .clone()
    })
}

/// [`settings`] for a Durable Object: a worker error naming the problems (the request
/// that reached the object was answered 500 for them already).
pub fn settings_or_error(env: &Env) -> worker::Result<Rc<Settings>> {
    settings(env)
        .map_err(|ps| worker::Error::RustError(format!("misconfigured: {}", ps.join("; "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Settings::read` over a good development configuration with `changes` applied
    /// (`None` unsets a setting).
    fn read(changes: &[(&str, Option<&str>)]) -> Result<Settings, Vec<String>> {
        let mut vars: Vec<(&str, Option<String>)> = vec![
            ("ENVIRONMENT", Some("development".into())),
            ("SMS_PROVIDER", Some("console".into())),
            ("PIN_HASH_KEY", Some("pin-hash-key-0123456789".into())),
        ];
        for (name, value) in changes {
            vars.retain(|(n, _)| n != name);
            vars.push((name, value.map(str::to_owned)));
        }
        Settings::read(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.clone())
        })
    }

    fn problems(changes: &[(&str, Option<&str>)]) -> Vec<String> {
        read(changes).err().unwrap_or_default()
    }

    #[test]
    fn a_good_configuration_reads_with_its_values() {
        let s = read(&[
            ("PRICE_PER_PART", Some(" 0.07 ")),
            ("SMS_PRICES", Some(r#"{"BR": 0.035}"#)),
            ("RATE_LIMIT_PER_MINUTE", Some("0")),
            ("OTP_DEFAULTS", Some(r#"{"defaults": {"ttl": 600}}"#)),
        ])
        .unwrap_or_else(|p| panic!("{p:?}"));
        assert!(s.development);
        // PRICE_PER_PART is the price of every country SMS_PRICES does not name.
        assert_eq!(s.prices.price_micros("FR"), 70_000);
        assert_eq!(s.prices.price_micros("BR"), 35_000);
        assert_eq!(s.rate_limit_per_minute, 0);
        assert_eq!(s.policy.config.defaults.ttl, 600);
        assert_eq!(
            s.policy.config.callback_policy,
            CallbackPolicy::AllowLoopback
        );
        assert_eq!(s.docs_url, smsotp_core::error::DEFAULT_DOCS_BASE);
    }

    #[test]
    fn production_is_the_default_and_refuses_the_console() {
        let p = problems(&[("ENVIRONMENT", None)]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("SMS_PROVIDER: console"), "{p:?}");
        let s = read(&[
            ("ENVIRONMENT", None),
            ("SMS_PROVIDER", Some("smscx")),
            ("SMSCX_API_KEY", Some("cx")),
        ])
        .unwrap_or_else(|p| panic!("{p:?}"));
        assert!(!s.development);
        assert_eq!(
            s.policy.config.callback_policy,
            CallbackPolicy::PublicHttpsOnly
        );
    }

    #[test]
    fn callback_backoff_is_the_documented_schedule_unless_development_shortens_it() {
        let minutes = |w: &[u64]| w.iter().map(|ms| ms / 60_000).collect::<Vec<_>>();
        let default = read(&[]).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(minutes(&default.callback_backoff), [1, 5, 15, 30, 30]);
        let fast = read(&[("CALLBACK_BACKOFF_MS", Some(" 200, 500,1000 "))])
            .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(fast.callback_backoff, [200, 500, 1000]);
        for bad in ["fast", "0", "100,,200", "-5", "1,2,3,4,5,6,7,8,9,10,11"] {
            assert_eq!(
                problems(&[("CALLBACK_BACKOFF_MS", Some(bad))]),
                [format!("CALLBACK_BACKOFF_MS: {bad:?} is not 1 to 10 comma-separated whole numbers of milliseconds above 0")],
            );
        }
        // Production keeps the schedule receivers were promised: the setting is a problem.
        let p = problems(&[
            ("ENVIRONMENT", Some("production")),
            ("SMS_PROVIDER", Some("smscx")),
            ("SMSCX_API_KEY", Some("cx")),
            ("CALLBACK_BACKOFF_MS", Some("1000")),
        ]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("CALLBACK_BACKOFF_MS: development only"),
            "{p:?}"
        );
    }

    #[test]
    fn settings_that_moved_to_tenants_are_problems_not_ignored() {
        assert_eq!(
            problems(&[
                ("API_KEYS", Some("acme:acme-key-0123456789")),
                ("WEBHOOK_SECRET", Some("whsec_MDEyMzQ1Njc4OWFiY2RlZg=="))
            ]),
            [
                "API_KEYS: no longer read (now tenants' apiKeys in KV; docs/operations.md: Tenants); remove it",
                "WEBHOOK_SECRET: no longer read (now tenants' webhookSecret in KV; docs/operations.md: Tenants); remove it",
            ]
        );
    }

    #[test]
    fn webhook_secret_needs_whsec_and_16_decoded_bytes() {
        // 16 bytes exactly is enough.
        assert_eq!(
            webhook_secret_problem("whsec_MDEyMzQ1Njc4OWFiY2RlZg=="),
            None
        );
        assert_eq!(
            webhook_secret_problem("whsec_MDEyMzQ1Njc4OWFiY2Rl").as_deref(),
            Some("webhookSecret: decodes to 15 bytes, fewer than 16")
        );
        assert_eq!(
            webhook_secret_problem("MDEyMzQ1Njc4OWFiY2RlZg==").as_deref(),
            Some("webhookSecret: does not start with whsec_")
        );
        assert_eq!(
            webhook_secret_problem("whsec_!!!").as_deref(),
            Some("webhookSecret: the part after whsec_ is not valid base64")
        );
    }

    #[test]
    fn each_problem_of_a_json_setting_is_its_own_entry() {
        assert_eq!(
            problems(&[("NUMBER_LIMITS", Some(r#"{"perDay": 1, "lockSeconds": []}"#))]),
            [
                // serde_json's map is ordered by key.
                "NUMBER_LIMITS: lockSeconds must be a whole number",
                "NUMBER_LIMITS: unknown number limit perDay",
            ]
        );
        assert_eq!(
            problems(&[("OTP_DEFAULTS", Some("{"))]).len(),
            1,
            "a JSON syntax error is one problem"
        );
        assert!(read(&[("NUMBER_LIMITS", Some(" off "))]).is_ok());
    }

    #[test]
    fn token_signing_keys_are_checked_and_need_a_public_url() {
        let keys = smsotp_edge::browser::keys::generate_dev_key([7; 32], "dev-1").to_string();
        let s = read(&[
            ("TOKEN_SIGNING_KEYS", Some(&keys)),
            ("PUBLIC_URL", Some("https://otp.example/")),
        ])
        .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.public_url.as_deref(), Some("https://otp.example"));
        assert_eq!(
            s.signing_keys.map(|k| k.current().kid().to_owned()),
            Some("dev-1".into())
        );
        assert_eq!(
            problems(&[("TOKEN_SIGNING_KEYS", Some(&keys))]),
            ["PUBLIC_URL: not set (TOKEN_SIGNING_KEYS is: tokens name their issuer)"]
        );
        let p = problems(&[
            ("TOKEN_SIGNING_KEYS", Some(r#"{"keys": [{"kty": "OKP"}]}"#)),
            ("PUBLIC_URL", Some("https://otp.example")),
        ]);
        assert!(
            !p.is_empty() && p.iter().all(|p| p.starts_with("TOKEN_SIGNING_KEYS: ")),
            "{p:?}"
        );
        // Unset: the server API works; the browser API cannot issue tokens.
        assert!(read(&[])
            .unwrap_or_else(|p| panic!("{p:?}"))
            .signing_keys
            .is_none());
    }

    #[test]
    fn urls_must_be_absolute_http_or_https_and_are_not_quoted() {
        assert!(read(&[("DOCS_URL", Some("http://127.0.0.1:8080/docs"))]).is_ok());
        let p = problems(&[("SMS_WEBHOOK_URL", Some("mailto:secret-token@example.com"))]);
        assert_eq!(p, ["SMS_WEBHOOK_URL: not an http or https URL"]);
    }

    /// A good production configuration with `changes` applied.
    fn production(changes: &[(&str, Option<&str>)]) -> Vec<String> {
        let mut all = vec![
            ("ENVIRONMENT", Some("production")),
            ("SMS_PROVIDER", Some("smscx")),
            ("SMSCX_API_KEY", Some("cx")),
        ];
        all.extend_from_slice(changes);
        problems(&all)
    }

    #[test]
    fn production_refuses_settings_that_fail_open() {
        assert_eq!(production(&[]), Vec::<String>::new());
        let cases: &[(&str, &str, &str)] = &[
            ("NUMBER_LIMITS", "off", "NUMBER_LIMITS: off is for development only"),
            (
                "TURNSTILE_SITEVERIFY_URL",
                "https://127.0.0.1:9/siteverify",
                "TURNSTILE_SITEVERIFY_URL: in production only Cloudflare's https://challenges.cloudflare.com/turnstile/v0/siteverify",
            ),
            (
                "SMSCX_BASE_URL",
                "http://127.0.0.1:9",
                "SMSCX_BASE_URL: http is for development only",
            ),
            (
                "TWILIO_BASE_URL",
                "http://api.twilio.com",
                "TWILIO_BASE_URL: http is for development only",
            ),
            (
                "PUBLIC_URL",
                "http://otp.example",
                "PUBLIC_URL: http is for development only",
            ),
            (
                "PIN_HASH_KEY",
                EXAMPLE_PIN_HASH_KEY,
                "PIN_HASH_KEY: the public example of worker/.dev.vars.example",
            ),
        ];
        for (name, value, problem) in cases {
            let p = production(&[(name, Some(value))]);
            assert!(
                p.len() == 1 && p[0].starts_with(problem),
                "{name}={value}: {p:?}"
            );
            // Development's local stand-ins and `off` stay allowed.
            assert!(
                read(&[(name, Some(value))]).is_ok(),
                "{name} in development"
            );
        }
        let webhook = production(&[
            ("SMS_PROVIDER", Some("webhook")),
            (
                "SMS_WEBHOOK_URL",
                Some("http://sms.example/send?token=t0k3n"),
            ),
        ]);
        assert_eq!(
            webhook,
            ["SMS_WEBHOOK_URL: http is for development only (ENVIRONMENT=development); production needs https"]
        );
        // Cloudflare's own siteverify, named explicitly, and https URLs are fine.
        assert_eq!(
            production(&[
                ("TURNSTILE_SITEVERIFY_URL", Some(SITEVERIFY_URL)),
                ("SMSCX_BASE_URL", Some("https://api.sms.cx")),
            ]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_example_pin_hash_key_is_the_one_of_dev_vars_example() {
        let file = include_str!("../.dev.vars.example");
        let keys: Vec<&str> = file
            .lines()
            .filter_map(|l| l.trim().strip_prefix("PIN_HASH_KEY="))
            .collect();
        assert_eq!(keys, [EXAMPLE_PIN_HASH_KEY]);
    }

    #[test]
    fn number_limits_lock_floors() {
        assert_eq!(
            problems(&[(
                "NUMBER_LIMITS",
                Some(r#"{"failuresBeforeLock": 500, "lockSeconds": 30}"#)
            )]),
            [
                "NUMBER_LIMITS: failuresBeforeLock must be at most 100",
                "NUMBER_LIMITS: lockSeconds must be at least 60",
            ]
        );
        // Also in production, where they are as much a problem.
        assert_eq!(
            production(&[("NUMBER_LIMITS", Some(r#"{"lockSeconds": 1}"#))]),
            ["NUMBER_LIMITS: lockSeconds must be at least 60"]
        );
    }
}
