//! Publishable keys and the origins each may be used from.
//!
//! Why: a publishable key (`pk_…`) is in every page's source, so anyone can copy it; what
//! stops another site from using it is the browser's `Origin` header, which a page's
//! script cannot forge. Each key lists its origins exactly; the worker answers a browser
//! request only when its `Origin` is one of them (else 2124, 403, and no CORS headers).
//! A script outside a browser can send any `Origin`: the per-IP caps, Turnstile and the
//! tenant's policy are what hold there.
//!
//! A tenant's record:
//!
//! ```json
//! "publishableKeys": [{"key": "pk_live_3f9a1c2b7d", "origins": ["https://shop.example", "http://localhost:*"]}]
//! ```
//!
//! Origins are `scheme://host[:port]` with no path, as browsers send them: `https` for any
//! host; `http` only for `localhost` and `127.0.0.1` (development); the port `*` (any
//! port) only for those two hosts. Compared after normalising: scheme and host in lower
//! case, the default port (443, 80) dropped. No wildcard hosts: every origin is listed.
//!
//! Key types by prefix, so a route refuses the wrong type before any lookup (2125, 401):
//! a publishable key starts with `pk_`; every other key is secret (`npm run tenant` makes
//! `sk_…` keys; keys made before had no prefix and stay secret).

use std::collections::BTreeSet;

use serde_json::Value;

use smsotp_core::error::{ApiError, ErrorCode};

/// The prefix of a publishable key.
pub const PUBLISHABLE_PREFIX: &str = "pk_";

/// The shortest publishable key, in characters, prefix included.
pub const MIN_PUBLISHABLE_KEY_CHARS: usize = 16;

/// The longest publishable key, in characters (the worker's limit for any key).
pub const MAX_PUBLISHABLE_KEY_CHARS: usize = 256;

/// Is this key a publishable one (`pk_…`)? Only those are accepted on `/v1/browser/*`.
pub fn is_publishable(key: &str) -> bool {
    key.starts_with(PUBLISHABLE_PREFIX)
}

/// Is this a publishable key of the shape a tenant record may hold: `pk_`, then 16 to 256
/// characters in all of `A–Z a–z 0–9 _ -`? A key of another shape cannot be any tenant's,
/// so the worker refuses it without a lookup.
///
/// ```
/// use smsotp_edge::browser::origin::is_well_formed_publishable;
///
/// assert!(is_well_formed_publishable("pk_acme_demo_0123456789"));
/// assert!(!is_well_formed_publishable("pk_short"));
/// assert!(!is_well_formed_publishable("pk_live 0123456789ab"));
/// assert!(!is_well_formed_publishable("sk_live_0123456789ab"));
/// ```
pub fn is_well_formed_publishable(key: &str) -> bool {
    is_publishable(key)
        && (MIN_PUBLISHABLE_KEY_CHARS..=MAX_PUBLISHABLE_KEY_CHARS).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Is this key a secret one (not empty, not `pk_…`)? Only those are accepted on the server
/// API.
pub fn is_secret(key: &str) -> bool {
    !key.is_empty() && !is_publishable(key)
}

/// The 2125 refusal of a key of the wrong type: `browser_route` is whether the route is
/// one of `/v1/browser/*`.
///
/// ```
/// use smsotp_edge::browser::origin::check_key_type;
///
/// assert!(check_key_type("pk_live_0123456789ab", true).is_ok());
/// let e = check_key_type("pk_live_0123456789ab", false).unwrap_err();
/// assert_eq!((e.code.code(), e.http_status()), (2125, 401));
/// assert!(check_key_type("sk_0123456789abcdef", true).is_err());
/// ```
pub fn check_key_type(key: &str, browser_route: bool) -> Result<(), ApiError> {
    match (browser_route, is_publishable(key)) {
        (true, false) => Err(ApiError::with_message(
            ErrorCode::WrongKeyType,
            "A secret API key cannot be used from the browser: use a publishable key (pk_…); keep the secret key on your server",
        )),
        (false, true) => Err(ApiError::with_message(
            ErrorCode::WrongKeyType,
            "A publishable key (pk_…) only works on /v1/browser/*: use a secret API key on the server API",
        )),
        _ => Ok(()),
    }
}

/// The port part of an origin pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Port {
    /// No port, or the scheme's default.
    Default,
    /// An explicit port.
    Number(u16),
    /// `:*`: any port (localhost and 127.0.0.1 only).
    Any,
}

/// One allowed origin, normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OriginPattern {
    scheme: String,
    host: String,
    port: Port,
}

impl OriginPattern {
    /// Does the (normalised) origin match this pattern?
    fn matches(&self, origin: &OriginPattern) -> bool {
        self.scheme == origin.scheme
            && self.host == origin.host
            && (self.port == Port::Any || self.port == origin.port)
    }
}

impl std::fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Port::Default => Ok(()),
            Port::Number(n) => write!(f, ":{n}"),
            Port::Any => f.write_str(":*"),
        }
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1"
}

/// A DNS name of ASCII labels (browsers send IDNs as punycode) or an IPv4 address.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("has no host".into());
    }
    if !host.is_ascii() {
        return Err(
            "has a non-ASCII host: write it in punycode (xn--…), as browsers send it".into(),
        );
    }
    if host.starts_with('[') {
        return Err("IPv6 hosts are not supported".into());
    }
    if host.contains('*') {
        return Err("wildcard hosts are not allowed: list each origin".into());
    }
    if smsotp_core::callback_url::is_host_name(host, false) {
        Ok(())
    } else {
        Err("has an invalid host name".into())
    }
}

/// Splits and normalises `scheme://host[:port]`; `allow_any_port` accepts `:*`.
fn parse_origin(text: &str, allow_any_port: bool) -> Result<OriginPattern, String> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err("must be scheme://host[:port]".into());
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err("must be an http or https origin".into());
    }
    if rest.contains(['/', '?', '#']) {
        return Err(
            "must have no path, query or fragment (an origin is scheme://host[:port])".into(),
        );
    }
    if rest.contains('@') {
        return Err("must have no user name or password".into());
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let host = host.to_ascii_lowercase();
    check_host(&host)?;
    let port = match port {
        None => Port::Default,
        Some("*") if allow_any_port => Port::Any,
        Some("*") => return Err("the port * is not allowed here".into()),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => {
                let default = if scheme == "https" { 443 } else { 80 };
                if n == default {
                    Port::Default
                } else {
                    Port::Number(n)
                }
            }
            _ => return Err("has an invalid port (1 to 65535, or *)".into()),
        },
    };
    Ok(OriginPattern { scheme, host, port })
}

/// An allowed origin of a tenant's configuration: see the module doc for the rules.
///
/// ```
/// use smsotp_edge::browser::origin::parse_allowed_origin;
///
/// assert_eq!(parse_allowed_origin("HTTPS://Shop.Example:443").unwrap().to_string(), "https://shop.example");
/// assert_eq!(parse_allowed_origin("http://localhost:*").unwrap().to_string(), "http://localhost:*");
/// assert!(parse_allowed_origin("http://shop.example").is_err());
/// assert!(parse_allowed_origin("https://shop.example/").is_err());
/// ```
pub fn parse_allowed_origin(text: &str) -> Result<OriginPattern, String> {
    let pattern = parse_origin(text.trim(), true)?;
    if pattern.port == Port::Any && !is_loopback_host(&pattern.host) {
        return Err("the port * is only for localhost and 127.0.0.1".into());
    }
    if pattern.scheme == "http" && !is_loopback_host(&pattern.host) {
        return Err("must be https (http only for localhost and 127.0.0.1)".into());
    }
    Ok(pattern)
}

/// The normalised form of a request's `Origin` header, or `None` when it is not an
/// http(s) origin (`null`, a path, …), which no key allows.
pub fn normalize_origin(origin: &str) -> Option<String> {
    parse_origin(origin, false).ok().map(|o| o.to_string())
}

/// One publishable key with its origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishableKey {
    /// The key, `pk_…`.
    pub key: String,
    /// Its allowed origins, normalised, without duplicates.
    pub origins: Vec<OriginPattern>,
}

impl PublishableKey {
    /// May a browser request with this `Origin` header use the key? Exact match after
    /// normalising; `:*` patterns match any port of their host.
    ///
    /// ```
    /// use smsotp_edge::browser::origin::PublishableKeys;
    ///
    /// let keys = PublishableKeys::from_json(&serde_json::json!([
    ///     {"key": "pk_live_0123456789ab", "origins": ["https://shop.example", "http://localhost:*"]}
    /// ])).unwrap();
    /// let key = keys.find("pk_live_0123456789ab").unwrap();
    /// assert!(key.allows("https://SHOP.example:443"));
    /// assert!(key.allows("http://localhost:5173"));
    /// assert!(!key.allows("https://shop.example.evil"));
    /// assert!(!key.allows("http://shop.example"));
    /// ```
    pub fn allows(&self, origin: &str) -> bool {
        match parse_origin(origin.trim(), false) {
            Ok(origin) => self.origins.iter().any(|p| p.matches(&origin)),
            Err(_) => false,
        }
    }

    /// Is `host` (a Turnstile answer's `hostname`: no scheme, no port) the host of one of
    /// the key's origins? Case-insensitive, exact: `shop.example.evil` is not `shop.example`.
    ///
    /// ```
    /// use smsotp_edge::browser::origin::PublishableKeys;
    ///
    /// let keys = PublishableKeys::from_json(&serde_json::json!([
    ///     {"key": "pk_live_0123456789ab", "origins": ["https://shop.example", "http://localhost:*"]}
    /// ])).unwrap();
    /// let key = keys.find("pk_live_0123456789ab").unwrap();
    /// assert!(key.allows_host("Shop.Example") && key.allows_host("localhost"));
    /// assert!(!key.allows_host("shop.example.evil") && !key.allows_host("example"));
    /// ```
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        self.origins.iter().any(|p| p.host == host)
    }

    /// [`PublishableKey::allows`] as the worker answers it: the 2124 refusal names the
    /// origin (it is the caller's own).
    pub fn check_origin(&self, origin: Option<&str>) -> Result<(), ApiError> {
        match origin {
            Some(o) if self.allows(o) => Ok(()),
            Some(o) => Err(ApiError::with_message(
                ErrorCode::OriginNotAllowed,
                format!(
                    "The origin {:?} is not allowed for this publishable key",
                    o.chars().take(200).collect::<String>()
                ),
            )),
            None => Err(ApiError::with_message(
                ErrorCode::OriginNotAllowed,
                "Browser requests need an Origin header that is allowed for this publishable key",
            )),
        }
    }
}

/// A tenant's publishable keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishableKeys {
    /// The keys, in the record's order.
    pub keys: Vec<PublishableKey>,
}

impl PublishableKeys {
    /// Reads a tenant's `publishableKeys`: a list of `{"key": "pk_…", "origins": [...]}`.
    /// A key starts with `pk_`, has 16 to 256 characters of `A–Z a–z 0–9 _ -`, is unique;
    /// each key has at least one origin (rules in the module doc). Every problem is listed,
    /// each naming its place (`publishableKeys[0].origins[1]`).
    pub fn from_json(value: &Value) -> Result<PublishableKeys, Vec<String>> {
        const KEY: &str = "publishableKeys";
        let Some(list) = value.as_array() else {
            return Err(vec![format!(
                "{KEY}: must be a list of {{\"key\", \"origins\"}}"
            )]);
        };
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, item) in list.iter().enumerate() {
            let path = format!("{KEY}[{i}]");
            let Some(obj) = item.as_object() else {
                problems.push(format!(
                    "{path}: must be an object {{\"key\", \"origins\"}}"
                ));
                continue;
            };
            for name in obj.keys() {
                if name != "key" && name != "origins" {
                    problems.push(format!(
                        "{path}: unknown member {name} (a key has key and origins)"
                    ));
                }
            }
            let key = match obj.get("key").and_then(Value::as_str) {
                Some(k) if !is_publishable(k) => {
                    problems.push(format!("{path}.key: must start with {PUBLISHABLE_PREFIX}"));
                    None
                }
                Some(k) if !is_well_formed_publishable(k) => {
                    problems.push(format!(
                        "{path}.key: must be {MIN_PUBLISHABLE_KEY_CHARS} to {MAX_PUBLISHABLE_KEY_CHARS} characters of A-Z, a-z, 0-9, _ and -"
                    ));
                    None
                }
                Some(k) => {
                    if !seen.insert(k) {
                        problems.push(format!("{path}.key: {k} is listed twice"));
                    }
                    Some(k.to_owned())
                }
                None => {
                    problems.push(format!("{path}.key: must be a string"));
                    None
                }
            };
            let mut origins = Vec::new();
            match obj.get("origins").and_then(Value::as_array) {
                Some(list) if !list.is_empty() => {
                    for (j, o) in list.iter().enumerate() {
                        let opath = format!("{path}.origins[{j}]");
                        match o.as_str().map(parse_allowed_origin) {
                            Some(Ok(p)) if !origins.contains(&p) => origins.push(p),
                            Some(Ok(p)) => problems.push(format!("{opath}: {p} is listed twice")),
                            Some(Err(why)) => problems.push(format!("{opath}: {o} {why}")),
                            None => problems.push(format!("{opath}: must be a string")),
                        }
                    }
                }
                _ => problems.push(format!(
                    "{path}.origins: must be a non-empty list of origins (https://host[:port])"
                )),
            }
            if let Some(key) = key {
                keys.push(PublishableKey { key, origins });
            }
        }
        if problems.is_empty() {
            Ok(PublishableKeys { keys })
        } else {
            Err(problems)
        }
    }

    /// The key, if the tenant has it.
    pub fn find(&self, key: &str) -> Option<&PublishableKey> {
        self.keys.iter().find(|k| k.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn allowed_origins_normalised() {
        // (configured, normalised) — expected values written by hand from RFC 6454.
        let ok = [
            ("https://shop.example", "https://shop.example"),
            ("HTTPS://SHOP.Example", "https://shop.example"),
            ("https://shop.example:443", "https://shop.example"),
            ("https://shop.example:8443", "https://shop.example:8443"),
            ("http://localhost:*", "http://localhost:*"),
            ("http://127.0.0.1:*", "http://127.0.0.1:*"),
            ("http://localhost:5173", "http://localhost:5173"),
            ("http://localhost:80", "http://localhost"),
            ("http://localhost", "http://localhost"),
            ("https://localhost:*", "https://localhost:*"),
            (
                "https://xn--bcher-kva.example",
                "https://xn--bcher-kva.example",
            ),
            ("https://192.0.2.7", "https://192.0.2.7"),
        ];
        for (text, normal) in ok {
            assert_eq!(
                parse_allowed_origin(text).map(|p| p.to_string()).as_deref(),
                Ok(normal),
                "{text}"
            );
        }
        let refused = [
            ("shop.example", "must be scheme://host[:port]"),
            ("ftp://shop.example", "must be an http or https origin"),
            (
                "http://shop.example",
                "must be https (http only for localhost and 127.0.0.1)",
            ),
            (
                "http://192.168.1.10:3000",
                "must be https (http only for localhost and 127.0.0.1)",
            ),
            (
                "https://shop.example/",
                "must have no path, query or fragment (an origin is scheme://host[:port])",
            ),
            (
                "https://shop.example/checkout",
                "must have no path, query or fragment (an origin is scheme://host[:port])",
            ),
            (
                "https://shop.example:*",
                "the port * is only for localhost and 127.0.0.1",
            ),
            (
                "https://*.shop.example",
                "wildcard hosts are not allowed: list each origin",
            ),
            (
                "https://bücher.example",
                "has a non-ASCII host: write it in punycode (xn--…), as browsers send it",
            ),
            (
                "https://user@shop.example",
                "must have no user name or password",
            ),
            (
                "https://shop.example:0",
                "has an invalid port (1 to 65535, or *)",
            ),
            (
                "https://shop.example:65536",
                "has an invalid port (1 to 65535, or *)",
            ),
            (
                "https://shop.example:+80",
                "has an invalid port (1 to 65535, or *)",
            ),
            ("https://", "has no host"),
            ("https://shop..example", "has an invalid host name"),
            ("https://-shop.example", "has an invalid host name"),
            ("https://[::1]:443", "IPv6 hosts are not supported"),
        ];
        for (text, why) in refused {
            assert_eq!(parse_allowed_origin(text), Err(why.to_owned()), "{text}");
        }
    }

    fn key(origins: &[&str]) -> PublishableKey {
        PublishableKey {
            key: "pk_test_0123456789".into(),
            origins: origins
                .iter()
                .map(|o| parse_allowed_origin(o).unwrap())
                .collect(),
        }
    }

    #[test]
    fn origin_headers_match_exactly_after_normalising() {
        let k = key(&[
            "https://shop.example",
            "https://shop.example:8443",
            "http://localhost:*",
            "http://127.0.0.1:5173",
        ]);
        let cases = [
            ("https://shop.example", true),
            ("https://Shop.Example", true),
            ("https://shop.example:443", true),
            ("https://shop.example:8443", true),
            ("https://shop.example:8444", false),
            ("http://shop.example", false),
            ("https://www.shop.example", false),
            ("https://shop.example.evil", false),
            ("https://evilshop.example", false),
            ("https://shop.example/", false),
            ("http://localhost", true),
            ("http://localhost:3000", true),
            ("http://localhost:5173", true),
            ("https://localhost:3000", false),
            ("http://127.0.0.1:5173", true),
            ("http://127.0.0.1:5174", false),
            ("http://127.0.0.1", false),
            ("null", false),
            ("", false),
            ("https://shop.example@evil.example", false),
        ];
        for (origin, allowed) in cases {
            assert_eq!(k.allows(origin), allowed, "{origin}");
        }
        let exact = key(&["http://localhost:5173"]);
        assert!(exact.allows("http://localhost:5173") && !exact.allows("http://localhost:5174"));
        assert!(!exact.allows("http://localhost"));
    }

    #[test]
    fn the_origin_refusal() {
        let k = key(&["https://shop.example"]);
        assert!(k.check_origin(Some("https://shop.example")).is_ok());
        let e = k.check_origin(Some("https://evil.example")).unwrap_err();
        assert_eq!(
            (e.code.code(), e.http_status(), e.code.error_type()),
            (2124, 403, "access_denied")
        );
        assert_eq!(
            e.message,
            "The origin \"https://evil.example\" is not allowed for this publishable key"
        );
        assert_eq!(
            k.check_origin(None).unwrap_err().code,
            ErrorCode::OriginNotAllowed
        );
    }

    #[test]
    fn key_types_by_prefix() {
        for (key, publishable, secret) in [
            ("pk_live_0123456789ab", true, false),
            ("sk_0123456789abcdef0123456789abcdef", false, true),
            ("acme-demo-key-0123456789", false, true),
            ("PK_live_0123456789ab", false, true),
            ("", false, false),
        ] {
            assert_eq!(
                (is_publishable(key), is_secret(key)),
                (publishable, secret),
                "{key}"
            );
        }
        assert!(check_key_type("sk_0123456789abcdef", false).is_ok());
        assert!(check_key_type("pk_live_0123456789ab", true).is_ok());
        for (key, browser) in [
            ("sk_0123456789abcdef", true),
            ("pk_live_0123456789ab", false),
        ] {
            let e = check_key_type(key, browser).unwrap_err();
            assert_eq!(
                (e.code.code(), e.http_status(), e.code.error_type()),
                (2125, 401, "invalid_api_key")
            );
        }
    }

    #[test]
    fn publishable_keys_with_every_problem_listed() {
        let keys = PublishableKeys::from_json(&json!([
            {"key": "pk_live_0123456789ab", "origins": ["https://shop.example", "http://localhost:*"]},
            {"key": "pk_test_abcdefghijkl", "origins": ["https://staging.shop.example"]}
        ]))
        .unwrap();
        assert_eq!(keys.keys.len(), 2);
        assert!(keys
            .find("pk_test_abcdefghijkl")
            .unwrap()
            .allows("https://staging.shop.example"));
        assert!(keys.find("pk_test_abcdefghijkm").is_none());
        assert_eq!(
            PublishableKeys::from_json(&json!([])).unwrap(),
            PublishableKeys::default()
        );

        let problems = PublishableKeys::from_json(&json!([
            {"key": "sk_live_0123456789ab", "origins": ["https://shop.example"]},
            {"key": "pk_short", "origins": []},
            {"key": "pk_live_0123456789ab", "origins": ["http://shop.example", 5, "https://a.example", "https://A.example:443"]},
            {"key": "pk_live_0123456789ab", "origins": ["https://shop.example"], "name": "x"},
            {"key": "pk_live 0123456789ab", "origins": "https://shop.example"},
            "pk_live_0123456789ab",
        ]))
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "publishableKeys[0].key: must start with pk_",
                "publishableKeys[1].key: must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -",
                "publishableKeys[1].origins: must be a non-empty list of origins (https://host[:port])",
                "publishableKeys[2].origins[0]: \"http://shop.example\" must be https (http only for localhost and 127.0.0.1)",
                "publishableKeys[2].origins[1]: must be a string",
                "publishableKeys[2].origins[3]: https://a.example is listed twice",
                "publishableKeys[3]: unknown member name (a key has key and origins)",
                "publishableKeys[3].key: pk_live_0123456789ab is listed twice",
                "publishableKeys[4].key: must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -",
                "publishableKeys[4].origins: must be a non-empty list of origins (https://host[:port])",
                "publishableKeys[5]: must be an object {\"key\", \"origins\"}",
            ]
        );
        assert_eq!(
            PublishableKeys::from_json(&json!({})).unwrap_err(),
            ["publishableKeys: must be a list of {\"key\", \"origins\"}"]
        );
    }
}
