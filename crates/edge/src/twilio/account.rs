//! A tenant's Twilio account as its KV record holds it (`"twilio"`, written by
//! `npm run tenant -- twilio-credentials | twilio-service` and, in development, from
//! `worker/tenants.dev.json`; docs/operations.md "Tenants"):
//!
//! ```json
//! "twilio": {
//!   "accountSid": "AC…",
//!   "credentials": [{"sid": "AC…|SK…", "hash": "<SHA-256 hex>", "createdAt": "…"}],
//!   "services": [{"sid": "VA…", "friendlyName": "…", "codeLength": 6, "lookupEnabled": false,
//!                 "doNotShareWarningEnabled": false, "dateCreated": "2026-12-05T07:00:00Z"}]
//! }
//! ```
//!
//! Auth tokens and API key secrets are stored as SHA-256 hashes only, like API keys: they
//! are 32+ random characters, so a plain hash cannot be reversed. A credential is accepted
//! only when its SID is listed here (the `twilio:<sid>` KV entry finds the tenant; removing
//! the credential from the record revokes it even while a stale entry lingers), and its
//! hash is compared in constant time ([`TwilioAccount::accepts`]).

use serde_json::Value;
use subtle::ConstantTimeEq;

use super::service::{Service, DEFAULT_CODE_LENGTH};
use super::sid::{self, SidKind};

/// One credential: an account SID with its auth token, or an API key with its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `AC…` or `SK…`.
    pub sid: String,
    /// The SHA-256 of the token or secret, 64 lower-case hex digits.
    pub hash: String,
}

/// A tenant's Twilio account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioAccount {
    /// `AC…`: the `account_sid` of everything the tenant's credentials see.
    pub account_sid: String,
    /// Every credential that authenticates as this account.
    pub credentials: Vec<Credential>,
    /// Services imported with their Twilio SIDs, sorted by SID.
    pub services: Vec<Service>,
}

impl TwilioAccount {
    /// Whether `sid` with a secret hashing to `hash` (hex) is one of the credentials.
    /// Every listed hash is compared fully, in constant time.
    pub fn accepts(&self, sid: &str, hash: &str) -> bool {
        self.credentials
            .iter()
            .filter(|c| c.sid == sid)
            .fold(false, |ok, c| {
                ok | bool::from(c.hash.as_bytes().ct_eq(hash.as_bytes()))
            })
    }

    /// The imported service `sid`, if any.
    pub fn imported(&self, sid: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.sid == sid)
    }

    /// The record's `twilio` value, or every problem found (each naming the field, never
    /// a secret's value).
    pub fn from_json(v: &Value) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let Some(obj) = v.as_object() else {
            return Err(vec!["twilio must be an object".into()]);
        };
        for key in obj.keys() {
            if !["accountSid", "credentials", "services"].contains(&key.as_str()) {
                problems.push(format!("twilio.{key} is not a known key"));
            }
        }
        let account_sid = match obj.get("accountSid").and_then(Value::as_str) {
            Some(s) if sid::parse(SidKind::Account, s).is_some() => s.to_owned(),
            _ => {
                problems.push(
                    "twilio.accountSid must be AC followed by 32 lower-case hex digits".into(),
                );
                String::new()
            }
        };
        let mut credentials = Vec::new();
        let listed = obj.get("credentials").and_then(Value::as_array);
        if listed.is_none() {
            problems.push("twilio.credentials must be a list of {sid, hash, createdAt}".into());
        }
        for (i, c) in listed.into_iter().flatten().enumerate() {
            let at = format!("twilio.credentials[{}]", i + 1);
            let sid = c.get("sid").and_then(Value::as_str).unwrap_or_default();
            let sid_ok = sid::parse(SidKind::ApiKey, sid).is_some()
                || (sid == account_sid && !sid.is_empty());
            if !sid_ok {
                problems.push(format!(
                    "{at}.sid must be the accountSid or an API key SID (SK followed by 32 lower-case hex digits)"
                ));
            }
            let hash = c.get("hash").and_then(Value::as_str).unwrap_or_default();
            let hex = smsotp_core::pin_hash::is_sha256_hex(hash);
            if !hex {
                problems.push(format!(
                    "{at}.hash is not a SHA-256 hex digest (secrets are stored hashed, never in clear)"
                ));
            }
            if credentials.iter().any(|c: &Credential| c.sid == sid) {
                problems.push(format!("{at}.sid is listed twice"));
            }
            credentials.push(Credential {
                sid: sid.to_owned(),
                hash: hash.to_owned(),
            });
        }
        let mut services = Vec::new();
        match obj.get("services") {
            None => {}
            Some(Value::Array(list)) => {
                for (i, s) in list.iter().enumerate() {
                    match imported_service(s) {
                        Ok(s) if services.iter().any(|o: &Service| o.sid == s.sid) => {
                            problems.push(format!(
                                "twilio.services[{}]: {} is listed twice",
                                i + 1,
                                s.sid
                            ));
                        }
                        Ok(s) => services.push(s),
                        Err(p) => problems.push(format!("twilio.services[{}]: {p}", i + 1)),
                    }
                }
            }
            Some(_) => problems.push("twilio.services must be a list".into()),
        }
        services.sort_by(|a, b| a.sid.cmp(&b.sid));
        if problems.is_empty() {
            Ok(TwilioAccount {
                account_sid,
                credentials,
                services,
            })
        } else {
            Err(problems)
        }
    }
}

/// An imported service (`dateCreated` an ISO 8601 date).
fn imported_service(v: &Value) -> Result<Service, String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    let flag = |k: &str| match v.get(k) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{k} must be true or false")),
    };
    let sid = text("sid")
        .filter(|s| sid::parse(SidKind::Service, s).is_some())
        .ok_or("sid must be VA followed by 32 lower-case hex digits")?;
    let friendly_name = text("friendlyName")
        .filter(|n| (1..=super::form::MAX_FRIENDLY_NAME).contains(&n.chars().count()))
        .ok_or("friendlyName must be 1 to 32 characters")?;
    let code_length = match v.get("codeLength") {
        None => DEFAULT_CODE_LENGTH,
        Some(n) => n
            .as_u64()
            .filter(|n| (4..=10).contains(n))
            .ok_or("codeLength must be an integer from 4 to 10")? as u8,
    };
    let created = match text("dateCreated") {
        None => 0,
        Some(d) => chrono::DateTime::parse_from_rfc3339(d)
            .map_err(|_| "dateCreated must be an ISO 8601 date (2026-12-05T07:00:00Z)")?
            .timestamp_millis()
            .max(0) as u64,
    };
    Ok(Service {
        sid: sid.to_owned(),
        friendly_name: friendly_name.to_owned(),
        code_length,
        lookup_enabled: flag("lookupEnabled")?,
        skip_sms_to_landlines: false,
        dtmf_input_required: false,
        tts_name: None,
        psd2_enabled: false,
        do_not_share_warning_enabled: flag("doNotShareWarningEnabled")?,
        created_at: created,
        updated_at: created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AC: &str = "ACac3e00000000000000000000000000a1";
    const SK: &str = "SKac3e00000000000000000000000000b2";
    const VA: &str = "VAac3e00000000000000000000000000c3";

    fn hash(c: char) -> String {
        c.to_string().repeat(64)
    }

    #[test]
    fn a_record_reads_and_accepts_only_its_credentials() {
        let account = TwilioAccount::from_json(&json!({
            "accountSid": AC,
            "credentials": [{"sid": AC, "hash": hash('a'), "createdAt": "x"},
                            {"sid": SK, "hash": hash('b')}],
            "services": [{"sid": VA, "friendlyName": "Acme", "dateCreated": "2026-12-05T07:00:00Z",
                          "lookupEnabled": true}]
        }))
        .unwrap();
        assert!(account.accepts(AC, &hash('a')));
        assert!(account.accepts(SK, &hash('b')));
        assert!(
            !account.accepts(AC, &hash('b')),
            "another credential's secret"
        );
        assert!(!account.accepts(SK, &hash('a')));
        assert!(!account.accepts("SKac3e00000000000000000000000000b3", &hash('b')));
        let s = account.imported(VA).unwrap();
        assert_eq!(
            (s.code_length, s.lookup_enabled, s.created_at),
            (6, true, 1_796_454_000_000)
        );
    }

    #[test]
    fn every_problem_is_named_and_no_secret_is_shown() {
        let problems = TwilioAccount::from_json(&json!({
            "accountSid": "AC123",
            "credentials": [{"sid": "XX", "hash": "my-secret-token"},
                            {"sid": SK, "hash": hash('b')}, {"sid": SK, "hash": hash('c')}],
            "services": [{"sid": VA, "friendlyName": "", "codeLength": 11},
                         {"sid": "VA1", "friendlyName": "A"}],
            "authToken": "plain-text-token"
        }))
        .unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "twilio.authToken is not a known key",
            "twilio.accountSid must be AC",
            "twilio.credentials[1].sid",
            "twilio.credentials[1].hash is not a SHA-256",
            "twilio.credentials[3].sid is listed twice",
            "twilio.services[1]: friendlyName",
            "twilio.services[2]: sid must be VA",
        ] {
            assert!(all.contains(expected), "{expected} not in {all}");
        }
        assert!(
            !all.contains("my-secret-token") && !all.contains("plain-text-token"),
            "{all}"
        );
    }
}
