//! The verification token against Node's `jose` (what a site's backend uses): tokens the
//! edge signs verify with `jwtVerify` and `createLocalJWKSet(public_jwks)` for the right
//! audience, and jose refuses a tampered payload, another audience, an expired token and a
//! `kid` not in the set; the other way, tokens jose signs with a key it generated verify
//! with `verify_token`, which refuses them for another audience, after `exp`, or altered.

#[path = "../../core/tests/common/mod.rs"]
mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use smsotp_edge::browser::keys::{generate_dev_key, JwkSet, SigningKey, SigningKeys};
use smsotp_edge::browser::token::{sign_token, verify_token, TokenClaims, TokenError};

/// 2027-01-15T08:00:00Z.
const NOW: u64 = 1_800_000_000_000;
const ISS: &str = "https://otp.example";

fn claims(tenant: &str) -> TokenClaims {
    TokenClaims::for_verified_otp(
        ISS,
        tenant,
        "+33612345678",
        "0b0f6a5e-4a51-4d39-9e0c-7c9e0c7b2f11",
        [7; 16],
        NOW,
        300,
    )
    .unwrap()
}

/// The token with its payload replaced by `payload` (header and signature kept).
fn with_payload(token: &str, payload: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("{}.{body}.{}", parts[0], parts[2])
}

fn payload_of(token: &str) -> Value {
    let b64 = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(b64).unwrap()).unwrap()
}

#[test]
fn jose_verifies_our_tokens_and_refuses_what_it_must() {
    // Two keys published: the current one signs; the next one is in the set too.
    let next = generate_dev_key([2; 32], "2027-02")["keys"][0].clone();
    let current = generate_dev_key([1; 32], "2027-01")["keys"][0].clone();
    let keys = SigningKeys::from_json(&json!({"keys": [current, next]})).unwrap();
    let next_only =
        SigningKeys::from_json(&json!({"keys": [generate_dev_key([2; 32], "2027-02")["keys"][0]]}))
            .unwrap();

    let plain = sign_token(&claims("acme"), keys.current()).unwrap();
    let payment = claims("acme").with_payment(Some("EUR 49.90"), Some("Shop SAS"));
    let paying = sign_token(&payment, keys.current()).unwrap();
    let by_next = sign_token(&claims("acme"), next_only.current()).unwrap();
    let mut forged = payload_of(&plain);
    forged["phone_number"] = json!("+33699999999");
    forged["sub"] = json!("+33699999999");
    let tampered = with_payload(&plain, &forged);
    let unknown_kid =
        sign_token(&claims("acme"), &SigningKey::from_seed([1; 32], "2026-12")).unwrap();
    let exp_ms = claims("acme").exp * 1000;

    let cases = json!([
        {"token": plain, "audience": "acme", "issuer": ISS, "nowMs": NOW},
        {"token": paying, "audience": "acme", "nowMs": NOW + 299_999},
        {"token": by_next, "audience": "acme", "nowMs": NOW},
        {"token": tampered, "audience": "acme", "nowMs": NOW},
        {"token": plain, "audience": "globex", "nowMs": NOW},
        {"token": plain, "audience": "acme", "nowMs": exp_ms},
        {"token": unknown_kid, "audience": "acme", "nowMs": NOW},
        {"token": plain, "audience": "acme", "issuer": "https://evil.example", "nowMs": NOW},
    ]);
    let stdin = json!({"jwks": keys.public_jwks(), "cases": cases}).to_string();
    let Some(out) = common::run_oracle("jwt.mjs", &["verify"], &stdin) else {
        return;
    };
    let results: Vec<Value> = serde_json::from_str(&out).expect("oracle JSON");
    assert_eq!(results.len(), 8);

    // Accepted, with the header and every claim as documented.
    assert_eq!(results[0]["ok"], true, "{}", results[0]);
    assert_eq!(
        results[0]["header"],
        json!({"alg": "EdDSA", "kid": "2027-01", "typ": "JWT"})
    );
    assert_eq!(
        results[0]["payload"],
        json!({"iss": ISS, "aud": "acme", "sub": "+33612345678", "phone_number": "+33612345678",
               "phone_number_verified": true, "otp_id": "0b0f6a5e-4a51-4d39-9e0c-7c9e0c7b2f11",
               "jti": "BwcHBwcHBwcHBwcHBwcHBw", "iat": 1_800_000_000u64, "exp": 1_800_000_300u64,
               "amr": ["sms"]})
    );
    assert_eq!(results[1]["ok"], true, "{}", results[1]);
    assert_eq!(
        (
            &results[1]["payload"]["amount"],
            &results[1]["payload"]["payee"]
        ),
        (&json!("EUR 49.90"), &json!("Shop SAS"))
    );
    // The second key of the set (rotation) verifies too.
    assert_eq!(results[2]["ok"], true, "{}", results[2]);
    assert_eq!(results[2]["header"]["kid"], "2027-02");

    let refusal = |i: usize| {
        (
            results[i]["ok"].clone(),
            results[i]["code"].clone(),
            results[i]["claim"].clone(),
        )
    };
    assert_eq!(
        refusal(3),
        (
            json!(false),
            json!("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
            Value::Null
        )
    );
    assert_eq!(
        refusal(4),
        (
            json!(false),
            json!("ERR_JWT_CLAIM_VALIDATION_FAILED"),
            json!("aud")
        )
    );
    assert_eq!(
        refusal(5),
        (json!(false), json!("ERR_JWT_EXPIRED"), json!("exp"))
    );
    assert_eq!(
        refusal(6),
        (json!(false), json!("ERR_JWKS_NO_MATCHING_KEY"), Value::Null)
    );
    assert_eq!(
        refusal(7),
        (
            json!(false),
            json!("ERR_JWT_CLAIM_VALIDATION_FAILED"),
            json!("iss")
        )
    );

    // Our own verifier agrees on every case.
    let set = keys.jwk_set();
    assert_eq!(
        verify_token(&plain, &set, "acme", Some(ISS), NOW),
        Ok(claims("acme"))
    );
    assert_eq!(
        verify_token(&paying, &set, "acme", None, NOW + 299_999),
        Ok(payment)
    );
    assert!(verify_token(&by_next, &set, "acme", None, NOW).is_ok());
    assert_eq!(
        verify_token(&tampered, &set, "acme", None, NOW),
        Err(TokenError::Signature)
    );
    assert!(matches!(
        verify_token(&plain, &set, "globex", None, NOW),
        Err(TokenError::Audience(_))
    ));
    assert!(matches!(
        verify_token(&plain, &set, "acme", None, exp_ms),
        Err(TokenError::Expired { .. })
    ));
    assert_eq!(
        verify_token(&unknown_kid, &set, "acme", None, NOW),
        Err(TokenError::UnknownKid("2026-12".into()))
    );
}

#[test]
fn tokens_jose_signs_verify_with_verify_token() {
    let claims_json = |aud: &str, exp: u64| {
        json!({"iss": ISS, "aud": aud, "sub": "+447400123456", "phone_number": "+447400123456",
               "phone_number_verified": true, "otp_id": "4f0e4c38-9a55-4b7e-8a0e-2d1f6f0e9a11",
               "jti": "jose-jti-1", "iat": 1_800_000_000u64, "exp": exp, "amr": ["sms"],
               "amount": "GBP 5.00", "payee": "Cafe"})
    };
    let stdin = json!({"kid": "jose-key", "tokens": [
        {"claims": claims_json("acme", 1_800_000_120)},
        {"claims": claims_json("globex", 1_800_000_120)},
        {"claims": claims_json("acme", 1_800_000_120), "header": {"kid": "other-key"}},
    ]})
    .to_string();
    let Some(out) = common::run_oracle("jwt.mjs", &["sign"], &stdin) else {
        return;
    };
    let signed: Value = serde_json::from_str(&out).expect("oracle JSON");
    let set = JwkSet::from_json(&signed["jwks"]).expect("jose's public JWK set");
    assert_eq!(set.kids().collect::<Vec<_>>(), ["jose-key"]);
    let token = |i: usize| signed["tokens"][i].as_str().unwrap().to_owned();

    let claims = verify_token(&token(0), &set, "acme", Some(ISS), NOW).unwrap();
    assert_eq!(
        claims,
        TokenClaims {
            iss: ISS.into(),
            aud: "acme".into(),
            sub: "+447400123456".into(),
            phone_number: "+447400123456".into(),
            phone_number_verified: true,
            otp_id: "4f0e4c38-9a55-4b7e-8a0e-2d1f6f0e9a11".into(),
            jti: "jose-jti-1".into(),
            iat: 1_800_000_000,
            exp: 1_800_000_120,
            amr: vec!["sms".into()],
            amount: Some("GBP 5.00".into()),
            payee: Some("Cafe".into()),
            azp: None,
            test: false,
        }
    );
    assert_eq!(
        verify_token(&token(1), &set, "acme", None, NOW),
        Err(TokenError::Audience("globex".into()))
    );
    assert_eq!(
        verify_token(&token(0), &set, "acme", None, 1_800_000_120_000),
        Err(TokenError::Expired {
            exp: 1_800_000_120,
            now: 1_800_000_120
        })
    );
    assert_eq!(
        verify_token(&token(2), &set, "acme", None, NOW),
        Err(TokenError::UnknownKid("other-key".into()))
    );
    let mut forged = payload_of(&token(0));
    forged["amount"] = json!("GBP 500.00");
    assert_eq!(
        verify_token(&with_payload(&token(0), &forged), &set, "acme", None, NOW),
        Err(TokenError::Signature)
    );
}
