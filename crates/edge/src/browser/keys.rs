//! The keys that sign verification tokens, read from a secret holding a **private JWK set**,
//! and the public JWK set (`/.well-known/jwks.json`) a site's backend checks tokens with.
//!
//! Why a JWK set rather than one key: rotation without downtime. The set holds the current
//! key first and the next (or previous) one after it; the first signs, every one is
//! published. To rotate, publish `[current, next]`, wait until every cache of the JWKS has
//! it, then swap to `[next, current]` (tokens signed by `current` live at most 300 s), then
//! drop `current`.
//!
//! ```json
//! {"keys": [{"kty": "OKP", "crv": "Ed25519", "d": "…", "x": "…", "kid": "2026-11",
//!            "use": "sig", "alg": "EdDSA"}]}
//! ```
//!
//! Every problem of a set is listed, each naming its place (`keys[1].x`); no message ever
//! holds a value of the secret (not even a piece of `d`). Keys are Ed25519 (RFC 8037,
//! `kty: OKP`): small, fast, deterministic signatures, supported by every JOSE library
//! (Node's `jose`, PyJWT with `cryptography`, Go's `jwx`, …). The arithmetic is
//! `ed25519-dalek`'s; this module only decodes and checks the JWK members.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// The longest `kid` accepted, in characters.
pub const MAX_KID_CHARS: usize = 128;

/// One Ed25519 signing key with its key id. Its `Debug` shows the `kid` only.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key whose 32-byte private seed (the JWK's `d`) is `seed`. The caller's
    /// randomness makes the seed: smsotp-edge has no random source of its own.
    pub fn from_seed(seed: [u8; 32], kid: impl Into<String>) -> Self {
        Self {
            kid: kid.into(),
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// The key id, sent as the token header's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK of this key: `kty, crv, x, kid, use, alg` (never `d`).
    pub fn public_jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes()),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        })
    }

    /// The private JWK (the public one with `d`): what the secret holds.
    fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        jwk["d"] = Value::String(URL_SAFE_NO_PAD.encode(self.key.to_bytes()));
        jwk
    }

    pub(crate) fn dalek(&self) -> &ed25519_dalek::SigningKey {
        &self.key
    }
}

/// The signing keys of a deployment: at least one; the first signs, all are published.
#[derive(Debug, Clone)]
pub struct SigningKeys {
    keys: Vec<SigningKey>,
}

impl SigningKeys {
    /// Reads the private JWK set from the secret's text. Not JSON is one problem, giving
    /// only the line and column (the text is a secret).
    pub fn from_json_text(text: &str) -> Result<SigningKeys, Vec<String>> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            vec![format!(
                "the signing keys are not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            )]
        })?;
        SigningKeys::from_json(&value)
    }

    /// Reads a private JWK set `{"keys": [{kty: "OKP", crv: "Ed25519", d, x, kid, use?,
    /// alg?}, …]}`: `d` and `x` 32 bytes in unpadded base64url with `x` the public key of
    /// `d`; `kid` 1 to 128 visible ASCII characters, unique; `use` `sig` and `alg` `EdDSA`
    /// when present. Other members are ignored. Every problem is listed.
    ///
    /// ```
    /// use smsotp_edge::browser::keys::{generate_dev_key, SigningKeys};
    ///
    /// let keys = SigningKeys::from_json(&generate_dev_key([7; 32], "dev")).unwrap();
    /// assert_eq!(keys.current().kid(), "dev");
    /// let problems = SigningKeys::from_json(&serde_json::json!({"keys": [
    ///     {"kty": "RSA", "kid": "a"},
    ///     {"kty": "OKP", "crv": "Ed25519", "d": "c2VjcmV0", "x": "AAAA", "kid": "b"},
    /// ]})).unwrap_err();
    /// assert_eq!(problems, [
    ///     "keys[0].kty: must be \"OKP\" (an Ed25519 key)",
    ///     "keys[1].x: must be 32 bytes in unpadded base64url",
    ///     "keys[1].d: must be 32 bytes in unpadded base64url",
    /// ]);
    /// ```
    pub fn from_json(value: &Value) -> Result<SigningKeys, Vec<String>> {
        let list = key_list(value, "signing keys")?;
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        for (i, jwk) in list.iter().enumerate() {
            let path = format!("keys[{i}]");
            let Some(jwk) = jwk.as_object() else {
                problems.push(format!("{path}: must be a JSON object (a JWK)"));
                continue;
            };
            let before = problems.len();
            let kid = check_common(jwk, &path, &mut problems);
            if jwk.get("kty").and_then(Value::as_str) != Some("OKP") {
                // Not an Ed25519 key at all: its other members mean something else.
                continue;
            }
            let x = bytes32(jwk, "x", &path, &mut problems);
            // `d` is read without ever putting its text or bytes in a message.
            let d = bytes32(jwk, "d", &path, &mut problems);
            if problems.len() > before {
                continue;
            }
            let (Some(kid), Some(x), Some(d)) = (kid, x, d) else {
                continue;
            };
            let key = SigningKey::from_seed(d, kid);
            if key.key.verifying_key().as_bytes() != &x {
                problems.push(format!("{path}.x: is not the public key of this d"));
                continue;
            }
            keys.push(key);
        }
        check_unique_kids(keys.iter().map(SigningKey::kid), &mut problems);
        if problems.is_empty() {
            Ok(SigningKeys { keys })
        } else {
            Err(problems)
        }
    }

    /// The key that signs: the first of the set.
    pub fn current(&self) -> &SigningKey {
        &self.keys[0]
    }

    /// Every key, the current one first.
    pub fn all(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The public JWK set to serve at `/.well-known/jwks.json`: every key with only
    /// `kty, crv, x, kid, use, alg` — never `d`.
    pub fn public_jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(SigningKey::public_jwk).collect::<Vec<_>>() })
    }

    /// The same public keys, ready to verify tokens with.
    pub fn jwk_set(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .map(|k| (k.kid.clone(), k.key.verifying_key()))
                .collect(),
        }
    }
}

/// A private JWK set of one key from a 32-byte seed, for `npm run dev` when no signing key
/// is configured (the dev script draws the seed from its own randomness).
///
/// ```
/// use smsotp_edge::browser::keys::generate_dev_key;
///
/// let set = generate_dev_key([1; 32], "dev-1");
/// assert_eq!(set["keys"][0]["kid"], "dev-1");
/// assert_eq!(set["keys"][0]["d"].as_str().unwrap().len(), 43); // 32 bytes, base64url
/// ```
pub fn generate_dev_key(seed: [u8; 32], kid: &str) -> Value {
    json!({ "keys": [SigningKey::from_seed(seed, kid).private_jwk()] })
}

/// Public Ed25519 keys by `kid`: what a verifier has (the published JWKS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwkSet {
    keys: Vec<(String, ed25519_dalek::VerifyingKey)>,
}

impl JwkSet {
    /// Reads a public JWK set `{"keys": [{kty: "OKP", crv: "Ed25519", x, kid, …}]}`. Keys of
    /// another type (`RSA`, `EC`) are skipped, as a verifier of EdDSA tokens cannot use them;
    /// an Ed25519 key without a proper `x` or `kid`, or a `d` (a private key published by
    /// mistake), is a problem. Every problem is listed.
    pub fn from_json(value: &Value) -> Result<JwkSet, Vec<String>> {
        let list = key_list(value, "JWK set")?;
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        for (i, jwk) in list.iter().enumerate() {
            let path = format!("keys[{i}]");
            let Some(jwk) = jwk.as_object() else {
                problems.push(format!("{path}: must be a JSON object (a JWK)"));
                continue;
            };
            if jwk.get("kty").and_then(Value::as_str) != Some("OKP")
                || jwk.get("crv").and_then(Value::as_str) != Some("Ed25519")
            {
                continue;
            }
            if jwk.contains_key("d") {
                problems.push(format!(
                    "{path}.d: a public JWK set must not hold private keys"
                ));
            }
            let kid = check_common(jwk, &path, &mut problems);
            let x = bytes32(jwk, "x", &path, &mut problems);
            if let (Some(kid), Some(x)) = (kid, x) {
                match ed25519_dalek::VerifyingKey::from_bytes(&x) {
                    Ok(key) => keys.push((kid, key)),
                    Err(_) => problems.push(format!("{path}.x: is not an Ed25519 public key")),
                }
            }
        }
        check_unique_kids(keys.iter().map(|(kid, _)| kid.as_str()), &mut problems);
        if problems.is_empty() {
            Ok(JwkSet { keys })
        } else {
            Err(problems)
        }
    }

    /// The key ids, in the set's order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| kid.as_str())
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&ed25519_dalek::VerifyingKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }
}

/// The `keys` array of a set.
fn key_list<'a>(value: &'a Value, what: &str) -> Result<&'a Vec<Value>, Vec<String>> {
    match value.get("keys") {
        Some(Value::Array(list)) if !list.is_empty() => Ok(list),
        Some(Value::Array(_)) => Err(vec![format!("the {what} has no key: keys is empty")]),
        _ => Err(vec![format!(
            "the {what} must be a JSON object {{\"keys\": [JWK, …]}}"
        )]),
    }
}

/// `kty`, `crv`, `kid`, `use`, `alg`; the `kid` when it is valid.
fn check_common(
    jwk: &Map<String, Value>,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    if text("kty") != Some("OKP") {
        problems.push(format!("{path}.kty: must be \"OKP\" (an Ed25519 key)"));
        return None;
    }
    if text("crv") != Some("Ed25519") {
        problems.push(format!("{path}.crv: must be \"Ed25519\""));
    }
    if jwk.get("use").is_some_and(|u| u != "sig") {
        problems.push(format!("{path}.use: must be \"sig\" when present"));
    }
    if jwk.get("alg").is_some_and(|a| a != "EdDSA") {
        problems.push(format!("{path}.alg: must be \"EdDSA\" when present"));
    }
    match text("kid") {
        Some(kid)
            if !kid.is_empty()
                && kid.len() <= MAX_KID_CHARS
                && kid.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Some(kid.to_owned())
        }
        _ => {
            problems.push(format!(
                "{path}.kid: must be 1 to {MAX_KID_CHARS} visible ASCII characters"
            ));
            None
        }
    }
}

/// A 32-byte member in unpadded base64url; the message never shows the value.
fn bytes32(
    jwk: &Map<String, Value>,
    name: &str,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<[u8; 32]> {
    let decoded = jwk
        .get(name)
        .and_then(Value::as_str)
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
    if decoded.is_none() {
        problems.push(format!(
            "{path}.{name}: must be 32 bytes in unpadded base64url"
        ));
    }
    decoded
}

fn check_unique_kids<'a>(kids: impl Iterator<Item = &'a str>, problems: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    for kid in kids {
        if !seen.insert(kid) {
            problems.push(format!("kid {kid:?} is used by two keys"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1, test 1: the secret key and its public key, written out from the RFC.
    const RFC8032_D: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_X: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn rfc_jwk(kid: &str) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "d": b64(&hex32(RFC8032_D)),
               "x": b64(&hex32(RFC8032_X)), "kid": kid, "use": "sig", "alg": "EdDSA"})
    }

    #[test]
    fn the_public_key_is_the_rfcs() {
        let key = SigningKey::from_seed(hex32(RFC8032_D), "k1");
        assert_eq!(
            key.public_jwk(),
            json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                   "kid": "k1", "use": "sig", "alg": "EdDSA"})
        );
        // And the set from the RFC's JWK parses, its x checked against its d.
        let keys = SigningKeys::from_json(&json!({"keys": [rfc_jwk("k1")]})).unwrap();
        assert_eq!(keys.current().public_jwk(), key.public_jwk());
    }

    #[test]
    fn the_first_key_signs_and_every_key_is_published_without_d() {
        let other = generate_dev_key([9; 32], "next")["keys"][0].clone();
        let keys = SigningKeys::from_json(&json!({"keys": [rfc_jwk("now"), other]})).unwrap();
        assert_eq!(keys.current().kid(), "now");
        let public = keys.public_jwks();
        let list = public["keys"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        for jwk in list {
            let mut members: Vec<&str> = jwk
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            members.sort_unstable();
            assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x"]);
        }
        assert_eq!(keys.jwk_set().kids().collect::<Vec<_>>(), ["now", "next"]);
        // The public set reads back as the same verifier keys.
        assert_eq!(JwkSet::from_json(&public).unwrap(), keys.jwk_set());
    }

    #[test]
    fn every_problem_is_listed_and_no_secret_is_shown() {
        let d = b64(&hex32(RFC8032_D));
        let wrong_x = b64(&[1; 32]);
        let cases: &[(Value, &[&str])] = &[
            (
                json!([]),
                &["the signing keys must be a JSON object {\"keys\": [JWK, …]}"],
            ),
            (
                json!({"keys": []}),
                &["the signing keys has no key: keys is empty"],
            ),
            (
                json!({"keys": [7, {"kty": "OKP", "crv": "X25519", "d": d, "x": b64(&hex32(RFC8032_X)),
                    "kid": "", "use": "enc", "alg": "ES256"}]}),
                &[
                    "keys[0]: must be a JSON object (a JWK)",
                    "keys[1].crv: must be \"Ed25519\"",
                    "keys[1].use: must be \"sig\" when present",
                    "keys[1].alg: must be \"EdDSA\" when present",
                    "keys[1].kid: must be 1 to 128 visible ASCII characters",
                ],
            ),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "d": d, "x": wrong_x, "kid": "a"}]}),
                &["keys[0].x: is not the public key of this d"],
            ),
            (
                // Padded base64, standard alphabet, 31 bytes: all refused.
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "d": format!("{d}="), "x": b64(&[0; 31]), "kid": "a"}]}),
                &[
                    "keys[0].x: must be 32 bytes in unpadded base64url",
                    "keys[0].d: must be 32 bytes in unpadded base64url",
                ],
            ),
            (
                json!({"keys": [rfc_jwk("same"), rfc_jwk("same")]}),
                &["kid \"same\" is used by two keys"],
            ),
        ];
        for (set, expected) in cases {
            let problems = SigningKeys::from_json(set).unwrap_err();
            assert_eq!(problems, *expected, "{set}");
            for p in &problems {
                assert!(!p.contains(&d[..8]), "{p} shows the secret");
            }
        }
        let problems =
            SigningKeys::from_json_text(&format!("{{\"keys\": [{{\"d\": \"{d}\"")).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("the signing keys are not valid JSON (line 1, column"));
        assert!(!problems[0].contains(&d[..8]));
    }

    #[test]
    fn a_public_set_skips_other_key_types_and_refuses_private_keys() {
        let set = JwkSet::from_json(&json!({"keys": [
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"},
            SigningKey::from_seed([3; 32], "ed").public_jwk(),
        ]}))
        .unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), ["ed"]);
        let problems = JwkSet::from_json(&json!({"keys": [rfc_jwk("k")]})).unwrap_err();
        assert_eq!(
            problems,
            ["keys[0].d: a public JWK set must not hold private keys"]
        );
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = SigningKey::from_seed(hex32(RFC8032_D), "k1");
        let shown = format!(
            "{key:?} {:?}",
            SigningKeys::from_json(&json!({"keys": [rfc_jwk("k1")]})).unwrap()
        );
        assert!(shown.contains("k1"));
        assert!(!shown.contains("157") && !shown.contains("9d61"), "{shown}");
    }
}
