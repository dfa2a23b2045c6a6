//! PINs: types, alphabets, uniform generation from an injected random source, entropy, and
//! the normalisation applied before a PIN is compared.
//!
//! Alphabets:
//! - `numbers`: `0123456789` (10 symbols, 3.32 bits each);
//! - `letters`: `A`–`Z` (26 symbols, 4.70 bits each), shown upper-case, compared
//!   case-insensitively;
//! - `alphanumeric`: `23456789ABCDEFGHJKLMNPQRSTUVWXYZ` (32 symbols, 5 bits each): digits and
//!   upper-case letters without the look-alikes `0`/`O` and `1`/`I`, compared
//!   case-insensitively.
//!
//! Every symbol is drawn by rejection sampling over random bytes, so no symbol is more likely
//! than another (no modulo bias).

use serde::{Deserialize, Serialize};

/// A source of cryptographically secure random bytes, supplied by the caller (the worker
/// and the browser package use the platform's CSPRNG; tests use a seeded generator).
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest)
    }
}

/// The platform's random source failed while something was being made from it (a PIN, an
/// OTP id): that thing was discarded, since a PIN drawn from failed bytes is guessable.
/// The shells answer it as an internal error (500) and never retry with weaker bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the platform's cryptographic random source failed")]
pub struct RandomError;

/// A platform CSPRNG that can fail (`getrandom`, i.e. `crypto.getRandomValues`, in the
/// worker and the browser), given as a function that fills a buffer and says whether it
/// could.
///
/// It exists only inside [`FallibleSource::run`], which hands it to the code that draws
/// from it and returns that code's result only if every fill succeeded: the value cannot
/// be had without handling the failure.
///
/// ```
/// use smsotp_core::{generate_pin, FallibleSource, PinType, RandomError};
///
/// // A platform source that works (here: a fixed byte, for the example).
/// let pin = FallibleSource::run(|b: &mut [u8]| { b.fill(7); true }, |rng| {
///     generate_pin(PinType::Numbers, 6, rng)
/// });
/// assert_eq!(pin, Ok("777777".to_owned()));
///
/// // One that fails: no PIN, an error.
/// let pin = FallibleSource::run(|_: &mut [u8]| false, |rng| {
///     generate_pin(PinType::Numbers, 6, rng)
/// });
/// assert_eq!(pin, Err(RandomError));
/// ```
pub struct FallibleSource<F: FnMut(&mut [u8]) -> bool> {
    fill: F,
    failed: bool,
}

impl<F: FnMut(&mut [u8]) -> bool> FallibleSource<F> {
    /// Runs `make` with a [`RandomSource`] drawing from `fill`, and returns what it made,
    /// or [`RandomError`] if any fill failed (then what it made is dropped unseen).
    ///
    /// After a failed fill, the source hands out zeroes for the rest of the run, so that
    /// `make` finishes (rejection sampling accepts zeroes) without panicking.
    pub fn run<T>(fill: F, make: impl FnOnce(&mut Self) -> T) -> Result<T, RandomError> {
        let mut source = FallibleSource {
            fill,
            failed: false,
        };
        let made = make(&mut source);
        if source.failed {
            Err(RandomError)
        } else {
            Ok(made)
        }
    }
}

impl<F: FnMut(&mut [u8]) -> bool> RandomSource for FallibleSource<F> {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // Once failed, the platform is not asked again: nothing of this run will be used.
        if self.failed || !(self.fill)(dest) {
            self.failed = true;
            dest.fill(0);
        }
    }
}

#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// The request's `pinType`: which symbols a PIN is made of.
pub enum PinType {
    /// `numbers`: `0`–`9`.
    Numbers,
    /// `letters`: `A`–`Z`, compared case-insensitively.
    Letters,
    /// `alphanumeric`: digits and letters without the look-alikes `0`/`O`, `1`/`I`.
    Alphanumeric,
}

/// Shortest `pinLength`.
pub const MIN_PIN_LENGTH: u8 = 4;
/// Longest `pinLength`.
pub const MAX_PIN_LENGTH: u8 = 10;

impl PinType {
    /// The three types, in the contract's order.
    pub const ALL: [PinType; 3] = [PinType::Numbers, PinType::Letters, PinType::Alphanumeric];

    /// The wire name (`numbers`, `letters`, `alphanumeric`).
    pub const fn as_str(self) -> &'static str {
        match self {
            PinType::Numbers => "numbers",
            PinType::Letters => "letters",
            PinType::Alphanumeric => "alphanumeric",
        }
    }

    /// Parses the wire name, case-insensitively.
    pub fn parse(name: &str) -> Option<PinType> {
        PinType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The symbols a PIN of this type is made of.
    pub const fn alphabet(self) -> &'static [u8] {
        match self {
            PinType::Numbers => b"0123456789",
            PinType::Letters => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            PinType::Alphanumeric => b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ",
        }
    }

    /// Bits of entropy of a PIN of this type and `length` symbols.
    pub fn entropy_bits(self, length: u8) -> f64 {
        f64::from(length) * (self.alphabet().len() as f64).log2()
    }
}

/// Is `length` an allowed PIN length (4 to 10)?
pub fn is_pin_length(length: u32) -> bool {
    (u32::from(MIN_PIN_LENGTH)..=u32::from(MAX_PIN_LENGTH)).contains(&length)
}

/// Draws a PIN of `length` symbols, each uniform over the type's alphabet (bytes that
/// would bias a symbol are rejected and drawn again).
///
/// ```
/// use smsotp_core::{generate_pin, PinType, RandomSource};
///
/// /// A stand-in for a CSPRNG that repeats the bytes 7, 250, 33.
/// struct Repeat(usize);
/// impl RandomSource for Repeat {
///     fn fill_bytes(&mut self, dest: &mut [u8]) {
///         for d in dest {
///             *d = [7, 250, 33][self.0 % 3];
///             self.0 += 1;
///         }
///     }
/// }
/// // 250 is rejected for digits (250..=255 would favour 0–5); 7 → '7', 33 → '3'.
/// assert_eq!(generate_pin(PinType::Numbers, 6, &mut Repeat(0)), "737373");
/// // For `alphanumeric` (32 symbols) every byte is used: 7 → '9', 250 → 'U', 33 → '3'.
/// assert_eq!(generate_pin(PinType::Alphanumeric, 6, &mut Repeat(0)), "9U39U3");
/// ```
///
/// The shells draw from the platform's CSPRNG through [`FallibleSource::run`].
pub fn generate_pin(pin_type: PinType, length: u8, rng: &mut impl RandomSource) -> String {
    let alphabet = pin_type.alphabet();
    let n = alphabet.len();
    // Largest multiple of n that fits in a byte: bytes at or above it are rejected.
    let limit = 256 - (256 % n);
    let mut pin = String::with_capacity(length as usize);
    let mut buf = [0u8; 32];
    while pin.len() < length as usize {
        rng.fill_bytes(&mut buf);
        for &b in &buf {
            if (b as usize) < limit {
                pin.push(alphabet[b as usize % n] as char);
                if pin.len() == length as usize {
                    break;
                }
            }
        }
    }
    pin
}

/// The form a submitted PIN is compared in: white space and `-` removed (people type
/// `123 456`), ASCII letters upper-cased (letters compare case-insensitively). Only ASCII:
/// PIN alphabets are A–Z and digits, and Unicode upper-casing would also turn other text
/// into a PIN's letters (`ſ` → `S`, `ı` → `I`, `ß` → `SS`, `ﬆ` → `ST`).
pub fn normalise_pin(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A sample PIN for previews: the type's first symbols, so it is obviously not a real PIN
/// but has the right length and character set.
pub fn sample_pin(pin_type: PinType, length: u8) -> String {
    let alphabet = pin_type.alphabet();
    let start = if pin_type == PinType::Numbers { 1 } else { 0 };
    (0..length as usize)
        .map(|i| alphabet[(start + i) % alphabet.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A platform source that fills with 0x07 and fails on its `n`th call (never if 0).
    fn failing_on(n: usize) -> impl FnMut(&mut [u8]) -> bool {
        let mut calls = 0;
        move |dest: &mut [u8]| {
            calls += 1;
            dest.fill(7);
            calls != n
        }
    }

    #[test]
    fn a_failing_platform_source_gives_an_error_never_a_pin() {
        assert_eq!(
            FallibleSource::run(failing_on(0), |rng| generate_pin(PinType::Numbers, 6, rng)),
            Ok("777777".to_owned())
        );
        // A 10-symbol alphanumeric PIN from this source takes one fill; drawing three PINs
        // takes three, and a failure on any of them refuses all.
        for n in 1..=3 {
            let made = FallibleSource::run(failing_on(n), |rng| {
                [0, 1, 2].map(|_| generate_pin(PinType::Alphanumeric, 10, rng))
            });
            assert_eq!(made, Err(RandomError), "failing on call {n}");
        }
        // A source that always fails still lets the PIN finish (no endless rejection loop).
        assert_eq!(
            FallibleSource::run(
                |_: &mut [u8]| false,
                |rng| generate_pin(PinType::Letters, 10, rng)
            ),
            Err(RandomError)
        );
        assert_eq!(
            RandomError.to_string(),
            "the platform's cryptographic random source failed"
        );
    }

    /// After a failure the platform is not asked again and the bytes are zeroes.
    #[test]
    fn a_failed_source_hands_out_zeroes() {
        let mut calls = 0;
        let bytes = FallibleSource::run(
            |dest: &mut [u8]| {
                calls += 1;
                dest.fill(0xAB);
                false
            },
            |rng| {
                let mut buf = [0xFFu8; 4];
                rng.fill_bytes(&mut buf);
                rng.fill_bytes(&mut buf);
                buf
            },
        );
        assert_eq!(bytes, Err(RandomError));
        assert_eq!(calls, 1);
    }

    /// A source whose bytes are all 255 would map to the alphabet's 6th symbol under modulo
    /// (255 % 10 = 5); rejection sampling must skip such bytes instead.
    #[test]
    fn biased_bytes_are_rejected() {
        struct Sequence(Vec<u8>, usize);
        impl RandomSource for Sequence {
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                for d in dest {
                    *d = self.0[self.1 % self.0.len()];
                    self.1 += 1;
                }
            }
        }
        // 250..=255 are at or above 250 = 25 * 10 and must be rejected; 3 is accepted.
        let mut rng = Sequence(vec![255, 251, 250, 3], 0);
        assert_eq!(generate_pin(PinType::Numbers, 4, &mut rng), "3333");
    }

    #[test]
    fn entropy() {
        assert!((PinType::Numbers.entropy_bits(6) - 19.93).abs() < 0.01);
        assert!((PinType::Letters.entropy_bits(5) - 23.50).abs() < 0.01);
        assert_eq!(PinType::Alphanumeric.entropy_bits(6), 30.0);
    }

    #[test]
    fn normalisation_and_parsing() {
        assert_eq!(normalise_pin(" 123 456 "), "123456");
        assert_eq!(normalise_pin("grn-xq"), "GRNXQ");
        assert_eq!(PinType::parse("Numbers"), Some(PinType::Numbers));
        assert_eq!(PinType::parse("digits"), None);
        assert_eq!(sample_pin(PinType::Numbers, 6), "123456");
    }
}
