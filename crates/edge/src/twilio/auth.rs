//! `Authorization: Basic base64(username:password)` as Twilio's SDKs send it (docs/twilio.md):
//! the username is an account SID (`AC…`, with the auth token) or an API key SID (`SK…`,
//! with its secret). Verify URLs carry no account SID, so with an API key the server never
//! sees the `AC`: the worker maps the key to its account. Python sends any username
//! (no prefix check), so anything else is classified [`Principal::Other`] and refused by
//! the worker (20003). Pure: no lookup, no comparison of secrets here.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::TwilioError;
use super::sid::{self, Sid, SidKind};

/// Who the username says the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// `AC…`: the password is the account's auth token.
    Account(Sid),
    /// `SK…`: the password is the key's secret.
    ApiKey(Sid),
    /// Neither: always refused (20003).
    Other,
}

/// Decoded Basic credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The user-id (everything before the first `:`).
    pub username: String,
    /// The password (everything after it; may contain `:`).
    pub password: String,
}

impl BasicCredentials {
    /// The username's kind.
    pub fn principal(&self) -> Principal {
        classify(&self.username)
    }
}

/// The username's kind: an account SID, an API key SID, or neither.
pub fn classify(username: &str) -> Principal {
    if let Some(s) = sid::parse(SidKind::Account, username) {
        Principal::Account(s)
    } else if let Some(s) = sid::parse(SidKind::ApiKey, username) {
        Principal::ApiKey(s)
    } else {
        Principal::Other
    }
}

/// Reads an `Authorization` header value. The scheme is case-insensitive (RFC 7617);
/// the credentials must be padded standard base64 of UTF-8 `user:pass` with both parts
/// non-empty. Anything else (no header, OAuth `Bearer`, …) → 20003.
pub fn parse_basic(header: Option<&str>) -> Result<BasicCredentials, TwilioError> {
    let header = header.ok_or_else(TwilioError::authenticate)?.trim();
    let (scheme, encoded) = header
        .split_once(' ')
        .ok_or_else(TwilioError::authenticate)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TwilioError::authenticate());
    }
    let decoded = STANDARD
        .decode(encoded.trim_start())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(TwilioError::authenticate)?;
    match decoded.split_once(':') {
        Some((user, pass)) if !user.is_empty() && !pass.is_empty() => Ok(BasicCredentials {
            username: user.to_owned(),
            password: pass.to_owned(),
        }),
        _ => Err(TwilioError::authenticate()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "AC0123456789abcdef0123456789abcdef";
    const SK: &str = "SK0123456789abcdef0123456789abcdef";

    fn basic(s: &str) -> String {
        format!("Basic {}", STANDARD.encode(s))
    }

    #[test]
    fn parses_what_the_sdks_send() {
        let cases = [
            (basic(&format!("{AC}:token")), AC, "token"),
            (basic(&format!("{SK}:se:cret")), SK, "se:cret"),
            (basic("foo:bar"), "foo", "bar"),
            (format!("basic {}", STANDARD.encode("u:p")), "u", "p"),
            (format!("BASIC  {}", STANDARD.encode("u:p")), "u", "p"),
        ];
        for (header, user, pass) in cases {
            let c = parse_basic(Some(&header)).unwrap();
            assert_eq!(
                (c.username.as_str(), c.password.as_str()),
                (user, pass),
                "{header}"
            );
        }
    }

    #[test]
    fn refuses_everything_else_with_20003() {
        let cases = [
            None,
            Some(String::new()),
            Some("Basic".to_owned()),
            Some(format!("Bearer {}", STANDARD.encode("u:p"))),
            Some("Basic !!!".to_owned()),
            Some(format!("Basic {}", STANDARD.encode("nocolon"))),
            Some(format!("Basic {}", STANDARD.encode(":pass"))),
            Some(format!("Basic {}", STANDARD.encode("user:"))),
            Some(format!("Basic {}", STANDARD.encode([0xff, b':', b'p']))),
            Some(format!(
                "Basic {}",
                STANDARD.encode("ab:p").trim_end_matches('=')
            )),
        ];
        for header in cases {
            let e = parse_basic(header.as_deref()).unwrap_err();
            assert_eq!((e.code, e.status), (20003, 401), "{header:?}");
        }
    }

    #[test]
    fn classifies_the_username() {
        let ac = sid::parse(SidKind::Account, AC).unwrap();
        let sk = sid::parse(SidKind::ApiKey, SK).unwrap();
        let cases = [
            (AC.to_owned(), Principal::Account(ac)),
            (SK.to_owned(), Principal::ApiKey(sk)),
            ("foo".to_owned(), Principal::Other),
            (AC.to_uppercase(), Principal::Other),
            (format!("VA{}", &AC[2..]), Principal::Other),
        ];
        for (user, want) in cases {
            assert_eq!(classify(&user), want, "{user}");
        }
        let c = parse_basic(Some(&basic(&format!("{SK}:x")))).unwrap();
        assert_eq!(c.principal(), Principal::ApiKey(sk));
    }
}
