//! The one error type of smsotp: every failure a client can see, with the HTTP status,
//! numeric code, type and message of the contract's envelope
//! (`{"error": {"type", "code", "message", "uri"}}`, documented in `docs/api.md`).
//!
//! Each [`ErrorCode`] is one row of one table below — variant, wire code, HTTP status,
//! `type`, default message — so a code is defined in exactly one place.
//!
//! Both shells (the worker and the npm package) map errors through [`ApiError`] only, so a
//! code means the same thing everywhere.

use serde::Serialize;

/// Declares `ErrorCode` from one table of rows
/// `Variant = (code, http_status, "type", "default message"),`, and derives from it
/// [`ErrorCode::ALL`], [`ErrorCode::code`], [`ErrorCode::http_status`],
/// [`ErrorCode::error_type`], [`ErrorCode::default_message`] and [`ErrorCode::from_code`].
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = ($code:literal, $status:literal, $ty:literal, $message:literal),
            )*
        }
    ) => {
        $(#[$meta])*
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every code, in table order, for documentation tables and exhaustive tests.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The numeric `code` of the envelope.
            pub const fn code(self) -> u16 {
                match self { $($name::$variant => $code,)* }
            }

            /// The HTTP status of the response.
            pub const fn http_status(self) -> u16 {
                match self { $($name::$variant => $status,)* }
            }

            /// The envelope's `type`.
            pub const fn error_type(self) -> &'static str {
                match self { $($name::$variant => $ty,)* }
            }

            /// The message used when the situation has nothing more specific to say.
            pub const fn default_message(self) -> &'static str {
                match self { $($name::$variant => $message,)* }
            }

            /// The error with this wire `code` (e.g. 2029), if there is one.
            pub const fn from_code(code: u16) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
/// Every error a client of the API can receive.
///
/// Codes 2001–2031 are the contract's. Errors the contract lists without a code (401, 429)
/// and our own HTTP-level errors use their HTTP status as `code`, so `code` is always an
/// integer. Codes 2101–2139 are smsotp extensions: validation of extension fields
/// (2101–2107), per-number limits (2108–2111), the tenant's abuse policy (2112–2116),
/// request headers (`Idempotency-Key`, `X-End-User-IP`: 2117–2120), the browser API
/// (fields, Turnstile, origins, key types: 2121–2126) and its hardening (client secrets,
/// browser caps, unsafe settings, the hard lock, per-IP budget: 2130–2134), delivery
/// channels (2135–2136) and the adaptive guard against SMS pumping (2137–2139).
///
/// ```
/// use smsotp_core::ErrorCode;
///
/// let e = ErrorCode::from_code(2029).unwrap();
/// assert_eq!(e, ErrorCode::InvalidPin);
/// assert_eq!((e.http_status(), e.error_type()), (400, "invalid_pin"));
/// assert_eq!(ErrorCode::from_code(1999), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `phoneNumber` empty or missing.
    PhoneNumberMissing = (2001, 400, "invalid_param", "'phoneNumber' is empty or missing"),
    /// `countryIso` missing for a phone number in national format.
    CountryIsoMissing = (2002, 400, "invalid_param", "'countryIso' is required for a phone number in national format"),
    /// `countryIso` not a known ISO 3166-1 alpha-2 region.
    CountryIsoInvalid = (2003, 400, "invalid_param", "'countryIso' is not a valid ISO 3166-1 alpha-2 country code"),
    /// `from` empty or missing (and no deployment default).
    FromMissing = (2004, 400, "invalid_param", "'from' is empty or missing"),
    /// `from` not a valid sender id.
    FromInvalid = (2005, 400, "invalid_param", "'from' is invalid: 3 to 15 characters"),
    /// A template missing, without `{{pin}}`, with an unknown placeholder, or a
    /// `template_xx` key that is not ISO 639-1.
    TemplateInvalid = (2006, 400, "invalid_param", "'template' is missing or does not contain {{pin}}"),
    /// `ttl` not a number.
    TtlNotANumber = (2007, 400, "invalid_param", "'ttl' is not a number"),
    /// `ttl` below 60 seconds.
    TtlTooLow = (2008, 400, "invalid_param", "Min value for 'ttl' is 60 seconds"),
    /// `ttl` above 1800 seconds.
    TtlTooHigh = (2009, 400, "invalid_param", "Max value for 'ttl' is 1800 seconds"),
    /// `maxAttempts` not a number.
    MaxAttemptsNotANumber = (2010, 400, "invalid_param", "'maxAttempts' is not a number"),
    /// `maxAttempts` below 1.
    MaxAttemptsTooLow = (2011, 400, "invalid_param", "Min value for 'maxAttempts' is 1"),
    /// `maxAttempts` above 10.
    MaxAttemptsTooHigh = (2012, 400, "invalid_param", "Max value for 'maxAttempts' is 10"),
    /// `pinType` sent empty.
    PinTypeMissing = (2013, 400, "invalid_param", "'pinType' is empty or missing"),
    /// `pinType` not `numbers`, `letters` or `alphanumeric`.
    PinTypeInvalid = (2014, 400, "invalid_param", "'pinType' must be one of numbers, letters, alphanumeric"),
    /// `pinLength` not a number.
    PinLengthNotANumber = (2015, 400, "invalid_param", "'pinLength' is not a number"),
    /// `pinLength` below 4.
    PinLengthTooLow = (2016, 400, "invalid_param", "Min value for 'pinLength' is 4"),
    /// `pinLength` above 10.
    PinLengthTooHigh = (2017, 400, "invalid_param", "Max value for 'pinLength' is 10"),
    /// `trackId` not a UUID of versions 1 to 5.
    TrackIdInvalid = (2018, 400, "invalid_param", "'trackId' is not a valid UUID (versions 1 to 5)"),
    /// `otpCallbackUrl` not a valid URL, not `https`, or not a public host.
    CallbackUrlInvalid = (2019, 400, "invalid_param", "'otpCallbackUrl' is not a valid URL"),
    /// The phone number is not valid (the message says why).
    PhoneNumberInvalid = (2020, 400, "invalid_param", "'phoneNumber' is not a valid phone number"),
    /// No such OTP (or another tenant's).
    OtpNotFound = (2021, 404, "not_found", "OTP not found"),
    /// Verify: `pin` empty or missing (not counted as an attempt).
    PinMissing = (2022, 400, "invalid_param", "'pin' is empty or missing"),
    /// Verify: the OTP was already verified.
    AlreadyVerified = (2023, 400, "otp_verified", "OTP already verified"),
    /// Verify: the OTP was cancelled.
    Cancelled = (2024, 400, "otp_cancelled", "OTP was cancelled"),
    /// Verify: the OTP had expired before.
    Expired = (2025, 400, "otp_expired", "OTP has expired"),
    /// Verify: the OTP failed earlier (attempts used up, or the SMS could not be sent).
    Failed = (2026, 400, "otp_failed", "OTP failed: the maximum number of attempts was reached"),
    /// Verify: this wrong PIN used the last attempt.
    FailedLastAttempt = (2027, 400, "otp_failed", "Invalid PIN: that was the last attempt, the OTP has failed"),
    /// Verify: the TTL passed before this check.
    PinExpired = (2028, 400, "otp_expired", "The PIN has expired"),
    /// Verify: wrong PIN, attempts remain (`attemptsLeft`).
    InvalidPin = (2029, 400, "invalid_pin", "Invalid PIN"),
    /// Cancel: the OTP is already cancelled.
    CancelAlreadyCancelled = (2030, 403, "access_denied", "OTP is already cancelled"),
    /// Cancel: the OTP is no longer pending.
    CancelNotPending = (2031, 403, "access_denied", "Only a pending OTP can be cancelled"),
    // smsotp extensions (2101–2126, 2130–2139).
    /// Extension `language` not an ISO 639-1 code.
    LanguageInvalid = (2101, 400, "invalid_param", "'language' is not an ISO 639-1 language code"),
    /// Extension `webOtpDomain` not a domain name.
    WebOtpDomainInvalid = (2102, 400, "invalid_param", "'webOtpDomain' is not a valid domain name"),
    /// Extension `appHash` not an 11-character hash, or combined with `webOtpDomain`.
    AppHashInvalid = (2103, 400, "invalid_param", "'appHash' must be the 11-character Android SMS Retriever hash"),
    /// Extension `amount` invalid (≤ 32 printable characters).
    AmountInvalid = (2104, 400, "invalid_param", "'amount' is invalid"),
    /// Extension `payee` invalid (≤ 64 printable characters).
    PayeeInvalid = (2105, 400, "invalid_param", "'payee' is invalid"),
    /// A template renders to more than the deployment's `maxParts` SMS parts.
    MessageTooLong = (2106, 400, "invalid_param", "The message is too long"),
    /// Extension `templateLanguage` (the language of `template`) not an ISO 639-1 code.
    TemplateLanguageInvalid = (2107, 400, "invalid_param", "'templateLanguage' is not an ISO 639-1 language code"),
    /// Per-number limit: too many SMS to this number in the last 10 minutes or 24 hours.
    NumberSendLimit = (2108, 429, "rate_limit", "Too many SMS to this phone number; retry later"),
    /// Resend (or a new OTP superseding a pending one) before the cooldown has passed.
    ResendTooSoon = (2109, 429, "rate_limit", "A new SMS to this phone number is not allowed yet"),
    /// The number is locked after too many consecutive wrong PINs.
    NumberLocked = (2110, 429, "rate_limit", "Too many wrong PINs for this phone number; it is locked for a while"),
    /// The OTP has had as many SMS as it may.
    OtpSendLimit = (2111, 429, "rate_limit", "This OTP has been sent as many times as allowed; create a new one later"),
    /// Tenant policy: the destination's country is not in the tenant's `allowedCountries`.
    CountryNotAllowed = (2112, 403, "access_denied", "SMS to this country are not enabled for this account"),
    /// Tenant policy: the destination's number type is in the tenant's `blockedNumberTypes`
    /// (the message names the type).
    NumberTypeBlocked = (2113, 403, "access_denied", "SMS to this type of number (premium-rate, toll-free, …) are not allowed"),
    /// Tenant policy: too many SMS for this end user's IP address (`X-End-User-IP`) in the
    /// last hour.
    EndUserIpLimit = (2114, 429, "rate_limit", "Too many SMS for this end-user IP address; retry later"),
    /// Tenant policy: too many unverified SMS to numbers of one range (the E.164 number
    /// without its last 4 digits) in the last hour; the range is blocked for a while.
    PrefixBlocked = (2115, 429, "rate_limit", "Too many unverified SMS to numbers of this range; it is blocked for a while"),
    /// Tenant policy: the account's daily SMS cap (UTC day) is reached.
    DailySendCap = (2116, 429, "rate_limit", "The account's daily SMS cap is reached; retry after midnight UTC"),
    /// `Idempotency-Key` already used, within 24 hours, with another request body.
    IdempotencyKeyReused = (2117, 422, "invalid_request", "This Idempotency-Key was used with another request body"),
    /// `Idempotency-Key` of a request still being processed.
    IdempotencyInFlight = (2118, 409, "conflict", "A request with this Idempotency-Key is still being processed"),
    /// `Idempotency-Key` header empty, longer than 255 characters, or not visible ASCII.
    IdempotencyKeyInvalid = (2119, 400, "invalid_param", "'Idempotency-Key' must be 1 to 255 visible ASCII characters"),
    /// `X-End-User-IP` header not an IPv4 or IPv6 address.
    EndUserIpInvalid = (2120, 400, "invalid_param", "'X-End-User-IP' is not an IP address"),
    // The browser API (`/v1/browser/*`, 2121–2126).
    /// Browser API: a field the browser may not set (template, ttl, callback, PIN
    /// settings, …: the tenant's `browser` settings decide them), or an unknown field.
    BrowserFieldNotAllowed = (2121, 400, "invalid_param", "This field cannot be set from the browser; the account's settings decide it"),
    /// Browser API: the tenant requires Turnstile and the request has no `turnstileToken`.
    TurnstileTokenMissing = (2122, 403, "access_denied", "'turnstileToken' is missing: this account requires a Turnstile challenge"),
    /// Browser API: Turnstile refused the token (failed, expired, already spent, or not a
    /// token at all); the widget must be solved again.
    TurnstileRefused = (2123, 403, "access_denied", "The Turnstile challenge was not accepted; solve it again"),
    /// Browser API: the request's `Origin` is not one of the publishable key's origins.
    OriginNotAllowed = (2124, 403, "access_denied", "This origin is not allowed for this publishable key"),
    /// A key of the wrong type for the route: a publishable key (`pk_…`) on the server API,
    /// or a secret key on `/v1/browser/*`.
    WrongKeyType = (2125, 401, "invalid_api_key", "This type of API key is not accepted on this route"),
    /// Browser API: Turnstile could not be asked (siteverify timed out, failed or answered
    /// something unreadable); refused, as the check could not be made (fail closed).
    TurnstileUnavailable = (2126, 403, "access_denied", "The Turnstile challenge could not be checked; retry shortly"),
    // Hardening of the browser API (2130–2134).
    /// Browser API: a resend or a check without the OTP's client secret
    /// (`X-Client-Secret`, answered by the create), or with another OTP's.
    ClientSecretInvalid = (2130, 403, "access_denied", "'X-Client-Secret' is missing or is not this OTP's client secret"),
    /// Browser API: the tenant's daily cap of SMS started from browsers
    /// (`limits.browserDailySendCap`) is reached; the server API keeps its headroom.
    BrowserDailySendCap = (2131, 429, "rate_limit", "The account's daily cap of SMS started from browsers is reached; retry after midnight UTC"),
    /// Browser API: the tenant's record or the deployment is not safe for public traffic
    /// (publishable keys without a bot check or a country list, no token signing key);
    /// nothing is sent until the operator fixes it.
    BrowserMisconfigured = (2132, 503, "misconfigured", "The browser API of this account is not configured safely; its operator must fix it"),
    /// 100 consecutive wrong PINs on a number (NIST SP 800-63B-4): checks and SMS are
    /// refused until the tenant unlocks the number.
    NumberLockedUntilCleared = (2133, 403, "access_denied", "Too many consecutive wrong PINs for this phone number; the account must unlock it"),
    /// Browser API: the connecting IP address (an IPv6 /64) made too many requests this
    /// minute.
    ClientIpRateLimited = (2134, 429, "rate_limit", "Too many requests from this IP address; retry in a minute"),
    // Delivery channels (2135–2136).
    /// Extension `channel` not one of `sms`, `whatsapp`, `voice`.
    ChannelInvalid = (2135, 400, "invalid_param", "'channel' must be one of sms, whatsapp, voice"),
    /// The channel asked for is not in the tenant's `channels`, or this deployment has no
    /// provider for it (the message says which).
    ChannelNotAllowed = (2136, 403, "access_denied", "This channel is not enabled for this account"),
    // The adaptive guard against SMS pumping (2137–2139): 403, nothing sent, for the
    // guard's cool-down.
    /// The guard refuses SMS to this destination country for a while: the tenant's
    /// unverified SMS there passed its threshold (suspected SMS pumping).
    GuardCountryRefused = (2137, 403, "access_denied", "SMS to this country are paused for this account for a while: too many of them are not verified (suspected SMS pumping)"),
    /// The guard refuses SMS to this number range (the E.164 number without its last 4
    /// digits) for a while: too many unverified SMS to it in a country over its threshold.
    GuardRangeRefused = (2138, 403, "access_denied", "SMS to numbers of this range are paused for this account for a while: too many of them are not verified (suspected SMS pumping)"),
    /// The guard refuses SMS for this end-user IP address (`X-End-User-IP`, an IPv6 /64)
    /// for a while: it asked for SMS to too many countries in the last hour.
    GuardIpRefused = (2139, 403, "access_denied", "SMS for this end-user IP address are paused for a while: it asked for SMS to too many countries"),
    // HTTP-level errors without a contract code: `code` is the HTTP status.
    /// Missing or unknown API key.
    InvalidApiKey = (401, 401, "invalid_api_key", "Missing or unknown API key"),
    /// The tenant's rate limit was reached.
    RateLimited = (429, 429, "rate_limit", "Too many requests"),
    /// The body is not a JSON object (or not UTF-8).
    BadRequest = (400, 400, "invalid_request", "The request body is not valid JSON"),
    /// The body is larger than the route takes (64 KiB on the server API, 8 KiB on the
    /// browser API); it is not read past that.
    PayloadTooLarge = (413, 413, "invalid_request", "The request body is too large"),
    /// No such route.
    RouteNotFound = (404, 404, "not_found", "No such route"),
    /// The method is not allowed on the route.
    MethodNotAllowed = (405, 405, "method_not_allowed", "Method not allowed on this route"),
    /// The SMS provider failed.
    ProviderError = (502, 502, "provider_error", "The SMS provider could not send the message"),
    /// A service we depend on (the tenant store) failed; retry shortly.
    Unavailable = (503, 503, "service_unavailable", "The service is temporarily unavailable; retry shortly"),
    /// A fault of ours (details only in our logs).
    Internal = (500, 500, "internal_error", "Internal error"),
}
}

/// An error as the client sees it: a code plus a message specific to the situation, and,
/// for validation errors, the request field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({}): {message}", code.code(), code.error_type())]
pub struct ApiError {
    /// What went wrong: the code, HTTP status and type.
    pub code: ErrorCode,
    /// The message for the client, specific to the situation when possible.
    pub message: String,
    /// The request field the error is about (`phoneNumber`, `ttl`, …), when there is one.
    pub field: Option<String>,
    /// Wrong PINs still allowed, on verification errors where that is known.
    pub attempts_left: Option<u8>,
    /// Seconds before the same request can succeed (429s: sent as `Retry-After`).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// The error `code` with its default message.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: code.default_message().to_owned(),
            field: None,
            attempts_left: None,
            retry_after: None,
        }
    }

    /// The error `code` with a message specific to the situation.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::new(code)
        }
    }

    /// The same error, retryable after `seconds` (at least 1).
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// The same error, about the request field `field`.
    pub fn for_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The HTTP status of the response carrying this error.
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
                retry_after: self.retry_after,
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
    /// The numeric code (e.g. 2008).
    pub code: u16,
    /// The error type (e.g. `invalid_param`).
    #[serde(rename = "type")]
    pub error_type: String,
    /// The message for the client.
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

/// Where the error codes are documented (`docs/api.md`, an anchor per code); shells may
/// configure another base.
pub const DEFAULT_DOCS_BASE: &str = "https://github.com/smsotp/smsotp/blob/main/docs/api.md";

/// The contract's error response body, `{"error": {…}}` ([`ApiError::envelope`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of the error envelope: the contract's `type`, `code`, `message`, `uri`, and
/// the extensions `field` and `attemptsLeft`.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// The error type (e.g. `invalid_pin`).
    #[serde(rename = "type")]
    pub error_type: String,
    /// The numeric code (e.g. 2029).
    pub code: u16,
    /// The message for the client.
    pub message: String,
    /// Where the code is documented (the docs base with the code as fragment).
    pub uri: String,
    /// Extension: the request field concerned.
    #[cfg_attr(feature = "typescript", ts(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Extension: wrong PINs still allowed.
    #[cfg_attr(feature = "typescript", ts(optional))]
    #[serde(rename = "attemptsLeft", skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u8>,
    /// Extension: seconds before the request can succeed (429s; also `Retry-After`).
    #[cfg_attr(feature = "typescript", ts(optional))]
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_contract_codes_are_contiguous() {
        let codes: HashSet<u16> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "a code is used twice");
        // `from_code` finds every variant back from its code.
        for &c in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(c.code()), Some(c));
        }
        for code in 2001..=2031 {
            assert!(codes.contains(&code), "contract code {code} has no variant");
        }
    }

    /// Every row of the contract's error table (HTTP status, code, type), written out from
    /// the contract; its two rows without a code (401, 429) use the HTTP status as `code`.
    #[test]
    fn the_table_matches_the_contract() {
        let rows: &[(u16, u16, &str)] = &[
            (400, 2001, "invalid_param"),
            (400, 2002, "invalid_param"),
            (400, 2003, "invalid_param"),
            (400, 2004, "invalid_param"),
            (400, 2005, "invalid_param"),
            (400, 2006, "invalid_param"),
            (400, 2007, "invalid_param"),
            (400, 2008, "invalid_param"),
            (400, 2009, "invalid_param"),
            (400, 2010, "invalid_param"),
            (400, 2011, "invalid_param"),
            (400, 2012, "invalid_param"),
            (400, 2013, "invalid_param"),
            (400, 2014, "invalid_param"),
            (400, 2015, "invalid_param"),
            (400, 2016, "invalid_param"),
            (400, 2017, "invalid_param"),
            (400, 2018, "invalid_param"),
            (400, 2019, "invalid_param"),
            (400, 2020, "invalid_param"),
            (404, 2021, "not_found"),
            (400, 2022, "invalid_param"),
            (400, 2023, "otp_verified"),
            (400, 2024, "otp_cancelled"),
            (400, 2025, "otp_expired"),
            (400, 2026, "otp_failed"),
            (400, 2027, "otp_failed"),
            (400, 2028, "otp_expired"),
            (400, 2029, "invalid_pin"),
            (403, 2030, "access_denied"),
            (403, 2031, "access_denied"),
            (401, 401, "invalid_api_key"),
            (429, 429, "rate_limit"),
        ];
        for &(status, code, ty) in rows {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!(c.code(), code);
            assert_eq!(
                (c.http_status(), c.error_type()),
                (status, ty),
                "code {code}"
            );
        }
    }

    #[test]
    fn extensions_and_http_level_errors() {
        for code in 2101..=2107 {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!((c.http_status(), c.error_type()), (400, "invalid_param"));
        }
        assert_eq!(
            ErrorCode::TemplateLanguageInvalid.default_message(),
            "'templateLanguage' is not an ISO 639-1 language code"
        );
        // Per-number and per-tenant limits: 429 rate_limit, like the tenant's request rate.
        for code in (2108..=2111).chain(2114..=2116) {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!((c.http_status(), c.error_type()), (429, "rate_limit"));
        }
        // The tenant's policy refusals, as the contract's other refusals (2030, 2031).
        for code in 2112..=2113 {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!((c.http_status(), c.error_type()), (403, "access_denied"));
        }
        // Request headers.
        for (code, status, ty) in [
            (2117, 422, "invalid_request"),
            (2118, 409, "conflict"),
            (2119, 400, "invalid_param"),
            (2120, 400, "invalid_param"),
        ] {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!((c.http_status(), c.error_type()), (status, ty), "{code}");
        }
        // The browser API: a field the browser may not set is a 400 like other fields;
        // refusals of the caller (origin, Turnstile) are 403s like the tenant policy's; a
        // key of the wrong type is a 401 like a missing or unknown key.
        for (code, status, ty) in [
            (2121, 400, "invalid_param"),
            (2122, 403, "access_denied"),
            (2123, 403, "access_denied"),
            (2124, 403, "access_denied"),
            (2125, 401, "invalid_api_key"),
            (2126, 403, "access_denied"),
            // Its hardening: a missing client secret is a refusal like a wrong origin; the
            // browser cap and the per-IP budget are 429s with Retry-After; unsafe settings
            // are the operator's (503, nothing sent); the hard lock has no end to wait for.
            (2130, 403, "access_denied"),
            (2131, 429, "rate_limit"),
            (2132, 503, "misconfigured"),
            (2133, 403, "access_denied"),
            (2134, 429, "rate_limit"),
            // The adaptive guard: a refusal for a cool-down, like the tenant's policy (no
            // Retry-After: the cool-down is the guard's, not the caller's to wait out).
            (2137, 403, "access_denied"),
            (2138, 403, "access_denied"),
            (2139, 403, "access_denied"),
        ] {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!((c.http_status(), c.error_type()), (status, ty), "{code}");
        }
        // The extension range has no gap.
        for code in (2101..=2126).chain(2130..=2139) {
            assert!(
                ErrorCode::from_code(code).is_some(),
                "no variant for {code}"
            );
        }
        for (code, ty) in [
            (400, "invalid_request"),
            (413, "invalid_request"),
            (404, "not_found"),
            (405, "method_not_allowed"),
            (500, "internal_error"),
            (502, "provider_error"),
        ] {
            let c = ErrorCode::from_code(code).unwrap_or_else(|| panic!("no variant for {code}"));
            assert_eq!((c.http_status(), c.error_type()), (code, ty));
        }
        for unknown in [0, 1999, 2000, 2032, 2100, 2129, 2140, u16::MAX] {
            assert_eq!(ErrorCode::from_code(unknown), None, "{unknown}");
        }
        // Every message is written for the client: non-empty, no trailing period.
        for c in ErrorCode::ALL {
            let m = c.default_message();
            assert!(!m.is_empty() && !m.ends_with('.'), "{c:?}: {m:?}");
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
