//! The verification token: a JWT the browser receives when its PIN verifies, and hands to
//! the site's backend, which checks it **offline** against the published JWK set
//! (`/.well-known/jwks.json`) — no call back to us, no shared secret.
//!
//! Why a signed JWT: the browser is not trusted, so "the user verified +33…" must be
//! something the browser cannot forge or alter; an asymmetric signature lets any backend
//! check it with public keys, and JWT is what every backend already has a library for.
//!
//! Header `{"alg": "EdDSA", "kid", "typ": "JWT"}`; claims:
//!
//! | claim | value |
//! |---|---|
//! | `iss` | the deployment's public URL (a setting) |
//! | `aud` | the tenant id: a backend accepts only tokens made for it |
//! | `sub`, `phone_number` | the verified number, E.164 |
//! | `phone_number_verified` | `true` |
//! | `otp_id` | the OTP verified (a PIN verifies at most once: one token per OTP) |
//! | `jti` | 16 random bytes (the caller's), base64url: a backend refuses a replayed `jti` |
//! | `iat`, `exp` | issued at, expires at (unix seconds); `exp − iat` ≤ 300 s |
//! | `amr` | `["sms"]` (RFC 8176) |
//! | `amount`, `payee` | when the OTP had them: the payment the code confirmed (PSD2 dynamic linking) |
//!
//! Signing and verification are `jwt-compact`'s (EdDSA through `ed25519-dalek`), chosen
//! because it builds for `wasm32-unknown-unknown` with no clock and no `getrandom`
//! (`jsonwebtoken` 10 and 11 pull `getrandom` 0.2 through `rand` and fail to build there);
//! nothing of the cryptography or the JWS encoding is ours. [`verify_token`] is what a
//! backend does, for our tests and as its documentation; time is always the caller's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_compact::alg::Ed25519;
use jwt_compact::{AlgorithmExt as _, Claims, Header, UntrustedToken, ValidationError};
use serde::{Deserialize, Serialize};

use super::keys::{JwkSet, SigningKey};
use smsotp_core::time::UnixMillis;

/// The longest lifetime of a token, in seconds (`exp − iat`): long enough to reach the
/// site's backend, short enough that a leaked token is soon useless.
pub const MAX_TOKEN_TTL_SECONDS: u32 = 300;

/// The `amr` (authentication methods, RFC 8176) of every token: a one-time code by SMS.
pub const AMR_SMS: &str = "sms";

/// The claims of a verification token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// Issuer: the deployment's public URL.
    pub iss: String,
    /// Audience: the tenant id.
    pub aud: String,
    /// Subject: the verified phone number, E.164.
    pub sub: String,
    /// The verified phone number, E.164 (OpenID Connect's claim name).
    pub phone_number: String,
    /// Always `true` in tokens we sign.
    pub phone_number_verified: bool,
    /// The OTP whose PIN verified.
    pub otp_id: String,
    /// The token's unique id (base64url of 16 random bytes).
    pub jti: String,
    /// Issued at, unix seconds.
    pub iat: u64,
    /// Expires at, unix seconds.
    pub exp: u64,
    /// Authentication methods: `["sms"]`.
    pub amr: Vec<String>,
    /// The payment amount the OTP confirmed, when it had one.
    pub amount: Option<String>,
    /// The payee the OTP confirmed, when it had one.
    pub payee: Option<String>,
    /// Authorized party (OpenID Connect's `azp`): the origin of the page the code was
    /// typed on, so a backend can refuse a token minted on another of the tenant's sites.
    pub azp: Option<String>,
    /// `true` for one of the tenant's test numbers (a fixed PIN, no SMS): a backend in
    /// production should refuse such a token. Encoded only when true.
    pub test: bool,
}

impl TokenClaims {
    /// The claims for a verified OTP: issued `now`, valid `ttl_seconds` (1 to 300, else
    /// [`TokenError::Lifetime`]), `jti` from the caller's 16 random bytes. Add a payment
    /// with [`TokenClaims::with_payment`].
    ///
    /// ```
    /// use smsotp_edge::browser::token::TokenClaims;
    ///
    /// let c = TokenClaims::for_verified_otp("https://otp.example", "acme", "+33612345678",
    ///     "0b0f6a5e-4a51-4d39-9e0c-7c9e0c7b2f11", [0; 16], 1_800_000_000_500, 300).unwrap();
    /// assert_eq!((c.iat, c.exp, c.jti.as_str()), (1_800_000_000, 1_800_000_300, "AAAAAAAAAAAAAAAAAAAAAA"));
    /// assert!(TokenClaims::for_verified_otp("i", "a", "+1", "o", [0; 16], 0, 301).is_err());
    /// ```
    pub fn for_verified_otp(
        issuer: &str,
        tenant_id: &str,
        phone_e164: &str,
        otp_id: &str,
        jti_random: [u8; 16],
        now: UnixMillis,
        ttl_seconds: u32,
    ) -> Result<TokenClaims, TokenError> {
        check_lifetime(i128::from(ttl_seconds))?;
        let iat = now / 1000;
        Ok(TokenClaims {
            iss: issuer.to_owned(),
            aud: tenant_id.to_owned(),
            sub: phone_e164.to_owned(),
            phone_number: phone_e164.to_owned(),
            phone_number_verified: true,
            otp_id: otp_id.to_owned(),
            jti: URL_SAFE_NO_PAD.encode(jti_random),
            iat,
            exp: iat + u64::from(ttl_seconds),
            amr: vec![AMR_SMS.to_owned()],
            amount: None,
            payee: None,
            azp: None,
            test: false,
        })
    }

    /// The same claims, with the page's origin as `azp`.
    pub fn with_authorized_party(mut self, origin: &str) -> Self {
        self.azp = Some(origin.to_owned());
        self
    }

    /// The same claims, marked `"test": true` when the number is a test number.
    pub fn for_test_number(mut self, test: bool) -> Self {
        self.test = test;
        self
    }

    /// The same claims with the OTP's payment (`amount`, `payee`; either may be absent).
    pub fn with_payment(mut self, amount: Option<&str>, payee: Option<&str>) -> Self {
        self.amount = amount.map(str::to_owned);
        self.payee = payee.map(str::to_owned);
        self
    }
}

/// Why a token could not be signed or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// `exp − iat` is not 1 to 300 seconds.
    #[error("a token lives 1 to {MAX_TOKEN_TTL_SECONDS} seconds (exp - iat), not {0}")]
    Lifetime(i128),
    /// Not a compact JWS, or its header or claims are not what a token holds.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header's `alg` is not `EdDSA`.
    #[error("the token's alg is {0:?}, not EdDSA")]
    Algorithm(String),
    /// The header has no `kid`.
    #[error("the token's header has no kid")]
    MissingKid,
    /// The `kid` is not in the JWK set (an unknown or retired key).
    #[error("no key {0:?} in the JWK set")]
    UnknownKid(String),
    /// The signature does not verify: the token was altered, or signed by another key.
    #[error("the token's signature does not verify")]
    Signature,
    /// `now` is at or past `exp`.
    #[error("the token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`, unix seconds.
        exp: u64,
        /// The time of the check, unix seconds.
        now: u64,
    },
    /// `aud` is not the expected tenant.
    #[error("the token is for audience {0:?}")]
    Audience(String),
    /// `iss` is not the expected issuer.
    #[error("the token was issued by {0:?}")]
    Issuer(String),
    /// The claims could not be encoded (never expected).
    #[error("the token could not be signed: {0}")]
    Signing(String),
}

/// The claims as encoded, except `iat` and `exp` (jwt-compact's [`Claims`] holds those).
#[derive(Serialize, Deserialize)]
struct Payload {
    iss: String,
    aud: String,
    sub: String,
    phone_number: String,
    phone_number_verified: bool,
    otp_id: String,
    jti: String,
    amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    azp: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    test: bool,
}

fn check_lifetime(seconds: i128) -> Result<(), TokenError> {
    if (1..=i128::from(MAX_TOKEN_TTL_SECONDS)).contains(&seconds) {
        Ok(())
    } else {
        Err(TokenError::Lifetime(seconds))
    }
}

fn timestamp(secs: u64) -> Result<chrono::DateTime<chrono::Utc>, TokenError> {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .ok_or_else(|| TokenError::Signing(format!("{secs} is not a usable timestamp")))
}

/// Signs `claims` with `key`: header `{"alg": "EdDSA", "kid", "typ": "JWT"}`. Refused when
/// `exp − iat` is not 1 to 300 seconds.
///
/// ```
/// use smsotp_edge::browser::keys::SigningKeys;
/// use smsotp_edge::browser::keys::generate_dev_key;
/// use smsotp_edge::browser::token::{sign_token, verify_token, TokenClaims};
///
/// let keys = SigningKeys::from_json(&generate_dev_key([7; 32], "dev")).unwrap();
/// let claims = TokenClaims::for_verified_otp("https://otp.example", "acme", "+33612345678",
///     "0b0f6a5e-4a51-4d39-9e0c-7c9e0c7b2f11", [5; 16], 1_800_000_000_000, 300).unwrap();
/// let token = sign_token(&claims, keys.current()).unwrap();
/// let checked = verify_token(&token, &keys.jwk_set(), "acme", None, 1_800_000_299_999).unwrap();
/// assert_eq!(checked, claims);
/// assert!(verify_token(&token, &keys.jwk_set(), "acme", None, 1_800_000_300_000).is_err());
/// ```
pub fn sign_token(claims: &TokenClaims, key: &SigningKey) -> Result<String, TokenError> {
    check_lifetime(i128::from(claims.exp) - i128::from(claims.iat))?;
    let payload = Payload {
        iss: claims.iss.clone(),
        aud: claims.aud.clone(),
        sub: claims.sub.clone(),
        phone_number: claims.phone_number.clone(),
        phone_number_verified: claims.phone_number_verified,
        otp_id: claims.otp_id.clone(),
        jti: claims.jti.clone(),
        amr: claims.amr.clone(),
        amount: claims.amount.clone(),
        payee: claims.payee.clone(),
        azp: claims.azp.clone(),
        test: claims.test,
    };
    let mut encoded = Claims::new(payload);
    encoded.issued_at = Some(timestamp(claims.iat)?);
    encoded.expiration = Some(timestamp(claims.exp)?);
    let header = Header::empty()
        .with_key_id(key.kid())
        .with_token_type("JWT");
    Ed25519
        .token(&header, &encoded, key.dalek())
        .map_err(|e| TokenError::Signing(e.to_string()))
}

/// Checks a token as a site's backend does, offline: an `EdDSA` compact JWS whose `kid`
/// names a key of `jwks` and whose signature verifies with it; `aud` equal to
/// `expected_aud`; `iss` equal to `expected_iss` when one is given; `now` (unix ms) before
/// `exp`. Returns the claims.
pub fn verify_token(
    token: &str,
    jwks: &JwkSet,
    expected_aud: &str,
    expected_iss: Option<&str>,
    now: UnixMillis,
) -> Result<TokenClaims, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
    if untrusted.algorithm() != "EdDSA" {
        return Err(TokenError::Algorithm(untrusted.algorithm().to_owned()));
    }
    let header = untrusted.header();
    if let Some(typ) = &header.token_type {
        if !typ.eq_ignore_ascii_case("JWT") {
            return Err(TokenError::Malformed(format!("typ is {typ:?}, not JWT")));
        }
    }
    let kid = header.key_id.as_deref().ok_or(TokenError::MissingKid)?;
    let key = jwks
        .get(kid)
        .ok_or_else(|| TokenError::UnknownKid(kid.to_owned()))?;
    let verified = Ed25519
        .validator::<Payload>(key)
        .validate(&untrusted)
        .map_err(|e| match e {
            ValidationError::InvalidSignature => TokenError::Signature,
            other => TokenError::Malformed(other.to_string()),
        })?;
    let claims = verified.claims();
    let (Some(iat), Some(exp)) = (claims.issued_at, claims.expiration) else {
        return Err(TokenError::Malformed("iat and exp are required".into()));
    };
    let seconds = |t: chrono::DateTime<chrono::Utc>| u64::try_from(t.timestamp()).unwrap_or(0);
    let (iat, exp) = (seconds(iat), seconds(exp));
    let now = now / 1000;
    if now >= exp {
        return Err(TokenError::Expired { exp, now });
    }
    let p = &claims.custom;
    if p.aud != expected_aud {
        return Err(TokenError::Audience(p.aud.clone()));
    }
    if expected_iss.is_some_and(|iss| iss != p.iss) {
        return Err(TokenError::Issuer(p.iss.clone()));
    }
    if !p.phone_number_verified {
        return Err(TokenError::Malformed(
            "phone_number_verified is not true".into(),
        ));
    }
    Ok(TokenClaims {
        iss: p.iss.clone(),
        aud: p.aud.clone(),
        sub: p.sub.clone(),
        phone_number: p.phone_number.clone(),
        phone_number_verified: p.phone_number_verified,
        otp_id: p.otp_id.clone(),
        jti: p.jti.clone(),
        iat,
        exp,
        amr: p.amr.clone(),
        amount: p.amount.clone(),
        payee: p.payee.clone(),
        azp: p.azp.clone(),
        test: p.test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::keys::{generate_dev_key, SigningKeys};
    use serde_json::{json, Value};

    const NOW: UnixMillis = 1_800_000_000_000; // 2027-01-15T08:00:00Z

    fn keys() -> SigningKeys {
        SigningKeys::from_json(&generate_dev_key([42; 32], "k1")).unwrap()
    }

    fn claims() -> TokenClaims {
        TokenClaims::for_verified_otp(
            "https://otp.example",
            "acme",
            "+33612345678",
            "0b0f6a5e-4a51-4d39-9e0c-7c9e0c7b2f11",
            [0xab; 16],
            NOW,
            300,
        )
        .unwrap()
    }

    fn part(token: &str, i: usize) -> Value {
        let text = token.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
    }

    #[test]
    fn header_and_claims_as_encoded() {
        let token = sign_token(
            &claims().with_payment(Some("EUR 12.00"), Some("Shop")),
            keys().current(),
        )
        .unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(
            part(&token, 0),
            json!({"alg": "EdDSA", "kid": "k1", "typ": "JWT"})
        );
        assert_eq!(
            part(&token, 1),
            json!({"iss": "https://otp.example", "aud": "acme", "sub": "+33612345678",
                   "phone_number": "+33612345678", "phone_number_verified": true,
                   "otp_id": "0b0f6a5e-4a51-4d39-9e0c-7c9e0c7b2f11",
                   "jti": "q6urq6urq6urq6urq6urqw", "iat": 1_800_000_000u64, "exp": 1_800_000_300u64,
                   "amr": ["sms"], "amount": "EUR 12.00", "payee": "Shop"})
        );
        // Without a payment, no amount or payee claim at all.
        let plain = sign_token(&claims(), keys().current()).unwrap();
        let payload = part(&plain, 1);
        assert!(payload.get("amount").is_none() && payload.get("payee").is_none());
        // Nor azp, nor test, unless set; set, they round-trip.
        assert!(payload.get("azp").is_none() && payload.get("test").is_none());
        let marked = claims()
            .with_authorized_party("https://shop.example")
            .for_test_number(true);
        let token = sign_token(&marked, keys().current()).unwrap();
        let payload = part(&token, 1);
        assert_eq!(
            (&payload["azp"], &payload["test"]),
            (&json!("https://shop.example"), &json!(true))
        );
        assert_eq!(
            verify_token(&token, &keys().jwk_set(), "acme", None, 1_800_000_000_000).unwrap(),
            marked
        );
        // Ed25519 is deterministic: the same claims and key give the same token.
        assert_eq!(plain, sign_token(&claims(), keys().current()).unwrap());
    }

    #[test]
    fn lifetimes_over_300_seconds_are_refused() {
        for ttl in [0, 301, 3600] {
            assert_eq!(
                TokenClaims::for_verified_otp("i", "a", "+1", "o", [0; 16], NOW, ttl),
                Err(TokenError::Lifetime(ttl.into()))
            );
        }
        let mut c = claims();
        c.exp = c.iat + 301;
        assert_eq!(
            sign_token(&c, keys().current()),
            Err(TokenError::Lifetime(301))
        );
        c.exp = c.iat - 1;
        assert_eq!(
            sign_token(&c, keys().current()),
            Err(TokenError::Lifetime(-1))
        );
        c.exp = c.iat + 1;
        assert!(sign_token(&c, keys().current()).is_ok());
    }

    #[test]
    fn what_a_backend_refuses() {
        let keys = keys();
        let set = keys.jwk_set();
        let token = sign_token(&claims(), keys.current()).unwrap();
        let check = |t: &str| verify_token(t, &set, "acme", Some("https://otp.example"), NOW);
        assert_eq!(check(&token), Ok(claims()));

        // A payload altered after signing (another number), header and signature kept.
        let mut forged = part(&token, 1);
        forged["phone_number"] = json!("+33699999999");
        let parts: Vec<&str> = token.split('.').collect();
        let forged_b64 = URL_SAFE_NO_PAD.encode(forged.to_string());
        let tampered = format!("{}.{forged_b64}.{}", parts[0], parts[2]);
        assert_eq!(check(&tampered), Err(TokenError::Signature));

        // Signed by a key that is not in the set, under a kid that is.
        let other = SigningKey::from_seed([1; 32], "k1");
        assert_eq!(
            check(&sign_token(&claims(), &other).unwrap()),
            Err(TokenError::Signature)
        );
        // A kid not in the set.
        let unknown = SigningKey::from_seed([42; 32], "k0");
        assert_eq!(
            check(&sign_token(&claims(), &unknown).unwrap()),
            Err(TokenError::UnknownKid("k0".into()))
        );
        // Another tenant, another issuer.
        assert_eq!(
            verify_token(&token, &set, "globex", None, NOW),
            Err(TokenError::Audience("acme".into()))
        );
        assert_eq!(
            verify_token(&token, &set, "acme", Some("https://other.example"), NOW),
            Err(TokenError::Issuer("https://otp.example".into()))
        );
        // Expired: valid up to the last millisecond before exp.
        assert!(verify_token(&token, &set, "acme", None, NOW + 299_999).is_ok());
        assert_eq!(
            verify_token(&token, &set, "acme", None, NOW + 300_000),
            Err(TokenError::Expired {
                exp: 1_800_000_300,
                now: 1_800_000_300
            })
        );
        // Not a token; alg none; no kid.
        for bad in ["", "abc", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert!(
                matches!(check(bad), Err(TokenError::Malformed(_))),
                "{bad:?}"
            );
        }
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#);
        assert_eq!(
            check(&format!("{none_header}.{}.", parts[1])),
            Err(TokenError::Algorithm("none".into()))
        );
        let no_kid = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA"}"#);
        assert_eq!(
            check(&format!("{no_kid}.{}.{}", parts[1], parts[2])),
            Err(TokenError::MissingKid)
        );
    }

    #[test]
    fn a_rotated_set_still_verifies_the_previous_keys_tokens() {
        let old = keys();
        let token = sign_token(&claims(), old.current()).unwrap();
        let next = generate_dev_key([43; 32], "k2")["keys"][0].clone();
        let old_jwk = generate_dev_key([42; 32], "k1")["keys"][0].clone();
        let rotated = SigningKeys::from_json(&json!({"keys": [next, old_jwk]})).unwrap();
        assert_eq!(rotated.current().kid(), "k2");
        assert!(verify_token(&token, &rotated.jwk_set(), "acme", None, NOW).is_ok());
        let new_token = sign_token(&claims(), rotated.current()).unwrap();
        assert_eq!(part(&new_token, 0)["kid"], "k2");
        // The old set alone does not know the new key.
        assert_eq!(
            verify_token(&new_token, &old.jwk_set(), "acme", None, NOW),
            Err(TokenError::UnknownKid("k2".into()))
        );
    }
}
