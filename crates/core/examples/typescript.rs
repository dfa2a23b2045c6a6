//! Prints the TypeScript declarations of the types the npm package exposes, generated from
//! the Rust types (ts-rs): `cargo run -p smsotp-core --features typescript --example typescript`.
//! The package build (`scripts/build-web.sh`) writes them into `crates/web/pkg/types.d.ts`.

use smsotp_core::*;
use ts_rs::{Config, TS};

fn main() {
    let cfg = Config::default();
    let decls = [
        OtpRequest::decl(&cfg),
        FieldError::decl(&cfg),
        PhoneCheck::decl(&cfg),
        NumberType::decl(&cfg),
        FormatStyle::decl(&cfg),
        CountryInfo::decl(&cfg),
        PinType::decl(&cfg),
        RenderedMessage::decl(&cfg),
        SmsInfo::decl(&cfg),
        Encoding::decl(&cfg),
        OtpObject::decl(&cfg),
        OtpStatus::decl(&cfg),
        delivery::Channel::decl(&cfg),
        delivery::DeliveryStatus::decl(&cfg),
        delivery::DeliveryObject::decl(&cfg),
        delivery::AttemptObject::decl(&cfg),
        ErrorBody::decl(&cfg),
    ];
    println!("// Generated from smsotp-core's Rust types (ts-rs). Do not edit.\n");
    for decl in decls {
        println!("export {decl}\n");
    }
}
