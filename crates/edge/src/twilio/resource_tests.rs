use super::*;

const VA: &str = "VA0123456789abcdef0123456789abcdef";
const VE: &str = "VE0123456789abcdef0123456789abcdef";
const AC: &str = "AC0123456789abcdef0123456789abcdef";
const VL: &str = "VL0123456789abcdef0123456789abcdef";
const BASE: &str = "https://verify.example.com";

#[test]
fn dates_are_twilios_exact_form() {
    let cases = [
        (0, "1970-01-01T00:00:00Z"),
        (999, "1970-01-01T00:00:00Z"),
        (1_438_286_400_000, "2015-07-30T20:00:00Z"),
        (951_782_400_000, "2000-02-29T00:00:00Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59Z"),
        (1_796_083_200_000, "2026-12-01T00:00:00Z"),
        (1_798_761_599_000, "2026-12-31T23:59:59Z"),
        (4_102_444_800_000, "2100-01-01T00:00:00Z"),
    ];
    for (ms, want) in cases {
        assert_eq!(twilio_date(ms), want, "{ms}");
    }
}

#[test]
fn statuses_and_channels() {
    use OtpStatus as S;
    let cases = [
        (S::Pending, None, "pending"),
        (S::Verified, None, "approved"),
        (S::Expired, None, "expired"),
        (S::Cancelled, None, "canceled"),
        (
            S::Failed,
            Some(FailureReason::TooManyAttempts),
            "max_attempts_reached",
        ),
        (S::Failed, Some(FailureReason::NotDelivered), "failed"),
        (S::Failed, None, "failed"),
    ];
    for (s, r, want) in cases {
        assert_eq!(status(s, r), want, "{s:?} {r:?}");
    }
    let names = Channel::ALL.map(channel_name);
    assert_eq!(names, ["sms", "whatsapp", "call"]);
}

fn service() -> ServiceView<'static> {
    ServiceView {
        sid: VA,
        account_sid: AC,
        friendly_name: "My App",
        code_length: 6,
        lookup_enabled: false,
        skip_sms_to_landlines: false,
        dtmf_input_required: true,
        tts_name: None,
        psd2_enabled: false,
        do_not_share_warning_enabled: true,
        custom_code_enabled: false,
        created: 1_438_286_400_000,
        updated: 1_438_286_401_500,
    }
}

#[test]
fn service_has_every_field_the_sdks_read() {
    let j = service_json(&service(), BASE);
    let cases = [
        ("sid", json!(VA)),
        ("account_sid", json!(AC)),
        ("friendly_name", json!("My App")),
        ("code_length", json!(6)),
        ("lookup_enabled", json!(false)),
        ("dtmf_input_required", json!(true)),
        ("do_not_share_warning_enabled", json!(true)),
        ("tts_name", Value::Null),
        ("date_created", json!("2015-07-30T20:00:00Z")),
        ("date_updated", json!("2015-07-30T20:00:01Z")),
        ("url", json!(format!("{BASE}/v2/Services/{VA}"))),
        ("passkeys", Value::Null),
    ];
    for (key, want) in cases {
        assert_eq!(j[key], want, "{key}");
    }
    for key in [
        "psd2_enabled",
        "skip_sms_to_landlines",
        "custom_code_enabled",
        "verify_event_subscription_enabled",
        "push",
        "totp",
        "whatsapp",
        "default_template_sid",
    ] {
        assert!(j.get(key).is_some(), "{key}");
    }
    assert_eq!(
        j["links"]["verification_checks"],
        json!(format!("{BASE}/v2/Services/{VA}/VerificationCheck"))
    );
    assert_eq!(j["links"].as_object().unwrap().len(), 7);
}

fn verification<'a>(status: &'a str, attempts: &'a [SendAttempt]) -> VerificationView<'a> {
    VerificationView {
        sid: VE,
        service_sid: VA,
        account_sid: AC,
        to: "+15017122661",
        channel: Channel::Sms,
        status,
        amount: None,
        payee: Some("ACME"),
        attempts,
        created: 1_438_286_400_000,
        updated: 1_438_286_400_000,
    }
}

#[test]
fn verification_matches_twilios_fixture_shape() {
    let attempts = [
        SendAttempt {
            attempt_sid: VL.into(),
            time: 1_438_286_400_000,
            channel: Channel::Sms,
        },
        SendAttempt {
            attempt_sid: VL.into(),
            time: 1_438_286_460_000,
            channel: Channel::Voice,
        },
    ];
    let j = verification_json(&verification("pending", &attempts), BASE);
    assert_eq!(
        j,
        json!({"sid": VE, "service_sid": VA, "account_sid": AC, "to": "+15017122661",
               "channel": "sms", "status": "pending", "valid": false, "amount": null,
               "payee": "ACME", "lookup": {}, "sna": null,
               "send_code_attempts": [
                   {"time": "2015-07-30T20:00:00Z", "channel": "SMS", "attempt_sid": VL},
                   {"time": "2015-07-30T20:01:00Z", "channel": "CALL", "attempt_sid": VL}],
               "date_created": "2015-07-30T20:00:00Z", "date_updated": "2015-07-30T20:00:00Z",
               "url": format!("{BASE}/v2/Services/{VA}/Verifications/{VE}")})
    );
}

#[test]
fn check_has_no_url_lookup_or_attempts() {
    let cases = [("approved", true), ("pending", false), ("canceled", false)];
    for (status, valid) in cases {
        let j = verification_check_json(&verification(status, &[]));
        assert_eq!(
            (j["status"].clone(), j["valid"].clone()),
            (json!(status), json!(valid))
        );
        assert_eq!(j["sid"], json!(VE));
        assert_eq!(j["sna_attempts_error_codes"], json!([]));
        for key in ["url", "lookup", "send_code_attempts", "sna"] {
            assert!(j.get(key).is_none(), "{key}");
        }
    }
}

#[test]
fn pages_carry_meta_key_and_next() {
    let url = format!("{BASE}/v2/Services?PageSize=1&Page=1&PageToken=tok2");
    let next = format!("{BASE}/v2/Services?PageSize=1&Page=2&PageToken=tok3");
    let cases = [(Some(next.as_str()), json!(next)), (None, Value::Null)];
    for (n, want) in cases {
        let j = page_json("services", vec![json!({"sid": VA})], 1, 1, &url, n);
        assert_eq!(j["services"], json!([{"sid": VA}]));
        let meta = &j["meta"];
        assert_eq!(meta["key"], json!("services"));
        assert_eq!(meta["page"], json!(1));
        assert_eq!(meta["page_size"], json!(1));
        assert_eq!(meta["url"], json!(url));
        assert_eq!(meta["next_page_url"], want);
        assert_eq!(meta["previous_page_url"], Value::Null);
        assert_eq!(
            meta["first_page_url"],
            json!(format!("{BASE}/v2/Services?PageSize=1&Page=0"))
        );
    }
}
