//! Twilio Verify v2's wire format, so Twilio's official SDKs (npm `twilio` 6.x, PyPI
//! `twilio` 9.x) work against smsotp: only the wire parts, pure (no I/O; time and
//! randomness come in from the caller). The routes, storage and sending stay the
//! worker's. Every fact is cited in docs/twilio.md
//! (SDK sources, the oai spec, Twilio's fixtures and docs, and observed SDK traffic).
//!
//! | part | module |
//! |---|---|
//! | a tenant's account in its KV record: credentials (hashed), imported services | [`account`] |
//! | SIDs: `AC`, `SK`, `VA`, `VE`, `VL` + 32 lower-case hex | [`sid`] |
//! | form bodies → typed requests, with Twilio's 60200/60204/60223 | [`form`] |
//! | the error body, and our error codes → Twilio's | [`error`] |
//! | Service, Verification, VerificationCheck and list JSON; dates; statuses | [`resource`] |
//! | `Authorization: Basic` → (username, password), account or API key | [`auth`] |
//! | a Service as kept, and what a verification under it asks of the core | [`service`] |
//! | a Verification is an OTP: `VE…` ↔ OTP id, `VL…` per message, the view | [`verification`] |
//! | list paging: `PageSize`, `Page`, `PageToken` (a cursor) | [`page`] |

pub mod account;
pub mod auth;
pub mod error;
pub mod form;
pub mod page;
pub mod resource;
pub mod service;
pub mod sid;
pub mod verification;

pub use error::TwilioError;
pub use sid::{Sid, SidKind};
