//! Deployment configuration the rules depend on: defaults for omitted request fields and
//! limits. Shells build it from their own settings (the worker from its vars).

use serde::Serialize;
use serde_json::Value;

use crate::callback_url::CallbackPolicy;
use crate::pin::PinType;

/// Defaults for the fields a `POST /otp` request may leave out (the compatible service
/// takes them from its dashboard; we take them from configuration).
///
/// Built-in: `from` "Verify", `template` "Your verification code is {{pin}}" in
/// `templateLanguage` "en", `ttl` 300 s, `maxAttempts` 5, `pinType` numbers, `pinLength` 6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    /// `None`: a request without `from` is refused with 2004.
    pub from: Option<String>,
    /// `None`: a request without `template` is refused with 2006.
    pub template: Option<String>,
    /// The ISO 639-1 language the default `template` is written in (a request's
    /// `templateLanguage` when it has none): when a template is chosen by the recipient's
    /// country, the default template counts as the template of this language.
    pub template_language: String,
    /// `ttl` in seconds (60–1800).
    pub ttl: u32,
    /// `maxAttempts`: wrong PINs allowed (1–10).
    pub max_attempts: u8,
    /// `pinType`.
    pub pin_type: PinType,
    /// `pinLength` in symbols (4–10).
    pub pin_length: u8,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            from: Some("Verify".into()),
            template: Some("Your verification code is {{pin}}".into()),
            template_language: "en".into(),
            ttl: 300,
            max_attempts: 5,
            pin_type: PinType::Numbers,
            pin_length: 6,
        }
    }
}

/// Everything the core's rules need to know about the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Values for the fields a request leaves out.
    pub defaults: Defaults,
    /// Which `otpCallbackUrl`s are accepted.
    pub callback_policy: CallbackPolicy,
    /// Longest message accepted, in SMS parts (each part is billed).
    pub max_parts: u32,
}

impl Config {
    /// Reads a configuration from JSON (`{"defaults": {...}, "callbackPolicy", "maxParts"}`,
    /// camelCase as serialised); absent keys keep their defaults, and the result is
    /// validated. Written by hand rather than derived: serde's derived number handling
    /// pulls float formatting into the wasm builds (~35 KB).
    pub fn from_json_text(text: &str) -> Result<Config, Vec<String>> {
        let value: Value = serde_json::from_str(text).map_err(|e| vec![e.to_string()])?;
        Config::from_json(&value)
    }

    /// [`Config::from_json_text`] of a parsed value: the built-in [`Config::default`]
    /// overlaid with `value` ([`Config::overlay_json`]).
    pub fn from_json(value: &Value) -> Result<Config, Vec<String>> {
        Config::default().overlay_json(value)
    }

    /// This configuration with the keys present in `value` replaced (the same keys and
    /// checks as [`Config::from_json`]; absent keys keep `self`'s values), e.g. a tenant's
    /// own defaults over the deployment's. Every problem is listed, each naming its key
    /// (`defaults.ttl`, `maxParts`); the result is [validated](Config::validate) as a whole.
    ///
    /// ```
    /// use smsotp_core::Config;
    /// use serde_json::json;
    ///
    /// let base = Config::from_json(&json!({"defaults": {"from": "ACME", "ttl": 600}})).unwrap();
    /// let tenant = base.overlay_json(&json!({"defaults": {"ttl": 120}})).unwrap();
    /// assert_eq!((tenant.defaults.from.as_deref(), tenant.defaults.ttl), (Some("ACME"), 120));
    /// assert!(base.overlay_json(&json!({"defaults": {"ttl": "soon"}})).is_err());
    /// ```
    pub fn overlay_json(&self, value: &Value) -> Result<Config, Vec<String>> {
        let mut config = self.clone();
        let mut problems = Vec::new();
        let Some(obj) = value.as_object() else {
            return Err(vec!["the configuration must be a JSON object".into()]);
        };
        fn uint(v: &Value, name: &str, problems: &mut Vec<String>) -> Option<u32> {
            let n = v.as_u64().and_then(|n| u32::try_from(n).ok());
            if n.is_none() {
                problems.push(format!("{name} must be a whole number"));
            }
            n
        }
        fn text(v: &Value, name: &str, problems: &mut Vec<String>) -> Option<Option<String>> {
            match v {
                Value::Null => Some(None),
                Value::String(s) => Some(Some(s.clone())),
                _ => {
                    problems.push(format!("{name} must be a string or null"));
                    None
                }
            }
        }
        match obj.get("defaults") {
            None => {}
            Some(Value::Object(d)) => {
                for (key, v) in d {
                    let name = format!("defaults.{key}");
                    match key.as_str() {
                        "from" => {
                            if let Some(t) = text(v, &name, &mut problems) {
                                config.defaults.from = t;
                            }
                        }
                        "template" => {
                            if let Some(t) = text(v, &name, &mut problems) {
                                config.defaults.template = t;
                            }
                        }
                        // Checked to be ISO 639-1 by `validate` below.
                        "templateLanguage" => match v.as_str() {
                            Some(lang) => {
                                config.defaults.template_language = lang.trim().to_ascii_lowercase()
                            }
                            None => problems.push(format!("{name} must be a string")),
                        },
                        "ttl" => {
                            if let Some(n) = uint(v, &name, &mut problems) {
                                config.defaults.ttl = n;
                            }
                        }
                        "maxAttempts" => {
                            if let Some(n) = uint(v, &name, &mut problems) {
                                config.defaults.max_attempts = n.min(255) as u8;
                            }
                        }
                        "pinLength" => {
                            if let Some(n) = uint(v, &name, &mut problems) {
                                config.defaults.pin_length = n.min(255) as u8;
                            }
                        }
                        "pinType" => match v.as_str().and_then(PinType::parse) {
                            Some(t) => config.defaults.pin_type = t,
                            None => problems
                                .push(format!("{name} must be numbers, letters or alphanumeric")),
                        },
                        _ => problems.push(format!("unknown setting {name}")),
                    }
                }
            }
            Some(_) => problems.push("defaults must be an object".into()),
        }
        for (key, v) in obj {
            match key.as_str() {
                "defaults" => {}
                "callbackPolicy" => match v.as_str() {
                    Some("publicHttpsOnly") => {
                        config.callback_policy = CallbackPolicy::PublicHttpsOnly
                    }
                    Some("allowLoopback") => config.callback_policy = CallbackPolicy::AllowLoopback,
                    _ => problems
                        .push("callbackPolicy must be publicHttpsOnly or allowLoopback".into()),
                },
                "maxParts" => {
                    if let Some(n) = uint(v, "maxParts", &mut problems) {
                        config.max_parts = n;
                    }
                }
                _ => problems.push(format!("unknown setting {key}")),
            }
        }
        if let Err(more) = config.validate() {
            problems.extend(more);
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Checks the deployment's own settings, so that a bad default is reported when the
    /// shell starts rather than as a confusing error on every request that omits the field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        use crate::pin::{MAX_PIN_LENGTH, MIN_PIN_LENGTH};
        use crate::request::{
            check_sender, MAX_ATTEMPTS, MAX_TEMPLATE_CHARS, MAX_TTL, MIN_ATTEMPTS, MIN_TTL,
        };
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
            // The same limit as a request's template: a longer default would refuse every
            // request that leaves `template` out.
            if template.chars().count() > MAX_TEMPLATE_CHARS {
                problems.push(format!(
                    "default template is longer than {MAX_TEMPLATE_CHARS} characters"
                ));
            } else if let Err(why) = crate::template::check_template("template", template) {
                problems.push(format!("default template: {why}"));
            }
        }
        if !crate::languages::is_language(&d.template_language) {
            problems.push(format!(
                "default templateLanguage {:?} is not an ISO 639-1 language code (lower-case)",
                d.template_language
            ));
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
    fn from_json_text() {
        assert_eq!(Config::from_json_text("{}"), Ok(Config::default()));
        let c = Config::from_json_text(r#"{"maxParts": 2}"#).unwrap();
        assert_eq!(c.max_parts, 2);
        let problems = Config::from_json_text("{nope").unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn from_json() {
        let c = Config::from_json(&serde_json::json!({
            "defaults": {"from": "ACME", "template": null, "ttl": 600, "pinType": "letters",
                "templateLanguage": "FR"},
            "callbackPolicy": "allowLoopback",
            "maxParts": 3
        }))
        .unwrap();
        assert_eq!(c.defaults.from.as_deref(), Some("ACME"));
        assert_eq!(c.defaults.template, None);
        assert_eq!(c.defaults.template_language, "fr");
        assert_eq!(
            (c.defaults.ttl, c.defaults.pin_type),
            (600, PinType::Letters)
        );
        assert_eq!(
            (c.callback_policy, c.max_parts),
            (CallbackPolicy::AllowLoopback, 3)
        );
        assert_eq!(
            Config::from_json(&serde_json::json!({})),
            Ok(Config::default())
        );
        let problems = Config::from_json(&serde_json::json!({
            "defaults": {"ttl": 5.5, "pinType": "x", "colour": 1}, "maxParts": -1, "other": 1
        }))
        .unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(Config::from_json(&serde_json::json!({"defaults": {"ttl": 10}})).is_err());
        for bad in [
            serde_json::json!("english"),
            serde_json::json!("xx"),
            serde_json::json!(null),
            serde_json::json!(7),
        ] {
            let problems =
                Config::from_json(&serde_json::json!({"defaults": {"templateLanguage": bad}}))
                    .unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert!(problems[0].contains("templateLanguage"), "{problems:?}");
        }
    }

    #[test]
    fn overlay_keeps_what_it_does_not_name() {
        let base = Config::from_json(&serde_json::json!({
            "defaults": {"from": "ACME", "ttl": 600}, "maxParts": 3
        }))
        .unwrap();
        let over = base
            .overlay_json(&serde_json::json!({"defaults": {"pinLength": 8}}))
            .unwrap();
        assert_eq!(over.defaults.from.as_deref(), Some("ACME"));
        assert_eq!(
            (over.defaults.ttl, over.defaults.pin_length, over.max_parts),
            (600, 8, 3)
        );
        assert_eq!(base.overlay_json(&serde_json::json!({})), Ok(base.clone()));
        // Every problem, each with its key path; a bad value does not hide the others.
        let problems = base
            .overlay_json(&serde_json::json!({"defaults": {"ttl": "x", "maxAttempts": -2}}))
            .unwrap_err();
        assert_eq!(
            problems,
            [
                "defaults.maxAttempts must be a whole number",
                "defaults.ttl must be a whole number"
            ]
        );
        let problems = base
            .overlay_json(&serde_json::json!({"defaults": 1, "maxParts": 0}))
            .unwrap_err();
        assert_eq!(
            problems,
            ["defaults must be an object", "maxParts must be at least 1"]
        );
        // The overlay is validated as a whole: a default that breaks a rule is named.
        let problems = base
            .overlay_json(&serde_json::json!({"defaults": {"ttl": 30}}))
            .unwrap_err();
        assert_eq!(problems, ["default ttl 30 is outside 60..=1800"]);
    }

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
                template_language: "english".into(),
                ..Defaults::default()
            },
            max_parts: 0,
            ..Config::default()
        };
        let problems = bad.validate().unwrap_err();
        assert_eq!(problems.len(), 7, "{problems:?}");
        assert!(problems[0].contains("ttl 30"));
    }
}
