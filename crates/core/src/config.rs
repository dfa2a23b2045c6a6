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

impl Config {
    /// Checks the deployment's own settings, so that a bad default is reported when the
    /// shell starts rather than as a confusing error on every request that omits the field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        use crate::pin::{MAX_PIN_LENGTH, MIN_PIN_LENGTH};
        use crate::request::{check_sender, MAX_ATTEMPTS, MAX_TTL, MIN_ATTEMPTS, MIN_TTL};
        let d = &self.defaults;
        let mut problems = Vec::new();
        if !(MIN_TTL..=MAX_TTL).contains(&d.ttl) {
            problems.push(format!(
                "default ttl {} is outside {MIN_TTL}..={MAX_TTL}",
                d.ttl
            ));
        }
        if !(MIN_ATTEMPTS..=MAX_ATTEMPTS).contains(&d.max_attempts) {
            problems.push(format!(
                "default maxAttempts {} is outside {MIN_ATTEMPTS}..={MAX_ATTEMPTS}",
                d.max_attempts
            ));
        }
        if !(MIN_PIN_LENGTH..=MAX_PIN_LENGTH).contains(&d.pin_length) {
            problems.push(format!(
                "default pinLength {} is outside {MIN_PIN_LENGTH}..={MAX_PIN_LENGTH}",
                d.pin_length
            ));
        }
        if let Some(from) = &d.from {
            if let Err(why) = check_sender(from) {
                problems.push(format!("default from {from:?}: {why}"));
            }
        }
        if let Some(template) = &d.template {
            if let Err(why) = crate::template::check_template("template", template) {
                problems.push(format!("default template: {why}"));
            }
        }
        if self.max_parts == 0 {
            problems.push("maxParts must be at least 1".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_are_valid_and_bad_ones_are_named() {
        assert_eq!(Config::default().validate(), Ok(()));
        let bad = Config {
            defaults: Defaults {
                ttl: 30,
                max_attempts: 0,
                pin_length: 12,
                from: Some("X".into()),
                template: Some("no pin".into()),
                ..Defaults::default()
            },
            max_parts: 0,
            ..Config::default()
        };
        let problems = bad.validate().unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:?}");
        assert!(problems[0].contains("ttl 30"));
    }
}
