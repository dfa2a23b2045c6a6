//! `otpCallbackUrl`: syntax, and where callbacks may go.
//!
//! The worker POSTs status updates to this URL, so it is also a server-side request forgery
//! vector: in production only `https` to a public host is accepted (no `localhost`, no
//! loopback, private, link-local or unspecified IP literal). In development, plain `http`
//! to a loopback host is allowed too, so a local receiver can be used.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest accepted callback URL.
pub const MAX_URL_LEN: usize = 2048;

/// Where callbacks may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackPolicy {
    /// `https` to public hosts only (production).
    #[default]
    PublicHttpsOnly,
    /// Also `http`/`https` to loopback hosts (`ENVIRONMENT=development`).
    AllowLoopback,
}

/// The host of a callback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A domain name, lower-case.
    Domain(String),
    /// An IPv4 or IPv6 address literal.
    Ip(IpAddr),
}

/// A syntactically valid `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    /// `https` (else `http`).
    pub https: bool,
    /// The host the callback would be sent to.
    pub host: Host,
    /// The explicit port, if the URL has one.
    pub port: Option<u16>,
}

impl CallbackUrl {
    /// Parses an absolute `http` or `https` URL; the error says what is wrong.
    pub fn parse(url: &str) -> Result<CallbackUrl, &'static str> {
        if url.len() > MAX_URL_LEN {
            return Err("longer than 2048 characters");
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("contains white space or control characters");
        }
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, &url[8..])
        } else if lower.starts_with("http://") {
            (false, &url[7..])
        } else {
            return Err("must start with https:// or http://");
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (addr, after) = v6.split_once(']').ok_or("unclosed IPv6 bracket")?;
            let ip: Ipv6Addr = addr.parse().map_err(|_| "invalid IPv6 address")?;
            (Host::Ip(IpAddr::V6(ip)), after.strip_prefix(':'))
        } else {
            let (h, p) = match host_port.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            };
            (parse_host(h)?, p)
        };
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
                _ => return Err("invalid port"),
            },
        };
        Ok(CallbackUrl { https, host, port })
    }

    fn is_loopback(&self) -> bool {
        match &self.host {
            Host::Domain(d) => d == "localhost" || d.ends_with(".localhost"),
            Host::Ip(ip) => ip.is_loopback(),
        }
    }

    /// Hosts that are not on the public internet.
    fn is_private(&self) -> bool {
        match &self.host {
            Host::Domain(d) => {
                d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal")
            }
            Host::Ip(IpAddr::V4(ip)) => is_private_v4(ip),
            Host::Ip(IpAddr::V6(ip)) => {
                let seg = ip.segments();
                ip.is_loopback()
                    || ip.is_unspecified()
                    || (seg[0] & 0xfe00) == 0xfc00 // unique local
                    || (seg[0] & 0xffc0) == 0xfe80 // link-local
                    || ip.to_ipv4_mapped().is_some_and(|v4| is_private_v4(&v4))
            }
        }
    }

    /// Checks the URL against a policy; the error says why it is refused.
    pub fn allowed_by(&self, policy: CallbackPolicy) -> Result<(), &'static str> {
        match policy {
            CallbackPolicy::AllowLoopback if self.is_loopback() => Ok(()),
            _ if !self.https => Err("must use https"),
            _ if self.is_private() => Err("must point to a public host"),
            _ => Ok(()),
        }
    }
}

fn is_private_v4(ip: &Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
}

fn parse_host(host: &str) -> Result<Host, &'static str> {
    if host.is_empty() {
        return Err("has no host");
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host
            .parse::<Ipv4Addr>()
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .map_err(|_| "invalid IPv4 address");
    }
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if is_host_name(&host, true) {
        Ok(Host::Domain(host))
    } else {
        Err("invalid host name")
    }
}

/// Is `host` a DNS host name: at most 253 characters of non-empty labels of at most 63
/// ASCII letters, digits and `-` (not at either end), and `_` too when `underscore` (found
/// in real service host names; not in browser origins). Shared by callback URLs and the
/// browser API's origins.
pub(crate) fn is_host_name(host: &str, underscore: bool) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use CallbackPolicy::*;

    fn check(url: &str, policy: CallbackPolicy) -> Result<(), &'static str> {
        CallbackUrl::parse(url)?.allowed_by(policy)
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
            "https://example.com:0",
            "https://example.com:99999",
            "https://example.com:80a",
            "https://[::1/cb",
            "https://-bad-.com",
            "https://999.1.1.1",
            "javascript:alert(1)",
        ] {
            assert!(CallbackUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(CallbackUrl::parse(&format!("https://a.com/{}", "x".repeat(2100))).is_err());
    }

    #[test]
    fn production_needs_public_https() {
        assert_eq!(
            check("https://hooks.example.com/otp", PublicHttpsOnly),
            Ok(())
        );
        assert_eq!(
            check("http://hooks.example.com/otp", PublicHttpsOnly),
            Err("must use https")
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
                check(private, PublicHttpsOnly),
                Err("must point to a public host"),
                "{private}"
            );
        }
    }

    #[test]
    fn development_allows_loopback_http() {
        assert_eq!(check("http://127.0.0.1:8788/cb", AllowLoopback), Ok(()));
        assert_eq!(check("http://localhost:8788/cb", AllowLoopback), Ok(()));
        assert_eq!(
            check("http://example.com/cb", AllowLoopback),
            Err("must use https")
        );
        assert_eq!(
            check("https://10.0.0.1/cb", AllowLoopback),
            Err("must point to a public host")
        );
    }
}
