use super::*;

#[test]
fn constructors_have_the_documented_codes_and_statuses() {
    let cases = [
        (TwilioError::authenticate(), 20003, 401),
        (TwilioError::not_found("/Services/VAx"), 20404, 404),
        (TwilioError::too_many_requests(), 20429, 429),
        (TwilioError::invalid_parameter("To"), 60200, 400),
        (TwilioError::max_check_attempts(), 60202, 429),
        (TwilioError::max_send_attempts(), 60203, 429),
        (TwilioError::feature_not_supported(), 60204, 403),
        (TwilioError::landline(), 60205, 403),
        (TwilioError::channel_disabled(), 60223, 400),
        (TwilioError::prefix_blocked(), 60410, 403),
        (TwilioError::geo_blocked(), 60605, 403),
        (TwilioError::internal(), 20500, 500),
        (TwilioError::unavailable(), 20503, 503),
    ];
    for (e, code, status) in cases {
        assert_eq!((e.code, e.status), (code, status), "{e:?}");
    }
    assert_eq!(
        TwilioError::invalid_parameter("To").message,
        "Invalid parameter: To"
    );
    assert_eq!(
        TwilioError::not_found("/Services/VA1/VerificationCheck").message,
        "The requested resource /Services/VA1/VerificationCheck was not found"
    );
}

#[test]
fn envelope_is_the_classic_body_without_type_or_title() {
    let body = TwilioError::too_many_requests().envelope();
    assert_eq!(
        body,
        json!({"code": 20429, "message": "Too many requests",
               "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429})
    );
    let obj = body.as_object().unwrap();
    assert!(!obj.contains_key("type") && !obj.contains_key("title"));
}

#[test]
fn our_codes_map_to_twilio_codes() {
    let cases: &[(ErrorCode, Option<&str>, Option<u32>)] = &[
        (ErrorCode::InvalidPin, None, None),
        (ErrorCode::NumberSendLimit, None, Some(60203)),
        (ErrorCode::ResendTooSoon, None, Some(20429)),
        (ErrorCode::OtpSendLimit, None, Some(60203)),
        (ErrorCode::NumberLocked, None, Some(60202)),
        (ErrorCode::NumberLockedUntilCleared, None, Some(60202)),
        (ErrorCode::FailedLastAttempt, None, Some(60202)),
        (ErrorCode::CountryNotAllowed, None, Some(60605)),
        (ErrorCode::NumberTypeBlocked, None, Some(60205)),
        (ErrorCode::PrefixBlocked, None, Some(60410)),
        (ErrorCode::GuardCountryRefused, None, Some(60410)),
        (ErrorCode::GuardRangeRefused, None, Some(60410)),
        (ErrorCode::GuardIpRefused, None, Some(60410)),
        (ErrorCode::EndUserIpLimit, None, Some(20429)),
        (ErrorCode::DailySendCap, None, Some(20429)),
        (ErrorCode::BrowserDailySendCap, None, Some(20429)),
        (ErrorCode::RateLimited, None, Some(20429)),
        (ErrorCode::OtpNotFound, None, Some(20404)),
        (ErrorCode::Cancelled, None, Some(20404)),
        (ErrorCode::Expired, None, Some(20404)),
        (ErrorCode::Failed, None, Some(60202)),
        (ErrorCode::AlreadyVerified, None, Some(20404)),
        (ErrorCode::CancelNotPending, None, Some(20404)),
        (ErrorCode::ChannelInvalid, None, Some(60200)),
        (ErrorCode::ChannelNotAllowed, None, Some(60223)),
        (ErrorCode::PhoneNumberInvalid, None, Some(60200)),
        (ErrorCode::AmountInvalid, Some("amount"), Some(60200)),
        (ErrorCode::InvalidApiKey, None, Some(20003)),
        (ErrorCode::Unavailable, None, Some(20503)),
        (ErrorCode::Internal, None, Some(20500)),
    ];
    for (code, field, want) in cases {
        let mut e = ApiError::new(*code);
        e.field = field.map(str::to_owned);
        let got = from_api_error(&e, "/Services/VA1/VerificationCheck");
        assert_eq!(got.as_ref().map(|t| t.code), *want, "{code:?}");
    }
}

#[test]
fn invalid_parameters_name_twilios_form_field() {
    let cases = [
        (ErrorCode::PhoneNumberInvalid, None, "Invalid parameter: To"),
        (ErrorCode::PinMissing, None, "Invalid parameter: Code"),
        (
            ErrorCode::AmountInvalid,
            Some("amount"),
            "Invalid parameter: Amount",
        ),
        (
            ErrorCode::PayeeInvalid,
            Some("payee"),
            "Invalid parameter: Payee",
        ),
        (
            ErrorCode::LanguageInvalid,
            Some("language"),
            "Invalid parameter: Locale",
        ),
        (
            ErrorCode::AppHashInvalid,
            Some("appHash"),
            "Invalid parameter: AppHash",
        ),
        (
            ErrorCode::FromMissing,
            Some("from"),
            "Invalid parameter: FriendlyName",
        ),
    ];
    for (code, field, message) in cases {
        let mut e = ApiError::new(code);
        e.field = field.map(str::to_owned);
        assert_eq!(
            from_api_error(&e, "/").unwrap().message,
            message,
            "{code:?}"
        );
    }
}

#[test]
fn every_code_maps_to_a_status_of_the_same_class() {
    for &code in ErrorCode::ALL {
        let Some(t) = from_api_error(&ApiError::new(code), "/") else {
            assert_eq!(code, ErrorCode::InvalidPin);
            continue;
        };
        assert!(t.status >= 400, "{code:?}");
        assert_eq!(
            t.status >= 500,
            code.http_status() >= 500,
            "{code:?} → {t:?}"
        );
    }
}
