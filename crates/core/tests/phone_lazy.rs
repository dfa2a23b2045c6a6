//! Phone metadata loaded per region (the `lazy-metadata` feature, the npm package's build):
//! before its region is loaded a number gets `MetadataMissing` naming that region — never
//! an answer — and after, the same answer as the build with every region compiled in; the
//! index (the country list, the regions to load together) needs nothing loaded; assets made
//! from other metadata or damaged are refused. Without the feature (the worker's build)
//! every region answers from the start.
//!
//! Each test binary is its own process: these tests start with nothing loaded, and each
//! test uses regions no other test here loads.

mod common;

use smsotp_core::phone::{self, FormatStyle, LoadError, MetadataMissing, METADATA_EMBEDDED};
use smsotp_core::{AsYouType, PhoneError};

#[test]
fn a_number_waits_for_its_region_then_answers_as_the_full_build() {
    let missing = |iso| {
        if METADATA_EMBEDDED {
            None
        } else {
            Some(PhoneError::MetadataMissing(iso))
        }
    };
    assert_eq!(phone::parse("+33 6 12 34 56 78", None).err(), missing("FR"));
    assert_eq!(
        phone::parse("06 12 34 56 78", Some("FR")).err(),
        missing("FR")
    );
    assert_eq!(
        phone::format("0612345678", Some("FR"), FormatStyle::National).err(),
        missing("FR")
    );
    // Refusals that need no region are the same in both builds.
    assert_eq!(
        phone::parse("0612345678", None),
        Err(PhoneError::CountryRequired)
    );
    assert_eq!(
        phone::parse("0612345678", Some("XX")),
        Err(PhoneError::UnknownCountry)
    );
    assert!(matches!(
        phone::parse("+999 1234", None),
        Err(PhoneError::Invalid(_))
    ));

    assert_eq!(phone::is_region_loaded("FR"), METADATA_EMBEDDED);
    common::load_region("FR");
    assert!(phone::is_region_loaded("FR"));
    let fr = phone::parse("06 12 34 56 78", Some("FR")).unwrap();
    assert_eq!((fr.e164.as_str(), fr.country_iso), ("+33612345678", "FR"));
    assert_eq!(
        phone::format("0612345678", Some("FR"), FormatStyle::International).as_deref(),
        Ok("+33 6 12 34 56 78")
    );
    // Loading again changes nothing.
    common::load_region("FR");
    assert_eq!(phone::parse("+33612345678", None), Ok(fr));
}

#[test]
fn a_region_sharing_its_calling_code_needs_the_main_region_too() {
    // A Canadian number is first read with the rules of +1's main region, the US.
    assert_eq!(phone::regions_to_load("CA"), ["US", "CA"]);
    assert_eq!(phone::regions_to_load("JM"), ["US", "CA", "JM"]);
    assert_eq!(phone::regions_to_load("JE"), ["GB", "GG", "JE"]);
    assert_eq!(phone::regions_to_load("DE"), ["DE"]);
    assert!(phone::regions_to_load("ZZ").is_empty());
    if !METADATA_EMBEDDED {
        common::load_region("CA");
        assert_eq!(
            phone::parse("416 555 0123", Some("CA")),
            Err(PhoneError::MetadataMissing("US"))
        );
        common::load_region("US");
    }
    assert_eq!(
        phone::parse("416 555 0123", Some("CA")).map(|p| p.country_iso),
        Ok("CA")
    );
    assert_eq!(
        phone::parse("+1 212 555 0123", None).map(|p| p.country_iso),
        Ok("US")
    );
    // Anguilla is found by its leading digits (in the index), then needs its own metadata.
    if !METADATA_EMBEDDED {
        assert_eq!(
            phone::parse("+1 264 235 1234", None),
            Err(PhoneError::MetadataMissing("AI"))
        );
        common::load_region("AI");
    }
    assert_eq!(
        phone::parse("+1 264 235 1234", None).map(|p| p.country_iso),
        Ok("AI")
    );
}

#[test]
fn as_you_type_reports_the_region_it_needs() {
    let mut typing = AsYouType::new(Some("DE"));
    if !METADATA_EMBEDDED {
        assert_eq!(typing.try_input("0"), Err(MetadataMissing("DE")));
        // Unformatted, never wrongly formatted.
        let mut plain = AsYouType::new(Some("DE"));
        assert_eq!(plain.input("030"), "030");
        common::load_region("DE");
        typing = AsYouType::new(Some("DE"));
    }
    assert_eq!(typing.try_input("030123456").as_deref(), Ok("030 123456"));
    // `+` and the start of a calling code need no region.
    let mut intl = AsYouType::new(None);
    assert_eq!(intl.try_input("+4").as_deref(), Ok("+4"));
    if !METADATA_EMBEDDED {
        assert_eq!(intl.try_input("8"), Err(MetadataMissing("PL")));
    }
}

#[test]
fn the_country_list_needs_no_region_loaded() {
    let list = phone::countries_info();
    assert_eq!(list.len(), 245);
    let it = list.iter().find(|c| c.country_iso == "IT").unwrap();
    assert_eq!(
        (it.calling_code, it.main_region, it.international_prefix),
        (39, true, Some("00"))
    );
    assert!(!phone::is_region_loaded("IT") || METADATA_EMBEDDED);
}

#[test]
fn assets_of_other_metadata_or_damaged_are_refused() {
    let asset = phone::region_asset("NL").unwrap();
    let (header, body) = asset.split_once('\n').unwrap();
    assert!(header.starts_with("NL "));
    let other = format!("NL 0.0.1/1\n{body}");
    assert_eq!(phone::load_region(&other), Err(LoadError::OtherVersion));
    let cut = &asset[..asset.find(';').unwrap() + 1];
    assert_eq!(phone::load_region(cut), Err(LoadError::Malformed));
    let version = header.split_once(' ').unwrap().1;
    assert_eq!(
        phone::load_region(&format!("XX {version}\n{body}")),
        Err(LoadError::NotAnAsset)
    );
    assert_eq!(phone::load_region("nl"), Err(LoadError::NotAnAsset));
    assert!(!phone::is_region_loaded("NL") || METADATA_EMBEDDED);
    assert_eq!(phone::load_region(&asset), Ok("NL"));
    assert!(phone::parse("+31 6 12345678", None).is_ok());
}

#[test]
fn every_region_has_an_asset_naming_it() {
    for iso in phone::countries() {
        let asset = phone::region_asset(iso).unwrap();
        assert!(asset.starts_with(iso));
        assert!(!asset.contains('\r'));
    }
    assert_eq!(phone::region_asset("ZZ"), None);
}
