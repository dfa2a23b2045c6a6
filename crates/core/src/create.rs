//! The create path: a validated request becomes a PIN, the SMS text and the record to
//! store (with the PIN only as its keyed hash).

use serde::Serialize;

use crate::otp::{OtpRecord, OtpStatus};
use crate::pin::{generate_pin, sample_pin, RandomSource};
use crate::pin_hash::PinHasher;
use crate::request::OtpRequest;
use crate::sms::{self, SmsInfo};
use crate::template::{self, Autofill, Values};
use crate::time::UnixMillis;

/// An SMS text ready to send (or to preview) and what it costs.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedMessage {
    pub text: String,
    /// The language of the text: that of the `template_xx` used, or the request's
    /// `templateLanguage` when the default `template` was used.
    pub language: String,
    #[serde(flatten)]
    pub sms: SmsInfo,
}

/// Renders the message a recipient gets: the template chosen by `language` (if given) or
/// the recipient's country, with `pin` (or a sample PIN of the right type and length).
pub fn render_message(
    request: &OtpRequest,
    pin: Option<&str>,
    language: Option<&str>,
) -> RenderedMessage {
    let sample;
    let pin = match pin {
        Some(p) => p,
        None => {
            sample = sample_pin(request.pin_type, request.pin_length);
            &sample
        }
    };
    let templates = request.template_set();
    let (chosen, template) = templates.choose(
        &request.country_iso,
        language.or(request.language.as_deref()),
    );
    let text = template::render(
        template,
        &Values {
            pin,
            ttl_seconds: request.ttl,
            from: &request.from,
            amount: request.amount.as_deref(),
            payee: request.payee.as_deref(),
        },
        &Autofill {
            web_otp_domain: request.web_otp_domain.as_deref(),
            app_hash: request.app_hash.as_deref(),
        },
    );
    let sms = sms::analyze(&text);
    RenderedMessage {
        text,
        language: chosen.to_owned(),
        sms,
    }
}

/// A new OTP: the record to store, and the message to hand to the SMS provider. The PIN
/// exists in clear only inside `message.text`; it is never stored.
#[derive(Debug, Clone)]
pub struct NewOtp {
    pub record: OtpRecord,
    pub message: RenderedMessage,
}

/// A random (version 4) UUID, lower-case, hyphenated.
pub fn new_otp_id(rng: &mut impl RandomSource) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Creates an OTP for a validated request: id, PIN, message, keyed hash, times and cost
/// (`parts × price_per_part`).
pub fn create_otp(
    request: &OtpRequest,
    tenant: &str,
    hasher: &PinHasher,
    rng: &mut impl RandomSource,
    now: UnixMillis,
    price_per_part: f64,
) -> NewOtp {
    let otp_id = new_otp_id(rng);
    let pin = generate_pin(request.pin_type, request.pin_length, rng);
    let message = render_message(request, Some(&pin), None);
    let pin_hash = hasher.hash(&otp_id, &pin);
    let parts = message.sms.parts;
    // Rounded to 1/10000 of the currency unit so that 3 × 0.07 reads 0.21.
    let cost = (f64::from(parts) * price_per_part * 10_000.0).round() / 10_000.0;
    let record = OtpRecord {
        otp_id,
        tenant: tenant.to_owned(),
        track_id: request.track_id.clone(),
        phone_number: request.phone_number.clone(),
        country_iso: request.country_iso.clone(),
        status: OtpStatus::Pending,
        failure_reason: None,
        cost,
        parts,
        max_attempts: request.max_attempts,
        attempts: 0,
        ttl: request.ttl,
        otp_callback_url: request.otp_callback_url.clone(),
        pin_type: request.pin_type,
        pin_hash,
        created_at: now,
        expires_at: now + u64::from(request.ttl) * 1000,
        updated_at: now,
    };
    NewOtp { record, message }
}
