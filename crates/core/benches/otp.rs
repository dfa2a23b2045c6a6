//! `cargo bench -p smsotp-core`: the create path (JSON body → validated request → phone →
//! PIN → rendered, encoded message → keyed hash → record) and the verify path (a PIN
//! checked against a stored record), plus their main pieces (phone parsing, formatting in
//! each style, as-you-type formatting of a 12-digit number, SMS segments). Also prints the cost of the
//! very first phone-number parse in this process (metadata compiled on first use).

#[path = "../tests/common/mod.rs"]
mod common;

use common::SplitMix;
use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use smsotp_core::{count_segments, create_otp, phone, validate_request_text, Config, PinHasher};

/// The seed's curl body (six templates, callback URL).
const SEED_BODY: &str = r#"{"phoneNumber":"+33612424199","from":"Verify","template":"Your verification code is {{pin}}","template_fr":"Votre code de vérification est {{pin}}","template_de":"Ihr Bestätigungscode lautet {{pin}}","template_es":"Tu código de verificación es {{pin}}","template_it":"Il tuo codice di verifica è {{pin}}","template_bg":"Вашият код за потвърждение е {{pin}}","ttl":600,"maxAttempts":6,"pinType":"numbers","pinLength":5,"otpCallbackUrl":"https://my-callback.example.com/receive-otp-status"}"#;
const MINIMAL_BODY: &str = r#"{"phoneNumber":"+4915123456789"}"#;
const KEY: &[u8] = b"benchmark key of thirty-two byte";

fn create(c: &mut Criterion) {
    let config = Config::default();
    let hasher = PinHasher::new(KEY).unwrap();
    let mut rng = SplitMix(1);
    let mut g = c.benchmark_group("create");
    for (name, body) in [("seed_body", SEED_BODY), ("minimal_body", MINIMAL_BODY)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let request = validate_request_text(black_box(body), &config).unwrap();
                create_otp(
                    &request,
                    "tenant",
                    &hasher,
                    &mut rng,
                    1_800_000_000_000,
                    0.0,
                )
            })
        });
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    let hasher = PinHasher::new(KEY).unwrap();
    let request = validate_request_text(SEED_BODY, &Config::default()).unwrap();
    let new = create_otp(
        &request,
        "tenant",
        &hasher,
        &mut SplitMix(2),
        1_800_000_000_000,
        0.0,
    );
    let pin = new.message.text.rsplit(' ').next().unwrap().to_owned();
    let stored = new.record;
    let mut g = c.benchmark_group("verify");
    g.bench_function("right_pin", |b| {
        b.iter_batched_ref(
            || stored.clone(),
            |r| r.check(black_box(&pin), 1_800_000_001_000, &hasher),
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("wrong_pin", |b| {
        b.iter_batched_ref(
            || stored.clone(),
            |r| r.check(black_box("00000"), 1_800_000_001_000, &hasher),
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn pieces(c: &mut Criterion) {
    let mut g = c.benchmark_group("pieces");
    g.bench_function("phone_parse_e164", |b| {
        b.iter(|| phone::parse(black_box("+33 6 12 42 41 99"), None))
    });
    g.bench_function("phone_parse_national_us", |b| {
        b.iter(|| phone::parse(black_box("(212) 555-0123"), Some("US")))
    });
    for style in phone::FormatStyle::ALL {
        g.bench_function(format!("phone_format_{}", style.as_str()), |b| {
            b.iter(|| phone::format(black_box("+33612424199"), None, style))
        });
    }
    // A widget formatting a number key by key: 13 calls, the last returning
    // "+44 7911 123456".
    g.bench_function("phone_as_you_type_12_digits", |b| {
        b.iter(|| {
            let mut typing = phone::AsYouType::new(None);
            let mut shown = String::new();
            for c in black_box("+447911123456").chars() {
                shown = typing.input(c.encode_utf8(&mut [0; 4]));
            }
            shown
        })
    });
    let gsm = "Your verification code is 123456. It expires in 5 minutes. Do not share it with anyone, not even with us! Thank you, ACME Bank";
    let ucs2 = "Вашият код за потвърждение е 123456. Валиден е 5 минути. Не го споделяйте с никого, дори и с нас! Благодарим ви, ACME Bank 👍";
    g.bench_function("count_segments_gsm_120", |b| {
        let text: String = gsm.chars().take(120).collect();
        assert_eq!(text.chars().count(), 120);
        b.iter(|| count_segments(black_box(&text)))
    });
    g.bench_function("count_segments_ucs2_120", |b| {
        let text: String = ucs2.chars().take(120).collect();
        assert_eq!(text.chars().count(), 120);
        b.iter(|| count_segments(black_box(&text)))
    });
    g.bench_function("analyze_utf16_ucs2_120", |b| {
        let text: String = ucs2.chars().take(120).collect();
        assert_eq!(text.chars().count(), 120);
        let units: Vec<u16> = text.encode_utf16().collect();
        b.iter(|| smsotp_core::sms::analyze_utf16(black_box(&units)))
    });
    g.finish();
}

criterion_group!(benches, create, verify, pieces);

fn main() {
    // First parse in this process: the region's patterns are compiled on first use.
    let start = Instant::now();
    let first = phone::parse("+33612424199", None);
    let cold = start.elapsed();
    let start = Instant::now();
    let second = phone::parse("(212) 555-0123", Some("US"));
    let cold_us = start.elapsed();
    assert!(first.is_ok() && second.is_ok());
    println!(
        "cold first phone parse: FR {:.1} µs, US {:.1} µs (each compiles its region's patterns once)",
        cold.as_secs_f64() * 1e6,
        cold_us.as_secs_f64() * 1e6
    );
    // First formatting of a region's numbers: its formats are compiled on first use.
    let start = Instant::now();
    let formatted = phone::format("+33612424199", None, phone::FormatStyle::International);
    let cold_format = start.elapsed();
    assert_eq!(formatted.as_deref(), Ok("+33 6 12 42 41 99"));
    println!(
        "cold first format (FR, patterns already compiled): {:.1} µs",
        cold_format.as_secs_f64() * 1e6
    );
    benches();
    Criterion::default().configure_from_args().final_summary();
}
