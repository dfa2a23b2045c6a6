//! `docs/openapi.json` against smsotp-edge: the body of `POST /v1/browser/otp` has exactly
//! the fields the browser API's rules let a visitor set (`browser::request::OTP_FIELDS`),
//! and no other. The document is compiled into this test (and into the worker, which serves
//! it); the core's side of the document is checked by crates/core/tests/openapi.rs.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use smsotp_edge::browser::request::OTP_FIELDS;

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON")
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "components.schemas.{name} is missing");
    s
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

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
