//! Phone exports (both builds): parse, validity, formatting, as-you-type, the country list,
//! and the loading of each region's metadata (the package's builds compile in only the
//! index: smsotp-core's `lazy-metadata`). A call that needs a region not loaded answers
//! with that region (`missing` below), which the JS layer throws as `METADATA_MISSING`.

use std::cell::RefCell;

use smsotp_core::phone;
use wasm_bindgen::prelude::*;

use crate::transport::{set_output, with_input};

/// A region's ISO code as one word: `letter 1 | letter 2 << 5 | 1 << 10` (letters as `A` =
/// 0); 0 for none.
fn region_word(iso: &str) -> u32 {
    match iso.as_bytes() {
        &[a, b] => {
            u32::from(a.wrapping_sub(b'A') & 31)
                | u32::from(b.wrapping_sub(b'A') & 31) << 5
                | 1 << 10
        }
        _ => 0,
    }
}

/// A refusal into `OUTPUT`: the reason's address and length, then the region whose metadata
/// is missing (`region_word`), 0 for other refusals.
fn set_refusal(e: &phone::PhoneError) {
    let why = e.reason();
    let missing = match e {
        phone::PhoneError::MetadataMissing(iso) => region_word(iso),
        _ => 0,
    };
    set_output([why.as_ptr() as u32, why.len() as u32, missing]);
}

/// Loads the region metadata asset in the `units` code units of `INPUT`: returns the
/// region (`region_word`), or 0 with `OUTPUT` = why (as a refusal).
#[wasm_bindgen(js_name = loadRegion)]
pub fn load_region(units: usize) -> u32 {
    let asset = with_input(units, String::from_utf16_lossy);
    match phone::load_region(&asset) {
        Ok(iso) => region_word(iso),
        Err(e) => {
            let why = e.reason();
            set_output([why.as_ptr() as u32, why.len() as u32, 0]);
            0
        }
    }
}

/// The regions to load with the region in the `units` code units of `INPUT`
/// (`phone::regions_to_load`): their count, each one's `region_word` in `OUTPUT`.
#[wasm_bindgen(js_name = regionsToLoad)]
pub fn regions_to_load(units: usize) -> u32 {
    let iso = with_input(units, String::from_utf16_lossy);
    let regions = phone::regions_to_load(&iso);
    set_output(regions.iter().map(|r| region_word(r)));
    regions.len() as u32
}

/// `phone::parse` of the `number_units` code units in `INPUT`, with the region in the
/// `country_units` after them (none: 0). Valid: returns the E.164 digits as a number
/// (at most 15 digits: exact in a double) and `OUTPUT[0]` = `calling code | region letter
/// 1 << 10 | letter 2 << 15 | number type << 20 | national number length << 24` (letters
/// as `A` = 0, types as in `numberTypes`). Invalid: returns 0 and `OUTPUT` = the refusal
/// (`set_refusal`: a static string, which JS decodes once and caches).
#[wasm_bindgen(js_name = phoneUtf16)]
pub fn phone_utf16(number_units: usize, country_units: usize) -> f64 {
    let (number, country) = number_and_country(number_units, country_units);
    let result = phone::parse(&number, country.as_deref());
    match result {
        Ok(p) => {
            let letter = |i: usize| u32::from(p.country_iso.as_bytes()[i].wrapping_sub(b'A') & 31);
            let kind = phone::NumberType::ALL
                .iter()
                .position(|t| *t == p.number_type)
                .unwrap_or(0) as u32;
            set_output([u32::from(p.calling_code)
                | letter(0) << 10
                | letter(1) << 15
                | kind << 20
                | (p.national_number.len() as u32 & 31) << 24]);
            // "+" then at most 15 digits (no float parsing: its code is large).
            p.e164
                .bytes()
                .skip(1)
                .fold(0u64, |n, d| n * 10 + u64::from(d.wrapping_sub(b'0') % 10)) as f64
        }
        Err(e) => {
            set_refusal(&e);
            0.0
        }
    }
}

/// The number types' names in `phoneUtf16`'s order, comma separated (read once by JS).
/// (Pushed rather than `collect` + `join`: `join`'s generic copy is 1.4 KB of wasm.)
#[wasm_bindgen(js_name = numberTypes)]
pub fn number_types() -> String {
    let mut out = String::new();
    for t in phone::NumberType::ALL {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(t.as_str());
    }
    out
}

/// Marks an error answer of [`format_utf16`]: `OUTPUT` then holds the reason.
const FAILED: u32 = u32::MAX;

/// Puts a text into `OUTPUT`, one UTF-16 code unit per word; returns its length.
fn output_text(text: &str) -> u32 {
    set_output(text.encode_utf16().map(u32::from));
    text.encode_utf16().count() as u32
}

/// The number and region in `INPUT` (as for [`phone_utf16`]).
fn number_and_country(number_units: usize, country_units: usize) -> (String, Option<String>) {
    with_input(number_units + country_units, |input| {
        let (number, country) = input.split_at(number_units.min(input.len()));
        (
            String::from_utf16_lossy(number),
            (country_units > 0).then(|| String::from_utf16_lossy(country)),
        )
    })
}

/// `phone::format` of the number in `INPUT` (as for [`phone_utf16`]) in `style` (0
/// `E.164`, 1 `INTERNATIONAL`, 2 `NATIONAL`): returns the formatted text's length, its code
/// units in `OUTPUT`; or `FAILED` with `OUTPUT` = the reason's address and length.
#[wasm_bindgen(js_name = formatUtf16)]
pub fn format_utf16(number_units: usize, country_units: usize, style: u32) -> u32 {
    let (number, country) = number_and_country(number_units, country_units);
    let style = phone::FormatStyle::ALL
        .get(style as usize)
        .copied()
        .unwrap_or(phone::FormatStyle::E164);
    match phone::format(&number, country.as_deref(), style) {
        Ok(text) => output_text(&text),
        Err(e) => {
            set_refusal(&e);
            FAILED
        }
    }
}

/// The one live formatter: the `AsYouType` of JS object `owner`, fed its first `fed` pieces
/// of text. A page formats one field at a time, so one formatter serves it at the cost of a
/// single call per keystroke; another object's call replays its own pieces into a new one
/// ([`as_you_type_replay`]). Nothing is kept per JS object, so nothing can leak.
struct LiveFormatter {
    owner: u32,
    fed: u32,
    formatter: phone::AsYouType,
}

thread_local! {
    static LIVE: RefCell<Option<LiveFormatter>> = const { RefCell::new(None) };
}

/// Answer of [`as_you_type_input`] when the live formatter is another object's.
const REPLAY: u32 = u32::MAX;
/// Answer of the as-you-type calls when a region they need is not loaded: `OUTPUT[0]` is
/// the region (`region_word`). The live formatter is dropped (its state is unknown), so
/// the next call replays.
const MISSING: u32 = u32::MAX - 1;

fn missing_answer(m: phone::MetadataMissing) -> u32 {
    LIVE.with_borrow_mut(|live| *live = None);
    set_output([region_word(m.0)]);
    MISSING
}

/// `formatted length | region letter 1 << 16 | letter 2 << 21 | region known << 26`
/// (letters as `A` = 0), the formatted text's code units in `OUTPUT`.
fn typed_answer(live: &LiveFormatter, formatted: &str) -> u32 {
    let length = output_text(formatted).min(0xFFFF);
    let region = live.formatter.country().map_or(0, |iso| {
        let letter = |i: usize| u32::from(iso.as_bytes()[i].wrapping_sub(b'A') & 31);
        letter(0) << 16 | letter(1) << 21 | 1 << 26
    });
    length | region
}

/// Feeds the `text_units` code units in `INPUT` to JS object `owner`'s formatter, as
/// `AsYouType::input`, when the live formatter is that object's and has had its `fed`
/// earlier pieces; returns `typed_answer`'s word.
/// Otherwise answers `REPLAY` and changes nothing.
#[wasm_bindgen(js_name = asYouTypeInput)]
pub fn as_you_type_input(owner: u32, fed: u32, text_units: usize) -> u32 {
    let text = with_input(text_units, String::from_utf16_lossy);
    let answer = LIVE.with_borrow_mut(|live| match live {
        Some(l) if l.owner == owner && l.fed == fed => {
            let formatted = l.formatter.try_input(&text);
            l.fed += 1;
            formatted.map(|f| typed_answer(l, &f))
        }
        _ => Ok(REPLAY),
    });
    answer.unwrap_or_else(missing_answer)
}

/// Makes JS object `owner`'s formatter the live one: a new `AsYouType` for the region in
/// `INPUT` after the `text_units` typed code units, fed the typed text in the pieces JS
/// received it (`pieces`: their lengths, in order, as libphonenumber-js's formatter
/// depends on how text arrived). Returns `typed_answer`'s word.
#[wasm_bindgen(js_name = asYouTypeReplay)]
pub fn as_you_type_replay(
    owner: u32,
    text_units: usize,
    country_units: usize,
    pieces: &[u32],
) -> u32 {
    let (pieces_text, country) = with_input(text_units + country_units, |input| {
        let (typed, country) = input.split_at(text_units.min(input.len()));
        let mut at = 0;
        let texts: Vec<String> = pieces
            .iter()
            .map(|&len| {
                let end = (at + len as usize).min(typed.len());
                let piece = String::from_utf16_lossy(&typed[at..end]);
                at = end;
                piece
            })
            .collect();
        (
            texts,
            (country_units > 0).then(|| String::from_utf16_lossy(country)),
        )
    });
    let mut l = LiveFormatter {
        owner,
        fed: 0,
        formatter: phone::AsYouType::new(country.as_deref()),
    };
    let mut formatted = String::new();
    for piece in &pieces_text {
        match l.formatter.try_input(piece) {
            Ok(f) => formatted = f,
            Err(m) => return missing_answer(m),
        }
        l.fed += 1;
    }
    let answer = typed_answer(&l, &formatted);
    LIVE.with_borrow_mut(|live| *live = Some(l));
    answer
}

/// Every region, one line each: `ISO,calling code,example number (E.164),1 if main region
/// else 0,international prefix (may be empty)`.
#[wasm_bindgen(js_name = countriesText)]
pub fn countries_text() -> String {
    // Pushed piece by piece rather than `format!` per line then `join`: the same text
    // without a `Vec<String>` and `join`'s generic copy in the wasm.
    let mut out = String::new();
    for c in phone::countries_info() {
        if !out.is_empty() {
            out.push('\n');
        }
        for (i, field) in [
            c.country_iso,
            &c.calling_code.to_string(),
            &c.example_number,
            if c.main_region { "1" } else { "0" },
            c.international_prefix.unwrap_or(""),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            out.push_str(field);
        }
    }
    out
}
