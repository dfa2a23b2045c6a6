use super::*;
use crate::twilio::form::Form;

fn form(body: &str) -> Form {
    Form::parse(body.as_bytes()).unwrap()
}

fn created(body: &str) -> Result<Service, TwilioError> {
    let c = ServiceCreate::from_form(&form(body))?;
    Service::create(format!("VA{:032x}", 7), &c, 1_000)
}

#[test]
fn a_new_service_has_twilios_defaults_and_what_the_form_sets() {
    let s = created("FriendlyName=My+App").unwrap();
    assert_eq!(
        (s.friendly_name.as_str(), s.code_length, s.lookup_enabled),
        ("My App", 6, false)
    );
    let s = created(
        "FriendlyName=My%20App&CodeLength=8&LookupEnabled=true&DoNotShareWarningEnabled=True",
    )
    .unwrap();
    assert_eq!(
        (
            s.code_length,
            s.lookup_enabled,
            s.do_not_share_warning_enabled
        ),
        (8, true, true)
    );
    assert_eq!((s.created_at, s.updated_at), (1_000, 1_000));
}

#[test]
fn custom_codes_are_refused_with_60204_and_false_is_accepted() {
    assert_eq!(
        created("FriendlyName=A&CustomCodeEnabled=true")
            .unwrap_err()
            .code,
        60204
    );
    assert!(created("FriendlyName=A&CustomCodeEnabled=false").is_ok());
    let u = ServiceUpdate::from_form(&form("CustomCodeEnabled=true")).unwrap();
    assert_eq!(ServiceChange::from_update(&u).unwrap_err().code, 60204);
}

#[test]
fn an_update_changes_only_what_it_sends() {
    let mut s = created("FriendlyName=Acme&CodeLength=8").unwrap();
    let u = ServiceUpdate::from_form(&form("LookupEnabled=true")).unwrap();
    s.apply(&ServiceChange::from_update(&u).unwrap(), 2_000);
    assert_eq!(
        (s.friendly_name.as_str(), s.code_length, s.lookup_enabled),
        ("Acme", 8, true)
    );
    assert_eq!((s.created_at, s.updated_at), (1_000, 2_000));
}

#[test]
fn the_message_is_twilios_default_and_a_name_cannot_inject_a_placeholder() {
    let mut s = created("FriendlyName=Acme").unwrap();
    assert_eq!(
        s.template("en", None, false),
        "Your Acme verification code is: {{pin}}"
    );
    assert_eq!(
        s.template("en", Some("{{ttl}} Shop"), false),
        "Your ((ttl)) Shop verification code is: {{pin}}"
    );
    s.do_not_share_warning_enabled = true;
    assert!(s
        .template("en", None, false)
        .ends_with(&format!("{{{{pin}}}} {DO_NOT_SHARE}")));
    assert_eq!(
        s.template("en", None, true),
        format!("Your Acme verification code is: {{{{pin}}}} ({{{{amount}}}}, {{{{payee}}}}) {DO_NOT_SHARE}")
    );
    // An unknown language is English.
    assert_eq!(s.template("xx", None, false), s.template("en", None, false));
    // Every language's message is a template the core accepts, with the name, the PIN once
    // and the warning, and no placeholder a name could add.
    for (language, _, warning) in MESSAGES {
        for payment in [false, true] {
            let t = s.template(language, Some("{{x}} Shop"), payment);
            let used = smsotp_core::template::check_template("template", &t).unwrap();
            assert_eq!((used.amount, used.payee), (payment, payment), "{language}");
            assert_eq!(t.matches("{{pin}}").count(), 1, "{language}: {t}");
            assert!(
                t.contains("((x)) Shop") && t.ends_with(warning),
                "{language}: {t}"
            );
        }
    }
}

#[test]
fn a_verification_asks_the_core_for_the_services_code_and_twilios_limits() {
    let s = created("FriendlyName=Acme+Bank&CodeLength=8").unwrap();
    let v = VerificationCreate::from_form(&form(
        "To=%2B15005550006&Channel=sms&Locale=pt-BR&Amount=12.50&Payee=Shop",
    ))
    .unwrap();
    let body = s.otp_request(&v);
    assert_eq!(body["phoneNumber"], "+15005550006");
    assert_eq!(
        body["template_fr"],
        "Votre code de vérification Acme Bank est : {{pin}}"
    );
    assert_eq!(body["pinLength"], 8);
    assert_eq!(body["ttl"], TTL_SECONDS);
    assert_eq!(body["maxAttempts"], MAX_CHECK_ATTEMPTS);
    assert_eq!(body["language"], "pt");
    assert_eq!(
        (body["amount"].as_str(), body["payee"].as_str()),
        (Some("12.50"), Some("Shop"))
    );
    // A valid sender id becomes the sender; a longer name leaves the tenant's default.
    assert_eq!(body["from"], "Acme Bank");
    let long = created("FriendlyName=Acme+Online+Banking").unwrap();
    assert!(long.otp_request(&v).get("from").is_none());
    // What is built passes the core's checks.
    let config = smsotp_core::Config::default();
    let request = smsotp_core::validate_request(&body, &config).unwrap();
    assert_eq!((request.pin_length, request.ttl), (8, TTL_SECONDS));
    assert_eq!(request.templates.len(), MESSAGES.len() - 1);
}
