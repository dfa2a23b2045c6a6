//! Message providers: one file each, several configured at once ([`Providers`]), routed
//! per country by `SMS_ROUTES` (or the one `SMS_PROVIDER`). Each file is pure: it builds
//! its provider's API call from an [`Sms`] ([`HttpRequest`]; base URLs are configurable so
//! tests can use a local server) and reads the reply (the provider's message id, or a
//! [`ProviderError`]); [`Provider::send`] is the only place that does I/O. The pure parts
//! are unit-tested natively (`cargo test -p smsotp-worker`).

mod console;
mod error;
mod smscx;
mod twilio;
pub mod voice;
mod vonage;
mod webhook;
pub mod whatsapp;

pub use error::{ProviderError, Redacted};

use smsotp_core::Channel;
use smsotp_edge::delivery::{Routes, SMS_PROVIDERS};

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
    /// The language the request asked for (its `language`), if any: WhatsApp's template
    /// language then follows it, as SMS templates do.
    pub asked_language: Option<&'a str>,
    /// The OTP it carries (SMS.cx's `trackData`, which must be a UUID).
    pub otp_id: &'a str,
    /// Our id of this message, `{otpId}.{n}` (n: 1 for the first message of the OTP),
    /// which comes back in its reports: Vonage's `client-ref`, WhatsApp's
    /// `biz_opaque_callback_data`, the `otp` parameter of Twilio's `StatusCallback`, the
    /// webhook provider's `messageId` (also its message id: it has none of its own).
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

/// Every provider this deployment has settings for, and its SMS routes: several at once,
/// so a message can fail over from one to the next (`smsotp_edge::delivery`).
pub struct Providers {
    pub twilio: Option<twilio::Twilio>,
    pub vonage: Option<vonage::Vonage>,
    pub smscx: Option<smscx::Smscx>,
    pub webhook: Option<webhook::Webhook>,
    /// Meta's WhatsApp Cloud API (`WHATSAPP_*`): the `whatsapp` channel.
    pub whatsapp: Option<whatsapp::Whatsapp>,
    /// The secrets delivery reports are checked with.
    pub report_secrets: crate::reports::ReportSecrets,
    /// Meta's subscription check token (`WHATSAPP_VERIFY_TOKEN`).
    pub whatsapp_verify_token: Option<String>,
    /// The console provider (development only): it stands in for every channel.
    pub console: bool,
    /// The SMS routes: `SMS_ROUTES`, or `SMS_PROVIDER` as a one-provider route (default
    /// `console`).
    pub routes: Routes,
}

impl Providers {
    /// The providers whose settings are present, each with every problem of its settings,
    /// and the routes (`SMS_ROUTES`, else `SMS_PROVIDER`, default `console`), each named
    /// provider configured. The console is refused unless `development` (it logs each SMS,
    /// PIN included). Called by `Settings::read`, the one place settings are read.
    pub fn read(
        get: &impl Fn(&str) -> Option<String>,
        development: bool,
    ) -> Result<Providers, Vec<String>> {
        let mut problems = Vec::new();
        let routes_text = get("SMS_ROUTES");
        let single = get("SMS_PROVIDER");
        let single = single.as_deref().map_or("console", str::trim);
        let routes = match &routes_text {
            Some(text) => {
                if get("SMS_PROVIDER").is_some() {
                    problems.push(
                        "SMS_PROVIDER: set with SMS_ROUTES, which replaces it; remove one".into(),
                    );
                }
                match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(v) => Routes::from_json(&v, "SMS_ROUTES").unwrap_or_else(|more| {
                        problems.extend(more);
                        Routes::default()
                    }),
                    Err(e) => {
                        problems.push(format!("SMS_ROUTES: not JSON ({e})"));
                        Routes::default()
                    }
                }
            }
            None if SMS_PROVIDERS.contains(&single) => Routes::single(single),
            None => {
                problems.push(format!(
                    "SMS_PROVIDER: {single:?} is not one of twilio, vonage, smscx, webhook, console"
                ));
                Routes::default()
            }
        };
        let named = |p: &str| routes.providers().any(|n| n == p);
        // Why a provider's settings are needed, for its problems.
        let because = |p: &str| match &routes_text {
            _ if !named(p) => format!("{p}'s settings are partly set"),
            Some(_) => format!("SMS_ROUTES names {p}"),
            None => format!("SMS_PROVIDER={p} needs it"),
        };
        let base = |setting: &str, default: &str| get(setting).unwrap_or_else(|| default.into());
        // A provider is configured when the routes name it or any of its settings is set;
        // then every required setting must be.
        let mut configured = |p: &str, settings: &[&str]| -> Option<Vec<String>> {
            if !named(p) && !settings.iter().any(|s| get(s).is_some()) {
                return None;
            }
            let values = settings
                .iter()
                .map(|s| {
                    get(s).unwrap_or_else(|| {
                        problems.push(format!("{s}: not set ({})", because(p)));
                        String::new()
                    })
                })
                .collect();
            Some(values)
        };
        let twilio = configured("twilio", &["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]).map(|v| {
            twilio::Twilio {
                base_url: base("TWILIO_BASE_URL", "https://api.twilio.com"),
                account_sid: v[0].clone(),
                auth_token: v[1].clone(),
                voice_from: get("TWILIO_VOICE_FROM"),
            }
        });
        let vonage = configured("vonage", &["VONAGE_API_KEY", "VONAGE_API_SECRET"]).map(|v| {
            vonage::Vonage {
                base_url: base("VONAGE_BASE_URL", "https://rest.nexmo.com"),
                api_key: v[0].clone(),
                api_secret: v[1].clone(),
            }
        });
        let smscx = configured("smscx", &["SMSCX_API_KEY"]).map(|v| smscx::Smscx {
            base_url: base("SMSCX_BASE_URL", "https://api.sms.cx"),
            api_key: v[0].clone(),
            report_token: get("SMSCX_WEBHOOK_TOKEN"),
        });
        let whatsapp = configured(
            "whatsapp",
            &[
                "WHATSAPP_ACCESS_TOKEN",
                "WHATSAPP_PHONE_NUMBER_ID",
                "WHATSAPP_TEMPLATE",
                "WHATSAPP_TEMPLATE_LANGUAGES",
            ],
        )
        .map(|v| whatsapp::Whatsapp {
            base_url: base("WHATSAPP_BASE_URL", whatsapp::DEFAULT_BASE_URL),
            access_token: v[0].clone(),
            phone_number_id: v[1].clone(),
            template: v[2].clone(),
            languages: v[3]
                .split(',')
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
        });
        let webhook = configured("webhook", &["SMS_WEBHOOK_URL"])
            .map(|v| webhook::Webhook { url: v[0].clone() });
        let console = named("console");
        let method = get("VONAGE_SIGNATURE_METHOD");
        let vonage_signature_method = match method.as_deref().map(str::trim) {
            None => crate::reports::VonageMethod::default(),
            Some(m) => crate::reports::VonageMethod::parse(m).unwrap_or_else(|| {
                problems.push(format!(
                    "VONAGE_SIGNATURE_METHOD: {m:?} is not one of md5hash, md5, sha1, sha256, sha512"
                ));
                crate::reports::VonageMethod::default()
            }),
        };
        if let Some(secret) = get("SMS_WEBHOOK_SECRET") {
            if let Some(p) = crate::config::webhook_secret_problem(&secret) {
                problems.push(p.replace("webhookSecret", "SMS_WEBHOOK_SECRET"));
            }
        }
        let report_secrets = crate::reports::ReportSecrets {
            twilio_auth_token: twilio.as_ref().map(|t| t.auth_token.clone()),
            vonage_signature_secret: get("VONAGE_SIGNATURE_SECRET"),
            vonage_signature_method,
            smscx_token: get("SMSCX_WEBHOOK_TOKEN"),
            webhook_secret: get("SMS_WEBHOOK_SECRET"),
            whatsapp_app_secret: get("WHATSAPP_APP_SECRET"),
        };
        if console && !development {
            problems.push(
                "SMS_PROVIDER: console (the default) is refused unless ENVIRONMENT=development: \
                 it logs each SMS, PIN included"
                    .into(),
            );
        }
        if problems.is_empty() {
            Ok(Providers {
                twilio,
                vonage,
                smscx,
                webhook,
                whatsapp,
                report_secrets,
                whatsapp_verify_token: get("WHATSAPP_VERIFY_TOKEN"),
                console,
                routes,
            })
        } else {
            Err(problems)
        }
    }

    /// Whether `provider` is configured to carry `channel`.
    pub fn offers(&self, channel: Channel, provider: &str) -> bool {
        if provider == "console" {
            return self.console;
        }
        match channel {
            Channel::Sms => match provider {
                "twilio" => self.twilio.is_some(),
                "vonage" => self.vonage.is_some(),
                "smscx" => self.smscx.is_some(),
                "webhook" => self.webhook.is_some(),
                _ => false,
            },
            Channel::Whatsapp => provider == "whatsapp" && self.whatsapp.is_some(),
            // A call needs a number to call from.
            Channel::Voice => {
                provider == "twilio" && self.twilio.as_ref().is_some_and(|t| t.voice_from.is_some())
            }
        }
    }

    /// Sends `sms` through `provider` (one of [`Providers::offers`]'); `Ok` carries the
    /// provider's message id.
    pub async fn send(&self, provider: &str, sms: &Sms<'_>) -> Result<String, ProviderError> {
        let timeout = sms.timeout;
        let not_configured = || {
            ProviderError::Transport(Redacted::new(&format!(
                "{provider} is not configured for {}",
                sms.channel.as_str()
            )))
        };
        match (provider, sms.channel) {
            ("console", _) if self.console => Ok(console::send(sms)),
            ("webhook", Channel::Sms) => {
                let p = self.webhook.as_ref().ok_or_else(not_configured)?;
                let reply = exchange(&p.build_request(sms), timeout).await?;
                // A custom endpoint has no message id of its own: our reference stands for it.
                webhook::parse_reply(reply.status, &reply.body).map(|()| sms.message_id.to_owned())
            }
            ("twilio", Channel::Voice) => {
                let p = self.twilio.as_ref().filter(|t| t.voice_from.is_some());
                let p = p.ok_or_else(not_configured)?;
                let reply = exchange(&p.build_call(sms), timeout).await?;
                twilio::parse_reply(reply.status, &reply.body)
            }
            ("whatsapp", Channel::Whatsapp) => {
                let p = self.whatsapp.as_ref().ok_or_else(not_configured)?;
                let reply = exchange(&p.build_request(sms), timeout).await?;
                whatsapp::parse_reply(reply.status, &reply.body)
            }
            ("twilio", Channel::Sms) => {
                let p = self.twilio.as_ref().ok_or_else(not_configured)?;
                let reply = exchange(&p.build_request(sms), timeout).await?;
                twilio::parse_reply(reply.status, &reply.body)
            }
            ("vonage", Channel::Sms) => {
                let p = self.vonage.as_ref().ok_or_else(not_configured)?;
                let reply = exchange(&p.build_request(sms), timeout).await?;
                vonage::parse_reply(reply.status, &reply.body)
            }
            ("smscx", Channel::Sms) => {
                let p = self.smscx.as_ref().ok_or_else(not_configured)?;
                let reply = exchange(&p.build_request(sms), timeout).await?;
                smscx::parse_reply(reply.status, &reply.body)
            }
            _ => Err(not_configured()),
        }
    }
}
