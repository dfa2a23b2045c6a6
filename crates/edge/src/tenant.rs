//! A tenant's abuse policy: what one account may send, and the windows that stop SMS
//! pumping (SMS sent to numbers an attacker is paid for) and other abuse across numbers.
//!
//! The policy is read from the policy part of a tenant's record ([`TenantPolicy::from_json`]);
//! the limits' checks ([`crate::limits`]) are pure functions over histories the edge keeps
//! (the times of recent sends in unix milliseconds), so the shell only stores and asks.
//! Every control, its record key, default and refusal code is listed once, for operators,
//! in docs/operations.md ("Abuse controls"); the keys a record may hold are [`POLICY_KEYS`].

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use smsotp_core::config::Config;
use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::phone::{self, NumberType};
use smsotp_core::UnixMillis;

use crate::delivery::DeliveryPolicy;
use crate::guard::GuardPolicy;
use crate::limits::{AbuseLimits, NumberLimits};

/// The number types refused when a policy does not say (`blockedNumberTypes` absent): the
/// types that cost more than a mobile SMS, are used for SMS pumping, or reach no person
/// who could type a PIN. Mobile and fixed-line-or-mobile numbers are never in it.
pub const DEFAULT_BLOCKED_NUMBER_TYPES: [NumberType; 7] = [
    NumberType::PremiumRate,
    NumberType::SharedCost,
    NumberType::TollFree,
    NumberType::Uan,
    NumberType::Pager,
    NumberType::Voip,
    NumberType::Voicemail,
];

/// The top-level keys of a policy. A tenant's record holds other keys too (its API key
/// hash, name, …: the worker's); the caller passes only these.
pub const POLICY_KEYS: [&str; 12] = [
    "defaults",
    "allowedCountries",
    "blockedNumberTypes",
    "limits",
    "testNumbers",
    // Read by `crate::delivery::DeliveryPolicy::overlay`.
    "channels",
    "fallback",
    "routes",
    "deliveryTimeout",
    "maxFailovers",
    "deliveryCallbacks",
    // Read by `crate::guard::GuardPolicy::overlay_json`.
    "guard",
];

/// The keys of `limits` that are [`AbuseLimits`] (the others are [`NumberLimits`]').
const ABUSE_LIMIT_KEYS: [&str; 6] = [
    "ipSendsPerHour",
    "prefixUnverifiedPerHour",
    "prefixBlockSeconds",
    "dailySendCap",
    "browserDailySendCap",
    "ipv6Net48SendsPerHour",
];

/// Which countries a tenant may send SMS to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedCountries {
    /// Every country (`"*"`, or the key absent).
    Any,
    /// Only these ISO 3166-1 alpha-2 regions (upper case). Empty: no country at all.
    Only(BTreeSet<String>),
}

impl AllowedCountries {
    /// May an SMS go to a number of region `iso` (upper case, as [`phone::parse`] gives)?
    pub fn allows(&self, iso: &str) -> bool {
        match self {
            AllowedCountries::Any => true,
            AllowedCountries::Only(set) => set.contains(iso),
        }
    }
}

/// What a tenant may do: its defaults, limits, destinations and test numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPolicy {
    /// The deployment's configuration with the tenant's `defaults` over it.
    pub config: Config,
    /// The deployment's per-number limits with the tenant's over them.
    pub number_limits: NumberLimits,
    /// Countries SMS may go to.
    pub allowed_countries: AllowedCountries,
    /// Number types refused (2113).
    pub blocked_number_types: Vec<NumberType>,
    /// Limits across numbers.
    pub limits: AbuseLimits,
    /// Test numbers, by E.164, with their fixed PIN: an OTP to one of them gets that PIN
    /// and no SMS ([`smsotp_core::create::create_test_otp_with_id`]).
    pub test_numbers: BTreeMap<String, String>,
    /// Channels, fallback, routes, delivery timeout, failovers, delivery callbacks
    /// ([`crate::delivery`]).
    pub delivery: DeliveryPolicy,
    /// The adaptive guard's settings and mode (`guard`; [`crate::guard`], docs/guard.md).
    pub guard: GuardPolicy,
}

/// A tenant's creation time, from its record's `createdAt` (`value`: that key's value, if
/// any): a UTC time to the second as `npm run tenant` writes it (`"2026-12-05T07:00:00Z"`),
/// in unix milliseconds. `Ok(None)`: the record has none (written before records carried
/// it); the guard then counts its first week from when the tenant's object first kept guard
/// state (docs/guard.md, "Modes"). A problem when it is anything else.
///
/// ```
/// use serde_json::json;
/// use smsotp_edge::tenant::created_at;
///
/// assert_eq!(created_at(Some(&json!("1970-01-02T00:00:00Z"))), Ok(Some(86_400_000)));
/// assert_eq!(created_at(None), Ok(None));
/// assert!(created_at(Some(&json!("2026-12-05"))).is_err());
/// ```
pub fn created_at(value: Option<&Value>) -> Result<Option<UnixMillis>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = value.as_str().unwrap_or_default();
    let well_formed = text.len() == 20
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    well_formed
        .then(|| chrono::DateTime::parse_from_rfc3339(text).ok())
        .flatten()
        .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
        .map(Some)
        .ok_or_else(|| {
            format!("createdAt must be a UTC time to the second (\"2026-12-05T07:00:00Z\"), not {value}")
        })
}

/// Why a key of a policy was refused, under its key path.
fn problem(path: impl std::fmt::Display, why: impl std::fmt::Display) -> String {
    format!("{path}: {why}")
}

impl TenantPolicy {
    /// The policy of a tenant whose record says nothing: the deployment's configuration
    /// and limits, any country, the default blocked types, the default abuse limits.
    pub fn with_defaults(base_config: &Config, base_limits: &NumberLimits) -> Self {
        Self {
            config: base_config.clone(),
            number_limits: base_limits.clone(),
            allowed_countries: AllowedCountries::Any,
            blocked_number_types: DEFAULT_BLOCKED_NUMBER_TYPES.to_vec(),
            limits: AbuseLimits::default(),
            test_numbers: BTreeMap::new(),
            delivery: DeliveryPolicy::default(),
            guard: GuardPolicy::default(),
        }
    }

    /// Reads a tenant's policy: a JSON object with only the keys of [`POLICY_KEYS`] (the
    /// caller strips the other keys of the tenant's record; any other key here is a
    /// problem), each optional:
    ///
    /// ```json
    /// { "defaults": { "ttl": 600, "from": "ACME" },
    ///   "allowedCountries": ["US", "FR"],
    ///   "blockedNumberTypes": ["PREMIUM_RATE", "VOIP"],
    ///   "limits": { "sendsPerDay": 5, "ipSendsPerHour": 20, "prefixUnverifiedPerHour": 10,
    ///               "prefixBlockSeconds": 3600, "dailySendCap": 10000 },
    ///   "testNumbers": { "+15005550006": "123456" } }
    /// ```
    ///
    /// - `defaults`: the keys of `defaults` in [`Config::from_json`], over `base_config`.
    /// - `allowedCountries`: `"*"` (any; also when absent) or a list of ISO 3166-1 alpha-2
    ///   regions of the phone metadata, in upper case as ISO writes them (`"fr"` is refused,
    ///   not guessed); `[]` allows no country.
    /// - `blockedNumberTypes`: number types by their wire names (`PREMIUM_RATE`, …);
    ///   absent: [`DEFAULT_BLOCKED_NUMBER_TYPES`]; `[]` allows every type.
    /// - `limits`: the keys of [`NumberLimits::from_json`] (over `base_limits`) and of
    ///   [`AbuseLimits`] (over its defaults), whole numbers; 0 is "no limit" for
    ///   `ipSendsPerHour`, `prefixUnverifiedPerHour` and `dailySendCap`.
    /// - `testNumbers`: phone numbers in E.164 (stored by their E.164, so two spellings of
    ///   one number are a problem) → a PIN of 4 to 10 ASCII letters or digits.
    /// - `guard`: the adaptive guard's settings ([`GuardPolicy::overlay_json`]) over this
    ///   policy's.
    ///
    /// Every problem is listed, each naming its key path.
    ///
    /// ```
    /// use smsotp_edge::tenant::{AllowedCountries, TenantPolicy};
    /// use smsotp_core::Config;
    /// use smsotp_edge::limits::NumberLimits;
    /// use serde_json::json;
    ///
    /// let (config, limits) = (Config::default(), NumberLimits::default());
    /// let p = TenantPolicy::from_json(
    ///     &json!({"allowedCountries": ["FR"], "limits": {"dailySendCap": 500}}),
    ///     &config,
    ///     &limits,
    /// )
    /// .unwrap();
    /// assert!(p.allowed_countries.allows("FR") && !p.allowed_countries.allows("US"));
    /// assert_eq!((p.limits.daily_send_cap, p.limits.ip_sends_per_hour), (500, 10));
    /// let problems = TenantPolicy::from_json(
    ///     &json!({"allowedCountries": ["FR", "XX"], "limits": {"dailySendCap": "lots"}}),
    ///     &config,
    ///     &limits,
    /// )
    /// .unwrap_err();
    /// assert_eq!(problems, [
    ///     "allowedCountries[1]: \"XX\" is not a known ISO 3166-1 region",
    ///     "limits.dailySendCap must be a whole number",
    /// ]);
    /// ```
    pub fn from_json(
        value: &Value,
        base_config: &Config,
        base_limits: &NumberLimits,
    ) -> Result<TenantPolicy, Vec<String>> {
        Self::with_defaults(base_config, base_limits).overlay_json(value)
    }

    /// [`TenantPolicy::from_json`] over this policy instead of the defaults: every key
    /// absent from `value` keeps this policy's value (the deployment's policy, under each
    /// tenant's record).
    pub fn overlay_json(&self, value: &Value) -> Result<TenantPolicy, Vec<String>> {
        let Some(obj) = value.as_object() else {
            return Err(vec!["the tenant policy must be a JSON object".into()]);
        };
        let base_config = &self.config;
        let base_limits = &self.number_limits;
        let mut policy = self.clone();
        let mut problems = Vec::new();
        for key in obj.keys() {
            if !POLICY_KEYS.contains(&key.as_str()) {
                problems.push(format!(
                    "unknown policy key {key} (a policy has only {})",
                    POLICY_KEYS.join(", ")
                ));
            }
        }
        if let Some(defaults) = obj.get("defaults") {
            // Only the request defaults are a tenant's; `callbackPolicy` and `maxParts` stay
            // the deployment's.
            let mut wrapped = Map::new();
            wrapped.insert("defaults".into(), defaults.clone());
            match base_config.overlay_json(&Value::Object(wrapped)) {
                Ok(config) => policy.config = config,
                Err(more) => problems.extend(more),
            }
        }
        if let Some(countries) = obj.get("allowedCountries") {
            match parse_countries(countries) {
                Ok(allowed) => policy.allowed_countries = allowed,
                Err(more) => problems.extend(more),
            }
        }
        if let Some(types) = obj.get("blockedNumberTypes") {
            match parse_number_types(types) {
                Ok(types) => policy.blocked_number_types = types,
                Err(more) => problems.extend(more),
            }
        }
        if let Some(limits) = obj.get("limits") {
            match base_limits.overlay_json_skipping(limits, "limits.", &ABUSE_LIMIT_KEYS) {
                Ok(number_limits) => policy.number_limits = number_limits,
                Err(more) => problems.extend(more),
            }
            if let Some(l) = limits.as_object() {
                policy.limits = parse_abuse_limits(l, self.limits, &mut problems);
            }
        }
        if let Some(numbers) = obj.get("testNumbers") {
            match parse_test_numbers(numbers) {
                Ok(numbers) => policy.test_numbers = numbers,
                Err(more) => problems.extend(more),
            }
        }
        policy.delivery = self.delivery.overlay(obj, &mut problems);
        if let Some(guard) = obj.get("guard") {
            match self.guard.overlay_json(guard, "guard.") {
                Ok(mut guard) => {
                    match guard.check_events_url(self.config.callback_policy, "guard.") {
                        Ok(()) => policy.guard = guard,
                        Err(problem) => problems.push(problem),
                    }
                }
                Err(more) => problems.extend(more),
            }
        }
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems)
        }
    }

    /// May the tenant send an SMS to this number (E.164, already validated)? Refused with
    /// 2112 when its country is not allowed, 2113 (naming the type) when its type is
    /// blocked.
    ///
    /// ```
    /// use smsotp_edge::tenant::TenantPolicy;
    /// use smsotp_core::Config;
    /// use smsotp_edge::limits::NumberLimits;
    ///
    /// let p = TenantPolicy::with_defaults(&Config::default(), &NumberLimits::default());
    /// assert!(p.check_destination("+33612345678").is_ok());
    /// // A French premium-rate number (08 9x).
    /// let e = p.check_destination("+33891234567").unwrap_err();
    /// assert_eq!(e.code.code(), 2113);
    /// assert_eq!(e.message, "SMS to premium-rate numbers are not allowed for this account");
    /// ```
    pub fn check_destination(&self, e164: &str) -> Result<(), ApiError> {
        let number = phone::parse(e164, None).map_err(|e| {
            ApiError::with_message(
                ErrorCode::PhoneNumberInvalid,
                format!("'phoneNumber' is not a valid phone number: {}", e.reason()),
            )
            .for_field("phoneNumber")
        })?;
        if !self.allowed_countries.allows(number.country_iso) {
            return Err(ApiError::with_message(
                ErrorCode::CountryNotAllowed,
                format!(
                    "SMS to this country ({}) are not enabled for this account",
                    number.country_iso
                ),
            )
            .for_field("phoneNumber"));
        }
        if self.blocked_number_types.contains(&number.number_type) {
            return Err(ApiError::with_message(
                ErrorCode::NumberTypeBlocked,
                format!(
                    "SMS to {} numbers are not allowed for this account",
                    type_in_words(number.number_type)
                ),
            )
            .for_field("phoneNumber"));
        }
        Ok(())
    }

    /// The fixed PIN of a test number (E.164), if it is one.
    pub fn test_pin(&self, e164: &str) -> Option<&str> {
        crate::Destination::among(&self.test_numbers, e164).fixed_pin()
    }
}

/// A number type in words, for messages (`premium-rate`).
pub fn type_in_words(t: NumberType) -> &'static str {
    match t {
        NumberType::FixedLine => "fixed-line",
        NumberType::Mobile => "mobile",
        NumberType::FixedLineOrMobile => "fixed-line or mobile",
        NumberType::TollFree => "toll-free",
        NumberType::PremiumRate => "premium-rate",
        NumberType::SharedCost => "shared-cost",
        NumberType::Voip => "VoIP",
        NumberType::PersonalNumber => "personal",
        NumberType::Pager => "pager",
        NumberType::Uan => "universal access (UAN)",
        NumberType::Voicemail => "voicemail",
    }
}

fn parse_countries(v: &Value) -> Result<AllowedCountries, Vec<String>> {
    const KEY: &str = "allowedCountries";
    let list = match v {
        Value::String(s) if s == "*" => return Ok(AllowedCountries::Any),
        Value::Array(list) => list,
        _ => {
            return Err(vec![problem(
                KEY,
                "must be \"*\" or a list of ISO 3166-1 alpha-2 codes",
            )])
        }
    };
    let mut set = BTreeSet::new();
    let mut problems = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = format!("{KEY}[{i}]");
        match item.as_str() {
            Some(iso) if iso.len() == 2 && iso.bytes().all(|b| b.is_ascii_uppercase()) => {
                if phone::is_known_country(iso) {
                    set.insert(iso.to_owned());
                } else {
                    problems.push(problem(
                        path,
                        format!("{iso:?} is not a known ISO 3166-1 region"),
                    ));
                }
            }
            Some(iso) if phone::is_known_country(iso) => problems.push(problem(
                path,
                format!(
                    "{iso:?} must be written in upper case: {:?}",
                    iso.to_ascii_uppercase()
                ),
            )),
            Some(iso) => problems.push(problem(
                path,
                format!("{iso:?} is not a known ISO 3166-1 region"),
            )),
            None => problems.push(problem(path, "must be a string")),
        }
    }
    if problems.is_empty() {
        Ok(AllowedCountries::Only(set))
    } else {
        Err(problems)
    }
}

fn parse_number_types(v: &Value) -> Result<Vec<NumberType>, Vec<String>> {
    const KEY: &str = "blockedNumberTypes";
    let Some(list) = v.as_array() else {
        return Err(vec![problem(KEY, "must be a list of number types")]);
    };
    let mut types = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let found = item
            .as_str()
            .and_then(|name| NumberType::ALL.into_iter().find(|t| t.as_str() == name));
        match found {
            Some(t) if !types.contains(&t) => types.push(t),
            Some(_) => {}
            None => problems.push(problem(
                format!("{KEY}[{i}]"),
                format!(
                    "{item} is not a number type (one of {})",
                    NumberType::ALL.map(NumberType::as_str).join(", ")
                ),
            )),
        }
    }
    if problems.is_empty() {
        Ok(types)
    } else {
        Err(problems)
    }
}

fn parse_abuse_limits(
    obj: &Map<String, Value>,
    base: AbuseLimits,
    problems: &mut Vec<String>,
) -> AbuseLimits {
    let mut limits = base;
    for (key, field) in [
        ("ipSendsPerHour", &mut limits.ip_sends_per_hour),
        (
            "prefixUnverifiedPerHour",
            &mut limits.prefix_unverified_per_hour,
        ),
        ("prefixBlockSeconds", &mut limits.prefix_block_seconds),
        ("dailySendCap", &mut limits.daily_send_cap),
        ("browserDailySendCap", &mut limits.browser_daily_send_cap),
        (
            "ipv6Net48SendsPerHour",
            &mut limits.ipv6_net48_sends_per_hour,
        ),
    ] {
        if let Some(v) = obj.get(key) {
            match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => *field = n,
                None => problems.push(format!("limits.{key} must be a whole number")),
            }
        }
    }
    limits
}

/// Is `pin` a test PIN: 4 to 10 ASCII letters or digits?
fn is_test_pin(pin: &str) -> bool {
    (4..=10).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn parse_test_numbers(v: &Value) -> Result<BTreeMap<String, String>, Vec<String>> {
    const KEY: &str = "testNumbers";
    let Some(obj) = v.as_object() else {
        return Err(vec![problem(
            KEY,
            "must be an object of phone numbers to PINs",
        )]);
    };
    let mut numbers = BTreeMap::new();
    let mut problems = Vec::new();
    for (number, pin) in obj {
        let path = format!("{KEY}.{number:?}");
        let e164 = match phone::parse(number, None) {
            Ok(p) => Some(p.e164),
            Err(e) => {
                problems.push(problem(
                    &path,
                    format!(
                        "not a valid phone number in E.164 (+ and country code): {}",
                        e.reason()
                    ),
                ));
                None
            }
        };
        let pin = match pin.as_str() {
            Some(p) if is_test_pin(p) => Some(p.to_owned()),
            _ => {
                problems.push(problem(
                    &path,
                    "the PIN must be 4 to 10 ASCII letters or digits",
                ));
                None
            }
        };
        if let (Some(e164), Some(pin)) = (e164, pin) {
            match numbers.entry(e164) {
                Entry::Occupied(e) => {
                    problems.push(problem(&path, format!("{} is given twice", e.key())))
                }
                Entry::Vacant(e) => {
                    e.insert(pin);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(numbers)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000_000;

    fn parse(v: Value) -> Result<TenantPolicy, Vec<String>> {
        TenantPolicy::from_json(&v, &Config::default(), &NumberLimits::default())
    }

    #[test]
    fn guard_settings_over_the_deployments_and_their_problems_under_guard() {
        use crate::guard::{GuardMode, GuardPolicy};
        let p = parse(json!({})).unwrap();
        assert_eq!(p.guard, GuardPolicy::default());
        let p = parse(
            json!({"guard": {"mode": "enforce", "dailyRatio": 0.3, "allowRanges": ["+4420"]}}),
        )
        .unwrap();
        assert_eq!(p.guard.mode, Some(GuardMode::Enforce));
        assert_eq!(p.guard.daily_ratio_milli, 300);
        assert!(p.guard.allows("+442071234567") && !p.guard.allows("+33612345678"));
        // A tenant's record over the deployment's: its keys replace the deployment's, the
        // others stay.
        let deployment = p.overlay_json(&json!({})).unwrap();
        let tenant = deployment
            .overlay_json(&json!({"guard": {"mode": "off"}}))
            .unwrap();
        assert_eq!(tenant.guard.mode, Some(GuardMode::Off));
        assert_eq!(tenant.guard.daily_ratio_milli, 300);
        assert_eq!(
            parse(json!({"guard": {"mode": "on", "ipCountries": 0, "colour": 1}})).unwrap_err(),
            [
                "unknown guard setting guard.colour (a guard has only mode, dailyRatio, dailyFloor, dailyWindowHours, hourlyRatio, hourlyFloor, hourlyWindowHours, countryBlockFactor, rangeFloor, rangeRatio, ipCountries, ipWindowMinutes, cooldownSeconds, allowNumbers, allowRanges, eventsUrl)",
                "guard.ipCountries must be a whole number from 1 to 250",
                "guard.mode must be off, record, enforce or null",
            ]
        );
        assert_eq!(
            parse(json!({"guard": []})).unwrap_err(),
            ["guard must be a JSON object"]
        );
    }

    #[test]
    fn a_records_creation_time() {
        assert_eq!(
            created_at(Some(&json!("2027-01-15T08:00:00Z"))),
            Ok(Some(NOW))
        );
        assert_eq!(created_at(None), Ok(None));
        for bad in [
            json!("2027-01-15T08:00:00+01:00"),
            json!("2027-01-15T08:00:00.5Z"),
            json!("2027-02-30T08:00:00Z"),
            json!("1969-12-31T23:59:59Z"),
            json!(1_800_000_000_000u64),
            json!(null),
        ] {
            let e = created_at(Some(&bad)).unwrap_err();
            assert!(
                e.starts_with("createdAt must be a UTC time to the second"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn an_empty_policy_is_the_deployments_with_the_default_controls() {
        let base_config = Config::from_json(&json!({"defaults": {"from": "ACME"}})).unwrap();
        let base_limits = NumberLimits::from_json(&json!({"sendsPerDay": 3})).unwrap();
        let p = TenantPolicy::from_json(&json!({}), &base_config, &base_limits).unwrap();
        assert_eq!(p.config, base_config);
        assert_eq!(p.number_limits, base_limits);
        assert_eq!(p.allowed_countries, AllowedCountries::Any);
        assert_eq!(
            p.blocked_number_types,
            [
                NumberType::PremiumRate,
                NumberType::SharedCost,
                NumberType::TollFree,
                NumberType::Uan,
                NumberType::Pager,
                NumberType::Voip,
                NumberType::Voicemail
            ]
        );
        assert_eq!(
            p.limits,
            AbuseLimits {
                ip_sends_per_hour: 10,
                prefix_unverified_per_hour: 10,
                prefix_block_seconds: 3600,
                daily_send_cap: 10_000,
                browser_daily_send_cap: 1_000,
                ipv6_net48_sends_per_hour: 50
            }
        );
        assert!(p.test_numbers.is_empty());
    }

    #[test]
    fn a_full_policy() {
        let p = parse(json!({
            "defaults": {"ttl": 600, "from": "Shop"},
            "allowedCountries": ["US", "FR"],
            "blockedNumberTypes": [],
            "limits": {"sendsPerDay": 4, "ipSendsPerHour": 0, "prefixUnverifiedPerHour": 3,
                       "prefixBlockSeconds": 60, "dailySendCap": 0},
            "testNumbers": {"+1 (201) 555-0123": "123456", "+33612345678": "ab12"}
        }))
        .unwrap();
        assert_eq!(
            (p.config.defaults.ttl, p.config.defaults.from.as_deref()),
            (600, Some("Shop"))
        );
        // Not named: the deployment's.
        assert_eq!(p.config.max_parts, Config::default().max_parts);
        assert_eq!(
            (
                p.number_limits.sends_per_day,
                p.number_limits.sends_per_10_minutes
            ),
            (4, 5)
        );
        assert_eq!(
            p.allowed_countries,
            AllowedCountries::Only(["FR".to_owned(), "US".to_owned()].into())
        );
        assert!(p.blocked_number_types.is_empty());
        assert_eq!(
            p.limits,
            AbuseLimits {
                ip_sends_per_hour: 0,
                prefix_unverified_per_hour: 3,
                prefix_block_seconds: 60,
                daily_send_cap: 0,
                browser_daily_send_cap: 1_000,
                ipv6_net48_sends_per_hour: 50
            }
        );
        assert_eq!(p.test_pin("+12015550123"), Some("123456"));
        assert_eq!(p.test_pin("+33612345678"), Some("ab12"));
        assert_eq!(p.test_pin("+33612345679"), None);
        assert_eq!(
            parse(json!({"allowedCountries": "*"}))
                .unwrap()
                .allowed_countries,
            AllowedCountries::Any
        );
    }

    #[test]
    fn every_problem_is_named_by_its_key_path() {
        let cases: &[(Value, &[&str])] = &[
            (json!([]), &["the tenant policy must be a JSON object"]),
            (
                json!({"apiKeyHash": "x"}),
                &["unknown policy key apiKeyHash (a policy has only defaults, allowedCountries, blockedNumberTypes, limits, testNumbers, channels, fallback, routes, deliveryTimeout, maxFailovers, deliveryCallbacks, guard)"],
            ),
            (
                json!({"allowedCountries": ["US", "FR", "XX", "fr", 7]}),
                &[
                    "allowedCountries[2]: \"XX\" is not a known ISO 3166-1 region",
                    "allowedCountries[3]: \"fr\" must be written in upper case: \"FR\"",
                    "allowedCountries[4]: must be a string",
                ],
            ),
            (
                json!({"allowedCountries": "all"}),
                &["allowedCountries: must be \"*\" or a list of ISO 3166-1 alpha-2 codes"],
            ),
            (
                json!({"blockedNumberTypes": ["VOIP", "PREMIUM"]}),
                &["blockedNumberTypes[1]: \"PREMIUM\" is not a number type (one of FIXED_LINE, MOBILE, FIXED_LINE_OR_MOBILE, TOLL_FREE, PREMIUM_RATE, SHARED_COST, VOIP, PERSONAL_NUMBER, PAGER, UAN, VOICEMAIL)"],
            ),
            (
                json!({"blockedNumberTypes": "VOIP"}),
                &["blockedNumberTypes: must be a list of number types"],
            ),
            (
                json!({"limits": {"dailySendCap": 1.5, "ipSendsPerHour": -1, "sendsPerDay": 0, "colour": 1}}),
                &[
                    "unknown number limit limits.colour",
                    "limits.sendsPerDay must be at least 1",
                    "limits.ipSendsPerHour must be a whole number",
                    "limits.dailySendCap must be a whole number",
                ],
            ),
            (json!({"limits": 5}), &["limits must be a JSON object"]),
            (
                json!({"defaults": {"ttl": "long", "colour": 1}}),
                &["unknown setting defaults.colour", "defaults.ttl must be a whole number"],
            ),
            (
                json!({"defaults": {"callbackPolicy": "allowLoopback"}}),
                &["unknown setting defaults.callbackPolicy"],
            ),
            (
                json!({"testNumbers": {"+1555": "123456", "+33612345678": "12 34",
                    "+33 6 12 34 56 78": "9999", "+12015550123": 1234}}),
                &[
                    "testNumbers.\"+12015550123\": the PIN must be 4 to 10 ASCII letters or digits",
                    "testNumbers.\"+1555\": not a valid phone number in E.164 (+ and country code): not a valid number for its country",
                    "testNumbers.\"+33612345678\": the PIN must be 4 to 10 ASCII letters or digits",
                ],
            ),
            (
                json!({"testNumbers": {"+33612345678": "1234", "+33 6 12 34 56 78": "9999"}}),
                &["testNumbers.\"+33612345678\": +33612345678 is given twice"],
            ),
            (
                json!({"testNumbers": ["+33612345678"]}),
                &["testNumbers: must be an object of phone numbers to PINs"],
            ),
            (
                json!({"limits": {"failuresBeforeLock": 1000, "lockSeconds": 10}}),
                &[
                    "limits.failuresBeforeLock must be at most 100",
                    "limits.lockSeconds must be at least 60",
                ],
            ),
        ];
        for (policy, expected) in cases {
            assert_eq!(parse(policy.clone()).unwrap_err(), *expected, "{policy}");
        }
    }

    #[test]
    fn destinations() {
        let default = parse(json!({})).unwrap();
        let only_us =
            parse(json!({"allowedCountries": ["US"], "blockedNumberTypes": ["VOIP"]})).unwrap();
        let none = parse(json!({"allowedCountries": []})).unwrap();
        // (number, default policy, US-only policy without VoIP); the types are
        // libphonenumber-js/max's: FR mobile, US fixed-line-or-mobile, FR premium-rate, FR and
        // US toll-free, US fixed-line-or-mobile, GB personal, GB VoIP.
        type Outcome = Result<(), (u16, &'static str)>;
        let cases: &[(&str, Outcome, Outcome)] = &[
            (
                "+33612345678",
                Ok(()),
                Err((
                    2112,
                    "SMS to this country (FR) are not enabled for this account",
                )),
            ),
            ("+12015550123", Ok(()), Ok(())),
            (
                "+33891234567",
                Err((
                    2113,
                    "SMS to premium-rate numbers are not allowed for this account",
                )),
                Err((
                    2112,
                    "SMS to this country (FR) are not enabled for this account",
                )),
            ),
            (
                "+33800123456",
                Err((
                    2113,
                    "SMS to toll-free numbers are not allowed for this account",
                )),
                Err((
                    2112,
                    "SMS to this country (FR) are not enabled for this account",
                )),
            ),
            (
                "+18005550123",
                Err((
                    2113,
                    "SMS to toll-free numbers are not allowed for this account",
                )),
                Ok(()),
            ),
            ("+14433287876", Ok(()), Ok(())),
            (
                // A personal number: not blocked by default.
                "+447011234567",
                Ok(()),
                Err((
                    2112,
                    "SMS to this country (GB) are not enabled for this account",
                )),
            ),
            (
                "+445612345678",
                Err((2113, "SMS to VoIP numbers are not allowed for this account")),
                Err((
                    2112,
                    "SMS to this country (GB) are not enabled for this account",
                )),
            ),
        ];
        let outcome = |p: &TenantPolicy, n: &str| {
            p.check_destination(n).map_err(|e| {
                assert_eq!(e.http_status(), 403);
                (e.code.code(), e.message)
            })
        };
        for (number, by_default, by_us_only) in cases {
            let by_default = by_default.map_err(|(c, m)| (c, m.to_owned()));
            let by_us_only = by_us_only.map_err(|(c, m)| (c, m.to_owned()));
            assert_eq!(outcome(&default, number), by_default, "{number}");
            assert_eq!(outcome(&only_us, number), by_us_only, "{number}");
            assert_eq!(
                none.check_destination(number).unwrap_err().code,
                ErrorCode::CountryNotAllowed
            );
        }
        // Not a number at all: an error value, not a panic.
        assert_eq!(
            default.check_destination("hello").unwrap_err().code,
            ErrorCode::PhoneNumberInvalid
        );
    }

    #[test]
    fn the_browser_cap_is_its_own_and_the_default_keeps_the_backend_headroom() {
        let l = parse(json!({"limits": {"browserDailySendCap": 3}}))
            .unwrap()
            .limits;
        assert!(l.check_browser_daily_cap(2, NOW).is_ok());
        let e = l.check_browser_daily_cap(3, NOW).unwrap_err();
        assert_eq!((e.code.code(), e.http_status()), (2131, 429));
        // Until midnight UTC, like the account's cap.
        assert_eq!(
            e.retry_after,
            l.check_daily_cap(u32::MAX, NOW).unwrap_err().retry_after
        );
        let d = AbuseLimits::default();
        assert_eq!(
            (
                d.browser_daily_send_cap,
                d.daily_send_cap,
                d.ipv6_net48_sends_per_hour
            ),
            (1_000, 10_000, 50)
        );
        let off = AbuseLimits {
            browser_daily_send_cap: 0,
            ..d
        };
        assert!(off.check_browser_daily_cap(u32::MAX, NOW).is_ok());
        assert_eq!(
            parse(json!({"limits": {"browserDailySendCap": -1}})).unwrap_err(),
            ["limits.browserDailySendCap must be a whole number"]
        );
    }
}
