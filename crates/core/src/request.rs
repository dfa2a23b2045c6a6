//! `POST /otp` request validation: JSON in, a typed and normalised [`OtpRequest`] or every
//! error found (one per field), each with the contract's code.
//!
//! Rules beyond the contract's table, chosen for clients' sake:
//! - an omitted field takes the deployment default ([`crate::Defaults`]); a field sent as
//!   `null` or `""` counts as empty (e.g. `"from": ""` → 2004), except `trackId` and
//!   `otpCallbackUrl`, where `null`/`""` mean "none" (as in the OTP object);
//! - numbers may be JSON numbers or strings that parse (`"600"`); fractions, booleans and
//!   other text get the field's "not a number" code;
//! - `template_xx` keys must name an ISO 639-1 language (`template_fr`), else 2006; other
//!   unknown keys are ignored;
//! - extension fields: `language`, `webOtpDomain`, `appHash`, `amount`, `payee` (2101–2105),
//!   `templateLanguage` (the ISO 639-1 language of `template`, 2107), and every template
//!   must render within the deployment's `maxParts` (2106); `channel` (`sms`, `whatsapp`
//!   or `voice`, 2135).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{Config, Defaults};
use crate::delivery::Channel;
use crate::error::{ApiError, ErrorCode};
use crate::languages::is_language;
use crate::phone::{self, NumberType, PhoneError, PhoneNumber};
use crate::pin::{sample_pin, PinType, MAX_PIN_LENGTH, MIN_PIN_LENGTH};
use crate::sms;
use crate::template::{self, Autofill, Templates, Values};

/// Shortest `ttl`, in seconds.
pub const MIN_TTL: u32 = 60;
/// Longest `ttl`, in seconds.
pub const MAX_TTL: u32 = 1800;
/// Fewest `maxAttempts`.
pub const MIN_ATTEMPTS: u8 = 1;
/// Most `maxAttempts`.
pub const MAX_ATTEMPTS: u8 = 10;
/// Longest template accepted, in characters, before any rendering.
pub const MAX_TEMPLATE_CHARS: usize = 1600;
/// Longest `amount`, in characters.
pub const MAX_AMOUNT_CHARS: usize = 32;
/// Longest `payee`, in characters.
pub const MAX_PAYEE_CHARS: usize = 64;

/// A valid request with every default applied.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpRequest {
    /// The recipient, E.164.
    pub phone_number: String,
    /// The recipient's region (ISO 3166-1 alpha-2), from the number.
    pub country_iso: String,
    /// Mobile, fixed line, … as libphonenumber's metadata says.
    pub number_type: NumberType,
    /// The sender id.
    pub from: String,
    /// The default template (the request's `template` or the deployment's).
    pub template: String,
    /// Extension: the ISO 639-1 language `template` is written in (lower-case; default: the
    /// deployment's `defaults.templateLanguage`, built-in `en`). When a template is chosen
    /// by country, the default template counts as the template of this language.
    pub template_language: String,
    /// `template_xx` by language code.
    pub templates: BTreeMap<String, String>,
    /// The client's `trackId` (a UUID, lower-case).
    pub track_id: Option<String>,
    /// Validity in seconds.
    pub ttl: u32,
    /// Wrong PINs allowed.
    pub max_attempts: u8,
    /// The PIN's symbols.
    pub pin_type: PinType,
    /// The PIN's length in symbols.
    pub pin_length: u8,
    /// Where status changes are POSTed.
    pub otp_callback_url: Option<String>,
    /// Extension: choose this language's template instead of the recipient's country's.
    pub language: Option<String>,
    /// Extension: the WebOTP / iOS origin-bound line `@domain #PIN` is appended.
    pub web_otp_domain: Option<String>,
    /// Extension: the Android SMS Retriever hash line is appended.
    pub app_hash: Option<String>,
    /// Extension: the payment amount, for `{{amount}}`.
    pub amount: Option<String>,
    /// Extension: the payee, for `{{payee}}`.
    pub payee: Option<String>,
    /// Extension: how the code goes out (`sms`, the default; `whatsapp`; `voice`). Whether
    /// the tenant and the deployment offer it is the edge's rule.
    #[serde(default = "default_channel")]
    pub channel: Channel,
}

fn default_channel() -> Channel {
    Channel::Sms
}

impl OtpRequest {
    /// The templates, for choosing one.
    pub fn template_set(&self) -> Templates<'_> {
        Templates {
            default: &self.template,
            default_language: &self.template_language,
            by_language: &self.templates,
        }
    }
}

/// Parses a request body given as text. A body that is not a JSON object is a 400
/// `invalid_request` (the only error then).
///
/// ```
/// use smsotp_core::{validate_request_text, Config, PinType};
///
/// let config = Config::default();
/// let r = validate_request_text(r#"{"phoneNumber": "+44 7400 123456", "pinType": "letters"}"#, &config)
///     .unwrap();
/// assert_eq!((r.phone_number.as_str(), r.country_iso.as_str()), ("+447400123456", "GB"));
/// // Omitted fields take the deployment's defaults.
/// assert_eq!((r.ttl, r.max_attempts, r.pin_type, r.pin_length), (300, 5, PinType::Letters, 6));
///
/// // Every invalid field is reported, each with the contract's code.
/// let errors = validate_request_text(r#"{"phoneNumber": "+33 1", "maxAttempts": 0}"#, &config)
///     .unwrap_err();
/// let found: Vec<(u16, Option<&str>)> =
///     errors.iter().map(|e| (e.code.code(), e.field.as_deref())).collect();
/// assert_eq!(found, [(2020, Some("phoneNumber")), (2011, Some("maxAttempts"))]);
///
/// // Not JSON: one 400 `invalid_request`.
/// let errors = validate_request_text("{oops", &config).unwrap_err();
/// assert_eq!((errors.len(), errors[0].http_status()), (1, 400));
/// ```
pub fn validate_request_text(body: &str, config: &Config) -> Result<OtpRequest, Vec<ApiError>> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        vec![ApiError::with_message(
            ErrorCode::BadRequest,
            format!("The request body is not valid JSON: {e}"),
        )]
    })?;
    validate_request(&value, config)
}

/// The PIN of a verify body (`POST /otp/{otpId}`, `{"pin": "…"}`). A PIN sent as a JSON
/// number of digits is taken as written; anything else empty or missing is 2022, and a body
/// that is not JSON is 400 `invalid_request`.
pub fn verify_pin(body: &str) -> Result<String, ApiError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        ApiError::with_message(
            ErrorCode::BadRequest,
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    match value.get("pin") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        _ => Err(ApiError::new(ErrorCode::PinMissing).for_field("pin")),
    }
}

/// An OTP id as this service issues them: a hyphenated UUID (version 4).
pub fn is_otp_id(id: &str) -> bool {
    is_uuid_v1_to_v5(id)
}

/// A field as sent: absent, empty (`null` or blank string), or a value.
enum Field<'a> {
    Absent,
    Empty,
    Present(&'a Value),
}

fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Field<'a> {
    match obj.get(name) {
        None => Field::Absent,
        Some(Value::Null) => Field::Empty,
        Some(Value::String(s)) if s.trim().is_empty() => Field::Empty,
        Some(v) => Field::Present(v),
    }
}

/// An integer from a JSON number or a numeric string; `None` if it is neither.
fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.fract() == 0.0).then(|| f.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

struct Range {
    field: &'static str,
    min: i64,
    max: i64,
    not_a_number: ErrorCode,
    too_low: ErrorCode,
    too_high: ErrorCode,
}

fn ranged(obj: &Map<String, Value>, r: &Range, default: i64, errors: &mut Vec<ApiError>) -> i64 {
    let value = match field(obj, r.field) {
        Field::Absent => return default,
        Field::Empty => None,
        Field::Present(v) => integer(v),
    };
    let code = match value {
        None => r.not_a_number,
        Some(n) if n < r.min => r.too_low,
        Some(n) if n > r.max => r.too_high,
        Some(n) => return n,
    };
    errors.push(ApiError::new(code).for_field(r.field));
    default
}

fn text_field(obj: &Map<String, Value>, name: &str) -> Option<Result<String, ()>> {
    match field(obj, name) {
        Field::Absent => None,
        Field::Empty => Some(Err(())),
        Field::Present(Value::String(s)) => Some(Ok(s.trim().to_owned())),
        Field::Present(_) => Some(Err(())),
    }
}

/// `from`: 3–15 characters; alphanumeric senders hold at most 11 of A–Z a–z 0–9 and space,
/// with a letter; a numeric sender is a phone number (an optional `+` and 3–15 digits).
pub fn check_sender(from: &str) -> Result<(), &'static str> {
    let len = from.chars().count();
    if !(3..=15).contains(&len) {
        return Err("must be 3 to 15 characters");
    }
    let digits = from.strip_prefix('+').unwrap_or(from);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    if len > 11 {
        return Err("an alphanumeric sender id holds at most 11 characters");
    }
    if !from.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') {
        return Err("an alphanumeric sender id holds only A-Z, a-z, 0-9 and space");
    }
    if !from.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Err("an alphanumeric sender id needs at least one letter");
    }
    Ok(())
}

/// Is this a UUID of version 1 to 5, in its 36-character hyphenated form?
pub fn is_uuid_v1_to_v5(s: &str) -> bool {
    s.len() == 36
        && uuid::Uuid::try_parse(s).is_ok_and(|u| {
            (1..=5).contains(&u.get_version_num()) && u.get_variant() == uuid::Variant::RFC4122
        })
}

fn push(errors: &mut Vec<ApiError>, code: ErrorCode, field: &str, message: Option<String>) {
    let e = match message {
        Some(m) => ApiError::with_message(code, m),
        None => ApiError::new(code),
    };
    errors.push(e.for_field(field));
}

/// A template field: present, a string, not too long, with `{{pin}}` and known placeholders.
fn checked_template(
    name: &str,
    value: Option<&Value>,
    errors: &mut Vec<ApiError>,
    uses: &mut template::TemplateUse,
) -> Option<String> {
    let text = match value {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            let msg = format!("'{name}' is empty or missing");
            push(errors, ErrorCode::TemplateInvalid, name, Some(msg));
            return None;
        }
        Some(_) => {
            let msg = format!("'{name}' must be a string");
            push(errors, ErrorCode::TemplateInvalid, name, Some(msg));
            return None;
        }
    };
    if text.chars().count() > MAX_TEMPLATE_CHARS {
        let msg = format!("'{name}' is longer than {MAX_TEMPLATE_CHARS} characters");
        push(errors, ErrorCode::TemplateInvalid, name, Some(msg));
        return None;
    }
    match template::check_template(name, &text) {
        Ok(u) => {
            uses.amount |= u.amount;
            uses.payee |= u.payee;
            Some(text)
        }
        Err(msg) => {
            push(errors, ErrorCode::TemplateInvalid, name, Some(msg));
            None
        }
    }
}

/// Validates a `POST /otp` body: a typed request with every default applied, or every
/// error found (one per field).
///
/// Each group of fields is checked by its own function, in the order below, which is the
/// order of the errors returned; then the rules between groups; then, for a request
/// otherwise valid, the length of every message ([`MessageTooLong`](ErrorCode::MessageTooLong)).
///
/// ```
/// use serde_json::json;
/// use smsotp_core::{validate_request, Config};
///
/// let r = validate_request(&json!({"phoneNumber": "+33 6 12 34 56 78", "ttl": "600"}), &Config::default())
///     .unwrap();
/// assert_eq!((r.phone_number.as_str(), r.country_iso.as_str(), r.ttl), ("+33612345678", "FR", 600));
///
/// let errors = validate_request(&json!({"phoneNumber": "", "ttl": 5}), &Config::default())
///     .unwrap_err();
/// let codes: Vec<u16> = errors.iter().map(|e| e.code.code()).collect();
/// assert_eq!(codes, [2001, 2008]);
/// ```
pub fn validate_request(body: &Value, config: &Config) -> Result<OtpRequest, Vec<ApiError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![ApiError::with_message(
            ErrorCode::BadRequest,
            "The request body must be a JSON object",
        )]);
    };
    let defaults = &config.defaults;
    let mut errors: Vec<ApiError> = Vec::new();
    let e = &mut errors;

    let phone = phone_and_country(obj, e);
    let from = sender(obj, defaults, e);
    let templates = templates(obj, defaults, e);
    let track_id = track_id(obj, e);
    let (ttl, max_attempts) = ttl_and_attempts(obj, defaults, e);
    let (pin_type, pin_length) = pin_format(obj, defaults, e);
    let otp_callback_url = callback_url(obj, config, e);
    let (language, template_language) = template_languages(obj, defaults, e);
    let (web_otp_domain, app_hash) = autofill(obj, e);
    let (amount, payee) = payment(obj, e);
    let channel = channel(obj, e);
    cross_field_rules(
        templates.uses,
        web_otp_domain.is_some() && app_hash.is_some(),
        (amount.is_some(), payee.is_some()),
        e,
    );

    let (Some(phone), Some(template), true) = (phone, templates.default, errors.is_empty()) else {
        return Err(errors);
    };
    let request = OtpRequest {
        phone_number: phone.e164,
        country_iso: phone.country_iso.to_owned(),
        number_type: phone.number_type,
        from,
        template,
        template_language,
        templates: templates.by_language,
        track_id,
        ttl,
        max_attempts,
        pin_type,
        pin_length,
        otp_callback_url,
        language,
        web_otp_domain,
        app_hash,
        amount,
        payee,
        channel,
    };
    check_message_length(&request, config.max_parts)?;
    Ok(request)
}

/// `phoneNumber` and `countryIso`: 2001 missing, 2002 national without a country, 2003 bad
/// country, 2020 not a valid number (the message says why). `None` when invalid.
fn phone_and_country(obj: &Map<String, Value>, errors: &mut Vec<ApiError>) -> Option<PhoneNumber> {
    let s = match field(obj, "phoneNumber") {
        Field::Absent | Field::Empty => {
            push(errors, ErrorCode::PhoneNumberMissing, "phoneNumber", None);
            return None;
        }
        Field::Present(Value::String(s)) => s,
        Field::Present(_) => {
            let msg = "'phoneNumber' must be a string".to_owned();
            push(
                errors,
                ErrorCode::PhoneNumberInvalid,
                "phoneNumber",
                Some(msg),
            );
            return None;
        }
    };
    let country = obj.get("countryIso").and_then(Value::as_str);
    let (code, name, message) = match phone::parse(s, country) {
        Ok(p) => return Some(p),
        Err(PhoneError::Empty) => (ErrorCode::PhoneNumberMissing, "phoneNumber", None),
        Err(PhoneError::CountryRequired) => {
            // Sent but not a usable string (e.g. a number) is "invalid"; absent or blank is
            // "missing".
            let sent = obj
                .get("countryIso")
                .is_some_and(|c| !c.is_null() && c.as_str().is_none_or(|s| !s.trim().is_empty()));
            let code = if sent {
                ErrorCode::CountryIsoInvalid
            } else {
                ErrorCode::CountryIsoMissing
            };
            (code, "countryIso", None)
        }
        Err(PhoneError::UnknownCountry) => (ErrorCode::CountryIsoInvalid, "countryIso", None),
        Err(PhoneError::Invalid(why)) => {
            let msg = format!("'phoneNumber' is not a valid phone number: {why}");
            (ErrorCode::PhoneNumberInvalid, "phoneNumber", Some(msg))
        }
        // Only in a `lazy-metadata` build (never the worker's), whose bindings run the
        // validation under `phone::needing_metadata` and throw this answer away.
        Err(PhoneError::MetadataMissing(iso)) => {
            let msg = format!("the phone metadata of {iso} is not loaded");
            (ErrorCode::PhoneNumberInvalid, "phoneNumber", Some(msg))
        }
    };
    push(errors, code, name, message);
    None
}

/// `from`: the deployment default when absent; 2004 when empty (or absent without a
/// default), 2005 when not a string or not a valid sender ([`check_sender`]).
fn sender(obj: &Map<String, Value>, defaults: &Defaults, errors: &mut Vec<ApiError>) -> String {
    let from = match text_field(obj, "from") {
        None => defaults.from.clone(),
        Some(Ok(s)) => Some(s),
        Some(Err(())) if matches!(field(obj, "from"), Field::Empty) => None,
        Some(Err(())) => {
            let msg = "'from' must be a string".to_owned();
            push(errors, ErrorCode::FromInvalid, "from", Some(msg));
            // Already reported: an empty sender is not checked again below.
            Some(String::new())
        }
    };
    match from {
        None => {
            push(errors, ErrorCode::FromMissing, "from", None);
            String::new()
        }
        Some(f) if f.is_empty() => f,
        Some(f) => {
            if let Err(why) = check_sender(&f) {
                let msg = format!("'from' is invalid: {why}");
                push(errors, ErrorCode::FromInvalid, "from", Some(msg));
            }
            f
        }
    }
}

/// The templates of a request, once checked.
struct CheckedTemplates {
    /// `template` (or the deployment's); `None` when missing or invalid.
    default: Option<String>,
    /// The valid `template_xx`, by lower-case language code.
    by_language: BTreeMap<String, String>,
    /// Placeholders used by any of them that need other fields.
    uses: template::TemplateUse,
}

/// `template` (the deployment default when absent) and every `template_xx`: 2006 when
/// missing, not a string, too long, without `{{pin}}`, with an unknown placeholder, or
/// when `xx` is not an ISO 639-1 code.
fn templates(
    obj: &Map<String, Value>,
    defaults: &Defaults,
    errors: &mut Vec<ApiError>,
) -> CheckedTemplates {
    let mut uses = template::TemplateUse::default();
    let default = match obj.get("template") {
        None => {
            let fallback = defaults.template.clone().map(Value::String);
            checked_template("template", fallback.as_ref(), errors, &mut uses)
        }
        v => checked_template("template", v, errors, &mut uses),
    };
    let mut by_language = BTreeMap::new();
    for (key, value) in obj {
        let Some(lang) = key.strip_prefix("template_") else {
            continue;
        };
        let lang = lang.to_ascii_lowercase();
        if !is_language(&lang) {
            let msg = format!("'{key}': '{lang}' is not an ISO 639-1 language code");
            push(errors, ErrorCode::TemplateInvalid, key, Some(msg));
            continue;
        }
        if let Some(t) = checked_template(key, Some(value), errors, &mut uses) {
            by_language.insert(lang, t);
        }
    }
    CheckedTemplates {
        default,
        by_language,
        uses,
    }
}

/// `trackId`: none when absent or empty; 2018 unless a UUID of versions 1–5 (kept
/// lower-case).
fn track_id(obj: &Map<String, Value>, errors: &mut Vec<ApiError>) -> Option<String> {
    match field(obj, "trackId") {
        Field::Absent | Field::Empty => None,
        Field::Present(Value::String(s)) if is_uuid_v1_to_v5(s.trim()) => {
            Some(s.trim().to_ascii_lowercase())
        }
        Field::Present(_) => {
            push(errors, ErrorCode::TrackIdInvalid, "trackId", None);
            None
        }
    }
}

/// The numeric ranges `ttl` (60–1800 s: 2007/2008/2009) and `maxAttempts` (1–10:
/// 2010/2011/2012), each the deployment default when absent.
fn ttl_and_attempts(
    obj: &Map<String, Value>,
    defaults: &Defaults,
    errors: &mut Vec<ApiError>,
) -> (u32, u8) {
    let ttl = ranged(
        obj,
        &Range {
            field: "ttl",
            min: MIN_TTL.into(),
            max: MAX_TTL.into(),
            not_a_number: ErrorCode::TtlNotANumber,
            too_low: ErrorCode::TtlTooLow,
            too_high: ErrorCode::TtlTooHigh,
        },
        defaults.ttl.into(),
        errors,
    );
    let max_attempts = ranged(
        obj,
        &Range {
            field: "maxAttempts",
            min: MIN_ATTEMPTS.into(),
            max: MAX_ATTEMPTS.into(),
            not_a_number: ErrorCode::MaxAttemptsNotANumber,
            too_low: ErrorCode::MaxAttemptsTooLow,
            too_high: ErrorCode::MaxAttemptsTooHigh,
        },
        defaults.max_attempts.into(),
        errors,
    );
    // Within the ranges checked above (or the validated defaults), so the casts are exact.
    (ttl as u32, max_attempts as u8)
}

/// `pinType` (2013 empty, 2014 not one of the three) and `pinLength` (4–10:
/// 2015/2016/2017), each the deployment default when absent.
fn pin_format(
    obj: &Map<String, Value>,
    defaults: &Defaults,
    errors: &mut Vec<ApiError>,
) -> (PinType, u8) {
    let pin_type = match field(obj, "pinType") {
        Field::Absent => defaults.pin_type,
        Field::Empty => {
            push(errors, ErrorCode::PinTypeMissing, "pinType", None);
            defaults.pin_type
        }
        Field::Present(v) => match v.as_str().and_then(PinType::parse) {
            Some(t) => t,
            None => {
                push(errors, ErrorCode::PinTypeInvalid, "pinType", None);
                defaults.pin_type
            }
        },
    };
    let pin_length = ranged(
        obj,
        &Range {
            field: "pinLength",
            min: MIN_PIN_LENGTH.into(),
            max: MAX_PIN_LENGTH.into(),
            not_a_number: ErrorCode::PinLengthNotANumber,
            too_low: ErrorCode::PinLengthTooLow,
            too_high: ErrorCode::PinLengthTooHigh,
        },
        defaults.pin_length.into(),
        errors,
    );
    (pin_type, pin_length as u8)
}

/// `otpCallbackUrl`: none when absent or empty; 2019 unless a URL the deployment's
/// [`CallbackPolicy`](crate::CallbackPolicy) allows (the message says why not); kept as
/// parsed and serialized again ([`crate::callback_url::check`]), which is what is fetched.
fn callback_url(
    obj: &Map<String, Value>,
    config: &Config,
    errors: &mut Vec<ApiError>,
) -> Option<String> {
    match field(obj, "otpCallbackUrl") {
        Field::Absent | Field::Empty => None,
        Field::Present(Value::String(s)) => {
            let url = s.trim();
            match crate::callback_url::check(url, config.callback_policy) {
                Ok(href) => Some(href),
                Err(why) => {
                    let msg = format!("'otpCallbackUrl' is not a valid URL: {why}");
                    push(
                        errors,
                        ErrorCode::CallbackUrlInvalid,
                        "otpCallbackUrl",
                        Some(msg),
                    );
                    None
                }
            }
        }
        Field::Present(_) => {
            push(
                errors,
                ErrorCode::CallbackUrlInvalid,
                "otpCallbackUrl",
                None,
            );
            None
        }
    }
}

/// An optional text extension field: `None` when absent; the error `code` when empty, not a
/// string, or refused by `ok`; else the trimmed text.
fn extension(
    obj: &Map<String, Value>,
    name: &str,
    code: ErrorCode,
    ok: impl Fn(&str) -> bool,
    errors: &mut Vec<ApiError>,
) -> Option<String> {
    match text_field(obj, name) {
        None => None,
        Some(Ok(s)) if ok(&s) => Some(s),
        Some(_) => {
            push(errors, code, name, None);
            None
        }
    }
}

/// The template-language extension fields, lower-cased: `language` (choose this language's
/// template, 2101) and `templateLanguage` (the language of `template`, default
/// [`Defaults::template_language`], 2107), each an ISO 639-1 code.
fn template_languages(
    obj: &Map<String, Value>,
    defaults: &Defaults,
    errors: &mut Vec<ApiError>,
) -> (Option<String>, String) {
    let iso = |s: &str| is_language(&s.to_ascii_lowercase());
    let language = extension(obj, "language", ErrorCode::LanguageInvalid, iso, errors)
        .map(|s| s.to_ascii_lowercase());
    let template_language = extension(
        obj,
        "templateLanguage",
        ErrorCode::TemplateLanguageInvalid,
        iso,
        errors,
    )
    .map_or_else(
        || defaults.template_language.clone(),
        |s| s.to_ascii_lowercase(),
    );
    (language, template_language)
}

/// The autofill extension fields: `webOtpDomain` (a domain name, lower-cased, 2102) and
/// `appHash` (an 11-character SMS Retriever hash, 2103).
fn autofill(
    obj: &Map<String, Value>,
    errors: &mut Vec<ApiError>,
) -> (Option<String>, Option<String>) {
    let web_otp_domain = extension(
        obj,
        "webOtpDomain",
        ErrorCode::WebOtpDomainInvalid,
        template::is_valid_domain,
        errors,
    )
    .map(|s| s.to_ascii_lowercase());
    let app_hash = extension(
        obj,
        "appHash",
        ErrorCode::AppHashInvalid,
        template::is_valid_app_hash,
        errors,
    );
    (web_otp_domain, app_hash)
}

/// The payment extension fields (PSD2 dynamic linking): `amount` (≤ 32 printable
/// characters, 2104; a JSON number is shown as written, `12.5` → "12.5") and `payee`
/// (≤ 64 printable characters, 2105).
/// The body of `POST /otp/{id}/resend` (extension): empty, or a JSON object whose
/// `channel` (if any) asks for another channel than the OTP's (2135 if not one); other
/// keys are ignored, as on `POST /otp`.
pub fn resend_channel(body: &str) -> Result<Option<Channel>, Vec<ApiError>> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(body) else {
        return Err(vec![ApiError::new(ErrorCode::BadRequest)]);
    };
    let mut errors = Vec::new();
    let channel = obj
        .get("channel")
        .filter(|v| !v.is_null())
        .map(|_| channel(&obj, &mut errors));
    if errors.is_empty() {
        Ok(channel)
    } else {
        Err(errors)
    }
}

/// Extension `channel`: absent or `null` is `sms`; anything but `sms`, `whatsapp` or
/// `voice` (exactly) is 2135.
pub fn channel(obj: &Map<String, Value>, errors: &mut Vec<ApiError>) -> Channel {
    match obj.get("channel") {
        None | Some(Value::Null) => Channel::Sms,
        Some(Value::String(name)) if Channel::parse(name).is_some() => {
            Channel::parse(name).unwrap_or(Channel::Sms)
        }
        Some(_) => {
            errors.push(ApiError::new(ErrorCode::ChannelInvalid).for_field("channel"));
            Channel::Sms
        }
    }
}

fn payment(
    obj: &Map<String, Value>,
    errors: &mut Vec<ApiError>,
) -> (Option<String>, Option<String>) {
    let printable =
        |s: &str, max: usize| s.chars().count() <= max && !s.chars().any(char::is_control);
    let amount = match obj.get("amount") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => extension(
            obj,
            "amount",
            ErrorCode::AmountInvalid,
            |s| printable(s, MAX_AMOUNT_CHARS),
            errors,
        ),
    };
    let payee = extension(
        obj,
        "payee",
        ErrorCode::PayeeInvalid,
        |s| printable(s, MAX_PAYEE_CHARS),
        errors,
    );
    (amount, payee)
}

/// The rules between groups: `appHash` and `webOtpDomain` cannot both be set (each must be
/// the message's last line, 2103), and a template using `{{amount}}` / `{{payee}}` needs
/// that field (2006, unless the field was already reported invalid).
fn cross_field_rules(
    uses: template::TemplateUse,
    both_autofills: bool,
    (has_amount, has_payee): (bool, bool),
    errors: &mut Vec<ApiError>,
) {
    if both_autofills {
        let msg =
            "'appHash' and 'webOtpDomain' cannot both be set: each must be the message's last line";
        push(
            errors,
            ErrorCode::AppHashInvalid,
            "appHash",
            Some(msg.into()),
        );
    }
    let reported = |errors: &[ApiError], code| errors.iter().any(|e| e.code == code);
    if uses.amount && !has_amount && !reported(errors, ErrorCode::AmountInvalid) {
        let msg = "a template uses {{amount}} but 'amount' is missing";
        push(
            errors,
            ErrorCode::TemplateInvalid,
            "amount",
            Some(msg.into()),
        );
    }
    if uses.payee && !has_payee && !reported(errors, ErrorCode::PayeeInvalid) {
        let msg = "a template uses {{payee}} but 'payee' is missing";
        push(
            errors,
            ErrorCode::TemplateInvalid,
            "payee",
            Some(msg.into()),
        );
    }
}

/// Every template, rendered with a PIN of the requested length, must fit in `max_parts`.
fn check_message_length(request: &OtpRequest, max_parts: u32) -> Result<(), Vec<ApiError>> {
    let pin = sample_pin(request.pin_type, request.pin_length);
    let values = Values {
        pin: &pin,
        ttl_seconds: request.ttl,
        from: &request.from,
        amount: request.amount.as_deref(),
        payee: request.payee.as_deref(),
    };
    let autofill = Autofill {
        web_otp_domain: request.web_otp_domain.as_deref(),
        app_hash: request.app_hash.as_deref(),
    };
    let all = std::iter::once(("template".to_owned(), &request.template)).chain(
        request
            .templates
            .iter()
            .map(|(lang, t)| (format!("template_{lang}"), t)),
    );
    let errors: Vec<ApiError> = all
        .filter_map(|(name, t)| {
            let text = template::render(t, &values, &autofill);
            // Up to 70 UTF-16 units is one part in either encoding (≤ 140 septets in GSM-7),
            // so the common short template skips the full analysis.
            if text.len() <= 70 || text.encode_utf16().count() <= 70 {
                return None;
            }
            let parts = sms::analyze(&text).parts;
            (parts > max_parts).then(|| {
                ApiError::with_message(
                    ErrorCode::MessageTooLong,
                    format!(
                        "'{name}' renders to {parts} SMS parts; at most {max_parts} are allowed"
                    ),
                )
                .for_field(name)
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
