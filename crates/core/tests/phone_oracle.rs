//! Phone-number validity must agree with libphonenumber-js/max (Google's libphonenumber
//! metadata) on a corpus across 60 countries, and again across every region: example numbers in E.164, national and
//! international formats, with the international dialling prefix, and invalid variants
//! (a digit short, too long, every possible first digit).

mod common;

use serde_json::Value;
use smsotp_core::phone;

const COUNTRIES: &[&str] = &[
    "FR", "DE", "ES", "IT", "BG", "GB", "US", "CA", "RU", "KZ", "IN", "CN", "JP", "KR", "BR", "AR",
    "MX", "AU", "NZ", "ZA", "NG", "KE", "EG", "MA", "SA", "AE", "TR", "IL", "PL", "CZ", "SK", "HU",
    "RO", "UA", "BY", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PT", "GR", "HR", "RS",
    "ID", "MY", "SG", "TH", "VN", "PH", "PK", "CO", "CL", "PE", "GG", "JM",
];

#[test]
fn validity_agrees_with_libphonenumber() {
    agree_on(COUNTRIES);
}

/// Every region with phone numbers, the same way (about 5,000 numbers).
#[test]
fn validity_agrees_with_libphonenumber_in_every_region() {
    let all: Vec<&str> = smsotp_core::phone::countries().collect();
    agree_on(&all);
}

fn agree_on(countries: &[&str]) {
    let Some(out) = common::run_oracle("phone.mjs", countries, "") else {
        return;
    };
    let mut total = 0;
    let (mut valid, mut invalid) = (0, 0);
    let mut disagreements = Vec::new();
    for line in out.lines() {
        let case: Value = serde_json::from_str(line).expect("oracle JSON");
        let input = case["input"].as_str().unwrap();
        let country = case["country"].as_str();
        let expected_valid = case["valid"].as_bool().unwrap();
        let ours = phone::parse(input, country);
        total += 1;
        if expected_valid {
            valid += 1;
        } else {
            invalid += 1;
        }
        let agrees = match (&ours, expected_valid) {
            (Ok(p), true) => {
                p.e164 == case["e164"].as_str().unwrap()
                    && p.country_iso == case["countryIso"].as_str().unwrap()
            }
            (Err(_), false) => true,
            _ => false,
        };
        if !agrees {
            disagreements.push(format!(
                "{input} ({country:?}): oracle {case}, ours {ours:?}"
            ));
        }
    }
    eprintln!(
        "phone corpus: {total} numbers, {valid} valid, {invalid} invalid, {} countries",
        countries.len()
    );
    assert!(
        total >= 300 && valid >= 150 && invalid >= 150,
        "corpus: {total} ({valid} valid)"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {total} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
