//! Kubernetes resource quantities (`500Mi`, `200m`, `1.5e3`) turned into the numbers Olares'
//! app store writes into an entry: bytes as a decimal integer for memory, disk and GPU
//! memory, cores as Go's `%v` of a float for CPU. A text that is not a quantity is kept as
//! written, as upstream keeps it.

/// `fmt.Sprintf("%d", int(q.AsApproximateFloat64()))`: `"500Mi"` → `"524288000"`.
pub(crate) fn bytes(text: &str) -> String {
    match parse(text) {
        // `int(f)` truncates toward zero; `as` saturates where Go's result is unspecified.
        Some(value) => (value.trunc() as i64).to_string(),
        None => text.to_owned(),
    }
}

/// `fmt.Sprintf("%v", q.AsApproximateFloat64())`: `"200m"` → `"0.2"`, `"2"` → `"2"`.
pub(crate) fn cores(text: &str) -> String {
    match parse(text) {
        Some(value) => go_float(value),
        None => text.to_owned(),
    }
}

/// The value of a quantity, or `None` when `text` is not one (`resource.ParseQuantity`
/// syntax: sign, digits with an optional fraction, then a binary suffix `Ki`…`Ei`, a
/// decimal one `n u m k M G T P E`, or an exponent `e3`/`E-2`).
fn parse(text: &str) -> Option<f64> {
    let split = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && matches!(c, '+' | '-'))))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(split);
    let digits = number.trim_start_matches(['+', '-']);
    if digits.is_empty() || digits == "." || digits.matches('.').count() > 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let binary = |power: i32| Some(value * 1024f64.powi(power));
    match suffix {
        "" => Some(value),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        "n" => Some(value / 1e9),
        "u" => Some(value / 1e6),
        "m" => Some(value / 1e3),
        "k" => Some(value * 1e3),
        "M" => Some(value * 1e6),
        "G" => Some(value * 1e9),
        "T" => Some(value * 1e12),
        "P" => Some(value * 1e15),
        "E" => Some(value * 1e18),
        _ => {
            let exponent: i32 = suffix.strip_prefix(['e', 'E'])?.parse().ok()?;
            // Dividing by a power of ten rounds as Go's decimal arithmetic does for the
            // usual small fractions; multiplying by 10^-n would not (100 × 0.001 ≠ 0.1).
            Some(if exponent < 0 {
                value / 10f64.powi(-exponent)
            } else {
                value * 10f64.powi(exponent)
            })
        }
    }
}

/// Go's `%v` of a float64 (`strconv` `'g'`, shortest): the shortest text that reads back as
/// the same number, in exponent form below 1e-4 and from 1e6 up (`1e-05`, `1.5e+06`).
fn go_float(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || (1e-4..1e6).contains(&magnitude) {
        return format!("{value}");
    }
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_whole_bytes() {
        assert_eq!(bytes("500Mi"), "524288000");
        assert_eq!(bytes("1Gi"), "1073741824");
        assert_eq!(bytes("70.5Gi"), "75698798592");
        assert_eq!(bytes("128M"), "128000000");
        assert_eq!(bytes("1.5k"), "1500");
        assert_eq!(bytes("12e3"), "12000");
        assert_eq!(bytes("300m"), "0");
        assert_eq!(bytes("1024"), "1024");
    }

    #[test]
    fn cpu_is_a_go_float() {
        assert_eq!(cores("200m"), "0.2");
        assert_eq!(cores("100m"), "0.1");
        assert_eq!(cores("10m"), "0.01");
        assert_eq!(cores("2"), "2");
        assert_eq!(cores("4.5"), "4.5");
        assert_eq!(cores("0"), "0");
        assert_eq!(cores("10n"), "1e-08");
        assert_eq!(cores("2E"), "2e+18");
        assert_eq!(cores("2000E"), "2e+21");
        assert_eq!(cores("999999"), "999999");
        assert_eq!(cores("1500k"), "1.5e+06");
        assert_eq!(cores("123456.7"), "123456.7");
    }

    #[test]
    fn text_that_is_not_a_quantity_is_kept() {
        for text in ["", "abc", "1Gb", "1..2", ".", "-", "1 Gi", "2Gi||64Mi"] {
            assert_eq!(bytes(text), text);
            assert_eq!(cores(text), text);
        }
    }
}
