//! Deployment configuration the rules depend on: defaults for omitted request fields and
//! limits. Shells build it from their own settings (the worker from its vars).

use serde::{Deserialize, Serialize};

use crate::callback_url::CallbackPolicy;
use crate::pin::PinType;

/// Defaults for the fields a `POST /otp` request may leave out (the compatible service
/// takes them from its dashboard; we take them from configuration).
///
/// Built-in: `from` "Verify", `template` "Your verification code is {{pin}}", `ttl` 300 s,
/// `maxAttempts` 5, `pinType` numbers, `pinLength` 6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Defaults {
    /// `None`: a request without `from` is refused with 2004.
    pub from: Option<String>,
    /// `None`: a request without `template` is refused with 2006.
    pub template: Option<String>,
    pub ttl: u32,
    pub max_attempts: u8,
    pub pin_type: PinType,
    pub pin_length: u8,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            from: Some("Verify".into()),
            template: Some("Your verification code is {{pin}}".into()),
            ttl: 300,
            max_attempts: 5,
            pin_type: PinType::Numbers,
            pin_length: 6,
        }
    }
}

/// Everything the core's rules need to know about the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    pub defaults: Defaults,
    pub callback_policy: CallbackPolicy,
    /// Longest message accepted, in SMS parts (each part is billed).
    pub max_parts: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            defaults: Defaults::default(),
            callback_policy: CallbackPolicy::PublicHttpsOnly,
            max_parts: 6,
        }
    }
}
