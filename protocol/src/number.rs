//! Numbers for people, and from people, without core's float printing and
//! parsing: each brings about 10 KB of tables and code into the WebAssembly
//! module, for a handful of strings.

/// `value / unit` to one decimal, rounded half up: `tenths(2_450, 1_000)` is
/// `2.5` (sizes, megapixels, seconds).
pub fn tenths(value: u64, unit: u64) -> String {
    let unit = unit.max(1);
    // In u64 (u128 would bring its own formatting); exact below 1.8e18.
    let t = value.saturating_mul(10).saturating_add(unit / 2) / unit;
    format!("{}.{}", t / 10, t % 10)
}

/// A probability as a percentage to one decimal: `0.931` is `93.1%`.
pub fn percent(probability: f64) -> String {
    let per_mille = (probability.clamp(0.0, 1.0) * 1000.0).round() as u64;
    format!("{}%", tenths(per_mille, 10))
}

/// A plain decimal number (`0.7`, `-1.5`, `.5`, `2.`), as settings and
/// `Retry-After` headers hold them; up to 15 digits on either side of the
/// point, which is beyond any setting's precision. No exponents.
pub fn decimal(raw: &str) -> Option<f64> {
    let (_, whole, fraction) = decimal_parts(raw)?;
    if whole.len() > 15 || fraction.len() > 15 {
        return None;
    }
    // Read as the JSON number it spells (exact up to 15 significant digits).
    crate::json::Number::from_decimal(raw).map(|n| n.as_f64())
}

/// A plain decimal's sign (`true`: negative), whole digits and fraction
/// digits: `-1.5` is `(true, "1", "5")`, `.5` is `(false, "", "5")`.
pub fn decimal_parts(raw: &str) -> Option<(bool, &str, &str)> {
    let (negative, digits) = match raw.as_bytes().first()? {
        b'-' => (true, &raw[1..]),
        b'+' => (false, &raw[1..]),
        _ => (false, raw),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!(whole.is_empty() && fraction.is_empty()) && all_digits(whole) && all_digits(fraction))
        .then_some((negative, whole, fraction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_and_percent_read_as_floats_printed_to_one_decimal() {
        assert_eq!(tenths(2_349, 1_000), "2.3");
        assert_eq!(tenths(2_450, 1_000), "2.5");
        assert_eq!(tenths(8_831_488, 1_000_000), "8.8");
        assert_eq!(tenths(999_999, 1_000), "1000.0");
        assert_eq!(tenths(0, 1_000), "0.0");
        assert_eq!(tenths(192_000_000, 1_000_000), "192.0");
        assert_eq!(percent(0.931), "93.1%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(0.0004), "0.0%");
        assert_eq!(percent(f64::NAN), "0.0%");
        for p in [0.0123, 0.5, 0.95123, 0.041] {
            assert_eq!(percent(p), format!("{:.1}%", p * 100.0), "{p}");
        }
    }

    #[test]
    fn decimals_read_as_the_float_parser_reads_them() {
        for raw in [
            "0",
            "1",
            "0.7",
            "-1.5",
            "+2",
            ".5",
            "2.",
            "0.123456789012345",
            "-0.0",
            "100",
            "1.05",
            "0.3",
            "1.7",
            "0.95",
            "1.999",
        ] {
            assert_eq!(decimal(raw), raw.parse::<f64>().ok(), "{raw}");
        }
        for raw in ["", ".", "-", "1e3", "1,5", "0x1", "inf", "NaN", " 1", "1.2.3", "--1", "1234567890123456"] {
            assert_eq!(decimal(raw), None, "{raw}");
        }
    }
}
