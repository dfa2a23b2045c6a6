//! API keys: `X-API-KEY: <key>` or `Authorization: Bearer <key>` (the scheme name is
//! case-insensitive, RFC 9110 §11.1 / RFC 6750; another scheme is not a key), compared in
//! constant time against every configured key (so timing reveals neither which key nor
//! how much matched). Both headers with different keys is refused, not resolved by a
//! precedence rule a client could not guess.

use smsotp_core::{ApiError, ErrorCode};
use subtle::ConstantTimeEq;
use worker::Request;

use crate::config::Settings;

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

/// The name of the configured key equal to `presented`, comparing every key fully.
pub fn matching<'a>(presented: &str, keys: &'a [(String, String)]) -> Option<&'a str> {
    let mut found: Option<&str> = None;
    for (name, key) in keys {
        // Remember the match without branching on secrets early.
        if same(key, presented) && found.is_none() {
            found = Some(name);
        }
    }
    found
}

/// The tenant (API key name) of a request: a 401 if the key is missing, unknown or
/// ambiguous.
pub fn tenant(req: &Request, settings: &Settings) -> Result<String, ApiError> {
    let headers = req.headers();
    let x_api_key = headers.get("X-API-KEY").ok().flatten();
    let authorization = headers.get("Authorization").ok().flatten();
    presented(x_api_key.as_deref(), authorization.as_deref())?
        .and_then(|key| matching(&key, &settings.api_keys).map(str::to_owned))
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidApiKey))
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
    fn only_an_exact_key_matches() {
        let keys = vec![
            ("acme".to_owned(), "acme-key-0123456789".to_owned()),
            ("globex".to_owned(), "globex-key-0123456789".to_owned()),
        ];
        assert_eq!(matching("acme-key-0123456789", &keys), Some("acme"));
        assert_eq!(matching("globex-key-0123456789", &keys), Some("globex"));
        for other in [
            "acme-key-012345678",
            "acme-key-01234567890",
            "ACME-KEY-0123456789",
            "",
        ] {
            assert_eq!(matching(other, &keys), None, "{other:?}");
        }
    }
}
