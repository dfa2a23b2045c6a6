//! PIN generation over many draws: type, length, alphabet and uniformity.

mod common;

use common::SplitMix;
use smsotp_core::generate_pin;
use smsotp_core::pin::{PinType, MAX_PIN_LENGTH, MIN_PIN_LENGTH};

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

/// Chi-square test of uniformity for each alphabet: with a modulo bias (e.g. 256 % 10 = 6
/// symbols drawn more often) the statistic would be far above the bound.
#[test]
fn symbols_are_uniform() {
    let mut rng = SplitMix(42);
    for t in PinType::ALL {
        let n = t.alphabet().len();
        let mut counts = vec![0u64; n];
        let draws = 4000;
        for _ in 0..draws {
            for b in generate_pin(t, 10, &mut rng).bytes() {
                counts[t.alphabet().iter().position(|&c| c == b).unwrap()] += 1;
            }
        }
        let expected = (draws * 10) as f64 / n as f64;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // 99.9th percentile of chi-square with n-1 ≤ 31 degrees of freedom is < 62.
        assert!(chi2 < 62.0, "{t:?}: chi2 = {chi2}, counts {counts:?}");
    }
}
