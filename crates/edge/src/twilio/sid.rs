//! Twilio SIDs: two upper-case letters naming the resource kind, then 32 hex digits.
//!
//! The oai spec's patterns (`^VA[0-9a-fA-F]{32}$` …) allow either case of hex; Twilio's
//! fixtures and the SIDs we issue use lower case, and a SID is compared byte for byte, so
//! [`parse`] accepts exactly what [`new`] makes: the prefix, then 32 **lower-case** hex
//! digits. (Source: the oai spec's patterns; `VL`
//! is the Attempts API's `sid` pattern, used by `send_code_attempts[].attempt_sid`.)

use std::fmt;

/// The kinds of SID the Verify subset uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SidKind {
    /// `AC`: an account.
    Account,
    /// `SK`: an API key (the Basic user in place of the account SID).
    ApiKey,
    /// `VA`: a Verify service.
    Service,
    /// `VE`: a verification (also the `sid` of a verification check).
    Verification,
    /// `VL`: one send attempt of a verification.
    Attempt,
}

impl SidKind {
    /// Every kind.
    pub const ALL: [SidKind; 5] = [
        SidKind::Account,
        SidKind::ApiKey,
        SidKind::Service,
        SidKind::Verification,
        SidKind::Attempt,
    ];

    /// The two-letter prefix.
    pub const fn prefix(self) -> &'static str {
        match self {
            SidKind::Account => "AC",
            SidKind::ApiKey => "SK",
            SidKind::Service => "VA",
            SidKind::Verification => "VE",
            SidKind::Attempt => "VL",
        }
    }
}

/// A SID that passed [`parse`]: its kind and its 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid {
    /// The resource kind (the prefix).
    pub kind: SidKind,
    /// The 32 hex digits, as bytes.
    pub bytes: [u8; 16],
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.prefix())?;
        f.write_str(&smsotp_core::pin_hash::to_hex(&self.bytes))
    }
}

/// Reads `s` as a SID of `kind`: exactly the prefix and 32 lower-case hex digits, else
/// `None` (the worker answers 20404 for a path SID, 60200 for a form one).
pub fn parse(kind: SidKind, s: &str) -> Option<Sid> {
    let hex = s.strip_prefix(kind.prefix())?.as_bytes();
    if hex.len() != 32 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        bytes[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(Sid { kind, bytes })
}

/// A new SID of `kind` from 16 random bytes (the caller's randomness).
pub fn new(kind: SidKind, random: [u8; 16]) -> String {
    Sid {
        kind,
        bytes: random,
    }
    .to_string()
}

/// The kind of a SID, whatever it is: the first kind whose [`parse`] accepts it.
pub fn classify(s: &str) -> Option<Sid> {
    SidKind::ALL.iter().find_map(|&k| parse(k, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn new_then_parse_round_trips_for_every_kind() {
        let random = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef,
        ];
        for kind in SidKind::ALL {
            let s = new(kind, random);
            assert_eq!(s, format!("{}{HEX}", kind.prefix()));
            assert_eq!(
                parse(kind, &s),
                Some(Sid {
                    kind,
                    bytes: random
                })
            );
            assert_eq!(classify(&s).map(|sid| sid.kind), Some(kind));
        }
        assert_eq!(
            new(SidKind::Service, [0; 16]),
            format!("VA{}", "0".repeat(32))
        );
    }

    #[test]
    fn parse_is_exact() {
        let cases: &[(SidKind, String, bool, &str)] = &[
            (SidKind::Service, format!("VA{HEX}"), true, "well formed"),
            (SidKind::Service, format!("VE{HEX}"), false, "another kind"),
            (
                SidKind::Service,
                format!("va{HEX}"),
                false,
                "lower-case prefix",
            ),
            (
                SidKind::Service,
                format!("VA{}", HEX.to_uppercase()),
                false,
                "upper-case hex",
            ),
            (
                SidKind::Service,
                format!("VA{}", &HEX[1..]),
                false,
                "31 digits",
            ),
            (SidKind::Service, format!("VA{HEX}0"), false, "33 digits"),
            (
                SidKind::Service,
                format!("VA{}g", &HEX[1..]),
                false,
                "not hex",
            ),
            (
                SidKind::Service,
                format!(" VA{HEX}"),
                false,
                "leading space",
            ),
            (
                SidKind::Service,
                format!("VA{HEX}\n"),
                false,
                "trailing newline",
            ),
            (SidKind::Service, "VA".to_owned(), false, "prefix only"),
            (SidKind::Service, String::new(), false, "empty"),
            (
                SidKind::Verification,
                "+15017122661".to_owned(),
                false,
                "a phone number",
            ),
            (SidKind::Account, format!("AC{HEX}"), true, "account"),
            (SidKind::ApiKey, format!("SK{HEX}"), true, "api key"),
            (SidKind::Attempt, format!("VL{HEX}"), true, "attempt"),
            (
                SidKind::Service,
                format!("VA{}é", &HEX[2..]),
                false,
                "multi-byte char",
            ),
        ];
        for (kind, s, ok, why) in cases {
            assert_eq!(parse(*kind, s).is_some(), *ok, "{why}: {s:?}");
        }
    }

    #[test]
    fn classify_finds_the_kind_or_nothing() {
        assert_eq!(
            classify(&format!("SK{HEX}")).map(|s| s.kind),
            Some(SidKind::ApiKey)
        );
        assert_eq!(classify("foo"), None);
        assert_eq!(classify(&format!("XX{HEX}")), None);
    }
}
