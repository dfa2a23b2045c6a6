//! Property tests of `Idempotency-Key` body fingerprints: two texts of one JSON value —
//! object keys in any order, any white space — have the same fingerprint, and texts of
//! different values have different ones; the fingerprint is the SHA-256 (computed here
//! with the `sha2` crate directly) of the value's compact text with sorted keys.

use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use smsotp_edge::idempotency::fingerprint;

/// A JSON value whose objects keep their entries in a chosen order (serde_json's own maps
/// are sorted, so they cannot produce the reordered texts).
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::Int),
        "[a-z +é\"\\\\]{0,6}".prop_map(Json::Str),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            // Unique keys: a JSON object with a key twice has no single meaning.
            prop::collection::btree_map("[a-zA-Z]{1,4}", inner, 0..5)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// Writes `v` with its objects' entries rotated by `turn` and `space` after every token.
fn write(v: &Json, turn: usize, space: &str, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(n) => out.push_str(&n.to_string()),
        Json::Str(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(space);
                write(item, turn, space, out);
            }
            out.push_str(space);
            out.push(']');
        }
        Json::Object(entries) => {
            out.push('{');
            let n = entries.len().max(1);
            for i in 0..entries.len() {
                let (key, value) = &entries[(i + turn) % n];
                if i > 0 {
                    out.push(',');
                }
                out.push_str(space);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(space);
                out.push(':');
                out.push_str(space);
                write(value, turn, space, out);
            }
            out.push_str(space);
            out.push('}');
        }
    }
}

fn text(v: &Json, turn: usize, space: &str) -> String {
    let mut out = String::new();
    out.push_str(space);
    write(v, turn, space, &mut out);
    out.push_str(space);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn key_order_and_white_space_do_not_matter(
        v in json(),
        turn in 0usize..5,
        space in prop::sample::select(vec!["", " ", "\n", "\t  ", "\r\n "]),
    ) {
        let plain = text(&v, 0, "");
        prop_assert_eq!(fingerprint(&plain), fingerprint(&text(&v, turn, space)));
        // The compact text with sorted keys, hashed: what the fingerprint is defined as.
        let parsed: Value = serde_json::from_str(&plain).unwrap();
        let sorted = text(&sort(&v), 0, "");
        prop_assert_eq!(serde_json::from_str::<Value>(&sorted).unwrap(), parsed);
        prop_assert_eq!(fingerprint(&plain), sha256_hex(sorted.as_bytes()));
    }

    #[test]
    fn different_values_have_different_fingerprints(a in json(), b in json()) {
        let (ta, tb) = (text(&a, 0, ""), text(&b, 1, " "));
        let same_value =
            serde_json::from_str::<Value>(&ta).unwrap() == serde_json::from_str::<Value>(&tb).unwrap();
        prop_assert_eq!(fingerprint(&ta) == fingerprint(&tb), same_value);
    }
}

/// `v` with every object's entries sorted by key (as UTF-8 bytes, serde_json's order).
fn sort(v: &Json) -> Json {
    match v {
        Json::Array(items) => Json::Array(items.iter().map(sort).collect()),
        Json::Object(entries) => {
            let mut entries: Vec<(String, Json)> =
                entries.iter().map(|(k, v)| (k.clone(), sort(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries)
        }
        other => other.clone(),
    }
}

#[test]
fn a_body_that_is_not_json_is_hashed_as_it_is() {
    for body in ["", "not json", "{\"a\": 1", "{\"a\": 1}}", "\u{feff}{}"] {
        assert_eq!(fingerprint(body), sha256_hex(body.as_bytes()), "{body:?}");
    }
    // White space matters when the body is not JSON.
    assert_ne!(fingerprint("{a: 1}"), fingerprint("{a:1}"));
}
