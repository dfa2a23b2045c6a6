//! One file per route family, each handler taking the request context
//! (`pipeline/context.rs`) and what its kind of caller proved (a tenant, or a visitor);
//! the route table (`pipeline/table.rs`) says which handler serves which route.

pub mod account;
pub mod browser;
pub mod delivery;
pub mod meta;
pub mod numbers;
pub mod otp;
pub mod stats;
pub mod twilio;
