//! Delivery reports: what each provider posts back about a message it took, checked and
//! normalised, one file per provider. Each file is pure: it checks the request's
//! signature (or token) with the provider's scheme, then reads its body into [`Report`]s
//! in our five statuses ([`smsotp_core::DeliveryStatus`]). `docs/providers.md` has each
//! format, with the provider documentation it comes from.
//!
//! A refused report is a [`Refusal`]: 401 when the signature is bad or missing (or the
//! secret is not configured), 400 when a signed request cannot be read. A report whose
//! status word is not one we map (a provider's intermediate or new status) is left out
//! rather than refused, so the provider does not retry it forever.

mod smscx;
mod twilio;
mod vonage;
mod webhook;
mod whatsapp;

use subtle::ConstantTimeEq;

pub use vonage::VonageMethod;
pub use whatsapp::whatsapp_challenge;

/// A delivery report request as received.
pub struct Inbound<'a> {
    /// The URL as the provider called it (scheme, host, path and query), as signatures
    /// cover it.
    pub url: &'a str,
    /// Header value by lower-case name.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The raw body.
    pub body: &'a str,
    /// Now, unix milliseconds (for replay windows).
    pub now_ms: u64,
}

/// One report, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The OTP the message carried, when the provider echoes it (Twilio's `otp` URL
    /// parameter, Vonage's `client-ref`, SMS.cx's `track_data`, WhatsApp's
    /// `biz_opaque_callback_data`, the webhook's `otpId`).
    pub otp_id: Option<String>,
    /// The provider's id of the message (what `send` returned).
    pub message_id: String,
    /// Its status, in our words.
    pub status: smsotp_core::DeliveryStatus,
    /// The provider's error code, if any.
    pub error_code: Option<String>,
    /// The provider's error text, phone numbers masked.
    pub error_text: Option<String>,
}

/// Why a report request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 401: bad or missing signature/token (the &str says why, for our log; never a
    /// secret).
    Signature(&'static str),
    /// 400: signed but unreadable.
    Malformed(String),
}

/// The secrets reports are checked with (from settings; `None`: that provider's reports
/// are refused with 401).
#[derive(Debug, Clone, Default)]
pub struct ReportSecrets {
    /// `TWILIO_AUTH_TOKEN`.
    pub twilio_auth_token: Option<String>,
    /// `VONAGE_SIGNATURE_SECRET`.
    pub vonage_signature_secret: Option<String>,
    /// `VONAGE_SIGNATURE_METHOD` (`md5hash`, the default, `md5`, `sha1`, `sha256`,
    /// `sha512`).
    pub vonage_signature_method: VonageMethod,
    /// `SMSCX_WEBHOOK_TOKEN`.
    pub smscx_token: Option<String>,
    /// `SMS_WEBHOOK_SECRET`: `whsec_` + base64, Standard Webhooks.
    pub webhook_secret: Option<String>,
    /// `WHATSAPP_APP_SECRET`.
    pub whatsapp_app_secret: Option<String>,
}

/// The reports in a request to `POST /v1/delivery/{provider}`, checked with `secrets`.
pub fn read(
    provider: &str,
    inbound: &Inbound,
    secrets: &ReportSecrets,
) -> Result<Vec<Report>, Refusal> {
    match provider {
        "twilio" => twilio::read(inbound, secrets.twilio_auth_token.as_deref()),
        "vonage" => vonage::read(
            inbound,
            secrets.vonage_signature_secret.as_deref(),
            secrets.vonage_signature_method,
        ),
        "smscx" => smscx::read(inbound, secrets.smscx_token.as_deref()),
        "webhook" => webhook::read(inbound, secrets.webhook_secret.as_deref()),
        "whatsapp" => whatsapp::read(inbound, secrets.whatsapp_app_secret.as_deref()),
        other => Err(Refusal::Malformed(format!(
            "no provider {:?} sends reports",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `application/x-www-form-urlencoded` pairs, decoded (`+` is a space), in order; `None`
/// when a `%` escape is broken or a decoded name or value is not UTF-8
/// (`smsotp_edge::form`).
fn form_pairs(encoded: &str) -> Option<Vec<(String, String)>> {
    smsotp_edge::form::pairs(encoded)
}

/// The decoded query parameters of `url` (none when it has no query).
fn query_pairs(url: &str) -> Option<Vec<(String, String)>> {
    let without_fragment = url.split('#').next().unwrap_or_default();
    match without_fragment.split_once('?') {
        Some((_, query)) => form_pairs(query),
        None => Some(Vec::new()),
    }
}

/// The first value of `name` among `pairs`.
fn param<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A non-empty text, phone numbers masked.
fn redacted(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| crate::providers::Redacted::new(text).as_str().to_owned())
}

/// A JSON scalar as text (`None` for null, objects, arrays and empty strings).
fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Is `timestamp_ms` within 5 minutes of `now_ms`, either way?
fn fresh(timestamp_ms: u64, now_ms: u64) -> bool {
    timestamp_ms.abs_diff(now_ms) <= 5 * 60 * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = Vec<(String, String)>;

    #[test]
    fn forms_decode() {
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let cases: &[(&str, Option<Pairs>)] = &[
            ("a=1&b=2", Some(vec![pair("a", "1"), pair("b", "2")])),
            (
                "To=%2B33612345678&Body=Hello+world%21",
                Some(vec![
                    pair("To", "+33612345678"),
                    pair("Body", "Hello world!"),
                ]),
            ),
            ("flag&x=", Some(vec![pair("flag", ""), pair("x", "")])),
            ("", Some(vec![])),
            ("a=%C3%A9", Some(vec![pair("a", "é")])),
            ("a=%E9", None),
            ("a=%4", None),
            ("a=%zz", None),
        ];
        for (encoded, expected) in cases {
            assert_eq!(form_pairs(encoded), *expected, "{encoded:?}");
        }
        assert_eq!(
            query_pairs("https://x.example/p?otp=id-1&t=a%26b#frag"),
            Some(vec![pair("otp", "id-1"), pair("t", "a&b")])
        );
        assert_eq!(query_pairs("https://x.example/p"), Some(vec![]));
    }

    #[test]
    fn unknown_providers_are_malformed() {
        let header = |_: &str| None;
        let inbound = Inbound {
            url: "https://otp.example/v1/delivery/nope",
            header: &header,
            body: "",
            now_ms: 0,
        };
        assert_eq!(
            read("nope", &inbound, &ReportSecrets::default()),
            Err(Refusal::Malformed(
                "no provider \"nope\" sends reports".into()
            ))
        );
        // A known provider without its secret: 401.
        for provider in ["twilio", "vonage", "smscx", "webhook", "whatsapp"] {
            assert!(
                matches!(
                    read(provider, &inbound, &ReportSecrets::default()),
                    Err(Refusal::Signature(_))
                ),
                "{provider}"
            );
        }
    }

    #[test]
    fn freshness_is_five_minutes_either_way() {
        let now = 1_800_000_000_000;
        for (ts, ok) in [
            (now, true),
            (now - 300_000, true),
            (now + 300_000, true),
            (now - 300_001, false),
            (now + 300_001, false),
            (0, false),
        ] {
            assert_eq!(fresh(ts, now), ok, "{ts}");
        }
    }
}
