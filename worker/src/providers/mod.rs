//! SMS providers: one file each, chosen by `SMS_PROVIDER`. Each turns an [`Sms`] into its
//! provider's API call (base URLs are configurable so tests can use a local server) and
//! reports success with the provider's message id, or a [`ProviderFailure`].

mod console;
mod smscx;
mod twilio;
mod vonage;
mod webhook;

use std::time::Duration;

use worker::Env;

use crate::config::var;
use crate::error::{AppError, AppResult};

/// How long a provider may take to answer, unless `SMS_TIMEOUT_MS` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One SMS to send.
pub struct Sms<'a> {
    /// E.164.
    pub to: &'a str,
    pub from: &'a str,
    pub text: &'a str,
    pub otp_id: &'a str,
    /// UCS-2 encoding needed (some APIs must be told).
    pub unicode: bool,
    pub timeout: Duration,
}

/// Why a provider did not take the message (for logs; clients get a generic 502).
#[derive(Debug)]
pub struct ProviderFailure(pub String);

/// A provider's answer as JSON; a body that is not JSON (a proxy's error page, garbage) is
/// a failure naming who answered and with what status.
fn json_reply(
    provider: &str,
    reply: &crate::http::Reply,
) -> Result<serde_json::Value, ProviderFailure> {
    serde_json::from_str(&reply.body).map_err(|_| {
        ProviderFailure(format!(
            "{provider} answered {} with a non-JSON body",
            reply.status
        ))
    })
}

pub enum Provider {
    Console,
    Webhook(webhook::Webhook),
    Twilio(twilio::Twilio),
    Vonage(vonage::Vonage),
    Smscx(smscx::Smscx),
}

fn required(env: &Env, name: &str) -> AppResult<String> {
    var(env, name)
        .ok_or_else(|| AppError::Internal(format!("{name} is required by the SMS provider")))
}

impl Provider {
    pub fn from_env(env: &Env, development: bool) -> AppResult<Provider> {
        let name = var(env, "SMS_PROVIDER").unwrap_or_else(|| "console".into());
        Ok(match name.as_str() {
            // The console provider logs the SMS itself, PIN included: development only.
            "console" if development => Provider::Console,
            "console" => {
                return Err(AppError::Internal(
                    "SMS_PROVIDER=console is refused unless ENVIRONMENT=development".into(),
                ))
            }
            "webhook" => Provider::Webhook(webhook::Webhook {
                url: required(env, "SMS_WEBHOOK_URL")?,
            }),
            "twilio" => Provider::Twilio(twilio::Twilio {
                base_url: var(env, "TWILIO_BASE_URL")
                    .unwrap_or_else(|| "https://api.twilio.com".into()),
                account_sid: required(env, "TWILIO_ACCOUNT_SID")?,
                auth_token: required(env, "TWILIO_AUTH_TOKEN")?,
            }),
            "vonage" => Provider::Vonage(vonage::Vonage {
                base_url: var(env, "VONAGE_BASE_URL")
                    .unwrap_or_else(|| "https://rest.nexmo.com".into()),
                api_key: required(env, "VONAGE_API_KEY")?,
                api_secret: required(env, "VONAGE_API_SECRET")?,
            }),
            "smscx" => Provider::Smscx(smscx::Smscx {
                base_url: var(env, "SMSCX_BASE_URL").unwrap_or_else(|| "https://api.sms.cx".into()),
                api_key: required(env, "SMSCX_API_KEY")?,
            }),
            other => {
                return Err(AppError::Internal(format!(
                    "unknown SMS_PROVIDER {other:?}"
                )))
            }
        })
    }

    /// `SMS_TIMEOUT_MS`, or 10 s.
    pub fn timeout(env: &Env) -> Duration {
        var(env, "SMS_TIMEOUT_MS")
            .and_then(|v| v.trim().parse().ok())
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Provider::Console => "console",
            Provider::Webhook(_) => "webhook",
            Provider::Twilio(_) => "twilio",
            Provider::Vonage(_) => "vonage",
            Provider::Smscx(_) => "smscx",
        }
    }

    /// Sends; `Ok` carries the provider's message id.
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, ProviderFailure> {
        match self {
            Provider::Console => console::send(sms),
            Provider::Webhook(p) => p.send(sms).await,
            Provider::Twilio(p) => p.send(sms).await,
            Provider::Vonage(p) => p.send(sms).await,
            Provider::Smscx(p) => p.send(sms).await,
        }
    }
}
