//! Twilio Verify v2's wire format, so Twilio's official SDKs (npm `twilio` 6.x, PyPI
//! `twilio` 9.x) work against smsotp: only the wire parts, pure (no I/O; time and
//! randomness come in from the caller). The routes, storage and sending stay the
//! worker's. Every fact comes from the research notes `/work/notes/twilio-verify.md`
//! (SDK sources, the oai spec, Twilio's fixtures and docs, and observed SDK traffic).
//!
//! | part | module |
//! |---|---|
//! | SIDs: `AC`, `SK`, `VA`, `VE`, `VL` + 32 lower-case hex | [`sid`] |
//! | form bodies → typed requests, with Twilio's 60200/60204/60223 | [`form`] |
//! | the error body, and our error codes → Twilio's | [`error`] |
//! | Service, Verification, VerificationCheck and list JSON; dates; statuses | [`resource`] |
//! | `Authorization: Basic` → (username, password), account or API key | [`auth`] |

pub mod auth;
pub mod error;
pub mod form;
pub mod resource;
pub mod sid;

pub use error::TwilioError;
pub use sid::{Sid, SidKind};
