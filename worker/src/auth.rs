//! API keys: `X-API-KEY: <key>` or `Authorization: Bearer <key>` (the scheme name is
//! case-insensitive, RFC 9110 §11.1 / RFC 6750; another scheme is not a key), looked up by
//! their SHA-256 in the tenants' KV namespace (`tenant.rs`: a lookup by hash reveals
//! nothing of the key through timing). Both headers with different keys is refused, not
//! resolved by a precedence rule a client could not guess. A publishable key (the browser
//! API) is also checked against the page's origin ([`check_origin`]).

use std::rc::Rc;

use smsotp_core::{ApiError, ErrorCode};
use smsotp_edge::browser::origin::{check_key_type, is_well_formed_publishable};
use subtle::ConstantTimeEq;
use worker::{Env, Request};

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::pipeline::context::header;
use crate::tenant::{self, Tenant};
use crate::usage::Usage;

/// Lengths a key can have (`npm run tenant` makes 35-character keys; the dev file's are
/// 16+): anything else is refused without a KV read.
const KEY_CHARS: std::ops::RangeInclusive<usize> = 16..=256;

/// Could this be an API key some tenant holds? 16 to 256 visible ASCII characters
/// (`npm run tenant` makes `sk_` + base64url; the dev file's keys are checked the same way
/// when loaded). Anything else is refused without a KV read.
pub fn plausible_api_key(key: &str) -> bool {
    KEY_CHARS.contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The message of a 401 for two different keys in one request.
pub const CONFLICT: &str = "conflicting API keys in X-API-KEY and Authorization";

/// The token of an `Authorization` value if its scheme is Bearer (any case), else `None`.
fn bearer(authorization: &str) -> Option<&str> {
    let value = authorization.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Constant-time equality of two strings (lengths are not secret).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The key a request presents, from its two headers' values: `Ok(None)` when there is
/// none, an error when the two headers carry different keys.
pub fn presented(
    x_api_key: Option<&str>,
    authorization: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let header = x_api_key.map(str::trim).filter(|k| !k.is_empty());
    let token = authorization.and_then(bearer);
    match (header, token) {
        (Some(a), Some(b)) if !same(a, b) => {
            Err(ApiError::with_message(ErrorCode::InvalidApiKey, CONFLICT))
        }
        (Some(key), _) | (None, Some(key)) => Ok(Some(key.to_owned())),
        (None, None) => Ok(None),
    }
}

/// The key a request presents (either header): a 401 when there is none or the two
/// headers disagree.
fn key_of(req: &Request) -> Result<String, ApiError> {
    let headers = req.headers();
    let x_api_key = headers.get("X-API-KEY").ok().flatten();
    let authorization = headers.get("Authorization").ok().flatten();
    presented(x_api_key.as_deref(), authorization.as_deref())?
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidApiKey))
}

/// The tenant of a request: a 401 if the key is missing, unknown, revoked or ambiguous.
pub async fn tenant(
    req: &Request,
    env: &Env,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<Rc<Tenant>> {
    let unknown = || ApiError::new(ErrorCode::InvalidApiKey).into();
    let key = key_of(req)?;
    // A publishable key is for the browser API only (2125, not a plain 401: the caller
    // has a key, of the wrong kind).
    check_key_type(&key, false)?;
    if !plausible_api_key(&key) {
        return Err(unknown());
    }
    tenant::by_key(env, &key, settings, usage)
        .await?
        .ok_or_else(unknown)
}

/// The caller of a Twilio Verify API request (HTTP Basic): an account SID and its auth
/// token, or an API key SID and its secret, of one tenant. Anything else is Twilio's 20003:
/// a user name that is no SID is refused without a KV read; a SID is looked up
/// (`twilio:<sid>`, cached like API keys) and the secret's SHA-256 compared in constant
/// time with the record's.
pub async fn twilio_caller(
    req: &Request,
    env: &Env,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<crate::pipeline::context::TwilioCaller> {
    use smsotp_edge::twilio::auth::{parse_basic, Principal};
    use smsotp_edge::twilio::TwilioError;
    let refused = || AppError::Twilio(TwilioError::authenticate());
    let credentials = parse_basic(header(req, "Authorization").as_deref())?;
    if matches!(credentials.principal(), Principal::Other)
        || !plausible_api_key(&credentials.password)
    {
        return Err(refused());
    }
    let tenant = tenant::by_twilio_sid(env, &credentials.username, settings, usage)
        .await?
        .ok_or_else(refused)?;
    let hash = tenant::key_hash(&credentials.password);
    let account = tenant.twilio.as_ref().ok_or_else(refused)?;
    if !account.accepts(&credentials.username, &hash) {
        return Err(refused());
    }
    let account_sid = account.account_sid.clone();
    Ok(crate::pipeline::context::TwilioCaller {
        tenant,
        account_sid,
    })
}

/// The tenant of a browser API request and the publishable key it came with: a secret key
/// here is refused (2125: it must never be in a page), a missing or unknown key is a 401.
pub async fn browser_tenant(
    req: &Request,
    env: &Env,
    settings: &Settings,
    usage: &Usage,
) -> AppResult<(Rc<Tenant>, String)> {
    let unknown = || AppError::from(ApiError::new(ErrorCode::InvalidApiKey));
    let key = key_of(req)?;
    check_key_type(&key, true)?;
    // A publishable key of another shape is no tenant's: no KV read for it.
    if !is_well_formed_publishable(&key) {
        return Err(unknown());
    }
    let tenant = tenant::by_publishable_key(env, &key, settings, usage)
        .await?
        .ok_or_else(unknown)?;
    Ok((tenant, key))
}

/// The page's origin: its `Origin` header; or, for a same-origin `GET` (which browsers send
/// without one: Fetch adds `Origin` to CORS requests and to other methods only — the demo
/// page's config request), this request's own origin when the browser says it is one with
/// `Sec-Fetch-Site: same-origin` (a header pages cannot set).
fn page_origin(req: &Request) -> Option<String> {
    header(req, "Origin").or_else(|| {
        let site = header(req, "Sec-Fetch-Site")?;
        if !site.eq_ignore_ascii_case("same-origin") {
            return None;
        }
        Some(req.url().ok()?.origin().ascii_serialization())
    })
}

/// The page's origin ([`page_origin`]), checked against the publishable key `key` of `tenant`.
pub fn check_origin(req: &Request, tenant: &Tenant, key: &str) -> Result<String, ApiError> {
    let origin = page_origin(req);
    let Some(pk) = tenant.publishable_keys.find(key) else {
        return Err(ApiError::new(ErrorCode::InvalidApiKey));
    };
    pk.check_origin(origin.as_deref())?;
    Ok(origin.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_to_presented_key() {
        let conflict = || Err(CONFLICT.to_owned());
        /// X-API-KEY, Authorization, and the key presented or the error message.
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Result<Option<&'a str>, String>,
        );
        let cases: &[Case] = &[
            (None, None, Ok(None)),
            (Some("k1"), None, Ok(Some("k1"))),
            (None, Some("Bearer k1"), Ok(Some("k1"))),
            (None, Some("bearer k1"), Ok(Some("k1"))),
            (None, Some("BEARER k1"), Ok(Some("k1"))),
            (None, Some("BeArEr   k1  "), Ok(Some("k1"))),
            (None, Some("Basic azE6"), Ok(None)),
            (None, Some("Token k1"), Ok(None)),
            (None, Some("Bearer"), Ok(None)),
            (None, Some("Bearer   "), Ok(None)),
            (None, Some("Bearerk1"), Ok(None)),
            (None, Some("k1"), Ok(None)),
            (Some("k1"), Some("Bearer k1"), Ok(Some("k1"))),
            (Some("k1"), Some("bearer k2"), conflict()),
            (Some("k1"), Some("Bearer k10"), conflict()),
            // Another scheme is not a key, so nothing conflicts with X-API-KEY.
            (Some("k1"), Some("Basic azE6"), Ok(Some("k1"))),
            (Some(""), Some("Bearer k2"), Ok(Some("k2"))),
        ];
        for (x, auth, expected) in cases {
            let got = presented(*x, *auth).map_err(|e| e.message);
            let expected = expected.clone().map(|k| k.map(str::to_owned));
            assert_eq!(got, expected, "{x:?} {auth:?}");
        }
    }

    #[test]
    fn api_keys_of_no_possible_shape_are_refused_before_any_lookup() {
        for good in [
            "acme-demo-key-0123456789",
            "sk_AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            &"k".repeat(256),
        ] {
            assert!(plausible_api_key(good), "{good}");
        }
        for bad in [
            "short-key-12345",
            &"k".repeat(257),
            "acme demo key 0123456789",
            "acme-démo-key-0123456789",
            "acme-demo-key-0123456789\u{7f}",
        ] {
            assert!(!plausible_api_key(bad), "{bad:?}");
        }
    }
}
