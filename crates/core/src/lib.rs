//! # smsotp-core
//!
//! The rules of smsotp, the SMS one-time-password service, that the edge worker and the
//! browser package share, in one pure Rust crate (the rules only the edge applies — tenant
//! policy, abuse limits, idempotency, placement, the browser API — are in `smsotp-edge`,
//! crates/edge):
//!
//! | rule | module |
//! |---|---|
//! | `POST /otp` validation, error codes 2001–2020 | [`request`] |
//! | phone numbers: parsing, validity, formatting, as-you-type, the region list | [`phone`] |
//! | PIN types, alphabets, uniform generation, entropy | [`pin`] |
//! | keyed PIN hashing, constant-time comparison | [`pin_hash`] |
//! | templates, placeholders, language choice, autofill lines | [`template`], [`languages`] |
//! | GSM-7 / UCS-2 encoding, parts | [`sms`] |
//! | the verification state machine (where a PIN is checked) | [`otp`] |
//! | the create path (id, PIN, message, record) | [`create`] |
//! | callback URL rules | [`callback_url`] |
//! | the error envelope | [`error`] |
//!
//! No platform dependency: randomness comes in through [`RandomSource`] and time as unix
//! milliseconds, so the same code runs natively, in a Worker and in a browser.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod callback_url;
pub mod config;
pub mod create;
pub mod delivery;
pub mod error;
pub mod grapheme;
pub mod languages;
pub mod otp;
pub mod phone;
pub mod pin;
pub mod pin_hash;
pub mod request;
pub mod sms;
pub mod template;
pub mod time;

pub use callback_url::CallbackPolicy;
#[cfg(feature = "whatwg-url")]
pub use callback_url::CallbackUrl;
pub use config::{Config, Defaults};
pub use create::{
    create_otp, create_otp_with_id, create_test_otp_with_id, render_message, NewOtp,
    RenderedMessage,
};
pub use delivery::{Channel, Delivery, DeliveryStatus};
pub use error::{ApiError, ErrorBody, ErrorCode, ErrorEnvelope, FieldError};
pub use otp::{OtpObject, OtpRecord, OtpStatus, Verified};
pub use phone::{
    format as format_phone, AsYouType, CountryInfo, FormatStyle, NumberType, PhoneCheck,
    PhoneError, PhoneNumber,
};
pub use pin::{generate_pin, FallibleSource, PinType, RandomError, RandomSource};
pub use pin_hash::PinHasher;
pub use request::{validate_request, validate_request_text, OtpRequest};
pub use sms::{analyze as count_segments, Encoding, SmsInfo};
pub use time::UnixMillis;
