//! Twilio's error body, and which Twilio error each of our [`ErrorCode`]s becomes.
//!
//! The body is Twilio's classic envelope `{"code", "message", "more_info", "status"}` with
//! `more_info` = `https://www.twilio.com/docs/errors/<code>` (the oai spec's 429 schema; docs/twilio.md).
//! It must **never** carry `type` or `title` keys: both SDKs now raise a different
//! exception class (`TwilioServiceException`, RFC 9457) when they see `type`, `title`,
//! `status` and `code` together, and users' `except TwilioRestException` /
//! `instanceof RestException` would stop matching. Python keeps only `message` and `code`
//! (it rebuilds the link from the code); node keeps all four.
//!
//! Codes and HTTP statuses are the documented ones (docs/twilio.md). 60410's status is not
//! documented: 403, like 60605 (the other "delivery attempt blocked").

use serde_json::{json, Value};
use smsotp_core::{ApiError, ErrorCode};

/// An error as Twilio's SDKs read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioError {
    /// Twilio's error code (60200, 20404, …).
    pub code: u32,
    /// The message (Python shows it after "Unable to create record: ").
    pub message: String,
    /// The HTTP status.
    pub status: u16,
}

impl TwilioError {
    fn of(code: u32, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status,
        }
    }

    /// 20003 / 401: authentication failed (missing, malformed or unknown credentials).
    pub fn authenticate() -> Self {
        Self::of(20003, 401, "Authenticate")
    }

    /// 20404 / 404: no such resource, or a verification that ended (approved, expired,
    /// max attempts, canceled: Twilio soft-deletes them). `path` as Twilio quotes it:
    /// without `/v2` (`/Services/VA…/VerificationCheck`).
    pub fn not_found(path: &str) -> Self {
        Self::of(
            20404,
            404,
            format!("The requested resource {path} was not found"),
        )
    }

    /// 20429 / 429: too many requests (account-wide or per-IP limits).
    pub fn too_many_requests() -> Self {
        Self::of(20429, 429, "Too many requests")
    }

    /// 60200 / 400: `Invalid parameter: <Name>` (Twilio's form name, e.g. `To`).
    pub fn invalid_parameter(name: &str) -> Self {
        Self::of(60200, 400, format!("Invalid parameter: {name}"))
    }

    /// 60200 / 400 without a parameter's name: a body that is not a readable form.
    pub fn invalid_body() -> Self {
        Self::of(60200, 400, "Invalid parameter")
    }

    /// 60202 / 429: the verification's check attempts are used up.
    pub fn max_check_attempts() -> Self {
        Self::of(60202, 429, "Max check attempts reached")
    }

    /// 60203 / 429: too many sends to this destination.
    pub fn max_send_attempts() -> Self {
        Self::of(60203, 429, "Max send attempts reached")
    }

    /// 60204 / 403: a feature the service does not offer (custom codes here).
    pub fn feature_not_supported() -> Self {
        Self::of(60204, 403, "Service does not support this feature")
    }

    /// 60205 / 403: SMS refused for this kind of number (Twilio: landlines).
    pub fn landline() -> Self {
        Self::of(60205, 403, "SMS is not supported by landline phone number")
    }

    /// 60223 / 400: the channel is not enabled (or not offered) for this service.
    pub fn channel_disabled() -> Self {
        Self::of(60223, 400, "Delivery channel disabled")
    }

    /// 60410 / 403 (status undocumented): sends to this number range are blocked for a
    /// while (Twilio's Fraud Guard prefix block); also the adaptive guard's refusals of a
    /// country, a range or an end-user IP.
    pub fn prefix_blocked() -> Self {
        Self::of(60410, 403, "Verification delivery attempt blocked")
    }

    /// 60605 / 403: sends to this country are not enabled (geo permissions).
    pub fn geo_blocked() -> Self {
        Self::of(60605, 403, "Verification delivery attempt blocked")
    }

    /// 20500 / 500: a fault of ours.
    pub fn internal() -> Self {
        Self::of(20500, 500, "Internal Server Error")
    }

    /// 20403 / 403: the tenant has as many services as it may
    /// ([`MAX_SERVICES`](super::service::MAX_SERVICES)).
    pub fn too_many_services() -> Self {
        Self::of(
            20403,
            403,
            format!(
                "This account has {} services, the most it may have; delete one first",
                super::service::MAX_SERVICES
            ),
        )
    }

    /// 20503 / 503: a dependency (tenant store, SMS provider) failed; retry.
    pub fn unavailable() -> Self {
        Self::of(20503, 503, "Service Unavailable")
    }

    /// The JSON body: `{code, message, more_info, status}` and nothing else.
    pub fn envelope(&self) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status,
        })
    }
}

/// Twilio's form name for one of our request fields, for 60200's message.
pub fn parameter_name(field: &str) -> &str {
    match field {
        "phoneNumber" | "countryIso" => "To",
        "channel" => "Channel",
        "language" => "Locale",
        "amount" => "Amount",
        "payee" => "Payee",
        "appHash" => "AppHash",
        "pin" => "Code",
        "pinLength" => "CodeLength",
        // The sender and the message are made from the service's (or the verification's
        // custom) friendly name.
        "from" | "template" => "FriendlyName",
        other => other,
    }
}

/// The Twilio error an [`ApiError`] of ours becomes, or `None` for a wrong PIN with
/// attempts left (2029): Twilio answers that check 200 with `status: "pending"`,
/// `valid: false`, not an error (docs/twilio.md).
///
/// | ours | Twilio | why |
/// |---|---|---|
/// | 2108, 2111 send limits | 60203 | "max send attempts reached": sending again is what is refused |
/// | 2109 resend cooldown | 20429 | not a maximum: the same send is allowed after `Retry-After` |
/// | 2026 failed, 2027 last wrong PIN, 2110 / 2133 number locks | 60202 | the checks are used up; 2133 is a 403 of ours, but 60202 is what SDK users handle |
/// | 2112 country not allowed | 60605 | Twilio's geo-permission block |
/// | 2113 number type blocked | 60205 | Twilio's only number-type refusal (`SkipSmsToLandlines`) |
/// | 2115 range blocked | 60410 | Twilio's Fraud Guard prefix block, the same idea |
/// | 2137, 2138, 2139 the adaptive guard (country, range, end-user IP) | 60410 | Twilio's Fraud Guard block; not 20429 for the IP: a refusal for the guard's cool-down, not a rate to retry at |
/// | 2114, 2116, 2131, 2134, 429 | 20429 | generic "too many requests", safe to retry later |
/// | 2021, 2023–2025, 2028, 2030, 2031, 404 | 20404 | Twilio soft-deletes a verification that ended |
/// | 2135 | 60200 `Channel`; 2136 | 60223 | unknown channel vs a channel the account has not enabled |
/// | other 400 validation codes | 60200 naming the field | `Invalid parameter: To` (…) |
/// | 405, 409, 413, 422 | the HTTP status as code | no Twilio counterpart (Python's own fallback) |
/// | 401, 2125 | 20003 | authentication |
/// | 502, 503 | 20503; 500 and the rest | 20500 | our faults |
///
/// `path` is the resource path as Twilio quotes it in 20404 (no `/v2`). `Retry-After`
/// stays the worker's to send, from [`ApiError::retry_after`].
pub fn from_api_error(e: &ApiError, path: &str) -> Option<TwilioError> {
    use ErrorCode as C;
    Some(match e.code {
        C::InvalidPin => return None,
        C::NumberSendLimit | C::OtpSendLimit => TwilioError::max_send_attempts(),
        C::Failed | C::FailedLastAttempt | C::NumberLocked | C::NumberLockedUntilCleared => {
            TwilioError::max_check_attempts()
        }
        C::CountryNotAllowed => TwilioError::geo_blocked(),
        C::NumberTypeBlocked => TwilioError::landline(),
        C::PrefixBlocked | C::GuardCountryRefused | C::GuardRangeRefused | C::GuardIpRefused => {
            TwilioError::prefix_blocked()
        }
        C::EndUserIpLimit
        | C::DailySendCap
        | C::BrowserDailySendCap
        | C::ClientIpRateLimited
        | C::ResendTooSoon
        | C::RateLimited => TwilioError::too_many_requests(),
        C::OtpNotFound
        | C::AlreadyVerified
        | C::Cancelled
        | C::Expired
        | C::PinExpired
        | C::CancelAlreadyCancelled
        | C::CancelNotPending
        | C::RouteNotFound => TwilioError::not_found(path),
        C::ChannelInvalid => TwilioError::invalid_parameter("Channel"),
        C::ChannelNotAllowed => TwilioError::channel_disabled(),
        C::PhoneNumberMissing
        | C::PhoneNumberInvalid
        | C::CountryIsoMissing
        | C::CountryIsoInvalid => TwilioError::invalid_parameter("To"),
        C::PinMissing => TwilioError::invalid_parameter("Code"),
        C::InvalidApiKey | C::WrongKeyType => TwilioError::authenticate(),
        C::ProviderError | C::Unavailable => TwilioError::unavailable(),
        c if c.http_status() == 400 => match e.field.as_deref() {
            Some(field) => TwilioError::invalid_parameter(parameter_name(field)),
            None => TwilioError::invalid_body(),
        },
        // 405, 409, 413, 422: no Twilio counterpart; the HTTP status as the code, which is
        // also what Python reports when a body has no code.
        c if c.http_status() < 500 => {
            TwilioError::of(c.http_status().into(), c.http_status(), c.default_message())
        }
        _ => TwilioError::internal(),
    })
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
