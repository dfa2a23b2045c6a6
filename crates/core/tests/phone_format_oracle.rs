//! Formatting must agree with libphonenumber-js/max over a seeded corpus covering every
//! region libphonenumber-js knows (`tests/oracle/format.mjs`): `format` in the three styles
//! with no disagreement, and as-you-type formatting (every prefix of a number typed one
//! character at a time: the text shown, the region and the number value, each compared with
//! `AsYouType`'s own `getNumberValue()`) on every prefix; and `countries_info` lists its
//! regions, calling codes and example numbers. The corpus is seeded: its sizes are asserted
//! exactly (they are the figures of docs/testing.md, "Oracles").

mod common;

use serde_json::Value;
use smsotp_core::phone::{self, FormatStyle};

// The seeded corpus of tests/oracle/format.mjs with libphonenumber-js 1.13.16 (pinned): its
// sizes are asserted exactly, and they are the figures of docs/testing.md ("Oracles").
/// Inputs formatted in the three styles.
const FORMAT_INPUTS: usize = 14_693;
/// Numbers typed one character at a time.
const AS_YOU_TYPE_NUMBERS: usize = 11_359;
/// Their prefixes (one per character typed).
const AS_YOU_TYPE_PREFIXES: usize = 141_481;
/// libphonenumber-js's regions.
const REGIONS: usize = 245;

fn oracle_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("oracle JSON"))
        .collect()
}

#[test]
fn format_agrees_with_libphonenumber_in_every_style() {
    let Some(out) = common::run_oracle("format.mjs", &[], "") else {
        return;
    };
    let cases: Vec<Value> = oracle_lines(&out)
        .into_iter()
        .filter(|c| c["kind"] == "format")
        .collect();
    let mut compared = 0;
    let mut formatted = 0;
    let mut disagreements = Vec::new();
    for case in &cases {
        let input = case["input"].as_str().unwrap();
        let country = case["country"].as_str();
        if !case["out"].is_null() {
            formatted += 1;
        }
        for style in FormatStyle::ALL {
            let theirs = case["out"][style.as_str()].as_str();
            // Through the lazy path in a `lazy-metadata` build.
            let ours = common::lazily(|| phone::format(input, country, style));
            compared += 1;
            if ours.as_deref().ok() != theirs {
                disagreements.push(format!(
                    "{input:?} ({country:?}) {}: theirs {theirs:?}, ours {ours:?}",
                    style.as_str()
                ));
            }
        }
    }
    let regions: std::collections::BTreeSet<&str> =
        cases.iter().filter_map(|c| c["country"].as_str()).collect();
    eprintln!(
        "format corpus: {} inputs ({formatted} formatted by libphonenumber-js, {} not), {} regions, {compared} comparisons, {} disagreements",
        cases.len(),
        cases.len() - formatted,
        regions.len(),
        disagreements.len()
    );
    assert_eq!(
        (cases.len(), compared, regions.len()),
        (FORMAT_INPUTS, 3 * FORMAT_INPUTS, REGIONS),
        "format corpus size (inputs, comparisons, regions): update docs/testing.md with it"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {compared} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn countries_info_lists_libphonenumbers_regions() {
    let Some(out) = common::run_oracle("format.mjs", &[], "") else {
        return;
    };
    let lines = oracle_lines(&out);
    let theirs = lines
        .iter()
        .find(|l| l["kind"] == "regions")
        .expect("regions line");
    let theirs: Vec<(String, u16, String)> = theirs["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().parse().unwrap(),
                r[2].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ours: Vec<(String, u16, String)> = phone::countries_info()
        .into_iter()
        .map(|c| (c.country_iso.to_owned(), c.calling_code, c.example_number))
        .collect();
    eprintln!(
        "regions: {} (libphonenumber-js), {} (ours)",
        theirs.len(),
        ours.len()
    );
    assert_eq!(ours, theirs);
}

#[test]
fn as_you_type_agrees_with_libphonenumber_on_every_prefix() {
    let Some(out) = common::run_oracle("format.mjs", &[], "") else {
        return;
    };
    let cases: Vec<Value> = oracle_lines(&out)
        .into_iter()
        .filter(|c| c["kind"] == "typing")
        .collect();
    let (mut prefixes, mut agreeing, mut numbers_agreeing) = (0usize, 0usize, 0usize);
    let mut disagreements = Vec::new();
    let mut number_disagreements = Vec::new();
    for case in &cases {
        let input = case["input"].as_str().unwrap();
        let country = case["country"].as_str();
        // Through the lazy path in a `lazy-metadata` build: each region reported missing
        // is loaded and what was typed typed again, as the npm package does.
        let mut lazy = common::LazyTyping::new(country);
        let mut typed = String::new();
        for (c, step) in input.chars().zip(case["steps"].as_array().unwrap()) {
            typed.push(c);
            let text = lazy.input(&c.to_string());
            let typing = &lazy.typing;
            let region = typing.country();
            let theirs = (step[0].as_str().unwrap(), step[1].as_str());
            prefixes += 1;
            if (text.as_str(), region) == theirs {
                agreeing += 1;
            } else {
                disagreements.push(format!(
                    "{input:?} ({country:?}) typed {typed:?}: theirs {theirs:?}, ours {:?}",
                    (text.as_str(), region)
                ));
            }
            // Like with like: their as-you-type number value (`getNumberValue()`), not the
            // number `parse` reads from the same digits (which may differ: KZ `8…`).
            if typing.number().as_deref() == step[2].as_str() {
                numbers_agreeing += 1;
            } else {
                number_disagreements.push(format!(
                    "{input:?} ({country:?}) typed {typed:?}: theirs {:?}, ours {:?}",
                    step[2].as_str(),
                    typing.number()
                ));
            }
        }
    }
    let agreement = 100.0 * agreeing as f64 / prefixes.max(1) as f64;
    eprintln!(
        "as-you-type corpus: {} numbers, {prefixes} prefixes, {agreeing} agree ({agreement:.2} %), {} disagree; number value agrees on {numbers_agreeing}",
        cases.len(),
        disagreements.len()
    );
    for d in disagreements.iter().chain(&number_disagreements) {
        eprintln!("  {d}");
    }
    // The seeded corpus of tests/oracle/format.mjs with libphonenumber-js 1.13.16: exactly
    // the figures of docs/testing.md (not a floor).
    assert_eq!(
        (cases.len(), prefixes),
        (AS_YOU_TYPE_NUMBERS, AS_YOU_TYPE_PREFIXES),
        "as-you-type corpus size (numbers, prefixes): update docs/testing.md with it"
    );
    assert!(
        disagreements.is_empty() && number_disagreements.is_empty(),
        "{agreement:.2} % of prefixes agree on text and region, {numbers_agreeing} of {prefixes} on the number value: every prefix must"
    );
}
