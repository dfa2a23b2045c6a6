//! SMS providers: one file each, chosen by `SMS_PROVIDER`. Each file is pure: it builds
//! its provider's API call from an [`Sms`] ([`HttpRequest`]; base URLs are configurable so
//! tests can use a local server) and reads the reply (the provider's message id, or a
//! [`ProviderError`]); [`Provider::send`] is the only place that does I/O. The pure parts
//! are unit-tested natively (`cargo test -p smsotp-worker`).

mod console;
mod error;
mod smscx;
mod twilio;
#[allow(dead_code)] // Used by Twilio's calls (`twilio::Twilio::build_call`), wired for issue 20.
pub mod voice;
mod vonage;
mod webhook;
#[allow(dead_code)] // Wired into `Provider` by the issue-20 integration.
pub mod whatsapp;

pub use error::{ProviderError, Redacted};

use std::time::Duration;

/// How long a provider may take to answer, unless `SMS_TIMEOUT_MS` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One message to send: an SMS, a WhatsApp template or a call, as `channel` says.
pub struct Sms<'a> {
    /// How it goes.
    pub channel: smsotp_core::Channel,
    /// E.164.
    pub to: &'a str,
    /// The sender id or number.
    pub from: &'a str,
    /// The SMS text, PIN included: never logged (the console provider aside).
    pub text: &'a str,
    /// The code alone (WhatsApp's template parameters, the digits a call says): never
    /// logged.
    pub code: &'a str,
    /// The ISO 639-1 language of the template chosen for the number: WhatsApp's template
    /// language and the call's voice are chosen from it.
    pub language: &'a str,
    /// The OTP it carries (Vonage's `client-ref`, SMS.cx's `trackData`, WhatsApp's
    /// `biz_opaque_callback_data`, the `otp` parameter of Twilio's `StatusCallback`).
    pub otp_id: &'a str,
    /// Our id of this message, `{otpId}.{n}` (n: 1 for the first message of the OTP): the
    /// message id of a provider that has none of its own (the webhook provider).
    pub message_id: &'a str,
    /// Where the provider posts this message's delivery reports
    /// (`{PUBLIC_URL}/v1/delivery/{provider}`, with the `otp` parameter for Twilio), or
    /// `None` when `PUBLIC_URL` is not set (no reports then).
    pub report_url: Option<&'a str>,
    /// UCS-2 encoding needed (some APIs must be told).
    pub unicode: bool,
    /// How long the provider may take (`SMS_TIMEOUT_MS`).
    pub timeout: Duration,
}

/// One provider API call, built without I/O: always a POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The provider's endpoint.
    pub url: String,
    /// Name and value, in the order they are set.
    pub headers: Vec<(&'static str, String)>,
    /// The encoded body (form or JSON, as the `Content-Type` header says).
    pub body: String,
}

/// A reply body as JSON, or `None` when it is not JSON (a proxy's error page, garbage).
fn json(body: &str) -> Option<serde_json::Value> {
    serde_json::from_str(body).ok()
}

/// A JSON value as text for an error: strings without their quotes, `null` as nothing.
fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sends a built request; a transport failure or timeout becomes its [`ProviderError`],
/// any HTTP answer is returned for the provider's `parse_reply`.
async fn exchange(
    request: &HttpRequest,
    timeout: Duration,
) -> Result<crate::http::Reply, ProviderError> {
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    crate::http::post(&request.url, &headers, request.body.clone(), timeout)
        .await
        .map_err(|failure| match failure {
            crate::http::Failure::Timeout(after) => ProviderError::Timeout(after),
            crate::http::Failure::Transport(why) => ProviderError::Transport(Redacted::new(&why)),
        })
}

/// The configured provider (`SMS_PROVIDER`) with its settings.
pub enum Provider {
    Console,
    Webhook(webhook::Webhook),
    Twilio(twilio::Twilio),
    Vonage(vonage::Vonage),
    Smscx(smscx::Smscx),
}

impl Provider {
    /// The provider `SMS_PROVIDER` names (default `console`, refused unless `development`:
    /// it logs each SMS, PIN included), with its settings from `get`; else every problem,
    /// each naming its setting. Called by `Settings::read`, the one place settings are read.
    pub fn read(
        get: &impl Fn(&str) -> Option<String>,
        development: bool,
    ) -> Result<Provider, Vec<String>> {
        let name = get("SMS_PROVIDER");
        let name = name.as_deref().map_or("console", str::trim);
        let mut problems = Vec::new();
        let mut required = |setting: &str| {
            get(setting).unwrap_or_else(|| {
                problems.push(format!("{setting}: not set (SMS_PROVIDER={name} needs it)"));
                String::new()
            })
        };
        let base = |setting: &str, default: &str| get(setting).unwrap_or_else(|| default.into());
        let provider = match name {
            "console" => Provider::Console,
            "webhook" => Provider::Webhook(webhook::Webhook {
                url: required("SMS_WEBHOOK_URL"),
            }),
            "twilio" => Provider::Twilio(twilio::Twilio {
                base_url: base("TWILIO_BASE_URL", "https://api.twilio.com"),
                account_sid: required("TWILIO_ACCOUNT_SID"),
                auth_token: required("TWILIO_AUTH_TOKEN"),
                voice_from: get("TWILIO_VOICE_FROM"),
            }),
            "vonage" => Provider::Vonage(vonage::Vonage {
                base_url: base("VONAGE_BASE_URL", "https://rest.nexmo.com"),
                api_key: required("VONAGE_API_KEY"),
                api_secret: required("VONAGE_API_SECRET"),
            }),
            "smscx" => Provider::Smscx(smscx::Smscx {
                base_url: base("SMSCX_BASE_URL", "https://api.sms.cx"),
                api_key: required("SMSCX_API_KEY"),
                report_token: get("SMSCX_WEBHOOK_TOKEN"),
            }),
            other => {
                problems.push(format!(
                    "SMS_PROVIDER: {other:?} is not one of twilio, vonage, smscx, webhook, console"
                ));
                Provider::Console
            }
        };
        if name == "console" && !development {
            problems.push(
                "SMS_PROVIDER: console (the default) is refused unless ENVIRONMENT=development: \
                 it logs each SMS, PIN included"
                    .into(),
            );
        }
        if problems.is_empty() {
            Ok(provider)
        } else {
            Err(problems)
        }
    }

    /// The provider's name, for logs.
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
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, ProviderError> {
        let timeout = sms.timeout;
        match self {
            Provider::Console => Ok(console::send(sms)),
            Provider::Webhook(p) => {
                let reply = exchange(&p.build_request(sms), timeout).await?;
                // A custom endpoint has no message id of its own: the OTP id stands for it.
                webhook::parse_reply(reply.status, &reply.body).map(|()| sms.otp_id.to_owned())
            }
            Provider::Twilio(p) => {
                let reply = exchange(&p.build_request(sms), timeout).await?;
                twilio::parse_reply(reply.status, &reply.body)
            }
            Provider::Vonage(p) => {
                let reply = exchange(&p.build_request(sms), timeout).await?;
                vonage::parse_reply(reply.status, &reply.body)
            }
            Provider::Smscx(p) => {
                let reply = exchange(&p.build_request(sms), timeout).await?;
                smscx::parse_reply(reply.status, &reply.body)
            }
        }
    }
}
