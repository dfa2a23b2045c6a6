//! Turnstile, the pure parts: the siteverify request body the worker POSTs, and what its
//! answer means for the browser request.
//!
//! Why: a publishable key and an allowed `Origin` do not prove a person is there (a script
//! can send any `Origin`), and each OTP costs an SMS. When a tenant sets `turnstileSecret`,
//! `POST /v1/browser/otp` and `/resend` carry a `turnstileToken` from Cloudflare's widget,
//! and the worker checks it with siteverify **before** anything is stored or sent.
//!
//! Siteverify (`POST https://challenges.cloudflare.com/turnstile/v0/siteverify`, a form
//! with `secret`, `response`, `remoteip`, `idempotency_key`) answers JSON:
//! `{"success": bool, "error-codes": [...], "hostname", "challenge_ts", "action", …}`.
//! A token is valid for 300 seconds and for one siteverify call; the same
//! `idempotency_key` lets a retried call get the first answer instead of "already spent".
//! Tokens are at most 2048 characters, so a longer one is refused without asking.
//!
//! How answers map (fail closed: only an unambiguous `success: true` passes):
//!
//! | siteverify | outcome | browser gets |
//! |---|---|---|
//! | `success: true`, no error code | [`Siteverify::Passed`] | — |
//! | `timeout-or-duplicate` (expired, or already spent) | [`Siteverify::Refused`] | 2123, 403 |
//! | `invalid-input-response`, `missing-input-response`, any other code | [`Siteverify::Refused`] | 2123, 403 |
//! | `missing-input-secret`, `invalid-input-secret`, `invalid-widget-id`, `invalid-parsed-secret`, `bad-request` (our configuration or request) | [`Siteverify::Misconfigured`] | 2126, 403 (the worker logs it) |
//! | `internal-error`, an HTTP status other than 200, a body that is not the JSON above, a timeout | [`Siteverify::Unavailable`] | 2126, 403 |
//!
//! Testing: Cloudflare documents dummy keys that behave the same everywhere and need no
//! real challenge. The test **site** keys (`1x00000000000000000000AA` passes,
//! `2x00000000000000000000AB` fails, `3x00000000000000000000FF` forces an interactive
//! challenge) make the widget hand out a dummy token. The test **secret** keys decide the
//! siteverify answer regardless of the token: `1x0000000000000000000000000000000AA`
//! always succeeds, `2x0000000000000000000000000000000AA` always fails, and
//! `3x0000000000000000000000000000000AA` fails as if the token had already been spent
//! (`timeout-or-duplicate`). Test secrets accept only dummy tokens and real secrets refuse
//! them, so a test key left in production lets nothing through unnoticed. The worker's
//! siteverify URL is a setting (`TURNSTILE_SITEVERIFY_URL`) so tests use a local stand-in
//! that plays these three behaviours.

use serde_json::Value;

use super::origin::PublishableKey;
use smsotp_core::error::{ApiError, ErrorCode};

/// Cloudflare's siteverify endpoint (the worker's default for `TURNSTILE_SITEVERIFY_URL`).
pub const SITEVERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/// The longest Turnstile token, in characters (Cloudflare's documented maximum).
pub const MAX_TOKEN_CHARS: usize = 2048;

/// The error codes that mean our secret or request is wrong, not the visitor's token.
const CONFIGURATION_CODES: [&str; 5] = [
    "missing-input-secret",
    "invalid-input-secret",
    "invalid-widget-id",
    "invalid-parsed-secret",
    "bad-request",
];

/// The request's `turnstileToken` when the tenant requires Turnstile: missing or blank is
/// 2122; longer than 2048 characters is 2123 (it cannot be a token; siteverify is not
/// asked).
///
/// ```
/// use smsotp_edge::browser::turnstile::required_token;
///
/// assert_eq!(required_token(Some("0.abc")), Ok("0.abc"));
/// assert_eq!(required_token(None).unwrap_err().code.code(), 2122);
/// assert_eq!(required_token(Some(&"x".repeat(2049))).unwrap_err().code.code(), 2123);
/// ```
pub fn required_token(token: Option<&str>) -> Result<&str, ApiError> {
    match token.map(str::trim) {
        None | Some("") => Err(ApiError::new(ErrorCode::TurnstileTokenMissing).for_field("turnstileToken")),
        Some(t) if t.chars().count() > MAX_TOKEN_CHARS => Err(ApiError::with_message(
            ErrorCode::TurnstileRefused,
            format!("'turnstileToken' is not a Turnstile token (longer than {MAX_TOKEN_CHARS} characters); solve the challenge again"),
        )
        .for_field("turnstileToken")),
        Some(t) => Ok(t),
    }
}

/// Appends `value` to `out` as `application/x-www-form-urlencoded` (the WHATWG URL
/// serializer: `*-._` and ASCII alphanumerics kept, space as `+`, every other byte of the
/// UTF-8 as `%XX`).
fn form_encode(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The siteverify request body (`Content-Type: application/x-www-form-urlencoded`):
/// `secret`, `response` (the browser's token), `remoteip` (the connecting client's IP,
/// `CF-Connecting-IP`, when known) and `idempotency_key` (a UUID from the caller's
/// randomness, when the worker may retry the call).
///
/// ```
/// use smsotp_edge::browser::turnstile::siteverify_form;
///
/// assert_eq!(
///     siteverify_form("1x0000000000000000000000000000000AA", "XXXX.DUMMY.TOKEN.XXXX", Some("203.0.113.7"), None),
///     "secret=1x0000000000000000000000000000000AA&response=XXXX.DUMMY.TOKEN.XXXX&remoteip=203.0.113.7"
/// );
/// ```
pub fn siteverify_form(
    secret: &str,
    response: &str,
    remote_ip: Option<&str>,
    idempotency_key: Option<&str>,
) -> String {
    let mut body = String::with_capacity(secret.len() + response.len() + 96);
    let fields = [
        ("secret", Some(secret)),
        ("response", Some(response)),
        ("remoteip", remote_ip),
        ("idempotency_key", idempotency_key),
    ];
    for (name, value) in fields {
        let Some(value) = value else { continue };
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(name);
        body.push('=');
        form_encode(&mut body, value);
    }
    body
}

/// What a siteverify answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Siteverify {
    /// The token is valid (and now spent).
    Passed {
        /// The host name the widget was solved on, as Turnstile reports it.
        hostname: Option<String>,
        /// The widget's `action`, when it had one.
        action: Option<String>,
    },
    /// The visitor's token was refused: `error-codes` as Turnstile sent them.
    Refused {
        /// Turnstile's error codes (e.g. `timeout-or-duplicate`).
        codes: Vec<String>,
    },
    /// Our secret or request is wrong (the tenant's `turnstileSecret`): refused, and worth
    /// an alert in the worker's logs.
    Misconfigured {
        /// Turnstile's error codes (e.g. `invalid-input-secret`).
        codes: Vec<String>,
    },
    /// Siteverify could not give an answer (its own error, an unexpected status or body).
    Unavailable {
        /// Why, for the worker's logs (no secret in it).
        reason: String,
    },
}

impl Siteverify {
    /// Reads siteverify's answer: its HTTP status and body. Anything but a well-formed
    /// answer is [`Siteverify::Unavailable`]; the worker passes a timeout or a network
    /// error as [`Siteverify::Unavailable`] itself.
    ///
    /// ```
    /// use smsotp_edge::browser::turnstile::Siteverify;
    ///
    /// let spent = Siteverify::from_response(200, r#"{"success": false, "error-codes": ["timeout-or-duplicate"]}"#);
    /// let e = spent.into_result().unwrap_err();
    /// assert_eq!((e.code.code(), e.http_status()), (2123, 403));
    /// assert!(Siteverify::from_response(200, r#"{"success": true, "error-codes": []}"#).into_result().is_ok());
    /// assert_eq!(Siteverify::from_response(502, "<html>").into_result().unwrap_err().code.code(), 2126);
    /// ```
    pub fn from_response(status: u16, body: &str) -> Siteverify {
        if status != 200 {
            return Siteverify::Unavailable {
                reason: format!("siteverify answered HTTP {status}"),
            };
        }
        let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(body) else {
            return Siteverify::Unavailable {
                reason: "siteverify's answer is not a JSON object".into(),
            };
        };
        let codes = match answer.get("error-codes") {
            None => Some(Vec::new()),
            Some(Value::Array(list)) => list
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>(),
            Some(_) => None,
        };
        let Some(codes) = codes else {
            return Siteverify::Unavailable {
                reason: "siteverify's error-codes is not a list of strings".into(),
            };
        };
        let text = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
        match answer.get("success") {
            Some(Value::Bool(true)) if codes.is_empty() => Siteverify::Passed {
                hostname: text("hostname"),
                action: text("action"),
            },
            Some(Value::Bool(true)) => Siteverify::Unavailable {
                reason: format!("siteverify answered success with error codes {codes:?}"),
            },
            Some(Value::Bool(false)) if codes.iter().any(|c| c == "internal-error") => {
                Siteverify::Unavailable {
                    reason: "siteverify reported an internal error".into(),
                }
            }
            Some(Value::Bool(false))
                if codes
                    .iter()
                    .any(|c| CONFIGURATION_CODES.contains(&c.as_str())) =>
            {
                Siteverify::Misconfigured { codes }
            }
            Some(Value::Bool(false)) => Siteverify::Refused { codes },
            _ => Siteverify::Unavailable {
                reason: "siteverify's answer has no boolean success".into(),
            },
        }
    }

    /// The answer to the browser: `Ok` only when the token passed; otherwise 2123 (the
    /// token was refused; the message says whether it expired or was already spent) or
    /// 2126 (the check could not be made).
    pub fn into_result(self) -> Result<(), ApiError> {
        let field = "turnstileToken";
        match self {
            Siteverify::Passed { .. } => Ok(()),
            Siteverify::Refused { codes } => {
                let message = if codes.iter().any(|c| c == "timeout-or-duplicate") {
                    "The Turnstile token has expired or was already used; solve the challenge again"
                } else {
                    "The Turnstile challenge was not accepted; solve it again"
                };
                Err(ApiError::with_message(ErrorCode::TurnstileRefused, message).for_field(field))
            }
            Siteverify::Misconfigured { .. } | Siteverify::Unavailable { .. } => {
                Err(ApiError::new(ErrorCode::TurnstileUnavailable))
            }
        }
    }
}

/// The `action` `<smsotp-verify>` renders Turnstile with (`data-action`): a token solved
/// for another action on the same site (a login form's, say) is not one for an SMS.
pub const ACTION: &str = "smsotp";

impl Siteverify {
    /// The answer to the browser for a token presented with the publishable key `key`:
    /// [`Siteverify::into_result`], and a passed token must also have been solved on one
    /// of the key's origins' hosts (`hostname`: a token solved on the attacker's own page
    /// with the tenant's public site key is refused) and, when it carries an `action`,
    /// for [`ACTION`]. Both refusals are 2123, like any token Turnstile refuses.
    ///
    /// ```
    /// use smsotp_edge::browser::origin::PublishableKeys;
    /// use smsotp_edge::browser::turnstile::Siteverify;
    ///
    /// let keys = PublishableKeys::from_json(&serde_json::json!([
    ///     {"key": "pk_live_0123456789ab", "origins": ["https://shop.example"]}])).unwrap();
    /// let key = keys.find("pk_live_0123456789ab").unwrap();
    /// let passed = |host: &str, action: Option<&str>| Siteverify::Passed {
    ///     hostname: Some(host.into()), action: action.map(Into::into) };
    /// assert!(passed("shop.example", Some("smsotp")).accept_for(key).is_ok());
    /// assert!(passed("shop.example", None).accept_for(key).is_ok());
    /// assert_eq!(passed("evil.example", None).accept_for(key).unwrap_err().code.code(), 2123);
    /// assert_eq!(passed("shop.example", Some("login")).accept_for(key).unwrap_err().code.code(), 2123);
    /// ```
    pub fn accept_for(self, key: &PublishableKey) -> Result<(), ApiError> {
        let refused = |message: &str| {
            Err(ApiError::with_message(ErrorCode::TurnstileRefused, message)
                .for_field("turnstileToken"))
        };
        match &self {
            Siteverify::Passed { hostname, action } => {
                if !hostname.as_deref().is_some_and(|h| key.allows_host(h)) {
                    return refused(
                        "The Turnstile challenge was solved on a site this publishable key does not allow; solve it again on this page",
                    );
                }
                if action
                    .as_deref()
                    .is_some_and(|a| !a.is_empty() && a != ACTION)
                {
                    return refused(
                        "The Turnstile challenge was solved for another action; solve the one of this form",
                    );
                }
                Ok(())
            }
            _ => self.into_result(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_urlencoded() {
        // Expected values written by hand from the WHATWG application/x-www-form-urlencoded
        // serializer.
        assert_eq!(
            siteverify_form("s e/c+r=t&", "0.a-b_c*d~é", Some("2001:db8::1"), Some("9f1c6a1e-7c1e-4d2a-9a57-3c2b1f0e8d7a")),
            "secret=s+e%2Fc%2Br%3Dt%26&response=0.a-b_c*d%7E%C3%A9&remoteip=2001%3Adb8%3A%3A1&idempotency_key=9f1c6a1e-7c1e-4d2a-9a57-3c2b1f0e8d7a"
        );
        assert_eq!(
            siteverify_form("k", "t", None, Some("u")),
            "secret=k&response=t&idempotency_key=u"
        );
    }

    #[test]
    fn tokens_before_asking() {
        assert_eq!(required_token(Some("  0.abc ")), Ok("0.abc"));
        let max = "x".repeat(MAX_TOKEN_CHARS);
        assert_eq!(required_token(Some(&max)), Ok(max.as_str()));
        for missing in [None, Some(""), Some("   ")] {
            let e = required_token(missing).unwrap_err();
            assert_eq!(
                (e.code.code(), e.http_status(), e.field.as_deref()),
                (2122, 403, Some("turnstileToken"))
            );
        }
        let e = required_token(Some(&format!("{max}x"))).unwrap_err();
        assert_eq!((e.code.code(), e.http_status()), (2123, 403));
    }

    #[test]
    fn answers_fail_closed() {
        type Expect = Result<(), (u16, &'static str)>;
        const REFUSED: &str = "The Turnstile challenge was not accepted; solve it again";
        const SPENT: &str =
            "The Turnstile token has expired or was already used; solve the challenge again";
        const UNAVAILABLE: &str = "The Turnstile challenge could not be checked; retry shortly";
        let cases: &[(u16, &str, Expect)] = &[
            (
                200,
                r#"{"success": true, "error-codes": [], "challenge_ts": "2026-11-27T08:00:00.000Z", "hostname": "example.com", "action": "", "cdata": ""}"#,
                Ok(()),
            ),
            (200, r#"{"success": true}"#, Ok(())),
            // What the test secret keys 2x… and 3x… answer.
            (
                200,
                r#"{"success": false, "error-codes": ["invalid-input-response"]}"#,
                Err((2123, REFUSED)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": ["timeout-or-duplicate"]}"#,
                Err((2123, SPENT)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": ["missing-input-response"]}"#,
                Err((2123, REFUSED)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": ["some-future-code"]}"#,
                Err((2123, REFUSED)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": []}"#,
                Err((2123, REFUSED)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": ["invalid-input-secret"]}"#,
                Err((2126, UNAVAILABLE)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": ["bad-request"]}"#,
                Err((2126, UNAVAILABLE)),
            ),
            (
                200,
                r#"{"success": false, "error-codes": ["internal-error"]}"#,
                Err((2126, UNAVAILABLE)),
            ),
            // Ambiguous or broken answers never pass.
            (
                200,
                r#"{"success": true, "error-codes": ["internal-error"]}"#,
                Err((2126, UNAVAILABLE)),
            ),
            (200, r#"{"success": "true"}"#, Err((2126, UNAVAILABLE))),
            (200, r#"{"success": 1}"#, Err((2126, UNAVAILABLE))),
            (200, r#"{"error-codes": []}"#, Err((2126, UNAVAILABLE))),
            (
                200,
                r#"{"success": true, "error-codes": "none"}"#,
                Err((2126, UNAVAILABLE)),
            ),
            (
                200,
                r#"{"success": true, "error-codes": [1]}"#,
                Err((2126, UNAVAILABLE)),
            ),
            (200, "[true]", Err((2126, UNAVAILABLE))),
            (200, "", Err((2126, UNAVAILABLE))),
            (200, "<html>Just a moment…</html>", Err((2126, UNAVAILABLE))),
            (500, r#"{"success": true}"#, Err((2126, UNAVAILABLE))),
            (429, r#"{"success": true}"#, Err((2126, UNAVAILABLE))),
        ];
        for (status, body, expected) in cases {
            let got = Siteverify::from_response(*status, body)
                .into_result()
                .map_err(|e| {
                    assert_eq!(e.http_status(), 403, "{body}");
                    (e.code.code(), e.message)
                });
            let expected = expected.map_err(|(c, m)| (c, m.to_owned()));
            assert_eq!(got, expected, "{status} {body}");
        }
    }

    #[test]
    fn outcomes_keep_what_the_worker_logs() {
        assert_eq!(
            Siteverify::from_response(
                200,
                r#"{"success": true, "hostname": "shop.example", "action": "login"}"#
            ),
            Siteverify::Passed {
                hostname: Some("shop.example".into()),
                action: Some("login".into())
            }
        );
        assert_eq!(
            Siteverify::from_response(
                200,
                r#"{"success": false, "error-codes": ["invalid-input-secret", "invalid-input-response"]}"#
            ),
            Siteverify::Misconfigured {
                codes: vec![
                    "invalid-input-secret".into(),
                    "invalid-input-response".into()
                ]
            }
        );
        assert_eq!(
            Siteverify::from_response(503, "busy"),
            Siteverify::Unavailable {
                reason: "siteverify answered HTTP 503".into()
            }
        );
    }
}
