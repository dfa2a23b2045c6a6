//! Twilio Verify form bodies: arbitrary bytes → every typed request of the `/v2` routes
//! (`smsotp_edge::twilio::form`), a list's query (`page::PageAsk`) and, for a start that
//! reads, the core request a service builds from it (`service::Service::otp_request`).
//!
//! Invariants:
//! - nothing panics, whatever the bytes (bad `%` escapes, non-UTF-8, repeated keys);
//! - every refusal is one of Twilio's documented codes with its status (60200 / 400,
//!   60204 / 403, 60223 / 400), and a 60200 names a parameter;
//! - a start that reads has a strict E.164 `To`, and the core request built from it
//!   either validates or is refused with errors naming fields (never a panic, never an
//!   empty list);
//! - a check that reads has a 4–10 character code and exactly one target;
//! - a page asked is 1–1000 items.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smsotp_edge::twilio::form::{
    is_e164, Form, ServiceCreate, ServiceUpdate, VerificationCheckCreate, VerificationCreate,
    VerificationUpdate,
};
use smsotp_edge::twilio::page::PageAsk;
use smsotp_edge::twilio::service::Service;
use smsotp_edge::twilio::TwilioError;

fn documented(e: &TwilioError) {
    match (e.code, e.status) {
        (60200, 400) => assert!(e.message.starts_with("Invalid parameter"), "{e:?}"),
        (60204, 403) | (60223, 400) => {}
        _ => panic!("an undocumented refusal: {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = PageAsk::from_query(&String::from_utf8_lossy(data))
        .map(|p| assert!((1..=1000).contains(&p.size)))
        .map_err(|e| documented(&e));
    let form = match Form::parse(data) {
        Ok(f) => f,
        Err(e) => return documented(&e),
    };
    let _ = ServiceUpdate::from_form(&form).map_err(|e| documented(&e));
    let service = match ServiceCreate::from_form(&form) {
        Ok(c) => Service::create("VA00000000000000000000000000000001".into(), &c, 0).ok(),
        Err(e) => {
            documented(&e);
            None
        }
    };
    let _ = VerificationUpdate::from_form(&form).map_err(|e| documented(&e));
    match VerificationCheckCreate::from_form(&form) {
        Ok(c) => assert!((4..=10).contains(&c.code.chars().count())),
        Err(e) => documented(&e),
    }
    match VerificationCreate::from_form(&form) {
        Ok(v) => {
            assert!(is_e164(&v.to), "{}", v.to);
            let service = service.unwrap_or_else(|| {
                let c = ServiceCreate::from_form(&Form(vec![("FriendlyName".into(), "Acme".into())]))
                    .unwrap();
                Service::create("VA00000000000000000000000000000001".into(), &c, 0).unwrap()
            });
            let body = service.otp_request(&v);
            if let Err(errors) = smsotp_core::validate_request(&body, &smsotp_core::Config::default()) {
                assert!(!errors.is_empty());
            }
        }
        Err(e) => documented(&e),
    }
});
