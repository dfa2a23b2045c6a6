//! `docs/openapi.json`'s Twilio Verify v2 part against smsotp-edge's wire module
//! (`smsotp_edge::twilio`): the JSON the module writes has the fields the document's
//! schemas give (every required one, none it does not list), the error body is Twilio's
//! four keys, and every Twilio error the module can produce — each constructor, and what
//! each of our error codes becomes — is listed by the document under its own HTTP status.
//! (What the worker answers is checked against the same document by schemathesis:
//! scripts/test-conformance.sh.)

use std::collections::BTreeMap;

use serde_json::Value;
use smsotp_core::{ApiError, Channel, ErrorCode};
use smsotp_edge::twilio::error::{from_api_error, TwilioError};
use smsotp_edge::twilio::resource::{
    page_json, service_json, verification_check_json, verification_json, SendAttempt, ServiceView,
    VerificationView,
};

mod common;

use common::{document, keys, schema, strings};

const VA: &str = "VA0123456789abcdef0123456789abcdef";
const VE: &str = "VE0123456789abcdef0123456789abcdef";
const AC: &str = "AC0123456789abcdef0123456789abcdef";
const VL: &str = "VL0123456789abcdef0123456789abcdef";
const BASE: &str = "https://verify.example.com";

/// `value`'s keys are the schema's: every required one, and only listed ones.
fn same_fields(doc: &Value, name: &str, value: &Value) {
    let s = schema(doc, name);
    let got = keys(value);
    let required = strings(&s["required"]);
    let listed = keys(&s["properties"]);
    assert!(
        required.is_subset(&got),
        "{name}: missing {:?}",
        required.difference(&got).collect::<Vec<_>>()
    );
    assert!(
        got.is_subset(&listed),
        "{name}: not in the document {:?}",
        got.difference(&listed).collect::<Vec<_>>()
    );
}

fn service() -> ServiceView<'static> {
    ServiceView {
        sid: VA,
        account_sid: AC,
        friendly_name: "My App",
        code_length: 6,
        lookup_enabled: false,
        skip_sms_to_landlines: false,
        dtmf_input_required: false,
        tts_name: None,
        psd2_enabled: false,
        do_not_share_warning_enabled: false,
        custom_code_enabled: false,
        created: 1_438_286_400_000,
        updated: 1_438_286_400_000,
    }
}

#[test]
fn the_resources_have_the_documented_fields() {
    let doc = document();
    let s = service_json(&service(), BASE);
    same_fields(&doc, "TwilioService", &s);
    let links = &schema(&doc, "TwilioService")["properties"]["links"];
    assert_eq!(keys(&s["links"]), strings(&links["required"]), "links");

    let page = page_json(
        "services",
        vec![s],
        0,
        50,
        &format!("{BASE}/v2/Services?PageSize=50&Page=0"),
        None,
    );
    same_fields(&doc, "TwilioServiceList", &page);
    let meta = &schema(&doc, "TwilioServiceList")["properties"]["meta"];
    assert_eq!(keys(&page["meta"]), strings(&meta["required"]), "meta");

    let attempts = [SendAttempt {
        attempt_sid: VL.into(),
        time: 1_438_286_400_000,
        channel: Channel::Sms,
    }];
    let v = VerificationView {
        sid: VE,
        service_sid: VA,
        account_sid: AC,
        to: "+15017122661",
        channel: Channel::Sms,
        status: "pending",
        amount: None,
        payee: None,
        attempts: &attempts,
        created: 1_438_286_400_000,
        updated: 1_438_286_400_000,
    };
    let verification = verification_json(&v, BASE);
    same_fields(&doc, "TwilioVerification", &verification);
    let attempt = &schema(&doc, "TwilioVerification")["properties"]["send_code_attempts"]["items"];
    assert_eq!(
        keys(&verification["send_code_attempts"][0]),
        strings(&attempt["required"])
    );
    same_fields(
        &doc,
        "TwilioVerificationCheck",
        &verification_check_json(&v),
    );
}

/// The document's Twilio codes: code → HTTP status, from the `TwilioError<status>` schemas.
fn documented_codes(doc: &Value) -> BTreeMap<u64, u16> {
    let mut codes = BTreeMap::new();
    for (name, s) in doc["components"]["schemas"].as_object().unwrap() {
        let Some(status) = name
            .strip_prefix("TwilioError")
            .and_then(|s| s.parse::<u16>().ok())
        else {
            continue;
        };
        for v in s["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no oneOf"))
        {
            let code = v["properties"]["code"]["const"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: a variant without a code: {v}"));
            assert!(
                codes.insert(code, status).is_none(),
                "{code} documented twice"
            );
        }
    }
    codes
}

fn assert_documented(codes: &BTreeMap<u64, u16>, e: &TwilioError, what: &str) {
    assert_eq!(
        codes.get(&u64::from(e.code)),
        Some(&e.status),
        "{what}: Twilio {} / HTTP {} is not in the document's TwilioError{}",
        e.code,
        e.status,
        e.status
    );
}

#[test]
fn every_twilio_error_is_documented_under_its_status() {
    let doc = document();
    let codes = documented_codes(&doc);
    let constructors = [
        TwilioError::authenticate(),
        TwilioError::not_found("/Services"),
        TwilioError::too_many_requests(),
        TwilioError::invalid_parameter("To"),
        TwilioError::invalid_body(),
        TwilioError::max_check_attempts(),
        TwilioError::max_send_attempts(),
        TwilioError::feature_not_supported(),
        TwilioError::landline(),
        TwilioError::channel_disabled(),
        TwilioError::prefix_blocked(),
        TwilioError::geo_blocked(),
        TwilioError::internal(),
        TwilioError::unavailable(),
        TwilioError::too_many_services(),
    ];
    for e in &constructors {
        assert_documented(&codes, e, "constructor");
        same_fields(&doc, "TwilioError", &e.envelope());
    }
    // What each of our codes becomes on the Twilio routes: every Twilio code is listed
    // under its status. (A code of ours with no Twilio counterpart becomes its HTTP status;
    // of those only 413 can answer a Twilio operation: 405 answers a method the document
    // does not list, and the others belong to routes of ours: idempotency keys, the
    // browser API.)
    let mut mapped = 0;
    for &c in ErrorCode::ALL {
        let Some(e) = from_api_error(&ApiError::new(c), "/Services") else {
            continue;
        };
        if e.code >= 20_000 {
            assert_documented(&codes, &e, &format!("{c:?} ({})", c.code()));
            mapped += 1;
        } else {
            assert_eq!(u32::from(e.status), e.code, "{c:?}");
        }
    }
    assert!(
        mapped > 40,
        "only {mapped} of our codes map to a Twilio code"
    );
    let too_large = from_api_error(&ApiError::new(ErrorCode::PayloadTooLarge), "/").unwrap();
    assert_documented(&codes, &too_large, "PayloadTooLarge");
}
