//! Callback URLs as `fetch` sees them: a table of URLs, each with what `fetch` would connect
//! to after WHATWG parsing (host and port, from the `url` crate, and checked against Node's
//! own `URL` when Node is there) and smsotp's verdict in production. What is checked is the
//! parsed host, so every spelling of a refused address is refused.
#![cfg(feature = "whatwg-url")]

mod common;

use serde_json::Value;
use smsotp_core::callback_url::check;
use smsotp_core::CallbackPolicy::{AllowLoopback, PublicHttpsOnly};

const OK: Result<(), &str> = Ok(());
const PRIVATE: Result<(), &str> = Err("must point to a public host");
const PORT: Result<(), &str> = Err("must use port 443");
const HTTP: Result<(), &str> = Err("must use https");
const CREDENTIALS: Result<(), &str> = Err("must not contain a user name or password");
const SCHEME: Result<(), &str> = Err("must start with https:// or http://");
/// `fetch` itself would throw: no connection.
const NONE: &str = "✗";

/// (input, what `fetch` connects to: `host:port` after WHATWG parsing, production verdict)
const TABLE: &[(&str, &str, Result<(), &str>)] = &[
    // Public names and addresses: accepted.
    ("https://hooks.example.com/cb", "hooks.example.com:443", OK),
    (
        "HTTPS://Hooks.Example.COM:443/cb",
        "hooks.example.com:443",
        OK,
    ),
    (
        "https://hooks.example.com./cb",
        "hooks.example.com.:443",
        OK,
    ),
    (
        "https://hooks.example.com/cb?x=1#f",
        "hooks.example.com:443",
        OK,
    ),
    (
        "https://bücher.example.com/cb",
        "xn--bcher-kva.example.com:443",
        OK,
    ),
    ("https://8.8.8.8/", "8.8.8.8:443", OK),
    ("https://100.128.0.1/", "100.128.0.1:443", OK),
    ("https://172.32.0.1/", "172.32.0.1:443", OK),
    (
        "https://[2606:4700:4700::1111]/",
        "[2606:4700:4700::1111]:443",
        OK,
    ),
    ("https://[::ffff:8.8.8.8]/", "[::ffff:808:808]:443", OK),
    ("https://example.com\\@127.0.0.1/", "example.com:443", OK),
    // Loopback in every IPv4 spelling WHATWG accepts.
    ("https://127.0.0.1/", "127.0.0.1:443", PRIVATE),
    ("https://0x7f.0.0.1/", "127.0.0.1:443", PRIVATE),
    ("https://0x7f.1/", "127.0.0.1:443", PRIVATE),
    ("https://0x7f.0x0.0x0.0x1/", "127.0.0.1:443", PRIVATE),
    ("https://2130706433/", "127.0.0.1:443", PRIVATE),
    ("https://0x7f000001/", "127.0.0.1:443", PRIVATE),
    ("https://017700000001/", "127.0.0.1:443", PRIVATE),
    ("https://0177.0.0.1/", "127.0.0.1:443", PRIVATE),
    ("https://127.1/", "127.0.0.1:443", PRIVATE),
    ("https://127.0.0.1./", "127.0.0.1:443", PRIVATE),
    ("https://%31%32%37.0.0.1/", "127.0.0.1:443", PRIVATE),
    ("https://１２７.０.０.１/", "127.0.0.1:443", PRIVATE),
    ("https://0/", "0.0.0.0:443", PRIVATE),
    // Backslashes, userinfo, query and fragment tricks: the host is what the parser says.
    ("https://127.0.0.1\\@example.com/", "127.0.0.1:443", PRIVATE),
    ("https://127.0.0.1#@example.com/", "127.0.0.1:443", PRIVATE),
    ("https://127.0.0.1?@example.com/", "127.0.0.1:443", PRIVATE),
    ("https://evil@127.0.0.1/", "127.0.0.1:443", CREDENTIALS),
    (
        "https://example.com@127.0.0.1/",
        "127.0.0.1:443",
        CREDENTIALS,
    ),
    (
        "https://user:pw@hooks.example.com/",
        "hooks.example.com:443",
        CREDENTIALS,
    ),
    ("https:\\\\127.0.0.1/", "127.0.0.1:443", SCHEME),
    ("https:127.0.0.1/", "127.0.0.1:443", SCHEME),
    ("https:/127.0.0.1/", "127.0.0.1:443", SCHEME),
    // IPv4 special-purpose ranges.
    ("https://10.0.0.1/", "10.0.0.1:443", PRIVATE),
    ("https://100.64.0.1/", "100.64.0.1:443", PRIVATE),
    ("https://100.127.255.254/", "100.127.255.254:443", PRIVATE),
    (
        "https://169.254.169.254/latest/meta-data",
        "169.254.169.254:443",
        PRIVATE,
    ),
    ("https://172.16.0.1/", "172.16.0.1:443", PRIVATE),
    ("https://172.31.255.254/", "172.31.255.254:443", PRIVATE),
    ("https://192.0.0.8/", "192.0.0.8:443", PRIVATE),
    ("https://192.0.2.1/", "192.0.2.1:443", PRIVATE),
    ("https://192.88.99.1/", "192.88.99.1:443", PRIVATE),
    ("https://192.168.1.1/", "192.168.1.1:443", PRIVATE),
    ("https://198.18.0.1/", "198.18.0.1:443", PRIVATE),
    ("https://198.19.255.254/", "198.19.255.254:443", PRIVATE),
    ("https://198.51.100.7/", "198.51.100.7:443", PRIVATE),
    ("https://203.0.113.9/", "203.0.113.9:443", PRIVATE),
    ("https://224.0.0.1/", "224.0.0.1:443", PRIVATE),
    ("https://239.255.255.250/", "239.255.255.250:443", PRIVATE),
    ("https://240.0.0.1/", "240.0.0.1:443", PRIVATE),
    ("https://255.255.255.255/", "255.255.255.255:443", PRIVATE),
    // IPv6 special-purpose ranges, and the forms that embed an IPv4 address.
    ("https://[::1]/", "[::1]:443", PRIVATE),
    ("https://[::]/", "[::]:443", PRIVATE),
    ("https://[0:0:0:0:0:0:0:1]/", "[::1]:443", PRIVATE),
    (
        "https://[::ffff:127.0.0.1]/",
        "[::ffff:7f00:1]:443",
        PRIVATE,
    ),
    (
        "https://[0:0:0:0:0:ffff:7f00:1]/",
        "[::ffff:7f00:1]:443",
        PRIVATE,
    ),
    (
        "https://[::ffff:169.254.169.254]/",
        "[::ffff:a9fe:a9fe]:443",
        PRIVATE,
    ),
    ("https://[::127.0.0.1]/", "[::7f00:1]:443", PRIVATE),
    ("https://[::8.8.8.8]/", "[::808:808]:443", PRIVATE),
    (
        "https://[64:ff9b::127.0.0.1]/",
        "[64:ff9b::7f00:1]:443",
        PRIVATE,
    ),
    (
        "https://[64:ff9b::8.8.8.8]/",
        "[64:ff9b::808:808]:443",
        PRIVATE,
    ),
    (
        "https://[64:ff9b:1::a00:1]/",
        "[64:ff9b:1::a00:1]:443",
        PRIVATE,
    ),
    ("https://[2002:7f00:1::]/", "[2002:7f00:1::]:443", PRIVATE),
    (
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]:443",
        PRIVATE,
    ),
    ("https://[fc00::1]/", "[fc00::1]:443", PRIVATE),
    ("https://[fd12:3456::1]/", "[fd12:3456::1]:443", PRIVATE),
    ("https://[fe80::1]/", "[fe80::1]:443", PRIVATE),
    ("https://[fec0::1]/", "[fec0::1]:443", PRIVATE),
    ("https://[ff02::1]/", "[ff02::1]:443", PRIVATE),
    ("https://[2001:db8::1]/", "[2001:db8::1]:443", PRIVATE),
    ("https://[100::1]/", "[100::1]:443", PRIVATE),
    ("https://[2001:10::1]/", "[2001:10::1]:443", PRIVATE),
    ("https://[3fff::1]/", "[3fff::1]:443", PRIVATE),
    // Names that are not public DNS names.
    ("https://localhost/", "localhost:443", PRIVATE),
    ("https://LOCALHOST./", "localhost.:443", PRIVATE),
    ("https://api.localhost/", "api.localhost:443", PRIVATE),
    ("https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "localhost:443", PRIVATE),
    (
        "https://my-callback/receive-otp-status",
        "my-callback:443",
        PRIVATE,
    ),
    ("https://intranet./", "intranet.:443", PRIVATE),
    ("https://printer.local/", "printer.local:443", PRIVATE),
    (
        "https://metadata.google.internal/",
        "metadata.google.internal:443",
        PRIVATE,
    ),
    ("https://a.b.test/", "a.b.test:443", PRIVATE),
    ("https://hidden.onion/", "hidden.onion:443", PRIVATE),
    (
        "https://1.0.0.127.in-addr.arpa/",
        "1.0.0.127.in-addr.arpa:443",
        PRIVATE,
    ),
    ("https://router.home.arpa/", "router.home.arpa:443", PRIVATE),
    (
        "https://-bad-.com/",
        "-bad-.com:443",
        Err("invalid host name"),
    ),
    // Ports, schemes.
    ("https://8.8.8.8:8443/", "8.8.8.8:8443", PORT),
    (
        "https://hooks.example.com:80/",
        "hooks.example.com:80",
        PORT,
    ),
    (
        "https://hooks.example.com:0443/",
        "hooks.example.com:443",
        OK,
    ),
    ("http://hooks.example.com/", "hooks.example.com:80", HTTP),
    (
        "http://hooks.example.com:443/",
        "hooks.example.com:443",
        HTTP,
    ),
    ("http://127.0.0.1:8788/cb", "127.0.0.1:8788", HTTP),
    ("ftp://hooks.example.com/", "hooks.example.com:21", SCHEME),
    ("javascript:alert(1)", "", SCHEME),
    // Not URLs at all: `fetch` would throw.
    ("https://999.1.1.1/", NONE, Err("invalid IPv4 address")),
    ("https://1.2.3.4.5/", NONE, Err("invalid IPv4 address")),
    (
        "https://hooks.example.com:99999/",
        NONE,
        Err("invalid port"),
    ),
    ("https://[::1/", NONE, Err("invalid IPv6 address")),
    ("https://", NONE, Err("has no host")),
];

/// `host:port` the `url` crate's WHATWG parsing gives (`fetch`'s connection), `""` for a
/// URL without a host, [`NONE`] when it is not a URL.
fn connects_to(input: &str) -> String {
    match url::Url::parse(input) {
        Err(_) => NONE.to_owned(),
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) if !h.is_empty() => format!("{h}:{p}"),
            _ => String::new(),
        },
    }
}

#[test]
fn every_spelling_is_judged_by_where_fetch_connects() {
    assert!(TABLE.len() >= 60, "{} rows", TABLE.len());
    let mut wrong = Vec::new();
    for &(input, to, verdict) in TABLE {
        let got_to = connects_to(input);
        let got = check(input, PublicHttpsOnly).map(|_| ());
        if got_to != to || got != verdict {
            wrong.push(format!(
                "{input:?}: connects to {got_to} (table: {to}), verdict {got:?} (table: {verdict:?})"
            ));
        }
        // An accepted URL is stored as parsed: checking it again gives itself.
        if let Ok(href) = check(input, PublicHttpsOnly) {
            assert_eq!(check(&href, PublicHttpsOnly).as_deref(), Ok(href.as_str()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn development_also_allows_loopback_on_any_port_and_nothing_else() {
    for &(input, to, verdict) in TABLE {
        let loopback = to.starts_with("127.")
            || to.starts_with("[::1]")
            || to.starts_with("[::ffff:7f00:1]")
            || to.starts_with("localhost")
            || to.starts_with("api.localhost");
        let dev = check(input, AllowLoopback).map(|_| ());
        if loopback && verdict == PRIVATE {
            assert_eq!(dev, OK, "{input}");
        } else if verdict != CREDENTIALS && !(loopback && verdict == HTTP) {
            assert_eq!(dev, verdict, "{input}");
        }
    }
    assert_eq!(
        check("http://127.0.0.1:8788/cb", AllowLoopback).as_deref(),
        Ok("http://127.0.0.1:8788/cb")
    );
    assert_eq!(
        check("http://0x7f.1:8788/cb", AllowLoopback).as_deref(),
        Ok("http://127.0.0.1:8788/cb")
    );
    assert_eq!(
        check("http://localhost:9/", AllowLoopback).as_deref(),
        Ok("http://localhost:9/")
    );
}

#[test]
fn the_connection_column_is_what_nodes_whatwg_url_says() {
    let stdin: String = TABLE
        .iter()
        .map(|(input, ..)| format!("{}\n", serde_json::to_string(input).unwrap()))
        .collect();
    let Some(out) = common::run_oracle("url.mjs", &[], &stdin) else {
        return;
    };
    let answers: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle JSON"))
        .collect();
    assert_eq!(answers.len(), TABLE.len());
    let mut differ = Vec::new();
    for (&(input, to, _), node) in TABLE.iter().zip(&answers) {
        let theirs = if node["ok"] == false {
            NONE.to_owned()
        } else {
            match (node["host"].as_str(), node["port"].as_u64()) {
                (Some(h), Some(p)) if !h.is_empty() => format!("{h}:{p}"),
                _ => String::new(),
            }
        };
        if theirs != to {
            differ.push(format!("{input:?}: Node {theirs}, table {to}"));
        }
        // And the serialized URL (what is stored and fetched) is Node's.
        if let Ok(u) = url::Url::parse(input) {
            if node["ok"] == true && node["href"].as_str() != Some(u.as_str()) {
                differ.push(format!(
                    "{input:?}: Node href {}, url crate {}",
                    node["href"],
                    u.as_str()
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
