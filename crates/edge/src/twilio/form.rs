//! Request bodies as Twilio's SDKs send them (`application/x-www-form-urlencoded`), read
//! into typed requests, with Twilio's errors (docs/twilio.md "Serialization rules").
//!
//! - **Encoding.** node writes a space as `%20`, Python as `+`: both decode to a space, and
//!   `%2B` to `+` (so `To=%2B1501…` is `+1501…`). A bad `%` escape or non-UTF-8 → 60200.
//! - **Booleans** are `true`/`false` (Python lower-cases; we accept any case); else 60200.
//! - **Repeated keys.** No parameter of these five routes is a list, so the SDKs never
//!   repeat one; a repeated *known* key is ambiguous and refused (60200 naming it).
//! - **Unknown parameters are ignored.** Twilio does not document what it does with them; the SDKs
//!   only send spec'd names, and each SDK release adds some (`Templates` in 6.3.1), so
//!   refusing them would break a newer SDK. Spec'd parameters of features we do not offer
//!   (`Push.*`, `Totp.*`, `RateLimits`, `TemplateSid`, `RiskCheck`, `Tags`, …) are ignored
//!   too, except `CustomCode` (60204: silently sending another code would be worse).
//! - **Errors** are 60200 `Invalid parameter: <Name>`, for a missing required parameter as
//!   for a bad one (the 60200 page: "the response message contains the name").

use smsotp_core::Channel;

use super::error::TwilioError;
use super::sid::{self, Sid, SidKind};

/// The longest `FriendlyName`: 32 (the SDK docstring; the 60200 page says 30 — we accept
/// what the SDK promised).
pub const MAX_FRIENDLY_NAME: usize = 32;

/// A decoded form: its pairs in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// Decodes a body. Empty pairs (`a=1&&b=2`) are skipped; a key without `=` has an
    /// empty value.
    pub fn parse(body: &[u8]) -> Result<Form, TwilioError> {
        let body = std::str::from_utf8(body).map_err(|_| TwilioError::invalid_body())?;
        let mut pairs = Vec::new();
        for (k, v) in crate::form::raw_pairs(body) {
            let k = crate::form::decode(k).ok_or_else(TwilioError::invalid_body)?;
            let v = crate::form::decode(v).ok_or_else(|| TwilioError::invalid_parameter(&k))?;
            pairs.push((k, v));
        }
        Ok(Form(pairs))
    }

    /// The value of `name`, if sent once; 60200 if sent more than once.
    pub fn get(&self, name: &str) -> Result<Option<&str>, TwilioError> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(TwilioError::invalid_parameter(name)),
            (one, _) => Ok(one.map(|(_, v)| v.as_str())),
        }
    }

    fn required(&self, name: &str) -> Result<&str, TwilioError> {
        match self.get(name)? {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(TwilioError::invalid_parameter(name)),
        }
    }

    fn string(&self, name: &str) -> Result<Option<String>, TwilioError> {
        Ok(self.get(name)?.map(str::to_owned))
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, TwilioError> {
        self.get(name)?
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(TwilioError::invalid_parameter(name)),
            })
            .transpose()
    }
}

/// The settings `POST /v2/Services` and `POST /v2/Services/{Sid}` share; `None`: not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUpdate {
    /// `FriendlyName`: 1 to [`MAX_FRIENDLY_NAME`] characters (the `{{app}}` of messages).
    pub friendly_name: Option<String>,
    /// `CodeLength`: 4 to 10.
    pub code_length: Option<u8>,
    /// `LookupEnabled`.
    pub lookup_enabled: Option<bool>,
    /// `SkipSmsToLandlines`.
    pub skip_sms_to_landlines: Option<bool>,
    /// `DtmfInputRequired`.
    pub dtmf_input_required: Option<bool>,
    /// `TtsName`.
    pub tts_name: Option<String>,
    /// `Psd2Enabled`: amount and payee in the message.
    pub psd2_enabled: Option<bool>,
    /// `DoNotShareWarningEnabled`.
    pub do_not_share_warning_enabled: Option<bool>,
    /// `CustomCodeEnabled` (stored and shown; custom codes are still refused, 60204).
    pub custom_code_enabled: Option<bool>,
}

impl ServiceUpdate {
    /// Reads an update (every parameter optional).
    pub fn from_form(form: &Form) -> Result<Self, TwilioError> {
        let friendly_name = form.string("FriendlyName")?;
        if let Some(name) = &friendly_name {
            let n = name.chars().count();
            if n == 0 || n > MAX_FRIENDLY_NAME {
                return Err(TwilioError::invalid_parameter("FriendlyName"));
            }
        }
        let code_length = form
            .get("CodeLength")?
            .map(|v| match v.parse::<u8>() {
                Ok(n @ 4..=10) => Ok(n),
                _ => Err(TwilioError::invalid_parameter("CodeLength")),
            })
            .transpose()?;
        Ok(ServiceUpdate {
            friendly_name,
            code_length,
            lookup_enabled: form.boolean("LookupEnabled")?,
            skip_sms_to_landlines: form.boolean("SkipSmsToLandlines")?,
            dtmf_input_required: form.boolean("DtmfInputRequired")?,
            tts_name: form.string("TtsName")?,
            psd2_enabled: form.boolean("Psd2Enabled")?,
            do_not_share_warning_enabled: form.boolean("DoNotShareWarningEnabled")?,
            custom_code_enabled: form.boolean("CustomCodeEnabled")?,
        })
    }
}

/// `POST /v2/Services`: an update whose `FriendlyName` is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCreate {
    /// `FriendlyName`.
    pub friendly_name: String,
    /// The other settings.
    pub settings: ServiceUpdate,
}

impl ServiceCreate {
    /// Reads a create: `FriendlyName` missing or empty → 60200.
    pub fn from_form(form: &Form) -> Result<Self, TwilioError> {
        form.required("FriendlyName")?;
        let settings = ServiceUpdate::from_form(form)?;
        let friendly_name = settings.friendly_name.clone().unwrap_or_default();
        Ok(ServiceCreate {
            friendly_name,
            settings,
        })
    }
}

/// Is `s` strict E.164: `+`, a non-zero digit, then 1 to 14 digits (the 60200 page)?
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|c| c.is_ascii_digit())
}

/// `POST /v2/Services/{ServiceSid}/Verifications`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCreate {
    /// `To`, E.164 as sent.
    pub to: String,
    /// `Channel`: `sms`, `call` (our voice) or `whatsapp`.
    pub channel: Channel,
    /// `Locale` (`en`, `pt-BR`, …), as sent.
    pub locale: Option<String>,
    /// `CustomFriendlyName`: the service name for this message only.
    pub custom_friendly_name: Option<String>,
    /// `Amount` (PSD2).
    pub amount: Option<String>,
    /// `Payee` (PSD2).
    pub payee: Option<String>,
    /// `AppHash`: the Android SMS Retriever hash.
    pub app_hash: Option<String>,
    /// `DeviceIp`: the end user's IP (our per-IP limits), parsed.
    pub device_ip: Option<std::net::IpAddr>,
}

/// Twilio's channel name → ours: `email` and `sna` exist at Twilio but not here (60223,
/// like a channel disabled on the service); anything else → 60200 `Channel`.
pub fn channel(name: &str) -> Result<Channel, TwilioError> {
    match name {
        "sms" => Ok(Channel::Sms),
        "call" => Ok(Channel::Voice),
        "whatsapp" => Ok(Channel::Whatsapp),
        "email" | "sna" => Err(TwilioError::channel_disabled()),
        _ => Err(TwilioError::invalid_parameter("Channel")),
    }
}

fn is_locale(s: &str) -> bool {
    let b = s.as_bytes();
    let lang = |b: &[u8]| b.len() == 2 && b.iter().all(u8::is_ascii_lowercase);
    match b.len() {
        2 => lang(b),
        5 => lang(&b[..2]) && b[2] == b'-' && b[3..].iter().all(u8::is_ascii_alphabetic),
        _ => false,
    }
}

impl VerificationCreate {
    /// Reads a start. Checked in this order: `CustomCode` (60204), `Channel`, `To`,
    /// `Locale`, `DeviceIp`.
    pub fn from_form(form: &Form) -> Result<Self, TwilioError> {
        if form.get("CustomCode")?.is_some() {
            return Err(TwilioError::feature_not_supported());
        }
        let channel = channel(form.required("Channel")?)?;
        let to = form.required("To")?;
        if !is_e164(to) {
            return Err(TwilioError::invalid_parameter("To"));
        }
        let locale = form.string("Locale")?;
        if locale.as_deref().is_some_and(|l| !is_locale(l)) {
            return Err(TwilioError::invalid_parameter("Locale"));
        }
        let device_ip = form
            .get("DeviceIp")?
            .map(|v| {
                v.parse()
                    .map_err(|_| TwilioError::invalid_parameter("DeviceIp"))
            })
            .transpose()?;
        Ok(VerificationCreate {
            to: to.to_owned(),
            channel,
            locale,
            custom_friendly_name: form.string("CustomFriendlyName")?,
            amount: form.string("Amount")?,
            payee: form.string("Payee")?,
            app_hash: form.string("AppHash")?,
            device_ip,
        })
    }
}

/// `POST /v2/Services/{ServiceSid}/Verifications/{Sid}`: `Status`, the new status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationUpdate {
    /// `Status=canceled`.
    Canceled,
    /// `Status=approved` (the caller checked a code itself).
    Approved,
}

impl VerificationUpdate {
    /// Reads an update: `Status` must be `canceled` or `approved` (60200 otherwise).
    pub fn from_form(form: &Form) -> Result<Self, TwilioError> {
        match form.get("Status")? {
            Some("canceled") => Ok(VerificationUpdate::Canceled),
            Some("approved") => Ok(VerificationUpdate::Approved),
            _ => Err(TwilioError::invalid_parameter("Status")),
        }
    }
}

/// Which verification a check is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckTarget {
    /// `To`: the pending verification of this number.
    To(String),
    /// `VerificationSid`.
    Sid(Sid),
}

/// `POST /v2/Services/{ServiceSid}/VerificationCheck`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCheckCreate {
    /// `Code`: 4 to 10 characters (required here: no SNA).
    pub code: String,
    /// `To` or `VerificationSid`, exactly one.
    pub target: CheckTarget,
    /// `Amount` (PSD2), compared by the worker.
    pub amount: Option<String>,
    /// `Payee` (PSD2).
    pub payee: Option<String>,
}

impl VerificationCheckCreate {
    /// Reads a check. Neither `To` nor `VerificationSid` → 60200 `To`; both → 60200
    /// `VerificationSid` (the spec says "either"; one target keeps the check unambiguous).
    pub fn from_form(form: &Form) -> Result<Self, TwilioError> {
        let code = form.required("Code")?;
        if !(4..=10).contains(&code.chars().count()) {
            return Err(TwilioError::invalid_parameter("Code"));
        }
        let target = match (form.get("To")?, form.get("VerificationSid")?) {
            (Some(to), None) if is_e164(to) => CheckTarget::To(to.to_owned()),
            (Some(_), None) | (None, None) => return Err(TwilioError::invalid_parameter("To")),
            (None, Some(s)) => CheckTarget::Sid(
                sid::parse(SidKind::Verification, s)
                    .ok_or_else(|| TwilioError::invalid_parameter("VerificationSid"))?,
            ),
            (Some(_), Some(_)) => return Err(TwilioError::invalid_parameter("VerificationSid")),
        };
        Ok(VerificationCheckCreate {
            code: code.to_owned(),
            target,
            amount: form.string("Amount")?,
            payee: form.string("Payee")?,
        })
    }
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
