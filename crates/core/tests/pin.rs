//! PIN generation over many draws: type, length, alphabet and uniformity.

mod common;

use common::SplitMix;
use smsotp_core::generate_pin;
use smsotp_core::pin::{PinType, MAX_PIN_LENGTH, MIN_PIN_LENGTH};
use smsotp_core::RandomSource;

#[test]
fn pins_have_the_requested_type_and_length() {
    let mut rng = SplitMix(7);
    for t in PinType::ALL {
        for len in MIN_PIN_LENGTH..=MAX_PIN_LENGTH {
            let pin = generate_pin(t, len, &mut rng);
            assert_eq!(pin.len(), len as usize);
            assert!(pin.bytes().all(|b| t.alphabet().contains(&b)), "{pin}");
        }
    }
}

#[test]
fn alphanumeric_avoids_look_alikes() {
    let a = PinType::Alphanumeric.alphabet();
    for c in b"01IO" {
        assert!(!a.contains(c));
    }
    assert_eq!(a.len(), 32);
}

/// Symbols drawn per alphabet: 40,000 PINs of 10. Enough for the χ² test to see the modulo
/// bias of `byte % n` (see [`a_modulo_biased_generator_fails_the_same_check`]).
const DRAWS: usize = 400_000;

/// The χ² critical value at p = 0.001 for `n - 1` degrees of freedom: the 99.9th percentile
/// of the χ² distribution (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4;
/// recomputed here by bisection on the regularised incomplete gamma function:
/// P(χ²₉ > 27.877) = P(χ²₂₅ > 52.620) = P(χ²₃₁ > 61.098) = 0.001). A uniform generator
/// exceeds it once in 1,000 seeds; the seeds below are fixed, so the test is reproducible.
fn critical_value(n: usize) -> f64 {
    match n {
        10 => 27.877,
        26 => 52.620,
        32 => 61.098,
        _ => panic!("no critical value for an alphabet of {n} symbols"),
    }
}

/// Pearson's χ² statistic of `DRAWS` symbols from `draw` against the uniform distribution
/// over `alphabet`, and the counts (for the failure message).
fn chi_square(alphabet: &[u8], mut draw: impl FnMut() -> u8) -> (f64, Vec<u64>) {
    let n = alphabet.len();
    let mut counts = vec![0u64; n];
    for _ in 0..DRAWS {
        let b = draw();
        let i = alphabet
            .iter()
            .position(|&c| c == b)
            .unwrap_or_else(|| panic!("{:?} is not in the alphabet", b as char));
        counts[i] += 1;
    }
    let expected = DRAWS as f64 / n as f64;
    let chi2 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    (chi2, counts)
}

/// The symbols of PINs of length 10 of type `t`, one at a time.
fn pin_symbols(t: PinType, seed: u64) -> impl FnMut() -> u8 {
    let mut rng = SplitMix(seed);
    let mut buffered = Vec::new();
    move || {
        if buffered.is_empty() {
            buffered = generate_pin(t, 10, &mut rng).into_bytes();
            buffered.reverse();
        }
        buffered.pop().unwrap()
    }
}

/// Chi-square test of uniformity for each alphabet, at its own critical value.
#[test]
fn symbols_are_uniform() {
    for (seed, t) in [11u64, 12, 13].into_iter().zip(PinType::ALL) {
        let alphabet = t.alphabet();
        let (chi2, counts) = chi_square(alphabet, pin_symbols(t, seed));
        let bound = critical_value(alphabet.len());
        eprintln!("{t:?}: chi2 = {chi2:.2} (bound {bound})");
        assert!(
            chi2 < bound,
            "{t:?}: chi2 = {chi2:.2} ≥ {bound}, counts {counts:?}"
        );
    }
}

/// The check above must be able to fail: a generator that maps a random byte to
/// `alphabet[byte % n]` (no rejection sampling) favours the first `256 % n` symbols
/// (digits 0–5: 26/256 instead of 25.6/256; letters A–V: 10/256 instead of 9.85/256).
///
/// Power, computed: the χ² statistic of such draws follows a non-central χ² with
/// λ = DRAWS · n · Σ (pᵢ − 1/n)². Digits: λ = 400,000 × 3.662e-4 = 146.5, so with 9 degrees
/// of freedom P(χ² < 27.877) < 1e-12; letters: λ = 537, P < 1e-12. (With the former 40,000
/// digits and bound 62, λ = 14.6 and the biased generator passed with probability 0.9996.)
/// The 32-symbol alphabet divides 256, so `byte % 32` has no bias to detect.
#[test]
fn a_modulo_biased_generator_fails_the_same_check() {
    for (seed, t) in [(21u64, PinType::Numbers), (22, PinType::Letters)] {
        let alphabet = t.alphabet();
        let mut rng = SplitMix(seed);
        let biased = || {
            let mut byte = [0u8];
            rng.fill_bytes(&mut byte);
            alphabet[byte[0] as usize % alphabet.len()]
        };
        let (chi2, counts) = chi_square(alphabet, biased);
        let bound = critical_value(alphabet.len());
        eprintln!("{t:?}, byte % n: chi2 = {chi2:.2} (bound {bound})");
        assert!(
            chi2 > bound,
            "{t:?}: the biased generator passed: chi2 = {chi2:.2} < {bound}, counts {counts:?}"
        );
    }
}

/// A generator that never draws the last symbol (an off-by-one in the alphabet index, here
/// giving the first symbol instead) also fails, for every alphabet, including the 32-symbol
/// one that has no modulo bias (λ = DRAWS · 2/n: 80,000 for digits).
#[test]
fn a_generator_missing_a_symbol_fails_the_same_check() {
    for (seed, t) in [31u64, 32, 33].into_iter().zip(PinType::ALL) {
        let alphabet = t.alphabet();
        let last = alphabet[alphabet.len() - 1];
        let mut draw = pin_symbols(t, seed);
        let off_by_one = || match draw() {
            s if s == last => alphabet[0],
            s => s,
        };
        let (chi2, _) = chi_square(alphabet, off_by_one);
        let bound = critical_value(alphabet.len());
        assert!(chi2 > bound, "{t:?}: chi2 = {chi2:.2} < {bound}");
    }
}
