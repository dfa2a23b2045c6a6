//! `docs/openapi.json` against smsotp-edge: the body of `POST /v1/browser/otp` has exactly
//! the fields the browser API's rules let a visitor set (`browser::request::OTP_FIELDS`),
//! and no other. The document is compiled into this test (and into the worker, which serves
//! it); the core's side of the document is checked by crates/core/tests/openapi.rs.

use std::collections::BTreeSet;

use serde_json::json;
use smsotp_edge::browser::request::OTP_FIELDS;

mod common;

use common::{document, keys, schema};

#[test]
fn the_browser_start_body_is_the_core_list_of_visitor_fields() {
    let doc = document();
    let s = schema(&doc, "BrowserOtpRequest");
    let expected: BTreeSet<String> = OTP_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(keys(&s["properties"]), expected);
    assert_eq!(
        s["additionalProperties"],
        json!(false),
        "other fields are 2121"
    );
}
