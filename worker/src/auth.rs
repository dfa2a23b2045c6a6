//! API keys: `X-API-KEY: <key>` or `Authorization: Bearer <key>`, compared in constant time
//! against every configured key (so timing reveals neither which key nor how much matched).

use subtle::ConstantTimeEq;
use worker::Request;

use crate::config::Settings;

/// The tenant (API key name) of a request, if its key is known.
pub fn tenant(req: &Request, settings: &Settings) -> Option<String> {
    let headers = req.headers();
    let presented = headers.get("X-API-KEY").ok().flatten().or_else(|| {
        headers
            .get("Authorization")
            .ok()
            .flatten()
            .and_then(|v| v.strip_prefix("Bearer ").map(|k| k.trim().to_owned()))
    })?;
    let mut found: Option<&str> = None;
    for (name, key) in &settings.api_keys {
        // Compare every key fully; remember the match without branching on secrets early.
        let same =
            key.len() == presented.len() && bool::from(key.as_bytes().ct_eq(presented.as_bytes()));
        if same && found.is_none() {
            found = Some(name);
        }
    }
    found.map(str::to_owned)
}
