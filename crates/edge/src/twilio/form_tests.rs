use super::*;

fn form(body: &str) -> Form {
    Form::parse(body.as_bytes()).unwrap()
}

fn err(r: Result<impl std::fmt::Debug, TwilioError>) -> (u32, String) {
    let e = r.unwrap_err();
    (e.code, e.message)
}

const VE: &str = "VE0123456789abcdef0123456789abcdef";

#[test]
fn decoding_accepts_both_sdks() {
    let cases = [
        ("FriendlyName=My%20App", "FriendlyName", "My App"),
        ("FriendlyName=My+App", "FriendlyName", "My App"),
        ("To=%2B15017122661", "To", "+15017122661"),
        (
            "RateLimits=%7B%22ip%22%3A+%221.2.3.4%22%7D",
            "RateLimits",
            "{\"ip\": \"1.2.3.4\"}",
        ),
        ("A=caf%C3%A9", "A", "café"),
        ("Push.IncludeDate=true", "Push.IncludeDate", "true"),
        ("a=1&&Key", "Key", ""),
    ];
    for (body, key, value) in cases {
        assert_eq!(form(body).get(key).unwrap(), Some(value), "{body}");
    }
    assert_eq!(form("").0, vec![]);
}

#[test]
fn undecodable_bodies_are_60200() {
    for body in [&b"A=%2"[..], b"A=%zz", b"A=%FF", b"%ZZ=1", b"A=\xff"] {
        assert_eq!(Form::parse(body).unwrap_err().code, 60200, "{body:?}");
    }
    assert_eq!(
        Form::parse(b"Code=%G1").unwrap_err().message,
        "Invalid parameter: Code"
    );
}

#[test]
fn repeated_known_keys_are_refused_unknown_ignored() {
    let f = form("Status=canceled&Status=approved&X=1&X=2");
    assert_eq!(
        err(VerificationUpdate::from_form(&f)).1,
        "Invalid parameter: Status"
    );
    assert_eq!(
        VerificationUpdate::from_form(&form("Status=canceled&Foo=1&Foo=2")),
        Ok(VerificationUpdate::Canceled)
    );
}

#[test]
fn service_create_and_update() {
    let ok = ServiceCreate::from_form(&form(
        "FriendlyName=My+App&CodeLength=6&LookupEnabled=false&DoNotShareWarningEnabled=TRUE\
         &CustomCodeEnabled=true&Psd2Enabled=true&Totp.Skew=1&Unknown=x",
    ))
    .unwrap();
    assert_eq!(ok.friendly_name, "My App");
    assert_eq!(ok.settings.code_length, Some(6));
    assert_eq!(ok.settings.lookup_enabled, Some(false));
    assert_eq!(ok.settings.do_not_share_warning_enabled, Some(true));
    assert_eq!(ok.settings.custom_code_enabled, Some(true));
    assert_eq!(ok.settings.psd2_enabled, Some(true));
    assert_eq!(ok.settings.skip_sms_to_landlines, None);

    let refused = [
        ("", "FriendlyName"),
        ("FriendlyName=", "FriendlyName"),
        (
            "FriendlyName=abcdefghijabcdefghijabcdefghijabc",
            "FriendlyName",
        ),
        ("FriendlyName=A&CodeLength=3", "CodeLength"),
        ("FriendlyName=A&CodeLength=11", "CodeLength"),
        ("FriendlyName=A&CodeLength=six", "CodeLength"),
        ("FriendlyName=A&CodeLength=", "CodeLength"),
        ("FriendlyName=A&LookupEnabled=yes", "LookupEnabled"),
        ("FriendlyName=A&LookupEnabled=1", "LookupEnabled"),
        ("FriendlyName=A&Psd2Enabled=", "Psd2Enabled"),
    ];
    for (body, name) in refused {
        let got = err(ServiceCreate::from_form(&form(body)));
        assert_eq!(got, (60200, format!("Invalid parameter: {name}")), "{body}");
    }
    let name32 = "abcdefghijabcdefghijabcdefghijab";
    assert!(ServiceCreate::from_form(&form(&format!("FriendlyName={name32}"))).is_ok());

    assert_eq!(
        ServiceUpdate::from_form(&form("")),
        Ok(ServiceUpdate::default())
    );
    let u = ServiceUpdate::from_form(&form("CodeLength=10&SkipSmsToLandlines=true")).unwrap();
    assert_eq!(
        (u.code_length, u.skip_sms_to_landlines),
        (Some(10), Some(true))
    );
    assert_eq!(
        err(ServiceUpdate::from_form(&form("FriendlyName="))).0,
        60200
    );
}

#[test]
fn verification_create() {
    let v = VerificationCreate::from_form(&form(
        "To=%2B15017122661&Channel=call&Locale=pt-BR&CustomFriendlyName=Shop&Amount=%E2%82%AC10\
         &Payee=ACME&AppHash=FA%2B9qCX9VSu&DeviceIp=2001%3Adb8%3A%3A1&RiskCheck=enable",
    ))
    .unwrap();
    assert_eq!(v.to, "+15017122661");
    assert_eq!(v.channel, Channel::Voice);
    assert_eq!(v.locale.as_deref(), Some("pt-BR"));
    assert_eq!(v.custom_friendly_name.as_deref(), Some("Shop"));
    assert_eq!(v.amount.as_deref(), Some("€10"));
    assert_eq!(v.payee.as_deref(), Some("ACME"));
    assert_eq!(v.app_hash.as_deref(), Some("FA+9qCX9VSu"));
    assert_eq!(v.device_ip, Some("2001:db8::1".parse().unwrap()));

    for (name, ch) in [("sms", Channel::Sms), ("whatsapp", Channel::Whatsapp)] {
        let body = format!("To=%2B33612345678&Channel={name}");
        assert_eq!(
            VerificationCreate::from_form(&form(&body)).unwrap().channel,
            ch
        );
    }

    let refused: &[(&str, u32, &str)] = &[
        (
            "To=%2B15017122661&Channel=sms&CustomCode=1234",
            60204,
            "Service does not support this feature",
        ),
        (
            "To=%2B15017122661&Channel=sms&CustomCode=",
            60204,
            "Service does not support this feature",
        ),
        (
            "To=a%40b.c&Channel=email",
            60223,
            "Delivery channel disabled",
        ),
        (
            "To=%2B15017122661&Channel=sna",
            60223,
            "Delivery channel disabled",
        ),
        (
            "To=%2B15017122661&Channel=fax",
            60200,
            "Invalid parameter: Channel",
        ),
        (
            "To=%2B15017122661&Channel=SMS",
            60200,
            "Invalid parameter: Channel",
        ),
        ("To=%2B15017122661", 60200, "Invalid parameter: Channel"),
        ("Channel=sms", 60200, "Invalid parameter: To"),
        (
            "To=+15017122661&Channel=sms",
            60200,
            "Invalid parameter: To",
        ),
        ("To=15017122661&Channel=sms", 60200, "Invalid parameter: To"),
        (
            "To=%2B05017122661&Channel=sms",
            60200,
            "Invalid parameter: To",
        ),
        (
            "To=%2B1501712266123456&Channel=sms",
            60200,
            "Invalid parameter: To",
        ),
        ("To=%2B1&Channel=sms", 60200, "Invalid parameter: To"),
        (
            "To=%2B1501-712-2661&Channel=sms",
            60200,
            "Invalid parameter: To",
        ),
        (
            "To=%2B15017122661&Channel=sms&Locale=english",
            60200,
            "Invalid parameter: Locale",
        ),
        (
            "To=%2B15017122661&Channel=sms&Locale=EN",
            60200,
            "Invalid parameter: Locale",
        ),
        (
            "To=%2B15017122661&Channel=sms&DeviceIp=1.2.3",
            60200,
            "Invalid parameter: DeviceIp",
        ),
        (
            "To=%2B15017122661&To=%2B15017122662&Channel=sms",
            60200,
            "Invalid parameter: To",
        ),
    ];
    for (body, code, message) in refused {
        let got = err(VerificationCreate::from_form(&form(body)));
        assert_eq!(got, (*code, message.to_string()), "{body}");
    }
}

#[test]
fn verification_update() {
    let cases = [
        ("Status=canceled", Ok(VerificationUpdate::Canceled)),
        ("Status=approved", Ok(VerificationUpdate::Approved)),
        ("Status=cancelled", Err(60200)),
        ("Status=pending", Err(60200)),
        ("Status=", Err(60200)),
        ("", Err(60200)),
    ];
    for (body, want) in cases {
        let got = VerificationUpdate::from_form(&form(body)).map_err(|e| e.code);
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn verification_check() {
    let by_to = VerificationCheckCreate::from_form(&form(
        "Code=123456&To=%2B15017122661&Amount=10&Payee=ACME",
    ))
    .unwrap();
    assert_eq!(by_to.code, "123456");
    assert_eq!(by_to.target, CheckTarget::To("+15017122661".into()));
    assert_eq!(
        (by_to.amount.as_deref(), by_to.payee.as_deref()),
        (Some("10"), Some("ACME"))
    );
    let by_sid =
        VerificationCheckCreate::from_form(&form(&format!("Code=AB12&VerificationSid={VE}")))
            .unwrap();
    assert_eq!(
        by_sid.target,
        CheckTarget::Sid(sid::parse(SidKind::Verification, VE).unwrap())
    );

    let refused = [
        ("To=%2B15017122661".to_owned(), "Code"),
        ("Code=&To=%2B15017122661".to_owned(), "Code"),
        ("Code=123&To=%2B15017122661".to_owned(), "Code"),
        ("Code=12345678901&To=%2B15017122661".to_owned(), "Code"),
        ("Code=1234".to_owned(), "To"),
        ("Code=1234&To=0612345678".to_owned(), "To"),
        (
            format!("Code=1234&To=%2B15017122661&VerificationSid={VE}"),
            "VerificationSid",
        ),
        (
            "Code=1234&VerificationSid=VA0123456789abcdef0123456789abcdef".to_owned(),
            "VerificationSid",
        ),
        (
            "Code=1234&VerificationSid=%2B15017122661".to_owned(),
            "VerificationSid",
        ),
    ];
    for (body, name) in refused {
        let got = err(VerificationCheckCreate::from_form(&form(&body)));
        assert_eq!(got, (60200, format!("Invalid parameter: {name}")), "{body}");
    }
}

#[test]
fn e164_and_locales() {
    for (s, ok) in [
        ("+15017122661", true),
        ("+44", true),
        ("+4", false),
        ("+", false),
        ("", false),
        ("+123456789012345", true),
        ("+1234567890123456", false),
        ("+0123", false),
        ("++1234", false),
    ] {
        assert_eq!(is_e164(s), ok, "{s}");
    }
    for (s, ok) in [
        ("en", true),
        ("pt-BR", true),
        ("zh-hk", true),
        ("e", false),
        ("en_GB", false),
        ("EN", false),
    ] {
        assert_eq!(is_locale(s), ok, "{s}");
    }
}
