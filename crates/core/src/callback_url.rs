//! `otpCallbackUrl`: syntax, and where callbacks may go.
//!
//! The worker POSTs status updates to this URL, so it is also a server-side request forgery
//! vector. The URL is parsed as `fetch` parses it (the WHATWG URL Standard, with the `url`
//! crate), and what is classified is the parsed host and port — the address `fetch` would
//! connect to — not the text: `https://0x7f.1/`, `https://2130706433/`,
//! `https://127.0.0.1\@example.com/` and `https://[::ffff:7f00:1]/` are all 127.0.0.1. The
//! URL that is stored and later fetched is the parsed URL serialized again, so what was
//! checked is exactly what is fetched.
//!
//! In production ([`CallbackPolicy::PublicHttpsOnly`]) only `https` on port 443 to a public
//! host is accepted: no IP address of an IANA special-purpose range (IPv4 and IPv6
//! registries: private, loopback, link-local, shared, documentation, benchmarking,
//! multicast, reserved, …), no IPv6 form that embeds an IPv4 address other than an
//! IPv4-mapped one (classified by its IPv4), and no host name that is not a public DNS name
//! (a single label, `localhost`, `.local`, `.internal` and the other special-use names,
//! with or without a trailing dot). A user name or password is refused too (`fetch`
//! refuses such URLs). In development ([`CallbackPolicy::AllowLoopback`]), `http` or
//! `https` to a loopback host on any port is allowed too, so a local receiver can be used.
//!
//! The parsing and classification need the `whatwg-url` feature (default; the worker's
//! build). Without it — the browser package, which would otherwise carry the `url` crate's
//! IDNA tables — [`check`] only checks the URL's shape (length, scheme): the server decides.

#[cfg(feature = "whatwg-url")]
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest accepted callback URL.
pub const MAX_URL_LEN: usize = 2048;

/// Where callbacks may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackPolicy {
    /// `https` on port 443 to public hosts only (production).
    #[default]
    PublicHttpsOnly,
    /// Also `http`/`https` to loopback hosts, any port (`ENVIRONMENT=development`).
    AllowLoopback,
}

/// Checks a callback URL against a policy: the URL to store and fetch (the parsed URL,
/// serialized), or why it is refused.
pub fn check(url: &str, policy: CallbackPolicy) -> Result<String, &'static str> {
    #[cfg(feature = "whatwg-url")]
    {
        let parsed = CallbackUrl::parse(url)?;
        parsed.allowed_by(policy)?;
        Ok(parsed.href)
    }
    #[cfg(not(feature = "whatwg-url"))]
    {
        // The browser package: the shape only (the server parses and classifies).
        let _ = policy;
        shape(url)?;
        Ok(url.to_owned())
    }
}

/// What is checked before parsing: the length, no white space or control character, and an
/// `http(s)` scheme.
fn shape(url: &str) -> Result<(), &'static str> {
    if url.len() > MAX_URL_LEN {
        return Err("longer than 2048 characters");
    }
    // The URL parser would drop tabs and new lines, and trim spaces and controls: refused
    // instead, so the text stored is the text sent.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains white space or control characters");
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("must start with https:// or http://");
    }
    Ok(())
}

/// The host of a callback URL, after parsing.
#[cfg(feature = "whatwg-url")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A domain name: ASCII (an internationalized name in its `xn--` form), lower-case, as
    /// parsed (a trailing dot kept).
    Domain(String),
    /// An IPv4 or IPv6 address, in whichever spelling the URL had it.
    Ip(IpAddr),
}

/// A parsed `http(s)` URL.
#[cfg(feature = "whatwg-url")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    /// `https` (else `http`).
    pub https: bool,
    /// The host `fetch` would connect to.
    pub host: Host,
    /// The port `fetch` would connect to (the scheme's default when the URL has none).
    pub port: u16,
    /// Whether the URL has a user name or password.
    pub credentials: bool,
    /// The parsed URL, serialized: what is stored and fetched.
    pub href: String,
}

#[cfg(feature = "whatwg-url")]
impl CallbackUrl {
    /// Parses an absolute `http` or `https` URL as the WHATWG URL Standard (and so `fetch`)
    /// does; the error says what is wrong.
    pub fn parse(input: &str) -> Result<CallbackUrl, &'static str> {
        shape(input)?;
        let url = url::Url::parse(input).map_err(parse_error)?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err("must start with https:// or http://"),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => Host::Domain(d.to_owned()),
            Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
            None => return Err("has no host"),
        };
        let port = url.port_or_known_default().ok_or("invalid port")?;
        let href = String::from(url);
        if href.len() > MAX_URL_LEN {
            return Err("longer than 2048 characters");
        }
        Ok(CallbackUrl {
            https,
            credentials: href_has_credentials(&href),
            host,
            port,
            href,
        })
    }

    fn is_loopback(&self) -> bool {
        match &self.host {
            Host::Domain(d) => {
                let d = d.strip_suffix('.').unwrap_or(d);
                d == "localhost" || d.ends_with(".localhost")
            }
            Host::Ip(IpAddr::V4(ip)) => ip.is_loopback(),
            Host::Ip(IpAddr::V6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        }
    }

    /// Why the host is not a public internet host, if it is not.
    fn not_public(&self) -> Option<&'static str> {
        let public = match &self.host {
            Host::Domain(d) => return domain_problem(d),
            Host::Ip(IpAddr::V4(ip)) => is_public_v4(ip),
            Host::Ip(IpAddr::V6(ip)) => is_public_v6(ip),
        };
        (!public).then_some("must point to a public host")
    }

    /// Checks the URL against a policy; the error says why it is refused.
    pub fn allowed_by(&self, policy: CallbackPolicy) -> Result<(), &'static str> {
        if self.credentials {
            return Err("must not contain a user name or password");
        }
        if policy == CallbackPolicy::AllowLoopback && self.is_loopback() {
            return Ok(());
        }
        if !self.https {
            return Err("must use https");
        }
        if let Some(why) = self.not_public() {
            return Err(why);
        }
        if self.port != 443 {
            return Err("must use port 443");
        }
        Ok(())
    }
}

/// A serialized URL's user name or password: `scheme://` then `@` before the host's end.
#[cfg(feature = "whatwg-url")]
fn href_has_credentials(href: &str) -> bool {
    let rest = href.split_once("://").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.contains('@')
}

#[cfg(feature = "whatwg-url")]
fn parse_error(e: url::ParseError) -> &'static str {
    use url::ParseError::*;
    match e {
        EmptyHost => "has no host",
        IdnaError => "invalid international domain name",
        InvalidPort => "invalid port",
        InvalidIpv4Address => "invalid IPv4 address",
        InvalidIpv6Address => "invalid IPv6 address",
        InvalidDomainCharacter => "invalid host name",
        RelativeUrlWithoutBase => "must start with https:// or http://",
        Overflow => "longer than 2048 characters",
        _ => "cannot be parsed",
    }
}

/// Top-level (and second-level) names that are not public DNS: IANA's special-use domain
/// names (RFC 6761 and later: `localhost`, `local`, `test`, `invalid`, `example`, `onion`,
/// `alt`, `internal`, `home.arpa`, and `arpa` as a whole), and the names commonly used
/// inside private networks that ICANN will not delegate (`lan`, `home`, `corp`, `intranet`,
/// `private`).
#[cfg(feature = "whatwg-url")]
const NOT_PUBLIC_SUFFIXES: [&str; 14] = [
    "localhost",
    "local",
    "test",
    "invalid",
    "example",
    "onion",
    "alt",
    "internal",
    "arpa",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
];

/// Why a parsed domain is not a public DNS host name, if it is not.
#[cfg(feature = "whatwg-url")]
fn domain_problem(domain: &str) -> Option<&'static str> {
    // One trailing dot (the absolute form) names the same host.
    let d = domain.strip_suffix('.').unwrap_or(domain);
    if !is_host_name(d, true) {
        return Some("invalid host name");
    }
    let Some((_, tld)) = d.rsplit_once('.') else {
        return Some("must point to a public host"); // a single label
    };
    (NOT_PUBLIC_SUFFIXES.contains(&tld) || d == "localhost" || NOT_PUBLIC_SUFFIXES.contains(&d))
        .then_some("must point to a public host")
}

/// Outside every block of the IANA IPv4 Special-Purpose Address Registry (2026-12), and
/// not multicast or reserved.
#[cfg(feature = "whatwg-url")]
fn is_public_v4(ip: &Ipv4Addr) -> bool {
    let n = u32::from(*ip);
    // (network, prefix length)
    const SPECIAL: [(u32, u32); 18] = [
        (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
        (0x0a00_0000, 8),  // 10.0.0.0/8 private
        (0x6440_0000, 10), // 100.64.0.0/10 shared (carrier-grade NAT)
        (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
        (0xa9fe_0000, 16), // 169.254.0.0/16 link-local (cloud metadata)
        (0xac10_0000, 12), // 172.16.0.0/12 private
        (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
        (0xc000_0200, 24), // 192.0.2.0/24 documentation (TEST-NET-1)
        (0xc01f_c400, 24), // 192.31.196.0/24 AS112-v4
        (0xc034_c100, 24), // 192.52.193.0/24 AMT
        (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast (deprecated)
        (0xc0a8_0000, 16), // 192.168.0.0/16 private
        (0xc0af_3000, 24), // 192.175.48.0/24 direct delegation AS112
        (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
        (0xc633_6400, 24), // 198.51.100.0/24 documentation (TEST-NET-2)
        (0xcb00_7100, 24), // 203.0.113.0/24 documentation (TEST-NET-3)
        (0xe000_0000, 4),  // 224.0.0.0/4 multicast
        (0xf000_0000, 4),  // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast
    ];
    !SPECIAL
        .iter()
        .any(|&(net, len)| n >> (32 - len) == net >> (32 - len))
}

/// A global unicast address (2000::/3) outside every block of the IANA IPv6
/// Special-Purpose Address Registry; an IPv4-mapped address (`::ffff:a.b.c.d`, which
/// `fetch` sends to the IPv4 address) by its IPv4 address. Every other form that embeds an
/// IPv4 address is refused outright: IPv4-compatible `::a.b.c.d` (in ::/8), NAT64
/// `64:ff9b::/96` and `64:ff9b:1::/48` (outside 2000::/3), Teredo `2001::/32` (in
/// 2001::/23) and 6to4 `2002::/16`.
#[cfg(feature = "whatwg-url")]
fn is_public_v6(ip: &Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(&v4);
    }
    let n = u128::from(*ip);
    // Everything outside 2000::/3 is special: ::/8 (::, ::1, IPv4-compatible, IPv4
    // translated), 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 100::/64 (discard), fc00::/7
    // (unique local), fe80::/10 (link-local), fec0::/10 (site-local, deprecated), ff00::/8
    // (multicast), and the unallocated rest.
    if n >> 125 != 1 {
        return false;
    }
    // (network, prefix length) inside 2000::/3
    // 2001::/23 holds the IETF protocol assignments: Teredo 2001::/32, benchmarking
    // 2001:2::/48, ORCHID 2001:10::/28, ORCHIDv2 2001:20::/28, …
    const SPECIAL: [(u128, u32); 5] = [
        (0x2001_0000_u128 << 96, 23),      // IETF protocol assignments
        (0x2001_0db8_u128 << 96, 32),      // documentation
        (0x2002_u128 << 112, 16),          // 6to4
        (0x2620_004f_8000_u128 << 80, 48), // AS112-v6 direct delegation
        (0x3fff_u128 << 112, 20),          // documentation (RFC 9637)
    ];
    !SPECIAL
        .iter()
        .any(|&(net, len)| n >> (128 - len) == net >> (128 - len))
}

/// Is `host` a DNS host name: at most 253 characters of non-empty labels of at most 63
/// ASCII letters, digits and `-` (not at either end), and `_` too when `underscore` (found
/// in real service host names; not in browser origins). Shared by callback URLs and the
/// browser API's origins (smsotp-edge's `browser::origin`).
pub fn is_host_name(host: &str, underscore: bool) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || (underscore && b == b'_'))
        })
}

#[cfg(all(test, feature = "whatwg-url"))]
mod tests {
    use super::*;
    use CallbackPolicy::*;

    fn verdict(url: &str, policy: CallbackPolicy) -> Result<(), &'static str> {
        check(url, policy).map(|_| ())
    }

    #[test]
    fn odd_urls_are_errors() {
        let long = format!("https://{}.com/", "a".repeat(100_000));
        assert_eq!(
            CallbackUrl::parse(&long),
            Err("longer than 2048 characters")
        );
        for bad in [
            "",
            " ",
            "https://",
            "https://:80/",
            "https://[::1",
            "\u{0}",
            "ftp://x.com",
        ] {
            assert!(CallbackUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn syntax() {
        for ok in [
            "https://my-callback/receive-otp-status",
            "https://example.com",
            "https://user:pw@hooks.example.com:8443/otp?x=1#f",
            "HTTPS://EXAMPLE.COM/path",
            "https://[2001:db8::1]/cb",
            "http://127.0.0.1:9999/cb",
        ] {
            assert!(CallbackUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "example.com",
            "ftp://example.com",
            "https://",
            "https://exa mple.com",
            "https://example.com:99999",
            "https://example.com:80a",
            "https://[::1/cb",
            "https://999.1.1.1",
            "javascript:alert(1)",
        ] {
            assert!(CallbackUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(CallbackUrl::parse(&format!("https://a.com/{}", "x".repeat(2100))).is_err());
        // Parsed but not a host name.
        assert_eq!(
            verdict("https://-bad-.com", PublicHttpsOnly),
            Err("invalid host name")
        );
    }

    #[test]
    fn the_stored_url_is_the_parsed_one() {
        assert_eq!(
            check("HTTPS://Hooks.Example.COM:443/a/../b?x#f", PublicHttpsOnly).as_deref(),
            Ok("https://hooks.example.com/b?x#f")
        );
        assert_eq!(
            check("https://bücher.example.com/cb", PublicHttpsOnly).as_deref(),
            Ok("https://xn--bcher-kva.example.com/cb")
        );
        assert_eq!(
            check("http://0x7f.1:8788/cb", AllowLoopback).as_deref(),
            Ok("http://127.0.0.1:8788/cb")
        );
    }

    #[test]
    fn production_needs_public_https_on_443() {
        assert_eq!(
            verdict("https://hooks.example.com/otp", PublicHttpsOnly),
            Ok(())
        );
        assert_eq!(
            verdict("http://hooks.example.com/otp", PublicHttpsOnly),
            Err("must use https")
        );
        assert_eq!(
            verdict("https://hooks.example.com:8443/otp", PublicHttpsOnly),
            Err("must use port 443")
        );
        assert_eq!(
            verdict("https://u:p@hooks.example.com/otp", PublicHttpsOnly),
            Err("must not contain a user name or password")
        );
        for private in [
            "https://127.0.0.1/",
            "https://localhost/",
            "https://10.1.2.3/",
            "https://192.168.0.1/",
            "https://172.16.5.5/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://0.0.0.0/",
            "https://metadata.google.internal/",
        ] {
            assert_eq!(
                verdict(private, PublicHttpsOnly),
                Err("must point to a public host"),
                "{private}"
            );
        }
    }

    #[test]
    fn development_allows_loopback_http() {
        assert_eq!(verdict("http://127.0.0.1:8788/cb", AllowLoopback), Ok(()));
        assert_eq!(verdict("http://localhost:8788/cb", AllowLoopback), Ok(()));
        assert_eq!(verdict("http://[::1]:8788/cb", AllowLoopback), Ok(()));
        assert_eq!(
            verdict("http://example.com/cb", AllowLoopback),
            Err("must use https")
        );
        assert_eq!(
            verdict("https://10.0.0.1/cb", AllowLoopback),
            Err("must point to a public host")
        );
        assert_eq!(
            verdict("https://hooks.example.com/cb", AllowLoopback),
            Ok(())
        );
    }
}
