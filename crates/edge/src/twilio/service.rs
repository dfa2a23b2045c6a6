//! A Verify Service as smsotp keeps it, and what a verification started under it asks of
//! the core: the message, the code's length, the validity and the attempts.
//!
//! A service is a tenant's: created through `POST /v2/Services` (kept by the tenant's
//! Durable Object, `worker/src/limiter/services.rs`) or imported from Twilio with its SID
//! (`npm run tenant -- twilio-service`, kept in the tenant's KV record, which nothing
//! writes on the path of a request). An imported service that is updated or deleted
//! through the API is overridden by a row of the Durable Object (a tombstone for a
//! delete), so both kinds behave alike.
//!
//! What a verification inherits (docs/twilio.md, "Services"):
//! - **The message**: "Your {FriendlyName} verification code is: {code}", as Twilio's
//!   default template reads, and "Don't share this code with anyone; our employees will
//!   never ask for the code." after it when `DoNotShareWarningEnabled`; with `Psd2Enabled`,
//!   the payment after the code, `(amount, payee)`, in every language. The message is in
//!   the language of `Locale`, else the recipient's country's (as Twilio resolves it), for
//!   the [`MESSAGES`] languages; English otherwise. The core chooses among them
//!   (`template_xx`, `language`), as for any request. Braces in a name are replaced by
//!   parentheses: the core's templates read `{{…}}` as a placeholder, and a service name
//!   must never be able to inject one.
//! - **The sender**: the name itself when it is a valid sender id (3–11 letters, digits and
//!   spaces, [`smsotp_core::request::check_sender`]), else the tenant's default `from`.
//! - **The code**: `CodeLength` digits (4–10, default 6); valid for 10 minutes and 5 wrong
//!   checks, Twilio's documented defaults (rate-limits-and-timeouts, errors 60202).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use smsotp_core::UnixMillis;

use super::error::TwilioError;
use super::form::{ServiceCreate, ServiceUpdate, VerificationCreate};
use super::resource::ServiceView;

/// Twilio's default code length.
pub const DEFAULT_CODE_LENGTH: u8 = 6;
/// How long a code is valid: Twilio's default, 10 minutes.
pub const TTL_SECONDS: u32 = 600;
/// Wrong checks allowed: Twilio's 5 (error 60202).
pub const MAX_CHECK_ATTEMPTS: u8 = 5;
/// The most services a tenant may create through the API: each is a row the tenant's
/// Durable Object reads on every list.
pub const MAX_SERVICES: usize = 1000;

/// The warning `DoNotShareWarningEnabled` adds to the message.
pub const DO_NOT_SHARE: &str =
    "Don't share this code with anyone; our employees will never ask for the code.";

/// The message in each language smsotp writes it in: the language, the sentence with the
/// code (`{name}`: the service's name; `{code}`: the PIN), and the warning. English first
/// (the default template); the others are `template_xx`. Written for smsotp (not Twilio's
/// wording, which it does not publish per language).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "en",
        "Your {name} verification code is: {code}",
        DO_NOT_SHARE,
    ),
    (
        "fr",
        "Votre code de vérification {name} est : {code}",
        "Ne partagez ce code avec personne ; nos employés ne vous le demanderont jamais.",
    ),
    (
        "de",
        "Ihr {name} Bestätigungscode lautet: {code}",
        "Geben Sie diesen Code an niemanden weiter; unsere Mitarbeiter werden nie danach fragen.",
    ),
    (
        "es",
        "Tu código de verificación de {name} es: {code}",
        "No compartas este código con nadie; nuestros empleados nunca te lo pedirán.",
    ),
    (
        "it",
        "Il tuo codice di verifica {name} è: {code}",
        "Non condividere questo codice con nessuno; i nostri dipendenti non te lo chiederanno mai.",
    ),
    (
        "pt",
        "O seu código de verificação {name} é: {code}",
        "Não compartilhe este código com ninguém; nossos funcionários nunca vão pedi-lo.",
    ),
    (
        "nl",
        "Je {name} verificatiecode is: {code}",
        "Deel deze code met niemand; onze medewerkers zullen er nooit om vragen.",
    ),
    (
        "pl",
        "Twój kod weryfikacyjny {name} to: {code}",
        "Nie udostępniaj tego kodu nikomu; nasi pracownicy nigdy o niego nie poproszą.",
    ),
    (
        "sv",
        "Din verifieringskod för {name} är: {code}",
        "Dela inte koden med någon; våra anställda kommer aldrig att be om den.",
    ),
    (
        "da",
        "Din {name} bekræftelseskode er: {code}",
        "Del ikke koden med nogen; vores medarbejdere vil aldrig bede om den.",
    ),
    (
        "nb",
        "Din {name} bekreftelseskode er: {code}",
        "Ikke del koden med noen; våre ansatte vil aldri be om den.",
    ),
    (
        "fi",
        "{name}-vahvistuskoodisi on: {code}",
        "Älä jaa koodia kenellekään; työntekijämme eivät koskaan kysy sitä.",
    ),
    (
        "tr",
        "{name} doğrulama kodunuz: {code}",
        "Bu kodu kimseyle paylaşmayın; çalışanlarımız bu kodu asla istemez.",
    ),
    (
        "ru",
        "Ваш код подтверждения {name}: {code}",
        "Никому не сообщайте этот код; наши сотрудники никогда его не попросят.",
    ),
    (
        "ja",
        "{name} の認証コード: {code}",
        "このコードは誰にも教えないでください。当社の従業員がコードを尋ねることはありません。",
    ),
    (
        "zh",
        "您的 {name} 验证码：{code}",
        "请勿与任何人分享此验证码；我们的员工绝不会向您索要验证码。",
    ),
];

fn default_code_length() -> u8 {
    DEFAULT_CODE_LENGTH
}

/// A service's settings (JSON in the Durable Object's row, camelCase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// `VA` + 32 hex.
    pub sid: String,
    /// `FriendlyName`.
    pub friendly_name: String,
    /// `CodeLength`.
    #[serde(default = "default_code_length")]
    pub code_length: u8,
    /// `LookupEnabled`: verifications show the number's line type.
    #[serde(default)]
    pub lookup_enabled: bool,
    /// Stored and shown; the tenant's `blockedNumberTypes` decides what is refused.
    #[serde(default)]
    pub skip_sms_to_landlines: bool,
    /// Stored and shown; voice messages do not wait for a key press.
    #[serde(default)]
    pub dtmf_input_required: bool,
    /// `TtsName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts_name: Option<String>,
    /// `Psd2Enabled`.
    #[serde(default)]
    pub psd2_enabled: bool,
    /// `DoNotShareWarningEnabled`: the message ends with [`DO_NOT_SHARE`].
    #[serde(default)]
    pub do_not_share_warning_enabled: bool,
    /// Unix ms.
    pub created_at: UnixMillis,
    /// Unix ms.
    pub updated_at: UnixMillis,
}

/// A service's settings as a form changes them (internal JSON between the worker and
/// the Durable Object: only what was sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceChange {
    /// `FriendlyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// `CodeLength`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_length: Option<u8>,
    /// `LookupEnabled`: verifications show the number's line type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_enabled: Option<bool>,
    /// `SkipSmsToLandlines`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_sms_to_landlines: Option<bool>,
    /// `DtmfInputRequired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf_input_required: Option<bool>,
    /// `TtsName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts_name: Option<String>,
    /// `Psd2Enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psd2_enabled: Option<bool>,
    /// `DoNotShareWarningEnabled`: the message ends with [`DO_NOT_SHARE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_share_warning_enabled: Option<bool>,
}

impl ServiceChange {
    /// The change a form asks for. `CustomCodeEnabled=true` is refused (60204): a code the
    /// caller chooses can be known before it is sent and reused, which defeats what a
    /// one-time code is for; `false` is what every service here is.
    pub fn from_update(u: &ServiceUpdate) -> Result<Self, TwilioError> {
        if u.custom_code_enabled == Some(true) {
            return Err(TwilioError::feature_not_supported());
        }
        Ok(ServiceChange {
            friendly_name: u.friendly_name.clone(),
            code_length: u.code_length,
            lookup_enabled: u.lookup_enabled,
            skip_sms_to_landlines: u.skip_sms_to_landlines,
            dtmf_input_required: u.dtmf_input_required,
            tts_name: u.tts_name.clone(),
            psd2_enabled: u.psd2_enabled,
            do_not_share_warning_enabled: u.do_not_share_warning_enabled,
        })
    }
}

impl Service {
    /// A new service `sid` from a create form.
    pub fn create(sid: String, c: &ServiceCreate, now: UnixMillis) -> Result<Self, TwilioError> {
        let change = ServiceChange::from_update(&c.settings)?;
        let mut s = Service {
            sid,
            friendly_name: c.friendly_name.clone(),
            code_length: DEFAULT_CODE_LENGTH,
            lookup_enabled: false,
            skip_sms_to_landlines: false,
            dtmf_input_required: false,
            tts_name: None,
            psd2_enabled: false,
            do_not_share_warning_enabled: false,
            created_at: now,
            updated_at: now,
        };
        s.apply(&change, now);
        Ok(s)
    }

    /// The service after `change` (what was not sent stays).
    pub fn apply(&mut self, c: &ServiceChange, now: UnixMillis) {
        if let Some(v) = &c.friendly_name {
            self.friendly_name = v.clone();
        }
        if let Some(v) = c.code_length {
            self.code_length = v;
        }
        if let Some(v) = c.lookup_enabled {
            self.lookup_enabled = v;
        }
        if let Some(v) = c.skip_sms_to_landlines {
            self.skip_sms_to_landlines = v;
        }
        if let Some(v) = c.dtmf_input_required {
            self.dtmf_input_required = v;
        }
        if let Some(v) = &c.tts_name {
            self.tts_name = Some(v.clone()).filter(|s| !s.is_empty());
        }
        if let Some(v) = c.psd2_enabled {
            self.psd2_enabled = v;
        }
        if let Some(v) = c.do_not_share_warning_enabled {
            self.do_not_share_warning_enabled = v;
        }
        self.updated_at = now;
    }

    /// The service as Twilio shows it, under `account_sid`.
    pub fn view<'a>(&'a self, account_sid: &'a str) -> ServiceView<'a> {
        ServiceView {
            sid: &self.sid,
            account_sid,
            friendly_name: &self.friendly_name,
            code_length: self.code_length,
            lookup_enabled: self.lookup_enabled,
            skip_sms_to_landlines: self.skip_sms_to_landlines,
            dtmf_input_required: self.dtmf_input_required,
            tts_name: self.tts_name.as_deref(),
            psd2_enabled: self.psd2_enabled,
            do_not_share_warning_enabled: self.do_not_share_warning_enabled,
            custom_code_enabled: false,
            created: self.created_at,
            updated: self.updated_at,
        }
    }

    /// The message template of a verification in `language` (one of [`MESSAGES`]; `name`:
    /// its `CustomFriendlyName`, else the service's name; `payment`: show `{{amount}}` and
    /// `{{payee}}`), in the core's template syntax.
    pub fn template(&self, language: &str, name: Option<&str>, payment: bool) -> String {
        let (_, sentence, warning) = MESSAGES
            .iter()
            .find(|(l, _, _)| *l == language)
            .unwrap_or(&MESSAGES[0]);
        let name: String = name
            .unwrap_or(&self.friendly_name)
            .chars()
            .map(|c| match c {
                '{' => '(',
                '}' => ')',
                c => c,
            })
            .collect();
        let mut code = "{{pin}}".to_owned();
        if payment {
            code.push_str(" ({{amount}}, {{payee}})");
        }
        let mut t = sentence.replace("{name}", &name).replace("{code}", &code);
        if self.do_not_share_warning_enabled {
            t.push(' ');
            t.push_str(warning);
        }
        t
    }

    /// The body of the core's create request (`POST /otp`'s JSON) for a verification
    /// started under this service: the core then checks it as any other request, so
    /// every rule and limit of smsotp applies, and its errors name Twilio's parameters
    /// ([`super::error::parameter_name`]).
    pub fn otp_request(&self, v: &VerificationCreate) -> Value {
        let name = v.custom_friendly_name.as_deref();
        let payment = self.psd2_enabled;
        let mut body = Map::new();
        body.insert("phoneNumber".into(), json!(v.to));
        body.insert("channel".into(), json!(v.channel));
        body.insert("template".into(), json!(self.template("en", name, payment)));
        body.insert("templateLanguage".into(), json!("en"));
        for (language, _, _) in &MESSAGES[1..] {
            let t = self.template(language, name, payment);
            body.insert(format!("template_{language}"), json!(t));
        }
        body.insert("pinType".into(), json!("numbers"));
        body.insert("pinLength".into(), json!(self.code_length));
        body.insert("ttl".into(), json!(TTL_SECONDS));
        body.insert("maxAttempts".into(), json!(MAX_CHECK_ATTEMPTS));
        let sender = name.unwrap_or(&self.friendly_name);
        if smsotp_core::request::check_sender(sender).is_ok() {
            body.insert("from".into(), json!(sender));
        }
        // `pt-BR` → `pt`: the core's languages are ISO 639-1. Without one, the core
        // chooses by the recipient's country.
        if let Some(locale) = &v.locale {
            body.insert("language".into(), json!(&locale[..2]));
        }
        for (key, value) in [
            ("appHash", &v.app_hash),
            ("amount", &v.amount),
            ("payee", &v.payee),
        ] {
            if let Some(value) = value {
                body.insert(key.into(), json!(value));
            }
        }
        Value::Object(body)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
