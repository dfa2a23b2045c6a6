//! The one error type of smsotp: every failure a client can see, with the HTTP status,
//! numeric code, type and message of the contract's envelope
//! (`{"error": {"type", "code", "message", "uri"}}`, `shared/reference/otp-api.md`).
//!
//! Both shells (the worker and the npm package) map errors through [`ApiError`] only, so a
//! code means the same thing everywhere.

use serde::Serialize;

/// Declares `ErrorCode` and `ErrorCode::ALL` from one list of variants.
macro_rules! error_codes {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])*
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every code, for documentation tables and exhaustive tests.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The error with this wire `code` (e.g. 2029), if there is one.
            pub fn from_code(code: u16) -> Option<$name> {
                Self::ALL.iter().copied().find(|c| c.code() == code)
            }
        }
    };
}

error_codes! {
/// Every error a client of the API can receive.
///
/// Codes 2001–2031 are the contract's. Errors the contract lists without a code (401, 429)
/// and our own HTTP-level errors use their HTTP status as `code`, so `code` is always an
/// integer. Codes 2101–2106 are smsotp extensions (validation of extension fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    PhoneNumberMissing,
    CountryIsoMissing,
    CountryIsoInvalid,
    FromMissing,
    FromInvalid,
    TemplateInvalid,
    TtlNotANumber,
    TtlTooLow,
    TtlTooHigh,
    MaxAttemptsNotANumber,
    MaxAttemptsTooLow,
    MaxAttemptsTooHigh,
    PinTypeMissing,
    PinTypeInvalid,
    PinLengthNotANumber,
    PinLengthTooLow,
    PinLengthTooHigh,
    TrackIdInvalid,
    CallbackUrlInvalid,
    PhoneNumberInvalid,
    OtpNotFound,
    PinMissing,
    AlreadyVerified,
    Cancelled,
    Expired,
    Failed,
    FailedLastAttempt,
    PinExpired,
    InvalidPin,
    CancelAlreadyCancelled,
    CancelNotPending,
    // smsotp extensions (2101–2106)
    LanguageInvalid,
    WebOtpDomainInvalid,
    AppHashInvalid,
    AmountInvalid,
    PayeeInvalid,
    MessageTooLong,
    // HTTP-level errors without a contract code: `code` is the HTTP status.
    InvalidApiKey,
    RateLimited,
    BadRequest,
    RouteNotFound,
    MethodNotAllowed,
    ProviderError,
    Internal,
}
}

impl ErrorCode {
    /// The numeric `code` of the envelope.
    pub const fn code(self) -> u16 {
        use ErrorCode::*;
        match self {
            PhoneNumberMissing => 2001,
            CountryIsoMissing => 2002,
            CountryIsoInvalid => 2003,
            FromMissing => 2004,
            FromInvalid => 2005,
            TemplateInvalid => 2006,
            TtlNotANumber => 2007,
            TtlTooLow => 2008,
            TtlTooHigh => 2009,
            MaxAttemptsNotANumber => 2010,
            MaxAttemptsTooLow => 2011,
            MaxAttemptsTooHigh => 2012,
            PinTypeMissing => 2013,
            PinTypeInvalid => 2014,
            PinLengthNotANumber => 2015,
            PinLengthTooLow => 2016,
            PinLengthTooHigh => 2017,
            TrackIdInvalid => 2018,
            CallbackUrlInvalid => 2019,
            PhoneNumberInvalid => 2020,
            OtpNotFound => 2021,
            PinMissing => 2022,
            AlreadyVerified => 2023,
            Cancelled => 2024,
            Expired => 2025,
            Failed => 2026,
            FailedLastAttempt => 2027,
            PinExpired => 2028,
            InvalidPin => 2029,
            CancelAlreadyCancelled => 2030,
            CancelNotPending => 2031,
            LanguageInvalid => 2101,
            WebOtpDomainInvalid => 2102,
            AppHashInvalid => 2103,
            AmountInvalid => 2104,
            PayeeInvalid => 2105,
            MessageTooLong => 2106,
            InvalidApiKey => 401,
            RateLimited => 429,
            BadRequest => 400,
            RouteNotFound => 404,
            MethodNotAllowed => 405,
            ProviderError => 502,
            Internal => 500,
        }
    }

    /// The HTTP status of the response.
    pub const fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            OtpNotFound | RouteNotFound => 404,
            CancelAlreadyCancelled | CancelNotPending => 403,
            InvalidApiKey => 401,
            RateLimited => 429,
            MethodNotAllowed => 405,
            ProviderError => 502,
            Internal => 500,
            _ => 400,
        }
    }

    /// The envelope's `type`.
    pub const fn error_type(self) -> &'static str {
        use ErrorCode::*;
        match self {
            OtpNotFound | RouteNotFound => "not_found",
            AlreadyVerified => "otp_verified",
            Cancelled => "otp_cancelled",
            Expired | PinExpired => "otp_expired",
            Failed | FailedLastAttempt => "otp_failed",
            InvalidPin => "invalid_pin",
            CancelAlreadyCancelled | CancelNotPending => "access_denied",
            InvalidApiKey => "invalid_api_key",
            RateLimited => "rate_limit",
            BadRequest => "invalid_request",
            MethodNotAllowed => "method_not_allowed",
            ProviderError => "provider_error",
            Internal => "internal_error",
            _ => "invalid_param",
        }
    }

    /// The message used when the situation has nothing more specific to say.
    pub const fn default_message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            PhoneNumberMissing => "'phoneNumber' is empty or missing",
            CountryIsoMissing => "'countryIso' is required for a phone number in national format",
            CountryIsoInvalid => "'countryIso' is not a valid ISO 3166-1 alpha-2 country code",
            FromMissing => "'from' is empty or missing",
            FromInvalid => "'from' is invalid: 3 to 15 characters",
            TemplateInvalid => "'template' is missing or does not contain {{pin}}",
            TtlNotANumber => "'ttl' is not a number",
            TtlTooLow => "Min value for 'ttl' is 60 seconds",
            TtlTooHigh => "Max value for 'ttl' is 1800 seconds",
            MaxAttemptsNotANumber => "'maxAttempts' is not a number",
            MaxAttemptsTooLow => "Min value for 'maxAttempts' is 1",
            MaxAttemptsTooHigh => "Max value for 'maxAttempts' is 10",
            PinTypeMissing => "'pinType' is empty or missing",
            PinTypeInvalid => "'pinType' must be one of numbers, letters, alphanumeric",
            PinLengthNotANumber => "'pinLength' is not a number",
            PinLengthTooLow => "Min value for 'pinLength' is 4",
            PinLengthTooHigh => "Max value for 'pinLength' is 10",
            TrackIdInvalid => "'trackId' is not a valid UUID (versions 1 to 5)",
            CallbackUrlInvalid => "'otpCallbackUrl' is not a valid URL",
            PhoneNumberInvalid => "'phoneNumber' is not a valid phone number",
            OtpNotFound => "OTP not found",
            PinMissing => "'pin' is empty or missing",
            AlreadyVerified => "OTP already verified",
            Cancelled => "OTP was cancelled",
            Expired => "OTP has expired",
            Failed => "OTP failed: the maximum number of attempts was reached",
            FailedLastAttempt => "Invalid PIN: that was the last attempt, the OTP has failed",
            PinExpired => "The PIN has expired",
            InvalidPin => "Invalid PIN",
            CancelAlreadyCancelled => "OTP is already cancelled",
            CancelNotPending => "Only a pending OTP can be cancelled",
            LanguageInvalid => "'language' is not an ISO 639-1 language code",
            WebOtpDomainInvalid => "'webOtpDomain' is not a valid domain name",
            AppHashInvalid => "'appHash' must be the 11-character Android SMS Retriever hash",
            AmountInvalid => "'amount' is invalid",
            PayeeInvalid => "'payee' is invalid",
            MessageTooLong => "The message is too long",
            InvalidApiKey => "Missing or unknown API key",
            RateLimited => "Too many requests",
            BadRequest => "The request body is not valid JSON",
            RouteNotFound => "No such route",
            MethodNotAllowed => "Method not allowed on this route",
            ProviderError => "The SMS provider could not send the message",
            Internal => "Internal error",
        }
    }
}

/// An error as the client sees it: a code plus a message specific to the situation, and,
/// for validation errors, the request field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({}): {message}", code.code(), code.error_type())]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The request field the error is about (`phoneNumber`, `ttl`, …), when there is one.
    pub field: Option<String>,
    /// Wrong PINs still allowed, on verification errors where that is known.
    pub attempts_left: Option<u8>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: code.default_message().to_owned(),
            field: None,
            attempts_left: None,
        }
    }

    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::new(code)
        }
    }

    pub fn for_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The contract's envelope, `{"error": {"type", "code", "message", "uri"}}`.
    /// `docs_base` is where the error codes are documented; the code is its fragment.
    pub fn envelope(&self, docs_base: &str) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                error_type: self.code.error_type().to_owned(),
                code: self.code.code(),
                message: self.message.clone(),
                uri: format!("{docs_base}#{}", self.code.code()),
                field: self.field.clone(),
                attempts_left: self.attempts_left,
            },
        }
    }
}

/// A validation error as the npm package reports it: `{ field, code, type, message }`.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The request field concerned (`null` for errors about the whole body).
    pub field: Option<String>,
    pub code: u16,
    #[serde(rename = "type")]
    pub error_type: String,
    pub message: String,
}

impl From<&ApiError> for FieldError {
    fn from(e: &ApiError) -> Self {
        FieldError {
            field: e.field.clone(),
            code: e.code.code(),
            error_type: e.code.error_type().to_owned(),
            message: e.message.clone(),
        }
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::new(code)
    }
}

/// Where the README documents error codes; shells may configure another base.
pub const DEFAULT_DOCS_BASE: &str = "https://github.com/smsotp/smsotp/blob/main/README.md";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub error_type: String,
    pub code: u16,
    pub message: String,
    pub uri: String,
    /// Extension: the request field concerned.
    #[cfg_attr(feature = "typescript", ts(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Extension: wrong PINs still allowed.
    #[cfg_attr(feature = "typescript", ts(optional))]
    #[serde(rename = "attemptsLeft", skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_contract_codes_are_contiguous() {
        let codes: HashSet<u16> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in 2001..=2031 {
            assert!(codes.contains(&code), "contract code {code} has no variant");
        }
    }

    #[test]
    fn contract_statuses_and_types() {
        // (code, HTTP status, type) rows of the contract's error table.
        let rows: &[(u16, u16, &str)] = &[
            (2001, 400, "invalid_param"),
            (2019, 400, "invalid_param"),
            (2020, 400, "invalid_param"),
            (2021, 404, "not_found"),
            (2022, 400, "invalid_param"),
            (2023, 400, "otp_verified"),
            (2024, 400, "otp_cancelled"),
            (2025, 400, "otp_expired"),
            (2026, 400, "otp_failed"),
            (2027, 400, "otp_failed"),
            (2028, 400, "otp_expired"),
            (2029, 400, "invalid_pin"),
            (2030, 403, "access_denied"),
            (2031, 403, "access_denied"),
            (401, 401, "invalid_api_key"),
            (429, 429, "rate_limit"),
        ];
        for &(code, status, ty) in rows {
            let c = ErrorCode::from_code(code).unwrap();
            assert_eq!(
                (c.http_status(), c.error_type()),
                (status, ty),
                "code {code}"
            );
        }
    }

    #[test]
    fn envelope_shape() {
        let e = ApiError::new(ErrorCode::TtlTooLow).for_field("ttl");
        let json = serde_json::to_value(e.envelope("https://docs.example/errors")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"type": "invalid_param", "code": 2008,
                "message": "Min value for 'ttl' is 60 seconds",
                "uri": "https://docs.example/errors#2008", "field": "ttl"}})
        );
    }
}
