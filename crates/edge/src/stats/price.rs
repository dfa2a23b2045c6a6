//! What an SMS part costs, per destination country: a table in the settings
//! (`{"*": 0.0079, "FR": 0.07, "BR": 0.035}`), over the deployment's `PRICE_PER_PART`
//! (the default for every country the table does not name). Prices are held in
//! millionths of the currency ([`MICROS`]) so costs add up exactly; the table's numbers
//! may have at most 6 decimals.

use std::collections::BTreeMap;

use serde_json::Value;

/// Millionths in one unit of the currency.
pub const MICROS: u64 = 1_000_000;

/// The price of an SMS part by destination country, in millionths.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceTable {
    /// The price where the table names no country (`*`, else `PRICE_PER_PART`).
    pub default_micros: u64,
    /// Prices by ISO 3166-1 alpha-2 region (upper case).
    pub by_country: BTreeMap<String, u64>,
}

impl PriceTable {
    /// Every country at `default_micros` (the deployment's `PRICE_PER_PART`, read with
    /// [`parse_price_micros`]).
    pub fn flat(default_micros: u64) -> Self {
        Self {
            default_micros,
            by_country: BTreeMap::new(),
        }
    }

    /// Reads `{"*": 0.0079, "FR": 0.07}` over `default_micros`: each key an upper-case
    /// ISO 3166-1 region of the phone metadata or `*` (every other country), each value a
    /// number ≥ 0 with at most 6 decimals (a decimal string such as `"0.07"` is taken too).
    /// Every problem is listed, each under `path` (`stats.prices`).
    ///
    /// ```
    /// use serde_json::json;
    /// use smsotp_edge::stats::PriceTable;
    ///
    /// let t = PriceTable::from_json(&json!({"FR": 0.07, "*": "0.0079"}), 0, "prices").unwrap();
    /// assert_eq!((t.price_micros("FR"), t.price_micros("US")), (70_000, 7_900));
    /// assert_eq!(t.cost_micros("FR", 3), 210_000);
    /// assert_eq!(
    ///     PriceTable::from_json(&json!({"fr": 1, "US": -1}), 0, "prices").unwrap_err(),
    ///     [
    ///         "prices.US: -1 is not a price: a number of 0 or more with at most 6 decimals",
    ///         "prices.fr: not \"*\" nor a known ISO 3166-1 region (upper case)",
    ///     ]
    /// );
    /// ```
    pub fn from_json(value: &Value, default_micros: u64, path: &str) -> Result<Self, Vec<String>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![format!(
                "{path} must be an object of country → price per SMS part, e.g. {{\"*\": 0.0079}}"
            )]);
        };
        let mut table = Self::flat(default_micros);
        let mut problems = Vec::new();
        for (country, price) in obj {
            let upper = country.bytes().all(|b| b.is_ascii_uppercase());
            if country != "*" && !(upper && smsotp_core::phone::is_known_country(country)) {
                problems.push(format!(
                    "{path}.{country}: not \"*\" nor a known ISO 3166-1 region (upper case)"
                ));
                continue;
            }
            let text = match price {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match parse_price_micros(&text) {
                Some(micros) if country == "*" => table.default_micros = micros,
                Some(micros) => {
                    table.by_country.insert(country.clone(), micros);
                }
                None => problems.push(format!(
                    "{path}.{country}: {price} is not a price: a number of 0 or more with at most 6 decimals"
                )),
            }
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(problems)
        }
    }

    /// The price of one part to `country`, in millionths.
    pub fn price_micros(&self, country: &str) -> u64 {
        self.by_country
            .get(country)
            .copied()
            .unwrap_or(self.default_micros)
    }

    /// What `parts` parts to `country` cost, in millionths (saturating).
    pub fn cost_micros(&self, country: &str, parts: u32) -> u64 {
        self.price_micros(country).saturating_mul(u64::from(parts))
    }
}

/// A decimal price (`0.07`, `" 1 "`, `7.9e-3`) in millionths, exactly: `None` for a
/// negative number, more than 6 decimals, anything that is not a decimal number, or more
/// than `u64::MAX` millionths. The deployment's `PRICE_PER_PART` is read with it too.
///
/// ```
/// use smsotp_edge::stats::parse_price_micros;
///
/// assert_eq!(parse_price_micros("0.07"), Some(70_000));
/// assert_eq!(parse_price_micros("7.9e-3"), Some(7_900));
/// assert_eq!(parse_price_micros("0.0000001"), None); // below a millionth
/// assert_eq!(parse_price_micros("NaN"), None);
/// ```
pub fn parse_price_micros(text: &str) -> Option<u64> {
    parse_fixed(text, 6)
}

/// A decimal number ≥ 0 (`0.07`, `7.9e-3`) in units of 10^-`decimals`, exactly (`None`
/// for a negative number, more decimals, anything else, or an overflow).
pub(crate) fn parse_fixed(text: &str, decimals: u32) -> Option<u64> {
    let text = text.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let mantissa = mantissa.strip_prefix('+').unwrap_or(mantissa);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // The digits as one integer, and the power of ten that scales it.
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let shift = i64::from(exponent) + i64::from(decimals) - frac.len() as i64;
    if digits.is_empty() {
        return Some(0);
    }
    if shift < 0 {
        // Only zeros may be cut off.
        let cut = usize::try_from(-shift).ok()?;
        if cut > digits.len() {
            return None;
        }
        let (kept, dropped) = digits.split_at(digits.len() - cut);
        if dropped.bytes().any(|b| b != b'0') {
            return None;
        }
        return if kept.is_empty() {
            Some(0)
        } else {
            kept.parse().ok()
        };
    }
    let value: u64 = digits.parse().ok()?;
    10u64
        .checked_pow(u32::try_from(shift).ok()?)
        .and_then(|p| value.checked_mul(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn prices() {
        for (text, micros) in [
            ("0", Some(0)),
            ("0.0", Some(0)),
            ("1", Some(1_000_000)),
            (" 0.07 ", Some(70_000)),
            ("+0.5", Some(500_000)),
            (".5", Some(500_000)),
            ("5.", Some(5_000_000)),
            ("0.000001", Some(1)),
            ("0.0000010", Some(1)),
            ("1e-6", Some(1)),
            ("1E2", Some(100_000_000)),
            ("120e-2", Some(1_200_000)),
            ("0.0000001", None),
            ("1e-7", None),
            ("-0.07", None),
            ("", None),
            (".", None),
            ("e5", None),
            ("0x10", None),
            ("1,5", None),
            ("inf", None),
            ("NaN", None),
            ("1e100", None),
            ("18446744073709.551615", Some(u64::MAX)),
            ("18446744073709.551616", None),
        ] {
            assert_eq!(parse_price_micros(text), micros, "{text:?}");
        }
    }

    #[test]
    fn a_table_from_settings() {
        let t = PriceTable::from_json(&json!({"BR": 0.035, "FR": 7e-2}), 7_900, "p").unwrap();
        assert_eq!(
            (
                t.price_micros("BR"),
                t.price_micros("FR"),
                t.price_micros("DE")
            ),
            (35_000, 70_000, 7_900)
        );
        assert_eq!(t.cost_micros("DE", u32::MAX), 7_900 * u64::from(u32::MAX));
        let t = PriceTable::from_json(&json!({"*": 0}), 7_900, "p").unwrap();
        assert_eq!(t, PriceTable::flat(0));
        assert_eq!(
            PriceTable::from_json(&json!([]), 0, "p").unwrap_err().len(),
            1
        );
        assert_eq!(
            PriceTable::from_json(&json!({"FR": null, "DE": "x", "*": true}), 0, "p").unwrap_err(),
            [
                "p.*: true is not a price: a number of 0 or more with at most 6 decimals",
                "p.DE: \"x\" is not a price: a number of 0 or more with at most 6 decimals",
                "p.FR: null is not a price: a number of 0 or more with at most 6 decimals",
            ]
        );
    }

    proptest! {
        /// Any price written with up to 6 decimals reads back as its millionths.
        #[test]
        fn decimal_prices_read_exactly(units in 0u64..10_000_000, micros in 0u64..MICROS, exp in -3i32..4) {
            let text = format!("{units}.{micros:06}");
            prop_assert_eq!(parse_price_micros(&text), Some(units * MICROS + micros));
            // The same value with its point moved into an exponent.
            let whole = units * MICROS + micros;
            let scaled = format!("{whole}e{}", -6);
            prop_assert_eq!(parse_price_micros(&scaled), Some(whole));
            // And with the point moved the other way.
            if exp >= 0 {
                let text = format!("{units}.{micros:06}e{exp}");
                prop_assert_eq!(parse_price_micros(&text), Some(whole * 10u64.pow(exp as u32)));
            }
        }
    }
}
