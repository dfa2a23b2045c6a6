//! Browser request bodies: only what a visitor may choose.
//!
//! Why a separate validation: on the server API the tenant's own backend sets the template,
//! ttl, callback and PIN settings; from a browser, anyone can edit the request, so those
//! come from the tenant's `browser` settings only and a body that tries to set them is
//! refused (2121) rather than silently ignored, so an integration mistake shows at once.
//!
//! | route | body | may set |
//! |---|---|---|
//! | `POST /v1/browser/otp` | [`validate_browser_otp`] | `phoneNumber`, `countryIso`, `language`, `turnstileToken` |
//! | `POST /v1/browser/otp/{id}` | [`browser_verify_pin`] | `pin` |
//! | `POST /v1/browser/otp/{id}/resend` | [`browser_resend`] | `turnstileToken` (an empty body is fine) |
//!
//! The OTP itself is validated by the server API's rules ([`validate_request`]) on the
//! tenant's `browser` settings ([`BrowserSettings`]) plus the visitor's fields, so a browser
//! OTP obeys exactly the same rules and codes as a server one.

use serde_json::{Map, Value};
use smsotp_core::Channel;

use super::turnstile::MAX_TOKEN_CHARS;
use smsotp_core::config::Config;
use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::phone;
use smsotp_core::request::{validate_request, verify_pin, OtpRequest};

/// The largest browser request body the worker should read, in bytes: a Turnstile token
/// (≤ 2048 characters) and a phone number fit many times over; more is refused as 413
/// (`PayloadTooLarge`) without being read further.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The fields of `POST /v1/browser/otp`.
pub const OTP_FIELDS: [&str; 5] = [
    "phoneNumber",
    "countryIso",
    "language",
    "turnstileToken",
    "channel",
];

/// The keys of a tenant's `browser` settings: the server API's request fields a tenant
/// fixes for browser OTPs (`template_xx` too), and `defaultCountry`.
pub const SETTING_KEYS: [&str; 10] = [
    "from",
    "template",
    "templateLanguage",
    "ttl",
    "maxAttempts",
    "pinType",
    "pinLength",
    "webOtpDomain",
    "appHash",
    "defaultCountry",
];

/// Server API fields a browser may not set: named in 2121's message as the account's
/// choice rather than as unknown.
const SERVER_FIELDS: [&str; 14] = [
    "from",
    "template",
    "templateLanguage",
    "ttl",
    "maxAttempts",
    "pinType",
    "pinLength",
    "otpCallbackUrl",
    "trackId",
    "webOtpDomain",
    "appHash",
    "amount",
    "payee",
    "pin",
];

/// A phone number that is valid, used to check a tenant's settings on their own.
const PROBE_NUMBER: &str = "+12015550123";

/// A tenant's choices for browser OTPs (its record's `browser` object).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrowserSettings {
    /// The server API fields the tenant fixes (`template`, `template_fr`, `ttl`, …), as
    /// written in the record; absent ones take the tenant's `defaults`.
    pub fields: Map<String, Value>,
    /// The region of numbers typed without a country code, when the visitor's request has
    /// no `countryIso` (ISO 3166-1 alpha-2, upper case).
    pub default_country: Option<String>,
}

impl BrowserSettings {
    /// Reads a tenant's `browser` settings:
    ///
    /// ```json
    /// {"template": "Your {{app}} code: {{pin}}", "template_fr": "Votre code : {{pin}}",
    ///  "ttl": 300, "pinType": "numbers", "pinLength": 6, "defaultCountry": "FR"}
    /// ```
    ///
    /// Keys: [`SETTING_KEYS`] and `template_xx`. Each value is checked by the server API's
    /// rules over `config` (the tenant's), so a setting that would make every browser OTP
    /// fail is reported here. Every problem is listed, as `browser.<key>: <why>`.
    ///
    /// ```
    /// use smsotp_edge::browser::request::BrowserSettings;
    /// use smsotp_core::Config;
    /// use serde_json::json;
    ///
    /// let problems = BrowserSettings::from_json(
    ///     &json!({"ttl": 5, "defaultCountry": "XX", "otpCallbackUrl": "https://a.example"}),
    ///     &Config::default(),
    /// ).unwrap_err();
    /// assert_eq!(problems, [
    ///     "browser.defaultCountry: \"XX\" is not a known ISO 3166-1 region",
    ///     "browser.otpCallbackUrl: not a browser setting (one of from, template, template_xx, templateLanguage, ttl, maxAttempts, pinType, pinLength, webOtpDomain, appHash, defaultCountry)",
    ///     "browser.ttl: Min value for 'ttl' is 60 seconds",
    /// ]);
    /// ```
    pub fn from_json(value: &Value, config: &Config) -> Result<BrowserSettings, Vec<String>> {
        let Some(obj) = value.as_object() else {
            return Err(vec!["browser: must be a JSON object".into()]);
        };
        let mut problems = Vec::new();
        let mut fields = Map::new();
        let mut default_country = None;
        for (key, v) in obj {
            if key == "defaultCountry" {
                match v.as_str() {
                    Some(iso)
                        if iso.len() == 2
                            && iso.bytes().all(|b| b.is_ascii_uppercase())
                            && phone::is_known_country(iso) =>
                    {
                        default_country = Some(iso.to_owned());
                    }
                    Some(iso) if phone::is_known_country(iso) => problems.push(format!(
                        "browser.defaultCountry: {iso:?} must be written in upper case: {:?}",
                        iso.to_ascii_uppercase()
                    )),
                    Some(iso) => problems.push(format!(
                        "browser.defaultCountry: {iso:?} is not a known ISO 3166-1 region"
                    )),
                    None => problems.push("browser.defaultCountry: must be a string".into()),
                }
            } else if SETTING_KEYS.contains(&key.as_str()) || key.starts_with("template_") {
                fields.insert(key.clone(), v.clone());
            } else {
                problems.push(format!(
                    "browser.{key}: not a browser setting (one of from, template, template_xx, templateLanguage, ttl, maxAttempts, pinType, pinLength, webOtpDomain, appHash, defaultCountry)"
                ));
            }
        }
        let mut probe = fields.clone();
        probe.insert("phoneNumber".into(), PROBE_NUMBER.into());
        if let Err(errors) = validate_request(&Value::Object(probe), config) {
            for e in errors {
                match e.field {
                    Some(f) => problems.push(format!("browser.{f}: {}", e.message)),
                    None => problems.push(format!("browser: {}", e.message)),
                }
            }
        }
        if problems.is_empty() {
            Ok(BrowserSettings {
                fields,
                default_country,
            })
        } else {
            Err(problems)
        }
    }
}

/// A valid `POST /v1/browser/otp`.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserOtp {
    /// The OTP to create: the tenant's settings with the visitor's number and language.
    pub request: OtpRequest,
    /// The visitor's Turnstile token, when sent (≤ 2048 characters). Whether one is
    /// required is the tenant's call: [`super::turnstile::required_token`].
    pub turnstile_token: Option<String>,
}

fn parse_object(body: &str) -> Result<Map<String, Value>, Vec<ApiError>> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err(vec![ApiError::with_message(
            ErrorCode::BadRequest,
            "The request body must be a JSON object",
        )]),
        Err(e) => Err(vec![ApiError::with_message(
            ErrorCode::BadRequest,
            format!("The request body is not valid JSON: {e}"),
        )]),
    }
}

/// 2121 for every key of `obj` not in `allowed`.
fn refuse_other_fields(obj: &Map<String, Value>, allowed: &[&str], errors: &mut Vec<ApiError>) {
    for key in obj.keys() {
        if allowed.contains(&key.as_str()) {
            continue;
        }
        let message = if SERVER_FIELDS.contains(&key.as_str()) || key.starts_with("template_") {
            format!("'{key}' cannot be set from the browser: the account's settings decide it")
        } else {
            format!(
                "'{key}' is not a field of this request (it has only {})",
                allowed.join(", ")
            )
        };
        errors.push(
            ApiError::with_message(ErrorCode::BrowserFieldNotAllowed, message)
                .for_field(key.as_str()),
        );
    }
}

/// `turnstileToken` when sent: `null` or blank is none; not a string or longer than 2048
/// characters is 2123 (it cannot be a token).
fn turnstile_field(obj: &Map<String, Value>, errors: &mut Vec<ApiError>) -> Option<String> {
    let refused = |why: &str| {
        ApiError::with_message(
            ErrorCode::TurnstileRefused,
            format!("'turnstileToken' {why}; solve the challenge again"),
        )
        .for_field("turnstileToken")
    };
    match obj.get("turnstileToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) if s.trim().chars().count() > MAX_TOKEN_CHARS => {
            errors.push(refused(&format!(
                "is not a Turnstile token (longer than {MAX_TOKEN_CHARS} characters)"
            )));
            None
        }
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => {
            errors.push(refused("must be a string"));
            None
        }
    }
}

/// Validates `POST /v1/browser/otp`: `{phoneNumber, countryIso?, language?,
/// turnstileToken?}`. Any other field is 2121 (the server API's fields named as the
/// account's choice); the OTP is validated by the server API's rules on `settings` plus
/// the visitor's fields, over `config` (the tenant's); `countryIso` defaults to the
/// settings' `defaultCountry`. Every error found is returned.
///
/// ```
/// use smsotp_edge::browser::request::{validate_browser_otp, BrowserSettings};
/// use smsotp_core::Config;
/// use serde_json::json;
///
/// let config = Config::default();
/// let settings = BrowserSettings::from_json(&json!({"ttl": 120, "defaultCountry": "FR"}), &config).unwrap();
/// let otp = validate_browser_otp(r#"{"phoneNumber": "06 12 34 56 78"}"#, &settings, &config).unwrap();
/// assert_eq!((otp.request.phone_number.as_str(), otp.request.ttl), ("+33612345678", 120));
///
/// let errors = validate_browser_otp(r#"{"phoneNumber": "+33612345678", "ttl": 1800}"#, &settings, &config)
///     .unwrap_err();
/// assert_eq!((errors[0].code.code(), errors[0].http_status(), errors[0].field.as_deref()), (2121, 400, Some("ttl")));
/// ```
pub fn validate_browser_otp(
    body: &str,
    settings: &BrowserSettings,
    config: &Config,
) -> Result<BrowserOtp, Vec<ApiError>> {
    let obj = parse_object(body)?;
    let mut errors = Vec::new();
    refuse_other_fields(&obj, &OTP_FIELDS, &mut errors);
    let turnstile_token = turnstile_field(&obj, &mut errors);
    let mut merged = settings.fields.clone();
    for name in ["phoneNumber", "countryIso", "language", "channel"] {
        if let Some(v) = obj.get(name) {
            merged.insert(name.into(), v.clone());
        }
    }
    let has_country = obj
        .get("countryIso")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.trim().is_empty());
    if let (false, Some(country)) = (has_country, &settings.default_country) {
        merged.insert("countryIso".into(), country.clone().into());
    }
    match validate_request(&Value::Object(merged), config) {
        Ok(request) if errors.is_empty() => Ok(BrowserOtp {
            request,
            turnstile_token,
        }),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// The PIN of `POST /v1/browser/otp/{id}` (`{"pin"}`): any other field is 2121; the PIN
/// as the server API reads it (2022 when empty or missing).
pub fn browser_verify_pin(body: &str) -> Result<String, Vec<ApiError>> {
    let obj = parse_object(body)?;
    let mut errors = Vec::new();
    refuse_other_fields(&obj, &["pin"], &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    verify_pin(body).map_err(|e| vec![e])
}

/// The body of `POST /v1/browser/otp/{id}/resend`: `{"turnstileToken"?, "channel"?}`, or
/// an empty body. Returns the token and the channel, when sent; any other field is 2121.
pub fn browser_resend(body: &str) -> Result<(Option<String>, Option<Channel>), Vec<ApiError>> {
    if body.trim().is_empty() {
        return Ok((None, None));
    }
    let obj = parse_object(body)?;
    let mut errors = Vec::new();
    refuse_other_fields(&obj, &["turnstileToken", "channel"], &mut errors);
    let token = turnstile_field(&obj, &mut errors);
    let channel = obj
        .contains_key("channel")
        .then(|| smsotp_core::request::channel(&obj, &mut errors));
    if errors.is_empty() {
        Ok((token, channel))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smsotp_core::pin::PinType;

    fn settings(v: Value) -> BrowserSettings {
        BrowserSettings::from_json(&v, &Config::default()).unwrap()
    }

    fn codes(errors: &[ApiError]) -> Vec<(u16, Option<&str>)> {
        errors
            .iter()
            .map(|e| (e.code.code(), e.field.as_deref()))
            .collect()
    }

    #[test]
    fn the_tenants_settings_decide() {
        let s = settings(json!({
            "template": "Code {{pin}}", "template_fr": "Votre code {{pin}}", "ttl": 120,
            "maxAttempts": 3, "pinType": "alphanumeric", "pinLength": 8, "from": "Shop",
            "defaultCountry": "FR"
        }));
        assert_eq!(s.default_country.as_deref(), Some("FR"));
        let otp = validate_browser_otp(
            r#"{"phoneNumber": "06 12 34 56 78", "language": "fr", "turnstileToken": "0.tok"}"#,
            &s,
            &Config::default(),
        )
        .unwrap();
        let r = &otp.request;
        assert_eq!(
            (
                r.phone_number.as_str(),
                r.country_iso.as_str(),
                r.ttl,
                r.max_attempts,
                r.pin_type,
                r.pin_length
            ),
            ("+33612345678", "FR", 120, 3, PinType::Alphanumeric, 8)
        );
        assert_eq!(
            (r.from.as_str(), r.template.as_str()),
            ("Shop", "Code {{pin}}")
        );
        assert_eq!(
            r.templates.get("fr").map(String::as_str),
            Some("Votre code {{pin}}")
        );
        assert_eq!(
            (r.language.as_deref(), r.otp_callback_url.as_deref()),
            (Some("fr"), None)
        );
        assert_eq!(otp.turnstile_token.as_deref(), Some("0.tok"));
        // The visitor's country wins over the default; a number in E.164 needs none.
        let gb = validate_browser_otp(
            r#"{"phoneNumber": "07400 123456", "countryIso": "GB"}"#,
            &s,
            &Config::default(),
        )
        .unwrap();
        assert_eq!(gb.request.phone_number, "+447400123456");
        // Without settings: the tenant's defaults (the deployment's here).
        let plain = validate_browser_otp(
            r#"{"phoneNumber": "+447400123456"}"#,
            &BrowserSettings::default(),
            &Config::default(),
        )
        .unwrap();
        assert_eq!(
            (
                plain.request.ttl,
                plain.request.pin_length,
                plain.turnstile_token
            ),
            (300, 6, None)
        );
    }

    #[test]
    fn what_the_browser_may_not_set() {
        let s = BrowserSettings::default();
        let config = Config::default();
        let errors = validate_browser_otp(
            &json!({"phoneNumber": "+33612345678", "template": "x {{pin}}", "template_fr": "y {{pin}}",
                    "ttl": 60, "otpCallbackUrl": "https://a.example/cb", "pinLength": 4,
                    "amount": "1 EUR", "colour": "red"})
            .to_string(),
            &s,
            &config,
        )
        .unwrap_err();
        // serde_json's map is ordered by key.
        assert_eq!(
            codes(&errors),
            [
                (2121, Some("amount")),
                (2121, Some("colour")),
                (2121, Some("otpCallbackUrl")),
                (2121, Some("pinLength")),
                (2121, Some("template")),
                (2121, Some("template_fr")),
                (2121, Some("ttl")),
            ]
        );
        assert_eq!(
            errors[0].message,
            "'amount' cannot be set from the browser: the account's settings decide it"
        );
        assert_eq!(errors[1].message, "'colour' is not a field of this request (it has only phoneNumber, countryIso, language, turnstileToken, channel)");
        assert!(errors
            .iter()
            .all(|e| e.http_status() == 400 && e.code.error_type() == "invalid_param"));
    }

    #[test]
    fn visitor_errors_keep_the_server_apis_codes() {
        let s = settings(json!({"defaultCountry": "FR"}));
        let config = Config::default();
        type Found<'a> = &'a [(u16, Option<&'a str>)];
        let cases: &[(&str, Found)] = &[
            ("{oops", &[(400, None)]),
            ("[1]", &[(400, None)]),
            ("{}", &[(2001, Some("phoneNumber"))]),
            (
                r#"{"phoneNumber": "+33 1"}"#,
                &[(2020, Some("phoneNumber"))],
            ),
            (
                r#"{"phoneNumber": "0612345678", "countryIso": "XX"}"#,
                &[(2003, Some("countryIso"))],
            ),
            (
                r#"{"phoneNumber": "+33612345678", "language": "french"}"#,
                &[(2101, Some("language"))],
            ),
            (
                r#"{"phoneNumber": "+33612345678", "turnstileToken": 5}"#,
                &[(2123, Some("turnstileToken"))],
            ),
            (
                r#"{"phoneNumber": "", "ttl": 60, "turnstileToken": ["t"]}"#,
                &[
                    (2121, Some("ttl")),
                    (2123, Some("turnstileToken")),
                    (2001, Some("phoneNumber")),
                ],
            ),
        ];
        for (body, expected) in cases {
            let errors = validate_browser_otp(body, &s, &config).unwrap_err();
            assert_eq!(codes(&errors), *expected, "{body}");
        }
        // A national number without countryIso and no default country: 2002.
        let errors = validate_browser_otp(
            r#"{"phoneNumber": "0612345678"}"#,
            &BrowserSettings::default(),
            &config,
        )
        .unwrap_err();
        assert_eq!(codes(&errors), [(2002, Some("countryIso"))]);
    }

    #[test]
    fn turnstile_tokens_in_bodies() {
        let s = BrowserSettings::default();
        let config = Config::default();
        let body =
            |t: Value| json!({"phoneNumber": "+33612345678", "turnstileToken": t}).to_string();
        let max = "t".repeat(MAX_TOKEN_CHARS);
        assert_eq!(
            validate_browser_otp(&body(json!(max)), &s, &config)
                .unwrap()
                .turnstile_token,
            Some(max.clone())
        );
        assert_eq!(
            validate_browser_otp(&body(json!(null)), &s, &config)
                .unwrap()
                .turnstile_token,
            None
        );
        assert_eq!(
            validate_browser_otp(&body(json!(" ")), &s, &config)
                .unwrap()
                .turnstile_token,
            None
        );
        let e = validate_browser_otp(&body(json!(format!("{max}t"))), &s, &config).unwrap_err();
        assert_eq!((e[0].code.code(), e[0].http_status()), (2123, 403));
        assert_eq!(
            e[0].message,
            "'turnstileToken' is not a Turnstile token (longer than 2048 characters); solve the challenge again"
        );
    }

    #[test]
    fn verify_and_resend_bodies() {
        assert_eq!(
            browser_verify_pin(r#"{"pin": "123456"}"#),
            Ok("123456".into())
        );
        assert_eq!(
            browser_verify_pin(r#"{"pin": 123456}"#),
            Ok("123456".into())
        );
        assert_eq!(
            codes(&browser_verify_pin(r#"{"pin": ""}"#).unwrap_err()),
            [(2022, Some("pin"))]
        );
        assert_eq!(
            codes(&browser_verify_pin(r#"{"pin": "1234", "otpId": "x"}"#).unwrap_err()),
            [(2121, Some("otpId"))]
        );
        assert_eq!(
            codes(&browser_verify_pin("pin=1234").unwrap_err()),
            [(400, None)]
        );

        assert_eq!(browser_resend(""), Ok((None, None)));
        assert_eq!(browser_resend("{}"), Ok((None, None)));
        assert_eq!(
            browser_resend(r#"{"turnstileToken": "0.t"}"#),
            Ok((Some("0.t".into()), None))
        );
        assert_eq!(
            browser_resend(r#"{"channel": "voice"}"#),
            Ok((None, Some(Channel::Voice)))
        );
        assert_eq!(
            codes(&browser_resend(r#"{"channel": "fax"}"#).unwrap_err()),
            [(2135, Some("channel"))]
        );
        assert_eq!(
            codes(&browser_resend(r#"{"ttl": 60}"#).unwrap_err()),
            [(2121, Some("ttl"))]
        );
        assert_eq!(
            codes(&browser_resend(r#"{"turnstileToken": 1}"#).unwrap_err()),
            [(2123, Some("turnstileToken"))]
        );
        assert_eq!(codes(&browser_resend("{").unwrap_err()), [(400, None)]);
    }

    #[test]
    fn settings_problems_are_listed() {
        let config = Config::default();
        let cases: &[(Value, &[&str])] = &[
            (json!("x"), &["browser: must be a JSON object"]),
            (
                json!({"template": "no pin here", "pinLength": 20, "defaultCountry": "fr", "template_xx": "a {{pin}}"}),
                &[
                    "browser.defaultCountry: \"fr\" must be written in upper case: \"FR\"",
                    "browser.template: 'template' must contain {{pin}}",
                    "browser.template_xx: 'template_xx': 'xx' is not an ISO 639-1 language code",
                    "browser.pinLength: Max value for 'pinLength' is 10",
                ],
            ),
            (
                json!({"defaultCountry": 33}),
                &["browser.defaultCountry: must be a string"],
            ),
        ];
        for (v, expected) in cases {
            assert_eq!(
                BrowserSettings::from_json(v, &config).unwrap_err(),
                *expected,
                "{v}"
            );
        }
    }
}
