//! Where each region's metadata (its record and its number formats) comes from: compiled
//! in (the default: every build but the npm package's), or loaded at run time, one region
//! at a time, with the `lazy-metadata` feature (the npm package's wasm builds: the metadata
//! of all 245 regions is ~38 KB gzipped, while a visitor needs one or two regions).
//!
//! The index — ISO and calling codes, leading digits, IDD patterns, example numbers — is
//! compiled in either way (`data.rs`). In the lazy build, a computation that reaches a
//! region not loaded gets an empty stand-in and the region is noted ([`note_missing`]);
//! [`checked`] then throws the computation's answer away and reports the region instead.
//! An answer is thus only ever given when every region it consulted was loaded, and is then
//! the compiled-in build's answer: never a wrong one.
//!
//! A region's asset ([`region_asset`]) is text: `ISO VERSION`, the record (as in
//! `RECORDS`), then one number format per line with its strings written out (the compiled
//! form shares them between regions through tables, which would have to be in the wasm):
//! `pattern \t national format \t international format (empty: same) \t national-prefix
//! rule \t 1 if optional \t leading-digits patterns separated by spaces`.

#[cfg(feature = "lazy-metadata")]
use std::cell::Cell;
#[cfg(feature = "lazy-metadata")]
use std::sync::OnceLock;

#[cfg(feature = "lazy-metadata")]
use super::data::REGION_COUNT;
use super::data::{
    FORMATS, FORMAT_PATTERNS, FORMAT_TEMPLATES, METADATA_VERSION, NP_RULES, RECORDS,
};
use super::{region_index, region_iso};

/// The metadata of region `iso` is not loaded: the call that needed it gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataMissing(pub &'static str);

/// Every region's metadata is compiled in (false only with the `lazy-metadata` feature).
pub const METADATA_EMBEDDED: bool = cfg!(not(feature = "lazy-metadata"));

/// Line `index` of a table of lines.
fn line(table: &'static str, index: usize) -> Option<&'static str> {
    table.split('\n').nth(index)
}

/// The fields of one number format, its strings resolved: pattern, national format,
/// international format (empty: the national one), national-prefix rule, `1` if the
/// national prefix is optional, leading-digits patterns separated by spaces.
pub(super) type FormatFields = [&'static str; 6];

/// A compiled-in format (`P/F/I/N/O/L`, P, F, I and N lines of the shared tables).
fn compiled_format(src: &'static str) -> Option<FormatFields> {
    let mut f = src.splitn(6, '/');
    let mut field = || f.next().unwrap_or("");
    let pattern = line(FORMAT_PATTERNS, field().parse().ok()?)?;
    let national = line(FORMAT_TEMPLATES, field().parse().ok()?)?;
    let intl = match field().parse() {
        Ok(i) => line(FORMAT_TEMPLATES, i)?,
        Err(_) => "",
    };
    let rule = match field().parse() {
        Ok(i) => line(NP_RULES, i)?,
        Err(_) => "",
    };
    Some([pattern, national, intl, rule, field(), field()])
}

/// A region's asset: its own lines (header, record, formats), as loaded or as compiled in.
#[cfg(feature = "lazy-metadata")]
static LOADED: [OnceLock<&'static str>; REGION_COUNT] = [const { OnceLock::new() }; REGION_COUNT];

#[cfg(feature = "lazy-metadata")]
thread_local! {
    /// The first region a computation reached without its metadata (see [`checked`]).
    static MISSING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Notes that a computation needed region `index`'s metadata, which is not loaded.
#[cfg(feature = "lazy-metadata")]
fn note_missing(index: usize) {
    MISSING.with(|m| {
        if m.get().is_none() {
            m.set(Some(index));
        }
    });
}

/// Runs `f` and gives its answer, unless it reached a region whose metadata is not loaded:
/// then that region. Calls may nest (a region noted inside is noted outside too).
pub(super) fn checked<T>(f: impl FnOnce() -> T) -> Result<T, MetadataMissing> {
    #[cfg(feature = "lazy-metadata")]
    {
        let outer = MISSING.with(Cell::take);
        let answer = f();
        let inner = MISSING.with(Cell::take);
        MISSING.with(|m| m.set(outer.or(inner)));
        match inner {
            Some(index) => Err(MetadataMissing(region_iso(index))),
            None => Ok(answer),
        }
    }
    #[cfg(not(feature = "lazy-metadata"))]
    Ok(f())
}

/// Runs `f` (any computation that may parse phone numbers, such as request validation) and
/// gives its answer, or the first region it needed whose metadata is not loaded (only with
/// the `lazy-metadata` feature): then the answer is not to be used.
pub fn needing_metadata<T>(f: impl FnOnce() -> T) -> Result<T, MetadataMissing> {
    checked(f)
}

/// Region `index`'s record (layout: see the generator); `None` when not loaded (noted).
pub(super) fn record(index: usize) -> Option<&'static str> {
    #[cfg(feature = "lazy-metadata")]
    {
        let asset = LOADED.get(index).and_then(OnceLock::get);
        if asset.is_none() {
            note_missing(index);
        }
        asset.and_then(|a| a.split('\n').nth(1))
    }
    #[cfg(not(feature = "lazy-metadata"))]
    line(RECORDS, index)
}

/// Region `index`'s own number formats, strings resolved; `None` when not loaded (noted).
pub(super) fn formats(index: usize) -> Option<Vec<FormatFields>> {
    #[cfg(feature = "lazy-metadata")]
    {
        let Some(asset) = LOADED.get(index).and_then(OnceLock::get) else {
            note_missing(index);
            return None;
        };
        Some(asset.split('\n').skip(2).filter_map(asset_format).collect())
    }
    #[cfg(not(feature = "lazy-metadata"))]
    Some(compiled_formats(index))
}

fn compiled_formats(index: usize) -> Vec<FormatFields> {
    line(FORMATS, index)
        .unwrap_or("")
        .split('!')
        .filter(|f| !f.is_empty())
        .filter_map(compiled_format)
        .collect()
}

/// A format line of an asset.
#[cfg(feature = "lazy-metadata")]
fn asset_format(src: &'static str) -> Option<FormatFields> {
    let mut fields = [""; 6];
    let mut parts = src.split('\t');
    for slot in &mut fields {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(fields)
}

/// Why an asset was refused by [`load_region`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The first line is not `ISO VERSION` for a known region.
    NotAnAsset,
    /// The asset was made from other metadata (or another layout) than this build's index:
    /// mixing them could give wrong answers.
    OtherVersion,
    /// The record or a format does not have its fields.
    Malformed,
}

impl LoadError {
    /// Why, in a few words.
    pub fn reason(&self) -> &'static str {
        match self {
            LoadError::NotAnAsset => "not a phone metadata asset of a known region",
            LoadError::OtherVersion => "phone metadata of another version than this build's",
            LoadError::Malformed => "malformed phone metadata asset",
        }
    }
}

/// Loads one region's metadata from its asset ([`region_asset`]'s text) and returns the
/// region's ISO code. Loading a region again changes nothing. In a build with every
/// region compiled in, the asset is checked and otherwise ignored.
pub fn load_region(asset: &str) -> Result<&'static str, LoadError> {
    let (header, body) = asset.split_once('\n').ok_or(LoadError::NotAnAsset)?;
    let (iso, version) = header.split_once(' ').ok_or(LoadError::NotAnAsset)?;
    let index = region_index(iso)
        .filter(|_| iso.bytes().all(|b| b.is_ascii_uppercase()))
        .ok_or(LoadError::NotAnAsset)?;
    if version != METADATA_VERSION {
        return Err(LoadError::OtherVersion);
    }
    let mut lines = body.split('\n');
    let record = lines.next().unwrap_or("");
    let formats_ok = lines.all(|f| f.split('\t').count() == 6);
    if record.split(';').count() != super::FIELDS || !formats_ok {
        return Err(LoadError::Malformed);
    }
    #[cfg(feature = "lazy-metadata")]
    LOADED[index].get_or_init(|| Box::leak(asset.to_owned().into_boxed_str()));
    Ok(region_iso(index))
}

/// Is region `iso`'s metadata loaded (always, in a build with every region compiled in)?
pub fn is_region_loaded(iso: &str) -> bool {
    region_index(iso).is_some_and(|_index| {
        #[cfg(feature = "lazy-metadata")]
        return LOADED[_index].get().is_some();
        #[cfg(not(feature = "lazy-metadata"))]
        true
    })
}

/// Region `iso`'s asset, as the npm package ships it (made from the compiled-in metadata,
/// so that what is loaded is what the default build answers with). `None`: no such region.
pub fn region_asset(iso: &str) -> Option<String> {
    let index = region_index(iso)?;
    let mut out = format!("{} {METADATA_VERSION}\n", region_iso(index));
    out.push_str(line(RECORDS, index)?);
    for f in compiled_formats(index) {
        out.push('\n');
        out.push_str(&f.join("\t"));
    }
    Some(out)
}

/// The regions a page should load with `iso` so that numbers of `iso` need no other: the
/// region itself, the main region of its calling code (whose rules parse the national
/// number first) and the regions sharing the code that have no leading digits (which are
/// tried by their number types before the region is chosen). `US` → `US CA`, `JE` → `GB GG JE`.
pub fn regions_to_load(iso: &str) -> Vec<&'static str> {
    let Some(index) = region_index(iso) else {
        return Vec::new();
    };
    let code = super::region_calling_code(index);
    let mut out: Vec<&'static str> = super::regions_for_calling_code(code)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|&(n, i)| n == 0 || i == index || super::leading_digits(i).is_none())
        .map(|(_, i)| region_iso(i))
        .collect();
    if out.is_empty() {
        out.push(region_iso(index));
    }
    out
}
