//! What the handlers do with a request once it is read: the OTP operations both APIs share
//! (`otp.rs`) and the SMS's way to the provider (`delivery.rs`).

pub mod delivery;
pub mod otp;
