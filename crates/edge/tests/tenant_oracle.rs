//! The tenant policy against the real libraries: `allowedCountries` accepts exactly the
//! regions libphonenumber-js/max knows (`getCountries()`), and the end-user IP subjects
//! agree with Node's `node:net` (an address is inside its subject, another address of the
//! same /64 too, one of the next /64 not; IPv4-mapped addresses match their IPv4; the
//! subject's text is Node's canonical form; what is an address is `net.isIP`'s call).

#[path = "../../core/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use common::SplitMix;
use serde_json::{json, Value};
use smsotp_core::{Config, RandomSource};
use smsotp_edge::limits::{end_user_ip, NumberLimits};
use smsotp_edge::tenant::{AllowedCountries, TenantPolicy};

fn policy(v: Value) -> Result<TenantPolicy, Vec<String>> {
    TenantPolicy::from_json(&v, &Config::default(), &NumberLimits::default())
}

#[test]
fn allowed_countries_are_libphonenumbers_regions() {
    let Some(out) = common::run_oracle("phone.mjs", &["--countries"], "") else {
        return;
    };
    let theirs: Vec<String> = serde_json::from_str(&out).expect("oracle JSON");
    assert!(theirs.len() >= 240, "{} regions", theirs.len());
    // Every one of their regions is accepted, and the policy allows exactly those.
    let p = policy(json!({ "allowedCountries": theirs })).expect("all regions accepted");
    let set: BTreeSet<String> = theirs.iter().cloned().collect();
    assert_eq!(p.allowed_countries, AllowedCountries::Only(set.clone()));
    // Every other pair of capital letters is refused, one problem each, naming its index.
    let others: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).unwrap()))
        .filter(|code| !set.contains(code))
        .collect();
    assert!(others.contains(&"UK".to_owned()) && others.contains(&"EU".to_owned()));
    let problems = policy(json!({ "allowedCountries": others })).unwrap_err();
    assert_eq!(problems.len(), others.len());
    for (i, (code, problem)) in others.iter().zip(&problems).enumerate() {
        assert_eq!(
            problem,
            &format!("allowedCountries[{i}]: \"{code}\" is not a known ISO 3166-1 region")
        );
    }
    // Their regions in lower case are refused too, with the spelling to use.
    let lower: Vec<String> = theirs.iter().map(|c| c.to_ascii_lowercase()).collect();
    let problems = policy(json!({ "allowedCountries": lower })).unwrap_err();
    assert_eq!(problems.len(), theirs.len());
    assert!(problems[0].ends_with(&format!("must be written in upper case: {:?}", theirs[0])));
}

fn random_v6(rng: &mut SplitMix) -> [u16; 8] {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    let mut segments = [0u16; 8];
    for (i, s) in segments.iter_mut().enumerate() {
        *s = u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]);
        // Runs of zeros, so the text forms use `::` in every position.
        if bytes[i] % 3 == 0 {
            *s = 0;
        }
    }
    segments
}

#[test]
fn end_user_ip_subjects_agree_with_node() {
    let mut rng = SplitMix(0x1b_5eed);
    // (input, expected to be an address by our rules)
    let mut inputs: Vec<String> = Vec::new();
    for _ in 0..400 {
        let segments = random_v6(&mut rng);
        let addr = Ipv6Addr::from(segments);
        inputs.push(addr.to_string());
        // The fully expanded, upper-case spelling of the same address.
        inputs.push(
            segments
                .iter()
                .map(|s| format!("{s:04X}"))
                .collect::<Vec<_>>()
                .join(":"),
        );
    }
    for _ in 0..100 {
        let mut b = [0u8; 4];
        rng.fill_bytes(&mut b);
        let v4 = Ipv4Addr::from(b);
        inputs.push(v4.to_string());
        inputs.push(format!("::ffff:{v4}"));
        inputs.push(v4.to_ipv6_mapped().to_string());
        inputs.push(format!(
            "::FFFF:{:x}:{:x}",
            u16::from_be_bytes([b[0], b[1]]),
            u16::from_be_bytes([b[2], b[3]])
        ));
    }
    for bad in [
        "",
        " ",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "01.2.3.4",
        "1.2.3.-4",
        "1.2.3.4/32",
        "1.2.3.4:80",
        "[2001:db8::1]",
        "2001:db8::1::2",
        "2001:db8:1:2:3:4:5:6:7",
        "12345::",
        "g::1",
        ":::",
        "2001:db8::/64",
        "localhost",
        "example.com",
        "1.2.3.4, 5.6.7.8",
        "::ffff:1.2.3",
    ] {
        inputs.push(bad.to_owned());
    }
    let mut stdin = String::new();
    let mut ours = Vec::new();
    for input in &inputs {
        let subject = end_user_ip(input).ok();
        let (sibling, neighbour) = match subject.as_deref().and_then(|s| s.strip_suffix("/64")) {
            Some(base) => {
                let base: Ipv6Addr = base.parse().expect("our subject is an address");
                let mut sibling = base.segments();
                let tail = random_v6(&mut rng);
                sibling[4..].copy_from_slice(&tail[4..]);
                let mut neighbour = sibling;
                // The lowest bit of the /64: the next (or previous) /64.
                neighbour[3] ^= 1;
                (
                    Some(Ipv6Addr::from(sibling).to_string()),
                    Some(Ipv6Addr::from(neighbour).to_string()),
                )
            }
            None => (None, None),
        };
        stdin.push_str(&json!([input, subject, sibling, neighbour]).to_string());
        stdin.push('\n');
        ours.push(subject);
    }
    let Some(out) = common::run_oracle("ip.mjs", &[], &stdin) else {
        return;
    };
    let answers: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle JSON"))
        .collect();
    assert_eq!(answers.len(), inputs.len());
    let (mut v4, mut v6) = (0, 0);
    for ((input, subject), node) in inputs.iter().zip(&ours).zip(&answers) {
        let is_ip = node["isIP"].as_u64().unwrap();
        assert_eq!(
            subject.is_some(),
            is_ip != 0,
            "{input:?}: ours {subject:?}, Node {node}"
        );
        let Some(subject) = subject else {
            continue;
        };
        assert_eq!(node["inSubject"], true, "{input:?} not in {subject}");
        assert_eq!(
            node["canonical"].as_str(),
            Some(subject.as_str()),
            "{input:?}"
        );
        if subject.ends_with("/64") {
            v6 += 1;
            assert_eq!(node["siblingIn"], true, "{input:?}: {node}");
            assert_eq!(node["neighbourIn"], false, "{input:?}: {node}");
        } else {
            v4 += 1;
        }
    }
    // IPv4, and IPv4-mapped IPv6 counted as IPv4.
    assert_eq!((v4, v6), (400, 800));
}
