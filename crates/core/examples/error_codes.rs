//! Prints every [`ErrorCode`] as JSON, in table order — the one source the generated error
//! tables are made from (the error table of `docs/api.md`, the widget's outcomes table):
//! `cargo run -q -p smsotp-core --example error_codes`.
//!
//! Each element: `{"name", "code", "status", "type", "message"}` (`name` is the Rust variant).

use smsotp_core::ErrorCode;

fn main() {
    let rows: Vec<serde_json::Value> = ErrorCode::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": format!("{c:?}"),
                "code": c.code(),
                "status": c.http_status(),
                "type": c.error_type(),
                "message": c.default_message(),
            })
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&rows).expect("plain JSON values serialise")
    );
}
