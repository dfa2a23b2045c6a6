//! Writes each region's phone metadata asset (`phone::region_asset`: the text the npm
//! package's `loadCountries` loads) into a folder, one `<ISO>.txt` per region:
//! `cargo run -q -p smsotp-core --example phone_assets -- <folder>` (scripts/build-web.sh).
//! The assets are made from the metadata compiled into the core, so that a region loaded at
//! run time answers exactly as the build with every region compiled in.

use smsotp_core::phone;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: phone_assets <folder>");
    std::fs::create_dir_all(&dir).expect("create the folder");
    let mut count = 0;
    for iso in phone::countries() {
        let asset = phone::region_asset(iso).expect("every listed region has an asset");
        std::fs::write(format!("{dir}/{iso}.txt"), asset).expect("write an asset");
        count += 1;
    }
    println!("{count} regions");
}
