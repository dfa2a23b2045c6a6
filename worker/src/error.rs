//! The one error mapping at the edge: contract errors become their envelope; anything else
//! is logged and answered 500 with no internals.

use smsotp_core::{ApiError, ErrorCode};

#[derive(Debug)]
pub enum AppError {
    /// An error the client should see (auth, state, provider, body).
    Api(ApiError),
    /// A request that failed validation: every error found (the envelope shows the first,
    /// and lists them all under `errors`). Never empty.
    Invalid(Vec<ApiError>),
    /// A platform service (KV) failed and nothing cached could stand in: logged, answered
    /// 503 `service_unavailable` with `Retry-After`.
    Unavailable(String),
    /// Anything else: logged, answered 500 `internal_error`.
    Internal(String),
    /// An error of the Twilio Verify API that has no code of ours (60204 custom codes,
    /// 60223 a channel Twilio has and we do not, 20404 for a verification that ended):
    /// answered in Twilio's envelope as it is.
    Twilio(smsotp_edge::twilio::TwilioError),
}

impl AppError {
    pub fn api(code: ErrorCode) -> Self {
        AppError::Api(ApiError::new(code))
    }

    pub fn message(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Api(ApiError::with_message(code, message))
    }
}

impl From<smsotp_edge::twilio::TwilioError> for AppError {
    fn from(e: smsotp_edge::twilio::TwilioError) -> Self {
        AppError::Twilio(e)
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError::Api(e)
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        AppError::api(code)
    }
}

impl From<worker::Error> for AppError {
    fn from(e: worker::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("JSON: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
