//! How a code reaches a person: the ordered plan of (channel, provider) steps an OTP's
//! messages go through, the tenant's delivery policy that shapes it, when a failover is
//! due, and the PIN sealed until the OTP ends so a failover can send the same PIN again.
//!
//! - **Routes.** `SMS_ROUTES` (the deployment's) or the tenant's `routes` name, per
//!   destination country (ISO 3166-1 alpha-2, `*` for the rest), the SMS providers in the
//!   order to try: `{"BR": ["vonage", "twilio"], "*": ["twilio", "vonage"]}`. WhatsApp goes
//!   through `whatsapp` (Meta's Cloud API), a call through `twilio` (its Calls API).
//! - **Plan.** The asked channel's route, then each channel after it in the tenant's
//!   `fallback` order (allowed by its `channels`): with `"fallback": ["sms", "voice"]`, an
//!   SMS whose every provider failed becomes a call.
//! - **Failover.** A send error moves to the next step within the request; a final failure
//!   report, or no final report within `deliveryTimeout` seconds, sends the same PIN
//!   through the next step (at most `maxFailovers` times per OTP, only while it is
//!   PENDING), from the shard's alarm.
//! - **Seal.** The PIN is kept, while the OTP is pending and a failover may still need
//!   it, sealed with ChaCha20-Poly1305 under a key derived from `PIN_HASH_KEY` (the OTP id
//!   as associated data, so a sealed PIN opens for its own OTP only). It is never stored
//!   in clear, and dropped when the OTP ends.

use std::collections::BTreeMap;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smsotp_core::{ApiError, Channel, ErrorCode, OtpRecord, OtpStatus, PinHasher, UnixMillis};

/// Default seconds a final report may take before the message counts as not delivered.
pub const DEFAULT_DELIVERY_TIMEOUT: u32 = 30;
/// Default failovers per OTP.
pub const DEFAULT_MAX_FAILOVERS: u8 = 1;
/// Most failovers per OTP a tenant may ask for.
pub const MAX_FAILOVERS: u8 = 5;
/// The delivery timeout's bounds, in seconds.
pub const DELIVERY_TIMEOUT_RANGE: (u32, u32) = (5, 3600);

/// The providers SMS routes may name.
pub const SMS_PROVIDERS: [&str; 5] = ["twilio", "vonage", "smscx", "webhook", "console"];

/// One step of a plan: a channel and the provider carrying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// How.
    pub channel: Channel,
    /// Through whom.
    pub provider: String,
}

/// SMS routes: per destination country (`*`: any other), the providers in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routes(pub BTreeMap<String, Vec<String>>);

impl Routes {
    /// One provider for every country (`SMS_PROVIDER`'s meaning).
    pub fn single(provider: &str) -> Routes {
        Routes(BTreeMap::from([(
            "*".to_owned(),
            vec![provider.to_owned()],
        )]))
    }

    /// Reads `{"BR": ["vonage", "twilio"], "*": ["twilio"]}`: each key an upper-case ISO
    /// 3166-1 region of the phone metadata or `*`, each value a non-empty list of distinct
    /// SMS providers ([`SMS_PROVIDERS`]). Every problem is listed under `path`.
    pub fn from_json(value: &Value, path: &str) -> Result<Routes, Vec<String>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![format!(
                "{path} must be an object of country → providers, e.g. {{\"*\": [\"twilio\"]}}"
            )]);
        };
        let mut problems = Vec::new();
        let mut routes = BTreeMap::new();
        for (country, providers) in obj {
            if country != "*" && !smsotp_core::phone::is_known_country(country) {
                problems.push(format!(
                    "{path}.{country}: not \"*\" nor a known ISO 3166-1 region (upper case)"
                ));
                continue;
            }
            let list: Vec<String> = match providers.as_array() {
                Some(list) if !list.is_empty() => list
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect(),
                _ => {
                    problems.push(format!("{path}.{country}: must be a non-empty list"));
                    continue;
                }
            };
            if list.len() != providers.as_array().map_or(0, Vec::len) {
                problems.push(format!("{path}.{country}: every provider must be a string"));
                continue;
            }
            for (i, p) in list.iter().enumerate() {
                if !SMS_PROVIDERS.contains(&p.as_str()) {
                    problems.push(format!(
                        "{path}.{country}[{i}]: {p:?} is not one of {}",
                        SMS_PROVIDERS.join(", ")
                    ));
                } else if list[..i].contains(p) {
                    problems.push(format!("{path}.{country}[{i}]: {p} is listed twice"));
                }
            }
            routes.insert(country.clone(), list);
        }
        if problems.is_empty() {
            Ok(Routes(routes))
        } else {
            Err(problems)
        }
    }

    /// The providers for a destination country: its own route, else `*`'s, else none.
    pub fn for_country(&self, country_iso: &str) -> &[String] {
        self.0
            .get(country_iso)
            .or_else(|| self.0.get("*"))
            .map_or(&[], Vec::as_slice)
    }

    /// Every provider named.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.0.values().flatten().map(String::as_str)
    }
}

/// A number of seconds for every country, or per country with `*` for the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerCountry {
    /// For countries not listed.
    pub default: u32,
    /// By ISO 3166-1 region.
    pub by_country: BTreeMap<String, u32>,
}

impl PerCountry {
    /// The value for a country.
    pub fn get(&self, country_iso: &str) -> u32 {
        self.by_country
            .get(country_iso)
            .copied()
            .unwrap_or(self.default)
    }
}

/// A tenant's delivery policy (its record's keys `channels`, `fallback`, `routes`,
/// `deliveryTimeout`, `maxFailovers`, `deliveryCallbacks`). Serialized only on the
/// worker's internal wire to a shard (a resend plans its message there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPolicy {
    /// The channels the tenant's OTPs may use (default: SMS only).
    pub channels: Vec<Channel>,
    /// The order failover moves through channels (default: none, it stays on the asked
    /// channel).
    pub fallback: Vec<Channel>,
    /// The tenant's own SMS routes (default: the deployment's `SMS_ROUTES`).
    pub routes: Option<Routes>,
    /// Seconds a final report may take (default 30, per country).
    pub delivery_timeout: PerCountry,
    /// Failovers per OTP at most (default 1; 0: none after a report or timeout).
    pub max_failovers: u8,
    /// A signed callback on each delivery change (to the OTP's `otpCallbackUrl`).
    pub delivery_callbacks: bool,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            channels: vec![Channel::Sms],
            fallback: Vec::new(),
            routes: None,
            delivery_timeout: PerCountry {
                default: DEFAULT_DELIVERY_TIMEOUT,
                by_country: BTreeMap::new(),
            },
            max_failovers: DEFAULT_MAX_FAILOVERS,
            delivery_callbacks: false,
        }
    }
}

fn channel_list(value: &Value, key: &str, problems: &mut Vec<String>) -> Option<Vec<Channel>> {
    let Some(list) = value.as_array() else {
        problems.push(format!(
            "{key} must be a list of channels (sms, whatsapp, voice)"
        ));
        return None;
    };
    let mut channels = Vec::new();
    for (i, v) in list.iter().enumerate() {
        match v.as_str().and_then(Channel::parse) {
            Some(c) if channels.contains(&c) => {
                problems.push(format!("{key}[{i}]: {} is listed twice", c.as_str()))
            }
            Some(c) => channels.push(c),
            None => problems.push(format!(
                "{key}[{i}]: {v} is not one of sms, whatsapp, voice"
            )),
        }
    }
    Some(channels)
}

impl DeliveryPolicy {
    /// Reads the delivery keys of a tenant's policy object over `self`, listing every
    /// problem under its key.
    pub fn overlay(
        &self,
        obj: &serde_json::Map<String, Value>,
        problems: &mut Vec<String>,
    ) -> Self {
        let mut policy = self.clone();
        if let Some(v) = obj.get("channels") {
            match channel_list(v, "channels", problems) {
                Some(c) if c.is_empty() => {
                    problems.push("channels: must list at least one channel".into())
                }
                Some(c) => policy.channels = c,
                None => {}
            }
        }
        if let Some(v) = obj.get("fallback") {
            if let Some(c) = channel_list(v, "fallback", problems) {
                policy.fallback = c;
            }
        }
        if let Some(v) = obj.get("routes") {
            match Routes::from_json(v, "routes") {
                Ok(r) => policy.routes = Some(r),
                Err(more) => problems.extend(more),
            }
        }
        if let Some(v) = obj.get("deliveryTimeout") {
            let (lo, hi) = DELIVERY_TIMEOUT_RANGE;
            let seconds = |v: &Value, key: &str, problems: &mut Vec<String>| match v.as_u64() {
                Some(n) if (u64::from(lo)..=u64::from(hi)).contains(&n) => Some(n as u32),
                _ => {
                    problems.push(format!(
                        "{key}: must be a whole number of seconds from {lo} to {hi}"
                    ));
                    None
                }
            };
            match v {
                Value::Object(by) => {
                    let mut timeout = PerCountry {
                        default: DEFAULT_DELIVERY_TIMEOUT,
                        by_country: BTreeMap::new(),
                    };
                    for (country, n) in by {
                        let key = format!("deliveryTimeout.{country}");
                        let Some(n) = seconds(n, &key, problems) else {
                            continue;
                        };
                        if country == "*" {
                            timeout.default = n;
                        } else if smsotp_core::phone::is_known_country(country) {
                            timeout.by_country.insert(country.clone(), n);
                        } else {
                            problems
                                .push(format!("{key}: not \"*\" nor a known ISO 3166-1 region"));
                        }
                    }
                    policy.delivery_timeout = timeout;
                }
                other => {
                    if let Some(n) = seconds(other, "deliveryTimeout", problems) {
                        policy.delivery_timeout = PerCountry {
                            default: n,
                            by_country: BTreeMap::new(),
                        };
                    }
                }
            }
        }
        if let Some(v) = obj.get("maxFailovers") {
            match v.as_u64() {
                Some(n) if n <= u64::from(MAX_FAILOVERS) => policy.max_failovers = n as u8,
                _ => problems.push(format!(
                    "maxFailovers: must be a whole number from 0 to {MAX_FAILOVERS}"
                )),
            }
        }
        if let Some(v) = obj.get("deliveryCallbacks") {
            match v.as_bool() {
                Some(b) => policy.delivery_callbacks = b,
                None => problems.push("deliveryCallbacks: must be true or false".into()),
            }
        }
        for (i, c) in policy.fallback.iter().enumerate() {
            if !policy.channels.contains(c) {
                problems.push(format!(
                    "fallback[{i}]: {} is not one of the tenant's channels",
                    c.as_str()
                ));
            }
        }
        policy
    }

    /// May the tenant's OTPs use `channel`? 2136 naming its channels when not (a test
    /// number's too, though it sends nothing).
    pub fn check_channel(&self, channel: Channel) -> Result<(), ApiError> {
        if self.channels.contains(&channel) {
            return Ok(());
        }
        Err(ApiError::with_message(
            ErrorCode::ChannelNotAllowed,
            format!(
                "The {} channel is not enabled for this account (its channels: {})",
                channel.as_str(),
                self.channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .for_field("channel"))
    }

    /// The plan for a message on `channel` to a number of `country_iso`: the channel's
    /// route, then the later channels of `fallback`. `deployment`: the deployment's SMS
    /// routes; `offers(channel, provider)`: whether the deployment has that provider
    /// configured for that channel. 2136 when the tenant does not allow the channel, or
    /// the deployment cannot carry it at all.
    pub fn plan(
        &self,
        channel: Channel,
        country_iso: &str,
        deployment: &Routes,
        offers: &dyn Fn(Channel, &str) -> bool,
    ) -> Result<Vec<Step>, ApiError> {
        self.check_channel(channel)?;
        let routes = self.routes.as_ref().unwrap_or(deployment);
        let route = |c: Channel| -> Vec<Step> {
            let providers: Vec<String> = match c {
                Channel::Sms => routes.for_country(country_iso).to_vec(),
                Channel::Whatsapp => vec!["whatsapp".into()],
                Channel::Voice => vec!["twilio".into()],
            };
            let mut steps: Vec<Step> = providers
                .into_iter()
                .filter(|p| offers(c, p))
                .map(|provider| Step {
                    channel: c,
                    provider,
                })
                .collect();
            // In development, the console stands in for a channel no provider carries
            // (never appended to a route that has one: a failover must reach a real
            // provider).
            if steps.is_empty() && offers(c, "console") {
                steps.push(Step {
                    channel: c,
                    provider: "console".into(),
                });
            }
            steps
        };
        let mut plan = route(channel);
        if plan.is_empty() {
            return Err(ApiError::with_message(
                ErrorCode::ChannelNotAllowed,
                format!(
                    "This deployment has no provider for the {} channel{}",
                    channel.as_str(),
                    if channel == Channel::Sms {
                        " to this country"
                    } else {
                        ""
                    }
                ),
            )
            .for_field("channel"));
        }
        if let Some(at) = self.fallback.iter().position(|c| *c == channel) {
            for &next in &self.fallback[at + 1..] {
                if self.channels.contains(&next) {
                    plan.extend(route(next));
                }
            }
        }
        Ok(plan)
    }
}

/// What the shard keeps about an OTP's delivery beyond its attempts (those are on the
/// record): the plan, the step that carried the latest message, and what a failover needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// The steps, in order.
    pub plan: Vec<Step>,
    /// The step that carried the latest message.
    pub step: usize,
    /// Failovers made so far (after a report or a timeout; not those within a request).
    pub failovers: u8,
    /// Failovers allowed (the tenant's `maxFailovers`).
    pub max_failovers: u8,
    /// Seconds a final report may take (the tenant's `deliveryTimeout` for the country).
    pub report_within: u32,
    /// A signed callback on each delivery change (the tenant's `deliveryCallbacks`).
    pub callbacks: bool,
    /// The PIN, sealed ([`seal`]), while a failover may still send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_pin: Option<String>,
}

impl Route {
    /// Is there a next step, a failover left and the PIN to send?
    pub fn can_fail_over(&self) -> bool {
        self.sealed_pin.is_some()
            && self.failovers < self.max_failovers
            && self.step + 1 < self.plan.len()
    }

    /// The step after the current one.
    pub fn next_step(&self) -> Option<&Step> {
        self.plan.get(self.step + 1)
    }

    /// When the shard must look at the OTP for a failover: at once after a failure
    /// report, at the latest message's `reportBy` while no final report came (if reports
    /// come at all); never for an OTP no longer pending, a delivered message, or after the
    /// OTP's expiry.
    pub fn failover_at(&self, record: &OtpRecord) -> Option<UnixMillis> {
        if record.status != OtpStatus::Pending || !self.can_fail_over() {
            return None;
        }
        let latest = record.delivery.latest()?;
        let at = if latest.status.is_failure() {
            latest.at
        // No report can come from its provider (`reportBy` 0): a silence means nothing.
        } else if latest.status.is_final() || latest.report_by == 0 {
            return None;
        } else {
            latest.report_by
        };
        (at < record.expires_at).then_some(at)
    }
}

/// The key sealed PINs are sealed under, derived from `PIN_HASH_KEY`.
fn seal_key(hasher: &PinHasher) -> ChaCha20Poly1305 {
    let key = hasher.keyed_digest(b"smsotp/delivery/seal-pin/v1", &[]);
    ChaCha20Poly1305::new(&key.into())
}

/// Seals `pin` for the OTP `otp_id` (`nonce`: 12 random bytes, never reused with this
/// key): `base64(nonce ‖ ciphertext ‖ tag)`.
pub fn seal(hasher: &PinHasher, otp_id: &str, pin: &str, nonce: [u8; 12]) -> String {
    let sealed = seal_key(hasher)
        .encrypt(
            &nonce.into(),
            Payload {
                msg: pin.as_bytes(),
                aad: otp_id.as_bytes(),
            },
        )
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend(sealed);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
}

/// The PIN a [`seal`] sealed for `otp_id`, or `None` (another OTP's, another key's, or
/// tampered with).
pub fn open(hasher: &PinHasher, otp_id: &str, sealed: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(sealed)
        .ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let pin = seal_key(hasher)
        .decrypt(
            &nonce.into(),
            Payload {
                msg: ciphertext,
                aad: otp_id.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(pin).ok()
}

/// Our id of an OTP's `n`-th message (from 1).
pub fn reference(otp_id: &str, n: usize) -> String {
    format!("{otp_id}.{n}")
}

/// The OTP id a message reference names (`{otpId}.{n}`), if it is one.
pub fn otp_of_reference(reference: &str) -> Option<&str> {
    let (otp_id, n) = reference.rsplit_once('.')?;
    (!otp_id.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(otp_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(v: Value) -> Result<DeliveryPolicy, Vec<String>> {
        let mut problems = Vec::new();
        let p = DeliveryPolicy::default().overlay(v.as_object().unwrap(), &mut problems);
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(problems)
        }
    }

    fn deployment() -> Routes {
        Routes::from_json(
            &json!({"BR": ["vonage", "twilio"], "*": ["twilio", "vonage"]}),
            "SMS_ROUTES",
        )
        .unwrap()
    }

    fn steps(plan: &[Step]) -> Vec<String> {
        plan.iter()
            .map(|s| format!("{}:{}", s.channel.as_str(), s.provider))
            .collect()
    }

    /// Every provider configured but the console.
    fn all(_: Channel, p: &str) -> bool {
        p != "console"
    }

    #[test]
    fn plans_follow_the_country_route_then_the_fallback_channels() {
        let p =
            policy(json!({"channels": ["sms", "voice", "whatsapp"], "fallback": ["sms", "voice"]}))
                .unwrap();
        let d = deployment();
        assert_eq!(
            steps(&p.plan(Channel::Sms, "BR", &d, &all).unwrap()),
            ["sms:vonage", "sms:twilio", "voice:twilio"]
        );
        assert_eq!(
            steps(&p.plan(Channel::Sms, "FR", &d, &all).unwrap()),
            ["sms:twilio", "sms:vonage", "voice:twilio"]
        );
        // Voice is last in the fallback order: nothing after it.
        assert_eq!(
            steps(&p.plan(Channel::Voice, "FR", &d, &all).unwrap()),
            ["voice:twilio"]
        );
        // WhatsApp is not in the fallback order: its route only.
        assert_eq!(
            steps(&p.plan(Channel::Whatsapp, "FR", &d, &all).unwrap()),
            ["whatsapp:whatsapp"]
        );
        // A provider the deployment lacks is left out of the route.
        let no_vonage = |_: Channel, p: &str| p == "twilio";
        assert_eq!(
            steps(&p.plan(Channel::Sms, "BR", &d, &no_vonage).unwrap()),
            ["sms:twilio", "voice:twilio"]
        );
        // The tenant's own routes replace the deployment's.
        let own = policy(json!({"routes": {"*": ["smscx"]}})).unwrap();
        assert_eq!(
            steps(&own.plan(Channel::Sms, "BR", &d, &all).unwrap()),
            ["sms:smscx"]
        );
        // `SMS_PROVIDER` alone: one step.
        assert_eq!(
            steps(
                &DeliveryPolicy::default()
                    .plan(Channel::Sms, "US", &Routes::single("twilio"), &all)
                    .unwrap()
            ),
            ["sms:twilio"]
        );
    }

    #[test]
    fn a_channel_must_be_allowed_and_offered() {
        let d = deployment();
        let e = DeliveryPolicy::default()
            .plan(Channel::Voice, "FR", &d, &all)
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::ChannelNotAllowed, Some("channel"))
        );
        assert!(e.message.contains("(its channels: sms)"), "{}", e.message);
        let p = policy(json!({"channels": ["sms", "whatsapp"]})).unwrap();
        let no_whatsapp = |c: Channel, _: &str| c == Channel::Sms;
        let e = p
            .plan(Channel::Whatsapp, "FR", &d, &no_whatsapp)
            .unwrap_err();
        assert_eq!(
            e.message,
            "This deployment has no provider for the whatsapp channel"
        );
        // The console stands in for a channel no provider carries (development), and is
        // never appended to a route that has one.
        let twilio_and_console = |_: Channel, p: &str| p == "twilio" || p == "console";
        assert_eq!(
            steps(&p.plan(Channel::Sms, "FR", &d, &twilio_and_console).unwrap()),
            ["sms:twilio"]
        );
        let console = |_: Channel, p: &str| p == "console";
        assert_eq!(
            steps(&p.plan(Channel::Whatsapp, "FR", &d, &console).unwrap()),
            ["whatsapp:console"]
        );
        assert_eq!(
            steps(
                &p.plan(Channel::Sms, "FR", &Routes::single("console"), &console)
                    .unwrap()
            ),
            ["sms:console"]
        );
    }

    #[test]
    fn policy_keys_and_their_problems() {
        let p = policy(json!({"deliveryTimeout": {"BR": 60, "*": 20}, "maxFailovers": 2, "deliveryCallbacks": true})).unwrap();
        assert_eq!(
            (p.delivery_timeout.get("BR"), p.delivery_timeout.get("FR")),
            (60, 20)
        );
        assert_eq!((p.max_failovers, p.delivery_callbacks), (2, true));
        assert_eq!(
            policy(json!({"deliveryTimeout": 45}))
                .unwrap()
                .delivery_timeout
                .get("US"),
            45
        );
        assert_eq!(
            policy(json!({
                "channels": ["sms", "fax", "sms"], "fallback": ["voice"], "routes": {"XX": ["twilio"], "FR": [], "*": ["twilio", "acme", "twilio"]},
                "deliveryTimeout": {"BR": 1}, "maxFailovers": 9, "deliveryCallbacks": "yes"
            }))
            .unwrap_err(),
            [
                "channels[1]: \"fax\" is not one of sms, whatsapp, voice",
                "channels[2]: sms is listed twice",
                "routes.*[1]: \"acme\" is not one of twilio, vonage, smscx, webhook, console",
                "routes.*[2]: twilio is listed twice",
                "routes.FR: must be a non-empty list",
                "routes.XX: not \"*\" nor a known ISO 3166-1 region (upper case)",
                "deliveryTimeout.BR: must be a whole number of seconds from 5 to 3600",
                "maxFailovers: must be a whole number from 0 to 5",
                "deliveryCallbacks: must be true or false",
                "fallback[0]: voice is not one of the tenant's channels",
            ]
        );
        assert_eq!(
            policy(json!({"channels": []})).unwrap_err(),
            ["channels: must list at least one channel"]
        );
    }

    #[test]
    fn a_sealed_pin_opens_for_its_own_otp_and_key_only() {
        let hasher = PinHasher::new(b"test-pin-hash-key-0123456789abcdef").unwrap();
        let other = PinHasher::new(b"another-pin-hash-key-0123456789ab").unwrap();
        let sealed = seal(&hasher, "otp-1", "482913", [7; 12]);
        assert!(!sealed.contains("482913"));
        assert_eq!(open(&hasher, "otp-1", &sealed).as_deref(), Some("482913"));
        assert_eq!(open(&hasher, "otp-2", &sealed), None);
        assert_eq!(open(&other, "otp-1", &sealed), None);
        // One bit changed: refused.
        let mut bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&sealed)
            .unwrap();
        bytes[14] ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
        assert_eq!(open(&hasher, "otp-1", &tampered), None);
        assert_eq!(open(&hasher, "otp-1", "not base64!"), None);
        // Another nonce, another text.
        assert_ne!(seal(&hasher, "otp-1", "482913", [8; 12]), sealed);
    }

    #[test]
    fn references() {
        assert_eq!(reference("a1b2-c3", 2), "a1b2-c3.2");
        assert_eq!(otp_of_reference("a1b2-c3.2"), Some("a1b2-c3"));
        for bad in ["a1b2", ".2", "a1b2.", "a1b2.x"] {
            assert_eq!(otp_of_reference(bad), None, "{bad}");
        }
    }
}
