//! What the handlers do with a request once it is read: the OTP operations both APIs share
//! (`otp.rs`), a message's way through its plan of providers (`delivery.rs`, with the
//! circuit breaker in `breaker.rs`) and the providers' delivery reports (`reports.rs`).

pub mod breaker;
pub mod delivery;
pub mod otp;
