//! A tenant's guard settings ([`GuardPolicy`], its `guard` object) and its mode
//! ([`GuardMode`], [`GuardPolicy::mode_at`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smsotp_core::UnixMillis;

use crate::stats::price::parse_fixed;

/// What the guard does with a send that trips a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardMode {
    /// Nothing: no rule is evaluated, nothing is counted.
    Off,
    /// Everything but the refusal: counts, trips, logs and events as in `enforce`, the
    /// SMS still goes ([`super::Decision::WouldRefuse`]). Authgear's `record_only`.
    Record,
    /// Refuses the send ([`super::Decision::Refuse`]). Authgear's `deny_if_any_warning`.
    Enforce,
}

impl GuardMode {
    /// The wire name (`off`, `record`, `enforce`).
    pub const fn as_str(self) -> &'static str {
        match self {
            GuardMode::Off => "off",
            GuardMode::Record => "record",
            GuardMode::Enforce => "enforce",
        }
    }
}

/// How long a new tenant's guard only records, when its settings name no mode: its
/// first week, so it learns the tenant's traffic (the 14-day maximum of daily verified
/// OTPs starts at zero) before it refuses anything.
pub const RECORD_FIRST_MS: u64 = 7 * 86_400_000;

/// Authgear's divisor from a daily count to an hourly one (its comment: "the denominator
/// for converting a daily threshold to an hourly one"): a day's traffic taken as if in 6
/// busy hours.
pub const BUSY_HOURS_PER_DAY: u64 = 6;

/// A tenant's guard settings; [`Default`] gives the documented defaults (the issue's
/// numbers). Ratios are in thousandths (`200` is 0.2). Read from its `guard` object
/// ([`GuardPolicy::from_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardPolicy {
    /// The mode; `None`: `record` for a week after the tenant was created, then `enforce`
    /// ([`GuardPolicy::mode_at`]).
    pub mode: Option<GuardMode>,
    /// Country, daily rule: unverified SMS in the window above
    /// `max(daily_floor, ratio × 14-day max of daily verified, ratio × verified in the window)`.
    pub daily_ratio_milli: u32,
    /// Its floor.
    pub daily_floor: u32,
    /// Its window, in hours (24).
    pub daily_window_hours: u32,
    /// Country, hourly rule: unverified SMS in the window above
    /// `max(hourly_floor, ratio × 14-day max × window / 6, ratio × verified in the window)`.
    pub hourly_ratio_milli: u32,
    /// Its floor.
    pub hourly_floor: u32,
    /// Its window, in hours (1).
    pub hourly_window_hours: u32,
    /// A country over a rule's threshold times this is refused as a whole (0: never);
    /// under it, only its ranges that trip the range rule are.
    pub country_block_factor: u32,
    /// Range rule, in a country over a threshold: the range's unverified SMS in the hourly
    /// window above `max(range_floor, range_ratio × its verified OTPs in the window)`.
    pub range_floor: u32,
    /// Its ratio, in thousandths (1000: more unverified than verified).
    pub range_ratio_milli: u32,
    /// IP rule: an end-user IP that sent SMS to more than this many countries in the
    /// window (countries it verified an OTP of in the window left out).
    pub ip_countries: u32,
    /// Its window, in minutes (60).
    pub ip_window_minutes: u32,
    /// How long a tripped country, range or IP is refused, in seconds.
    pub cooldown_seconds: u32,
    /// Numbers (E.164) never refused (still counted).
    pub allow_numbers: BTreeSet<String>,
    /// Number prefixes (`+3361234`, `+44`) whose numbers are never refused (still counted).
    pub allow_ranges: BTreeSet<String>,
    /// Where each `guard.triggered` event is POSTed, signed as the status callbacks are
    /// (`None`: only logged and listed in `GET /v1/account`). Checked against the
    /// deployment's callback policy by [`GuardPolicy::check_events_url`].
    #[serde(default)]
    pub events_url: Option<String>,
}

impl Default for GuardPolicy {
    fn default() -> Self {
        Self {
            mode: None,
            daily_ratio_milli: 200,
            daily_floor: 20,
            daily_window_hours: 24,
            hourly_ratio_milli: 200,
            hourly_floor: 3,
            hourly_window_hours: 1,
            country_block_factor: 3,
            range_floor: 5,
            range_ratio_milli: 1000,
            ip_countries: 3,
            ip_window_minutes: 60,
            cooldown_seconds: 3600,
            allow_numbers: BTreeSet::new(),
            allow_ranges: BTreeSet::new(),
            events_url: None,
        }
    }
}

/// The bounds of each whole-number setting: (key, min, max).
const WHOLE: [(&str, u32, u32); 9] = [
    ("dailyFloor", 1, 1_000_000),
    ("dailyWindowHours", 1, 48),
    ("hourlyFloor", 1, 1_000_000),
    ("hourlyWindowHours", 1, 24),
    ("countryBlockFactor", 0, 1000),
    ("rangeFloor", 1, 10_000),
    ("ipCountries", 1, 250),
    ("ipWindowMinutes", 1, 1440),
    ("cooldownSeconds", 60, 7 * 86_400),
];

/// The ratio settings (0 to 100, in thousandths).
const RATIOS: [&str; 3] = ["dailyRatio", "hourlyRatio", "rangeRatio"];

impl GuardPolicy {
    /// The keys of a `guard` object.
    pub const KEYS: [&'static str; 16] = [
        "mode",
        "dailyRatio",
        "dailyFloor",
        "dailyWindowHours",
        "hourlyRatio",
        "hourlyFloor",
        "hourlyWindowHours",
        "countryBlockFactor",
        "rangeFloor",
        "rangeRatio",
        "ipCountries",
        "ipWindowMinutes",
        "cooldownSeconds",
        "allowNumbers",
        "allowRanges",
        "eventsUrl",
    ];

    /// The mode at `now` of a tenant created at `tenant_created_at`: the one set, else
    /// `record` during its first week ([`RECORD_FIRST_MS`]) and `enforce` after.
    ///
    /// ```
    /// use smsotp_edge::guard::{GuardMode, GuardPolicy};
    ///
    /// let day = 86_400_000;
    /// let p = GuardPolicy::default();
    /// assert_eq!(p.mode_at(0, 7 * day - 1), GuardMode::Record);
    /// assert_eq!(p.mode_at(0, 7 * day), GuardMode::Enforce);
    /// let off = GuardPolicy { mode: Some(GuardMode::Off), ..p };
    /// assert_eq!(off.mode_at(0, 0), GuardMode::Off);
    /// ```
    pub fn mode_at(&self, tenant_created_at: UnixMillis, now: UnixMillis) -> GuardMode {
        self.mode
            .unwrap_or(if now < tenant_created_at.saturating_add(RECORD_FIRST_MS) {
                GuardMode::Record
            } else {
                GuardMode::Enforce
            })
    }

    /// Checks `eventsUrl` as a callback URL of the deployment (`https` to a public host in
    /// production: the same rules as `otpCallbackUrl`) and keeps it as parsed; the
    /// problem, named under `path`, when refused.
    pub fn check_events_url(
        &mut self,
        policy: smsotp_core::CallbackPolicy,
        path: &str,
    ) -> Result<(), String> {
        if let Some(url) = &self.events_url {
            match smsotp_core::callback_url::check(url, policy) {
                Ok(href) => self.events_url = Some(href),
                Err(why) => {
                    return Err(format!(
                        "{path}eventsUrl is not a valid callback URL: {why}"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Whether `e164` is allow-listed: one of the numbers, or under one of the prefixes.
    pub fn allows(&self, e164: &str) -> bool {
        self.allow_numbers.contains(e164) || self.allow_ranges.iter().any(|p| e164.starts_with(p))
    }

    /// Reads a tenant's `guard` object over the defaults ([`GuardPolicy::overlay_json`]).
    pub fn from_json(value: &Value, path: &str) -> Result<Self, Vec<String>> {
        Self::default().overlay_json(value, path)
    }

    /// These settings with the keys of `value` replaced, every problem listed under
    /// `path` (`guard.`):
    ///
    /// ```json
    /// { "mode": "record", "dailyRatio": 0.3, "hourlyRatio": 0.2, "ipWindowMinutes": 1440,
    ///   "cooldownSeconds": 3600, "allowNumbers": ["+15005550006"], "allowRanges": ["+4420"] }
    /// ```
    ///
    /// - `mode`: `off`, `record`, `enforce`, or `null` (the first week's `record`, then
    ///   `enforce`).
    /// - ratios (`dailyRatio`, `hourlyRatio`, `rangeRatio`): numbers from 0 to 100 with at
    ///   most 3 decimals.
    /// - whole numbers: `dailyFloor`, `hourlyFloor` (≥ 1), `dailyWindowHours` (1–48),
    ///   `hourlyWindowHours` (1–24, at most the daily window), `countryBlockFactor` (0:
    ///   never a whole country), `rangeFloor` (≥ 1), `ipCountries` (≥ 1), `ipWindowMinutes`
    ///   (1–1440), `cooldownSeconds` (60 to a week).
    /// - `allowNumbers`: numbers in E.164 (`+` and 8 to 15 digits); `allowRanges`: E.164
    ///   prefixes (`+` and 1 to 14 digits).
    ///
    /// ```
    /// use serde_json::json;
    /// use smsotp_edge::guard::{GuardMode, GuardPolicy};
    ///
    /// let p = GuardPolicy::from_json(&json!({"mode": "enforce", "dailyRatio": 0.3}), "guard.").unwrap();
    /// assert_eq!((p.mode, p.daily_ratio_milli, p.hourly_ratio_milli), (Some(GuardMode::Enforce), 300, 200));
    /// assert_eq!(
    ///     GuardPolicy::from_json(&json!({"mode": "on", "dailyFloor": 0}), "guard.").unwrap_err(),
    ///     ["guard.dailyFloor must be a whole number from 1 to 1000000", "guard.mode must be off, record, enforce or null"]
    /// );
    /// ```
    pub fn overlay_json(&self, value: &Value, path: &str) -> Result<Self, Vec<String>> {
        let Some(obj) = value.as_object() else {
            let name = path.trim_end_matches('.');
            return Err(vec![format!("{name} must be a JSON object")]);
        };
        let mut p = self.clone();
        let mut problems = Vec::new();
        for (key, v) in obj {
            let name = format!("{path}{key}");
            if let Some(&(_, min, max)) = WHOLE.iter().find(|w| w.0 == key) {
                let Some(n) = v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| (min..=max).contains(n))
                else {
                    problems.push(format!("{name} must be a whole number from {min} to {max}"));
                    continue;
                };
                *p.whole_mut(key) = n;
            } else if RATIOS.contains(&key.as_str()) {
                let text = match v {
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                match parse_fixed(&text, 3).filter(|&m| m <= 100_000) {
                    Some(m) => *p.ratio_mut(key) = m as u32,
                    None => problems.push(format!(
                        "{name} must be a number from 0 to 100 with at most 3 decimals"
                    )),
                }
            } else {
                match key.as_str() {
                    "mode" => {
                        p.mode = match v {
                            Value::Null => None,
                            Value::String(s) if s == "off" => Some(GuardMode::Off),
                            Value::String(s) if s == "record" => Some(GuardMode::Record),
                            Value::String(s) if s == "enforce" => Some(GuardMode::Enforce),
                            _ => {
                                problems
                                    .push(format!("{name} must be off, record, enforce or null"));
                                continue;
                            }
                        }
                    }
                    "eventsUrl" => {
                        p.events_url = match v {
                            Value::Null => None,
                            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                            _ => {
                                problems.push(format!("{name} must be a URL or null"));
                                continue;
                            }
                        }
                    }
                    "allowNumbers" | "allowRanges" => {
                        let (lo, hi, what) = if key == "allowNumbers" {
                            (8, 15, "a number in E.164 (+ and 8 to 15 digits)")
                        } else {
                            (1, 14, "an E.164 prefix (+ and 1 to 14 digits)")
                        };
                        let Some(list) = v.as_array() else {
                            problems.push(format!("{name} must be a list"));
                            continue;
                        };
                        let mut set = BTreeSet::new();
                        for (i, item) in list.iter().enumerate() {
                            match item.as_str().and_then(|s| s.strip_prefix('+')) {
                                Some(d)
                                    if (lo..=hi).contains(&d.len())
                                        && d.bytes().all(|b| b.is_ascii_digit())
                                        && !d.starts_with('0') =>
                                {
                                    set.insert(format!("+{d}"));
                                }
                                _ => problems.push(format!("{name}[{i}] must be {what}")),
                            }
                        }
                        if key == "allowNumbers" {
                            p.allow_numbers = set;
                        } else {
                            p.allow_ranges = set;
                        }
                    }
                    _ => problems.push(format!(
                        "unknown guard setting {name} (a guard has only {})",
                        Self::KEYS.join(", ")
                    )),
                }
            }
        }
        if p.hourly_window_hours > p.daily_window_hours {
            problems.push(format!(
                "{path}hourlyWindowHours must be at most {path}dailyWindowHours"
            ));
        }
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(problems)
        }
    }

    /// The settings as a `guard` object, in the record's key names (ratios as decimals):
    /// what `GET /v1/account` shows, and read back by [`GuardPolicy::from_json`] as the same
    /// settings.
    pub fn to_json(&self) -> Value {
        let mut copy = self.clone();
        let mut m = serde_json::Map::new();
        m.insert(
            "mode".into(),
            serde_json::json!(self.mode.map(GuardMode::as_str)),
        );
        for key in RATIOS {
            let milli = *copy.ratio_mut(key);
            // Thousandths as a decimal with at most 3 places (200 → 0.2): exact as text.
            let text = format!("{}.{:03}", milli / 1000, milli % 1000);
            let n: serde_json::Number = text.parse().unwrap_or_else(|_| 0.into());
            m.insert(key.into(), Value::Number(n));
        }
        for (key, _, _) in WHOLE {
            m.insert(key.into(), serde_json::json!(*copy.whole_mut(key)));
        }
        m.insert("allowNumbers".into(), serde_json::json!(self.allow_numbers));
        m.insert("allowRanges".into(), serde_json::json!(self.allow_ranges));
        m.insert("eventsUrl".into(), serde_json::json!(self.events_url));
        Value::Object(m)
    }

    fn whole_mut(&mut self, key: &str) -> &mut u32 {
        match key {
            "dailyFloor" => &mut self.daily_floor,
            "dailyWindowHours" => &mut self.daily_window_hours,
            "hourlyFloor" => &mut self.hourly_floor,
            "hourlyWindowHours" => &mut self.hourly_window_hours,
            "countryBlockFactor" => &mut self.country_block_factor,
            "rangeFloor" => &mut self.range_floor,
            "ipCountries" => &mut self.ip_countries,
            "ipWindowMinutes" => &mut self.ip_window_minutes,
            _ => &mut self.cooldown_seconds,
        }
    }

    fn ratio_mut(&mut self, key: &str) -> &mut u32 {
        match key {
            "dailyRatio" => &mut self.daily_ratio_milli,
            "hourlyRatio" => &mut self.hourly_ratio_milli,
            _ => &mut self.range_ratio_milli,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn to_json_reads_back_as_the_same_settings_in_the_records_key_names() {
        let p = GuardPolicy::from_json(
            &json!({"mode": "record", "dailyRatio": 0.3, "rangeRatio": 12.125, "hourlyFloor": 7,
                    "allowRanges": ["+4420"], "eventsUrl": "https://ops.example/guard"}),
            "guard.",
        )
        .unwrap();
        let j = p.to_json();
        assert_eq!(j["dailyRatio"], json!(0.3));
        assert_eq!(j["hourlyRatio"], json!(0.2));
        assert_eq!(j["rangeRatio"], json!(12.125));
        assert_eq!(j["hourlyFloor"], json!(7));
        assert_eq!(j["mode"], json!("record"));
        assert_eq!(j["eventsUrl"], json!("https://ops.example/guard"));
        assert_eq!(GuardPolicy::from_json(&j, "guard.").unwrap(), p);
        let d = GuardPolicy::default();
        assert_eq!(j.as_object().unwrap().len(), GuardPolicy::KEYS.len());
        assert_eq!(GuardPolicy::from_json(&d.to_json(), "guard.").unwrap(), d);
    }

    #[test]
    fn events_url_is_checked_as_a_callback_url_of_the_deployment() {
        // Built alone, this crate has the core without its URL parser (the shape is
        // checked); built with the core's tests, with it (hosts are classified: a reserved
        // name such as `*.example` is no public host). The cases hold either way; the
        // worker's checks are tested on workerd.
        use smsotp_core::CallbackPolicy;
        let ok = GuardPolicy::from_json(
            &json!({"eventsUrl": "https://hooks.acme.com/guard"}),
            "guard.",
        );
        assert!(ok
            .unwrap()
            .check_events_url(CallbackPolicy::PublicHttpsOnly, "guard.")
            .is_ok());
        let mut p =
            GuardPolicy::from_json(&json!({"eventsUrl": "ftp://ops.example/e"}), "guard.").unwrap();
        let err = p
            .check_events_url(CallbackPolicy::PublicHttpsOnly, "guard.")
            .unwrap_err();
        assert!(
            err.starts_with("guard.eventsUrl is not a valid callback URL"),
            "{err}"
        );
        assert_eq!(
            GuardPolicy::from_json(&json!({"eventsUrl": 5}), "guard.").unwrap_err(),
            ["guard.eventsUrl must be a URL or null"]
        );
    }

    #[test]
    fn settings() {
        let p = GuardPolicy::from_json(
            &json!({
                "mode": null, "dailyRatio": 0.3, "hourlyRatio": 0.25, "rangeRatio": 2,
                "dailyFloor": 50, "dailyWindowHours": 24, "hourlyFloor": 5, "hourlyWindowHours": 2,
                "countryBlockFactor": 0, "rangeFloor": 4, "ipCountries": 2, "ipWindowMinutes": 1440,
                "cooldownSeconds": 600, "allowNumbers": ["+15005550006"], "allowRanges": ["+4420", "+1"]
            }),
            "guard.",
        )
        .unwrap();
        assert_eq!(
            (
                p.daily_ratio_milli,
                p.hourly_ratio_milli,
                p.range_ratio_milli
            ),
            (300, 250, 2000)
        );
        assert_eq!(
            (
                p.daily_floor,
                p.hourly_floor,
                p.hourly_window_hours,
                p.country_block_factor
            ),
            (50, 5, 2, 0)
        );
        assert_eq!(
            (p.ip_countries, p.ip_window_minutes, p.cooldown_seconds),
            (2, 1440, 600)
        );
        assert!(p.allows("+15005550006") && p.allows("+442012345678") && p.allows("+12025550100"));
        assert!(!GuardPolicy::default().allows("+15005550006"));
        // An overlay keeps what it does not name.
        let q = p.overlay_json(&json!({"mode": "off"}), "guard.").unwrap();
        assert_eq!((q.mode, q.daily_ratio_milli), (Some(GuardMode::Off), 300));
        assert_eq!(serde_json::to_value(GuardMode::Enforce).unwrap(), "enforce");
    }

    #[test]
    fn every_problem_is_named() {
        let problems = GuardPolicy::from_json(
            &json!({
                "dailyRatio": -0.1, "hourlyRatio": 0.0001, "rangeRatio": "1", "ipWindowMinutes": 0,
                "cooldownSeconds": 59, "hourlyWindowHours": 30, "allowNumbers": ["+0123456789", "33612345678", 5],
                "allowRanges": "+44", "colour": 1
            }),
            "guard.",
        )
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "guard.allowNumbers[0] must be a number in E.164 (+ and 8 to 15 digits)",
                "guard.allowNumbers[1] must be a number in E.164 (+ and 8 to 15 digits)",
                "guard.allowNumbers[2] must be a number in E.164 (+ and 8 to 15 digits)",
                "guard.allowRanges must be a list",
                "unknown guard setting guard.colour (a guard has only mode, dailyRatio, dailyFloor, dailyWindowHours, hourlyRatio, hourlyFloor, hourlyWindowHours, countryBlockFactor, rangeFloor, rangeRatio, ipCountries, ipWindowMinutes, cooldownSeconds, allowNumbers, allowRanges, eventsUrl)",
                "guard.cooldownSeconds must be a whole number from 60 to 604800",
                "guard.dailyRatio must be a number from 0 to 100 with at most 3 decimals",
                "guard.hourlyRatio must be a number from 0 to 100 with at most 3 decimals",
                "guard.hourlyWindowHours must be a whole number from 1 to 24",
                "guard.ipWindowMinutes must be a whole number from 1 to 1440",
                "guard.rangeRatio must be a number from 0 to 100 with at most 3 decimals",
            ]
        );
        let p = GuardPolicy::from_json(
            &json!({"dailyWindowHours": 2, "hourlyWindowHours": 3}),
            "g.",
        );
        assert_eq!(
            p.unwrap_err(),
            ["g.hourlyWindowHours must be at most g.dailyWindowHours"]
        );
        assert_eq!(
            GuardPolicy::from_json(&json!([]), "guard.").unwrap_err(),
            ["guard must be a JSON object"]
        );
    }
}
