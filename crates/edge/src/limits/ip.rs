//! Limits per end-user IP address: the subject an `X-End-User-IP` header value is counted
//! under ([`end_user_ip`]: an IPv4 address, or an IPv6 /64), its SMS per hour
//! (`limits.ipSendsPerHour`, [`AbuseLimits::check_ip`]), and the wider IPv6 /48's
//! (`limits.ipv6Net48SendsPerHour`, [`ipv6_net48`], [`AbuseLimits::check_ipv6_net48`]).
//! Both refusals are 2114.

use std::net::IpAddr;

use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::time::UnixMillis;

use super::{seconds_until, window_full, AbuseLimits, HOUR};

/// The subject an `X-End-User-IP` header value is counted under: an IPv4 address as its
/// dotted quad; an IPv6 address reduced to its /64 (`2001:db8:1:2::/64`), since one
/// subscriber gets at least a /64 and can use any address in it; an IPv4-mapped IPv6
/// address (`::ffff:192.0.2.1`) as its IPv4. Anything else is refused with 2120.
///
/// ```
/// use smsotp_edge::limits::end_user_ip;
///
/// assert_eq!(end_user_ip("192.0.2.7").unwrap(), "192.0.2.7");
/// assert_eq!(end_user_ip("2001:db8:1:2:3:4:5:6").unwrap(), "2001:db8:1:2::/64");
/// assert_eq!(end_user_ip("::ffff:192.0.2.7").unwrap(), "192.0.2.7");
/// assert_eq!(end_user_ip("localhost").unwrap_err().code.code(), 2120);
/// ```
pub fn end_user_ip(text: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::new(ErrorCode::EndUserIpInvalid).for_field("X-End-User-IP");
    // Header values arrive trimmed, but optional white space around them is allowed (RFC 9110).
    match text.trim().parse::<IpAddr>().map_err(|_| invalid())? {
        IpAddr::V4(v4) => Ok(v4.to_string()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Ok(v4.to_string()),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                Ok(format!("{}/64", std::net::Ipv6Addr::from(segments)))
            }
        },
    }
}

/// The IPv6 /48 of an [`end_user_ip`] subject (`2001:db8:1::/48` for `2001:db8:1:2::/64`),
/// or `None` for an IPv4 subject: the second, wider IPv6 count.
///
/// ```
/// use smsotp_edge::limits::{end_user_ip, ipv6_net48};
/// let subject = end_user_ip("2001:db8:1:2:3:4:5:6").unwrap();
/// assert_eq!(ipv6_net48(&subject).as_deref(), Some("2001:db8:1::/48"));
/// assert_eq!(ipv6_net48("203.0.113.7"), None);
/// ```
pub fn ipv6_net48(subject: &str) -> Option<String> {
    let address = subject.strip_suffix("/64")?;
    let v6: std::net::Ipv6Addr = address.parse().ok()?;
    let mut segments = v6.segments();
    segments[3..].fill(0);
    Some(format!("{}/48", std::net::Ipv6Addr::from(segments)))
}

impl AbuseLimits {
    /// May an SMS go out for this end-user IP ([`end_user_ip`])? `sends_last_hour`: the
    /// times of SMS sent for it (older ones are ignored). Refused with 2114, retryable when
    /// the oldest send that counts leaves the hour.
    pub fn check_ip(
        &self,
        sends_last_hour: &[UnixMillis],
        now: UnixMillis,
    ) -> Result<(), ApiError> {
        if self.ip_sends_per_hour == 0 {
            return Ok(());
        }
        match window_full(sends_last_hour, self.ip_sends_per_hour, HOUR, now) {
            None => Ok(()),
            Some(frees_at) => {
                Err(ApiError::new(ErrorCode::EndUserIpLimit)
                    .retry_after(seconds_until(frees_at, now)))
            }
        }
    }

    /// May one more SMS go for an end-user IPv6 /48 that had these SMS in the last hour
    /// (the /48 of an [`end_user_ip`] subject: [`ipv6_net48`])? Refused with 2114.
    pub fn check_ipv6_net48(
        &self,
        sends_last_hour: &[UnixMillis],
        now: UnixMillis,
    ) -> Result<(), ApiError> {
        if self.ipv6_net48_sends_per_hour == 0 {
            return Ok(());
        }
        match window_full(sends_last_hour, self.ipv6_net48_sends_per_hour, HOUR, now) {
            None => Ok(()),
            Some(frees_at) => Err(ApiError::with_message(
                ErrorCode::EndUserIpLimit,
                "Too many SMS for this end-user IPv6 network (/48); retry later",
            )
            .retry_after(seconds_until(frees_at, now))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::testing::{refused, NOW, S};

    #[test]
    fn end_user_ips() {
        // Expectations written by hand from RFC 4291 / RFC 5952 (the canonical text form).
        let cases = [
            ("192.0.2.7", Some("192.0.2.7")),
            (" 203.0.113.255 ", Some("203.0.113.255")),
            ("2001:db8:1:2:3:4:5:6", Some("2001:db8:1:2::/64")),
            (
                "2001:0DB8:0001:0002:ffff:ffff:ffff:ffff",
                Some("2001:db8:1:2::/64"),
            ),
            ("2001:db8::1", Some("2001:db8::/64")),
            ("::1", Some("::/64")),
            ("fe80::1:2:3:4", Some("fe80::/64")),
            ("2001:db8:0:0:1::", Some("2001:db8::/64")),
            ("::ffff:192.0.2.7", Some("192.0.2.7")),
            ("::ffff:c000:207", Some("192.0.2.7")),
            ("", None),
            ("1.2.3", None),
            ("256.1.1.1", None),
            ("01.2.3.4", None),
            ("192.0.2.7:443", None),
            ("[2001:db8::1]", None),
            ("fe80::1%eth0", None),
            ("2001:db8::/64", None),
            ("example.com", None),
            ("192.0.2.7, 198.51.100.1", None),
        ];
        for (input, expected) in cases {
            match expected {
                Some(subject) => assert_eq!(end_user_ip(input).as_deref(), Ok(subject), "{input}"),
                None => {
                    let e = end_user_ip(input).unwrap_err();
                    assert_eq!((e.code.code(), e.http_status()), (2120, 400), "{input}");
                    assert_eq!(e.message, "'X-End-User-IP' is not an IP address");
                }
            }
        }
    }

    #[test]
    fn ten_sends_per_ip_per_hour() {
        let l = AbuseLimits::default();
        // Ten sends, one every 5 minutes, the oldest 50 minutes ago; one from 2 h ago.
        let mut sends: Vec<u64> = (0..10).map(|i| NOW - 3000 * S + i * 300 * S).collect();
        sends.push(NOW - 7200 * S);
        sends.reverse(); // order does not matter
                         // The oldest that counts leaves the hour in 10 minutes.
        assert_eq!(refused(l.check_ip(&sends, NOW)), (2114, Some(600)));
        assert!(l.check_ip(&sends[..10], NOW).is_ok());
        assert!(l.check_ip(&sends, NOW + 600 * S).is_ok());
        let off = AbuseLimits {
            ip_sends_per_hour: 0,
            ..l
        };
        assert!(off.check_ip(&sends, NOW).is_ok());
    }

    #[test]
    fn an_ipv6_48_has_its_own_hourly_count() {
        let l = AbuseLimits {
            ipv6_net48_sends_per_hour: 2,
            ..AbuseLimits::default()
        };
        assert!(l.check_ipv6_net48(&[NOW - 10 * S], NOW).is_ok());
        let e = l
            .check_ipv6_net48(&[NOW - 3600 * S + S, NOW - S], NOW)
            .unwrap_err();
        assert_eq!((e.code.code(), e.retry_after), (2114, Some(1)));
        // Sends older than the hour do not count.
        assert!(l.check_ipv6_net48(&[NOW - 3600 * S, NOW - S], NOW).is_ok());
        for (ip, net) in [
            ("2001:db8:1:2:3:4:5:6", Some("2001:db8:1::/48")),
            ("2001:db8:1:ffff::1", Some("2001:db8:1::/48")),
            ("2001:db8:2::1", Some("2001:db8:2::/48")),
            ("::ffff:192.0.2.7", None),
            ("192.0.2.7", None),
        ] {
            let subject = end_user_ip(ip).unwrap();
            assert_eq!(ipv6_net48(&subject).as_deref(), net, "{ip}");
        }
    }
}
