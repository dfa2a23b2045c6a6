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
    /// The SMS text, with the PIN (or a sample PIN) and any autofill line.
    pub text: String,
    /// The language of the text: that of the `template_xx` used, or the request's
    /// `templateLanguage` when the default `template` was used.
    pub language: String,
    /// Encoding, parts and units of `text`.
    #[serde(flatten)]
    pub sms: SmsInfo,
}

/// Renders the message a recipient gets: the template chosen by `language` (if given, else
/// the request's `language`) or the recipient's country (see
/// [`Templates::choose`](crate::template::Templates::choose)), with `pin` (or a sample PIN of
/// the right type and length).
///
/// ```
/// use smsotp_core::{render_message, validate_request_text, Config, Encoding};
///
/// let request = validate_request_text(
///     r#"{"phoneNumber": "+32 470 12 34 56", "template": "Your code: {{pin}}",
///         "template_fr": "Votre code : {{pin}}"}"#,
///     &Config::default(),
/// )
/// .unwrap();
/// // Belgium's languages are nl, fr, de: no Dutch template, so French.
/// let m = render_message(&request, Some("123456"), None);
/// assert_eq!((m.text.as_str(), m.language.as_str()), ("Votre code : 123456", "fr"));
/// assert_eq!((m.sms.encoding, m.sms.parts), (Encoding::Gsm7, 1));
/// // An explicit language without a template: the default `template`, in English.
/// let m = render_message(&request, None, Some("de"));
/// assert_eq!((m.text.as_str(), m.language.as_str()), ("Your code: 123456", "en"));
/// ```
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
    /// What to store: status PENDING, the PIN only as its keyed hash.
    pub record: OtpRecord,
    /// The SMS to send, with the PIN in clear.
    pub message: RenderedMessage,
    /// The PIN in clear, for the channels that carry the code alone (WhatsApp's template,
    /// a call) and for sealing it until the OTP ends (a failover sends the same PIN). Never
    /// stored or logged as it is.
    pub pin: String,
}

/// A resend's new PIN.
pub struct NewPin {
    /// Its keyed hash, to store.
    pub hash: String,
    /// The SMS carrying it.
    pub message: RenderedMessage,
    /// The PIN in clear (see [`NewOtp::pin`]).
    pub pin: String,
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
///
/// The shells pass the platform's CSPRNG through [`FallibleSource::run`](crate::FallibleSource::run),
/// so a failed random source yields an error, never an OTP:
///
/// ```
/// use smsotp_core::{create_otp, validate_request_text, Config, FallibleSource, OtpStatus, PinHasher};
///
/// let request =
///     validate_request_text(r#"{"phoneNumber": "+33612345678"}"#, &Config::default()).unwrap();
/// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
/// let now = 1_795_000_000_000; // unix milliseconds
/// // A stand-in for the platform's CSPRNG (here it always gives 0x01 bytes).
/// let platform = |bytes: &mut [u8]| { bytes.fill(1); true };
/// let new = FallibleSource::run(platform, |rng| create_otp(&request, "acme", &hasher, rng, now, 0.05))
///     .expect("the random source works");
/// assert_eq!(new.message.text, "Your verification code is 111111");
/// assert_eq!(new.record.status, OtpStatus::Pending);
/// assert_eq!(new.record.expires_at, now + 300_000);
/// assert_eq!(new.record.cost, 0.05);
/// // The stored record holds the PIN only as its keyed hash.
/// assert!(hasher.verify(&new.record.otp_id, "111111", &new.record.pin_hash));
/// assert!(!new.record.pin_hash.contains("111111"));
/// ```
pub fn create_otp(
    request: &OtpRequest,
    tenant: &str,
    hasher: &PinHasher,
    rng: &mut impl RandomSource,
    now: UnixMillis,
    price_per_part: f64,
) -> NewOtp {
    let otp_id = new_otp_id(rng);
    create_otp_with_id(request, tenant, hasher, otp_id, rng, now, price_per_part)
}

/// [`create_otp`] with a given id (the edge's `smsotp_edge::placement::new_otp_id_for`, which
/// names the shard and the number's row in it).
pub fn create_otp_with_id(
    request: &OtpRequest,
    tenant: &str,
    hasher: &PinHasher,
    otp_id: String,
    rng: &mut impl RandomSource,
    now: UnixMillis,
    price_per_part: f64,
) -> NewOtp {
    let pin = generate_pin(request.pin_type, request.pin_length, rng);
    create_with_id(request, tenant, hasher, otp_id, &pin, now, price_per_part)
}

/// [`create_otp_with_id`] for a tenant's test number (smsotp-edge's
/// `TenantPolicy::test_pin`): the PIN is `pin`, not drawn, so automated tests and app-store
/// reviewers can sign in with a known PIN. No SMS is sent to a test number, so the record's `cost` is 0 (its `parts` still say what
/// the message would take). The record is otherwise an ordinary OTP: verified, expired
/// and locked by the same rules.
///
/// ```
/// use smsotp_core::create::create_test_otp_with_id;
/// use smsotp_core::{validate_request_text, Config, PinHasher};
///
/// let request =
///     validate_request_text(r#"{"phoneNumber": "+15005550006"}"#, &Config::default()).unwrap();
/// let hasher = PinHasher::new(b"a server key of 16+ bytes").unwrap();
/// let id = "0c000000-0000-4000-8000-000000000000".to_owned();
/// let new = create_test_otp_with_id(&request, "acme", &hasher, id, 1_795_000_000_000, "123456");
/// assert!(hasher.verify(&new.record.otp_id, "123456", &new.record.pin_hash));
/// assert_eq!(new.record.cost, 0.0);
/// ```
pub fn create_test_otp_with_id(
    request: &OtpRequest,
    tenant: &str,
    hasher: &PinHasher,
    otp_id: String,
    now: UnixMillis,
    pin: &str,
) -> NewOtp {
    create_with_id(request, tenant, hasher, otp_id, pin, now, 0.0)
}

/// A new PIN for an existing OTP (a resend): its keyed hash, to store with
/// [`OtpRecord::replace_pin`](crate::OtpRecord::replace_pin), and the message carrying it,
/// rendered from the OTP's request as at creation.
pub fn new_pin_message(
    request: &OtpRequest,
    otp_id: &str,
    hasher: &PinHasher,
    rng: &mut impl RandomSource,
) -> NewPin {
    let pin = generate_pin(request.pin_type, request.pin_length, rng);
    let message = render_message(request, Some(&pin), None);
    NewPin {
        hash: hasher.hash(otp_id, &pin),
        message,
        pin,
    }
}

fn create_with_id(
    request: &OtpRequest,
    tenant: &str,
    hasher: &PinHasher,
    otp_id: String,
    pin: &str,
    now: UnixMillis,
    price_per_part: f64,
) -> NewOtp {
    let message = render_message(request, Some(pin), None);
    let pin_hash = hasher.hash(&otp_id, pin);
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
        expires_at: now.saturating_add(u64::from(request.ttl) * 1000),
        updated_at: now,
        amount: request.amount.clone(),
        payee: request.payee.clone(),
        delivery: Default::default(),
        service: None,
    };
    NewOtp {
        record,
        message,
        pin: pin.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{validate_request_text, Config, FallibleSource, RandomError};

    /// A clock at the end of time saturates the expiry instead of overflowing.
    #[test]
    fn expiry_saturates() {
        let request =
            validate_request_text(r#"{"phoneNumber": "+33612345678"}"#, &Config::default())
                .unwrap();
        let hasher = PinHasher::new(&[9; 32]).unwrap();
        let new = FallibleSource::run(
            |b: &mut [u8]| {
                b.fill(1);
                true
            },
            |rng| create_otp(&request, "t", &hasher, rng, u64::MAX - 1, 0.0),
        )
        .unwrap();
        assert_eq!(new.record.expires_at, u64::MAX);
    }

    /// A test number's OTP holds the tenant's PIN, costs nothing, and draws only its id.
    #[test]
    fn a_test_otp_has_the_given_pin_and_no_cost() {
        let request = validate_request_text(
            r#"{"phoneNumber": "+15005550006", "pinType": "letters"}"#,
            &Config::default(),
        )
        .unwrap();
        let hasher = PinHasher::new(&[9; 32]).unwrap();
        let id = "03000000-0000-4000-8000-000000000000".to_owned();
        let new = create_test_otp_with_id(&request, "t", &hasher, id, 1000, "AB12");
        assert_eq!(new.message.text, "Your verification code is AB12");
        assert!(hasher.verify(&new.record.otp_id, "ab12", &new.record.pin_hash));
        assert!(!hasher.verify(&new.record.otp_id, "555555", &new.record.pin_hash));
        assert_eq!((new.record.cost, new.record.parts), (0.0, 1));
        // That the record keeps the given id, so its shard (smsotp-edge's
        // `placement::of_otp_id`), is checked there: a_test_otp_keeps_the_shard_of_its_id.
        assert_eq!(new.record.expires_at, 1000 + 300_000);
    }

    /// The create path draws twice (the id, then the PIN); a platform source failing on
    /// either draw gives an error, never an OTP or its message.
    #[test]
    fn a_random_source_failing_on_any_draw_gives_no_otp() {
        let request =
            validate_request_text(r#"{"phoneNumber": "+33612345678"}"#, &Config::default())
                .unwrap();
        let hasher = PinHasher::new(&[9; 32]).unwrap();
        for n in 0..=3 {
            let mut calls = 0;
            let fill = |b: &mut [u8]| {
                calls += 1;
                b.fill(3);
                calls != n
            };
            let made = FallibleSource::run(fill, |rng| {
                create_otp(&request, "t", &hasher, rng, 0, 0.0).message.text
            });
            let expected = match n {
                // Never fails, or fails only on a third draw that never happens.
                0 | 3 => Ok("Your verification code is 333333".to_owned()),
                _ => Err(RandomError),
            };
            assert_eq!(made, expected, "failing on draw {n}");
        }
    }
}
