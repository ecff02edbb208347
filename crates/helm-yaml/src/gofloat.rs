//! Go's `strconv.FormatFloat` for float64 with precision -1 (shortest round-trip digits) in the
//! `'e'`, `'f'` and `'g'` formats, plus `encoding/json`'s choice between them.
//!
//! Rust's `{:e}` formatting yields the same shortest digit string as Go's Ryū-based shortest
//! mode; this module only re-lays those digits out the way Go does.

/// Shortest decimal digits of `f` (without sign) and the decimal point position: the value is
/// `0.d1d2d3… × 10^dp`. Zero has no digits and `dp == 0`, as in Go's `decimalSlice`.
struct Digits {
    neg: bool,
    digits: Vec<u8>,
    dp: i32,
}

fn shortest(f: f64) -> Digits {
    let neg = f.is_sign_negative();
    let a = f.abs();
    if a == 0.0 {
        return Digits {
            neg,
            digits: Vec::new(),
            dp: 0,
        };
    }
    let s = format!("{a:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    Digits {
        neg,
        digits,
        dp: exp + 1,
    }
}

fn push_exponent(out: &mut String, exp: i32) {
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
}

/// Go's `fmtE` with `prec` digits after the point.
fn fmt_e(d: &Digits, prec: usize) -> String {
    let mut out = String::new();
    if d.neg {
        out.push('-');
    }
    out.push(d.digits.first().map_or('0', |&c| c as char));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.digits.get(i).map_or('0', |&c| c as char));
        }
    }
    out.push('e');
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    push_exponent(&mut out, exp);
    out
}

/// Go's `fmtF` with `prec` digits after the point.
fn fmt_f(d: &Digits, prec: usize) -> String {
    let mut out = String::new();
    if d.neg {
        out.push('-');
    }
    if d.dp > 0 {
        let dp = d.dp as usize;
        let m = dp.min(d.digits.len());
        for &c in &d.digits[..m] {
            out.push(c as char);
        }
        for _ in m..dp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i64 {
            let j = i64::from(d.dp) + i - 1;
            let c = if j >= 0 {
                d.digits.get(j as usize).copied().unwrap_or(b'0')
            } else {
                b'0'
            };
            out.push(c as char);
        }
    }
    out
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, e.g. `1e+06`, `123456.7`, `1e-05`, `-0`.
pub fn format_g(f: f64) -> String {
    if let Some(s) = non_finite(f) {
        return s.to_string();
    }
    let d = shortest(f);
    let nd = d.digits.len();
    let exp = d.dp - 1;
    if !(-4..6).contains(&exp) {
        fmt_e(&d, nd.saturating_sub(1))
    } else {
        let prec = (nd as i32 - d.dp).max(0) as usize;
        fmt_f(&d, prec)
    }
}

/// `strconv.FormatFloat(f, 'e', -1, 64)`, e.g. `1e+21`, `1.5e-07`.
pub fn format_e(f: f64) -> String {
    if let Some(s) = non_finite(f) {
        return s.to_string();
    }
    let d = shortest(f);
    let prec = d.digits.len().saturating_sub(1);
    fmt_e(&d, prec)
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`, e.g. `1000000`, `0.000001`.
pub fn format_f(f: f64) -> String {
    if let Some(s) = non_finite(f) {
        return s.to_string();
    }
    let d = shortest(f);
    let prec = (d.digits.len() as i32 - d.dp).max(0) as usize;
    fmt_f(&d, prec)
}

fn non_finite(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("+Inf")
    } else if f == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// How Go's `encoding/json` writes a float64: `'f'` format unless the magnitude is below 1e-6
/// or at least 1e21, then `'e'` with a one-digit negative exponent cleaned (`1e-07` → `1e-7`).
pub fn format_json(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let mut s = format_e(f);
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        s
    } else {
        format_f(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_matches_go() {
        // Expected values are Go's strconv.FormatFloat(f, 'g', -1, 64), as quoted in the notes.
        let cases = [
            (3.0, "3"),
            (1000000.0, "1e+06"),
            (100000.0, "100000"),
            (1234567.0, "1.234567e+06"),
            (123456.7, "123456.7"),
            (1.5, "1.5"),
            (-0.0, "-0"),
            (0.0, "0"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (123456789.0, "1.23456789e+08"),
            (999999.5, "999999.5"),
            (1e-7, "1e-07"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
        ];
        for (f, want) in cases {
            assert_eq!(format_g(f), want, "{f}");
        }
    }

    #[test]
    fn json_format_matches_go() {
        let cases = [
            (1000000.0, "1000000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1e21, "1e+21"),
            (-0.0, "-0"),
            (1.5e-10, "1.5e-10"),
            (12345678901234567890.0, "12345678901234567000"),
            (0.1, "0.1"),
            (1e20, "100000000000000000000"),
        ];
        for (f, want) in cases {
            assert_eq!(format_json(f), want, "{f}");
        }
    }
}
