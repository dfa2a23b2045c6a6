//! The worker's settings, read once per request from vars and secrets (README: Configuration).

use smsotp_core::{CallbackPolicy, Config, PinHasher};
use worker::Env;

use crate::error::{AppError, AppResult};

/// How long an OTP stays readable after it expires (KV `expirationTtl` = ttl + this).
pub const GRACE_SECONDS: u64 = 24 * 3600;

pub struct Settings {
    pub development: bool,
    pub core: Config,
    /// (tenant name, key) pairs from `API_KEYS`.
    pub api_keys: Vec<(String, String)>,
    pub pin_hasher: PinHasher,
    pub price_per_part: f64,
    pub rate_limit_per_minute: u32,
    pub docs_url: String,
}

pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(env: &Env, name: &str, default: T) -> AppResult<T> {
    match var(env, name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| AppError::Internal(format!("{name} is not a number: {v:?}"))),
    }
}

/// The keyed hash of PINs, from the secret `PIN_HASH_KEY` (the worker and `OtpShard`).
pub fn pin_hasher(env: &Env) -> AppResult<PinHasher> {
    let key = var(env, "PIN_HASH_KEY")
        .ok_or_else(|| AppError::Internal("PIN_HASH_KEY is not set".into()))?;
    PinHasher::new(key.as_bytes()).map_err(|e| AppError::Internal(format!("PIN_HASH_KEY: {e}")))
}

impl Settings {
    pub fn from_env(env: &Env) -> AppResult<Settings> {
        let development = var(env, "ENVIRONMENT").as_deref() == Some("development");
        let api_keys = var(env, "API_KEYS")
            .ok_or_else(|| AppError::Internal("API_KEYS is not set".into()))?
            .split(',')
            .filter_map(|pair| {
                let (name, key) = pair.trim().split_once(':')?;
                (!name.is_empty() && key.len() >= 16).then(|| (name.to_owned(), key.to_owned()))
            })
            .collect::<Vec<_>>();
        if api_keys.is_empty() {
            return Err(AppError::Internal(
                "API_KEYS holds no valid name:key pair (keys need 16+ characters)".into(),
            ));
        }
        let pin_hasher = pin_hasher(env)?;
        let mut core = match var(env, "OTP_DEFAULTS") {
            None => Config::default(),
            Some(json) => Config::from_json_text(&json)
                .map_err(|p| AppError::Internal(format!("OTP_DEFAULTS: {}", p.join("; "))))?,
        };
        if development {
            core.callback_policy = CallbackPolicy::AllowLoopback;
        }
        Ok(Settings {
            development,
            core,
            api_keys,
            pin_hasher,
            price_per_part: number(env, "PRICE_PER_PART", 0.0)?,
            rate_limit_per_minute: number(env, "RATE_LIMIT_PER_MINUTE", 600)?,
            docs_url: var(env, "DOCS_URL")
                .unwrap_or_else(|| smsotp_core::error::DEFAULT_DOCS_BASE.to_owned()),
        })
    }
}

/// The per-number limits (`smsotp_core::limits`): the var `NUMBER_LIMITS` as JSON (absent
/// keys keep their defaults), `off` for none, or the defaults when unset. A bad value is
/// the deployment's fault: an error naming every problem, never a silent default.
pub fn number_limits(env: &Env) -> AppResult<smsotp_core::limits::NumberLimits> {
    use smsotp_core::limits::NumberLimits;
    match var(env, "NUMBER_LIMITS").as_deref().map(str::trim) {
        None | Some("") => Ok(NumberLimits::default()),
        Some("off") => Ok(NumberLimits::unlimited()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| vec![e.to_string()])
            .and_then(|v| NumberLimits::from_json(&v))
            .map_err(|problems| {
                AppError::Internal(format!("NUMBER_LIMITS: {}", problems.join("; ")))
            }),
    }
}
