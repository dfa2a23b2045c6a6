//! The one error type of the provider layer. Provider texts (error messages, codes,
//! transport errors) can echo the recipient — Twilio writes the `To` number into its
//! errors — and these errors end up in log lines, so every piece of text that came from
//! outside is held as a [`Redacted`], whose only constructor masks phone numbers. Nothing
//! else in this enum can carry outside text.

use std::fmt;
use std::time::Duration;

/// Text from a provider or the transport with every phone-number-like run masked (see
/// [`redact`]); it cannot be built any other way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted(String);

impl Redacted {
    /// Masks every phone number in `text`.
    pub fn new(text: &str) -> Self {
        Redacted(redact(text))
    }

    /// The redacted text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a provider did not take a message. Clients only ever see a generic 502; this is for
/// the `sms.failed` log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// No answer within `SMS_TIMEOUT_MS` (the request was aborted).
    Timeout(Duration),
    /// The request could not be made or got no HTTP answer (DNS, connection, TLS, a bad
    /// URL in the configuration).
    Transport(Redacted),
    /// The provider answered an HTTP status that is not its success status, with the
    /// (redacted) error text its body carried, if any.
    Status { status: u16, detail: Redacted },
    /// A success status, but a body that is not what the provider's API answers (not JSON,
    /// a field missing): a proxy page, an API change, garbage.
    Malformed { status: u16, what: &'static str },
    /// The provider understood the request and refused the message (Vonage's non-zero
    /// `status`, SMS.cx's `REJECTED`), with its (redacted) code and reason.
    Refused { code: Redacted, detail: Redacted },
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::Timeout(after) => write!(f, "no answer within {} ms", after.as_millis()),
            ProviderError::Transport(why) => write!(f, "transport: {why}"),
            ProviderError::Status { status, detail } if detail.as_str().is_empty() => {
                write!(f, "HTTP {status}")
            }
            ProviderError::Status { status, detail } => write!(f, "HTTP {status}: {detail}"),
            ProviderError::Malformed { status, what } => {
                write!(f, "malformed reply (HTTP {status}): {what}")
            }
            ProviderError::Refused { code, detail } => write!(f, "refused: {code} {detail}"),
        }
    }
}

impl ProviderError {
    /// A short stable name of the variant, for the log's `kind` field.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::Timeout(_) => "timeout",
            ProviderError::Transport(_) => "transport",
            ProviderError::Status { .. } => "status",
            ProviderError::Malformed { .. } => "malformed",
            ProviderError::Refused { .. } => "refused",
        }
    }
}

/// Characters allowed between the digits of a written phone number.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '/')
}

/// Fewest digits a run must have to be treated as a phone number (the shortest national
/// numbers have 7; shorter runs are codes and statuses worth keeping).
pub const MIN_PHONE_DIGITS: usize = 7;

/// `text` with every phone-number-like run — 7 or more digits, optionally led by `+` or
/// `(`, with at most 2 separator characters (space, `-`, `.`, `(`, `)`, `/`) between
/// digits — masked as `smsotp_core::phone::mask_phone` masks numbers in the logs (first
/// and last 2 digits kept). Over-masking a long numeric code is the safe side.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // A run starts at a digit, or at '+' / '(' right before one.
        let lead =
            matches!(chars[i], '+' | '(') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if !(chars[i].is_ascii_digit() || lead) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Extend over digits and short separator runs that are followed by a digit.
        let start = i;
        let mut end = if lead { i + 1 } else { i };
        let mut digits = 0;
        let mut j = end;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits += 1;
                j += 1;
                end = j;
                continue;
            }
            let mut k = j;
            while k < chars.len() && is_separator(chars[k]) && k - j < 2 {
                k += 1;
            }
            if k > j && chars.get(k).is_some_and(char::is_ascii_digit) {
                j = k;
            } else {
                break;
            }
        }
        let run: String = chars[start..end].iter().collect();
        if digits >= MIN_PHONE_DIGITS {
            out.push_str(&smsotp_core::phone::mask_phone(&run));
        } else {
            out.push_str(&run);
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_masked_and_short_numbers_kept() {
        // Expected values written by hand: first digit and last 2 kept, separators kept.
        let cases: &[(&str, &str)] = &[
            (
                "The 'To' number +33612345678 is not a valid phone number.",
                "The 'To' number +3********78 is not a valid phone number.",
            ),
            ("to 33612345678", "to 3********78"),
            ("call +1 (415) 555-0100 now", "call +1 (***) ***-**00 now"),
            ("06 12 34 56 78", "0* ** ** ** 78"),
            ("+44.20.7946.0958", "+4*.**.****.**58"),
            // 6 digits: a PIN-length code or an error code, not a phone number.
            ("code 21211 status 400", "code 21211 status 400"),
            ("123456", "123456"),
            ("1234567", "1****67"),
            ("Bad Credentials", "Bad Credentials"),
            ("", ""),
            ("+", "+"),
            ("a+b(c)", "a+b(c)"),
            // Two numbers, each masked on its own.
            ("+33612345678,+4915123456789", "+3********78,+4**********89"),
            // Three separators in a row end the run.
            ("1234 - 5678", "1234 - 5678"),
            ("héllo 0612345678 ✓", "héllo 0*******78 ✓"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn no_full_number_survives_any_formatting() {
        for text in [
            "+33612345678",
            "+33 6 12 34 56 78",
            "(+33) 6-12-34-56-78",
            "33612345678",
            "+33.612.345.678",
        ] {
            let red = redact(text);
            let digits: String = red.chars().filter(char::is_ascii_digit).collect();
            // Only the first digit and the last 2 are left.
            assert_eq!(digits, "378", "{text:?} → {red:?}");
        }
    }

    #[test]
    fn display_carries_only_redacted_text() {
        let e = ProviderError::Status {
            status: 400,
            detail: Redacted::new("code 21211: The 'To' number +33612345678 is not valid"),
        };
        assert_eq!(
            e.to_string(),
            "HTTP 400: code 21211: The 'To' number +3********78 is not valid"
        );
        let t = ProviderError::Transport(Redacted::new("connect to 0612345678 failed"));
        assert_eq!(t.to_string(), "transport: connect to 0*******78 failed");
    }
}
