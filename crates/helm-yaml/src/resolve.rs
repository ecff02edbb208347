//! goyaml's implicit-type resolution of plain scalars (`resolve.go` of yaml.v2 and yaml.v3):
//! which tag a plain (unquoted) string would get when read back. The emitter quotes every
//! string that would not come back as a string, and sigs.k8s.io/yaml uses it to decide which
//! JSON numbers become ints and which floats.
//!
//! Re-implements the Go library pieces it leans on: `strconv.ParseInt`/`ParseUint` with base 0,
//! `strconv.ParseFloat` syntax, and `time.Parse` for goyaml's four timestamp layouts.

/// The YAML 1.1 (goyaml v2) or YAML 1.2-ish (goyaml v3) rule set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavor {
    V2,
    V3,
}

/// What a plain scalar resolves to.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Resolved {
    Str,
    Null,
    Bool,
    Int(i64),
    Uint(u64),
    Float(f64),
    Timestamp,
    Merge,
}

fn map_lookup(s: &str, flavor: Flavor) -> Option<Resolved> {
    let v2_bools = [
        "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
        "OFF",
    ];
    match s {
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => Some(Resolved::Bool),
        "" | "~" | "null" | "Null" | "NULL" => Some(Resolved::Null),
        ".nan" | ".NaN" | ".NAN" => Some(Resolved::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Some(Resolved::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => Some(Resolved::Float(f64::NEG_INFINITY)),
        "<<" => Some(Resolved::Merge),
        _ if flavor == Flavor::V2 && v2_bools.contains(&s) => Some(Resolved::Bool),
        _ => None,
    }
}

/// goyaml's `resolve("", s)` for an untagged plain scalar.
pub fn resolve(s: &str, flavor: Flavor) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint == 0 {
        return Resolved::Str;
    }
    if let Some(r) = map_lookup(s, flavor) {
        return r;
    }
    match hint {
        b'.' => {
            if let Some(f) = parse_float(s) {
                return Resolved::Float(f);
            }
        }
        b'D' | b'S' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if let Some(i) = parse_int_base0(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = parse_uint_base0(&plain) {
                return Resolved::Uint(u);
            }
            if yaml_style_float(&plain)
                && let Some(f) = parse_float(&plain)
            {
                return Resolved::Float(f);
            }
            // The explicit "0b…", "-0b…" (and v3 "0o…") branches of resolve.go accept nothing
            // that ParseInt with base 0 did not already accept, except a binary/octal
            // unsigned value above i64: handle that one.
            if let Some(rest) = plain.strip_prefix("0b")
                && let Some(u) = parse_digits_u64(rest, 2)
            {
                return Resolved::Uint(u);
            }
            if flavor == Flavor::V3
                && let Some(rest) = plain.strip_prefix("0o")
                && let Some(u) = parse_digits_u64(rest, 8)
            {
                return Resolved::Uint(u);
            }
        }
        _ => {}
    }
    Resolved::Str
}

/// `isBase60Float` of encode.go: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !b.contains(&b':') {
        return false;
    }
    let mut i = 0;
    if b[i] == b'+' || b[i] == b'-' {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    // One or more ":[0-5]?[0-9]" groups. A regexp would backtrack; the groups are short
    // enough to decide greedily: after ':', either "d" or "[0-5]d".
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let d1 = b.get(i).copied();
        let d2 = b.get(i + 1).copied();
        match (d1, d2) {
            (Some(x), Some(y)) if (b'0'..=b'5').contains(&x) && y.is_ascii_digit() => i += 2,
            (Some(x), _) if x.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// `isOldBool` of yaml.v3's encode.go.
pub fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn parse_digits_u64(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in s.chars() {
        let d = c.to_digit(36).filter(|&d| d < base)?;
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `strconv.ParseUint(s, 0, 64)` on a string with underscores already removed.
fn parse_uint_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, rest) = if b[0] == b'0' && b.len() >= 3 {
        match b[1].to_ascii_lowercase() {
            b'b' => (2, &s[2..]),
            b'o' => (8, &s[2..]),
            b'x' => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if rest.is_empty() {
        // "0" alone: the digit loop runs zero times and yields 0.
        return Some(0);
    }
    parse_digits_u64(rest, base)
}

/// `strconv.ParseInt(s, 0, 64)` on a string with underscores already removed.
fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint_base0(body)?;
    if neg {
        if u > 1u64 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u >= 1u64 << 63 {
        None
    } else {
        Some(u as i64)
    }
}

/// `strconv.ParseFloat(s, 64)` succeeding without error: Go's float syntax (decimal or hex
/// mantissa, optional exponent, `_` separators checked by `underscoreOK`, `inf`/`nan` words),
/// and no overflow to ±Inf.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let rest = &s[i..];
    let lower = rest.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    let hex = lower.starts_with("0x");
    if hex {
        return parse_hex_float(rest, neg);
    }
    // Decimal: digits, at most one '.', at least one digit, optional exponent.
    let mut saw_digits = false;
    let mut saw_dot = false;
    let mut underscores = false;
    let mut clean = String::new();
    if neg {
        clean.push('-');
    }
    while i < b.len() {
        match b[i] {
            b'_' => underscores = true,
            b'.' if !saw_dot => {
                saw_dot = true;
                clean.push('.');
            }
            c if c.is_ascii_digit() => {
                saw_digits = true;
                clean.push(c as char);
            }
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        clean.push('e');
        i += 1;
        if i >= b.len() {
            return None;
        }
        if b[i] == b'+' || b[i] == b'-' {
            clean.push(b[i] as char);
            i += 1;
        }
        if i >= b.len() || !b[i].is_ascii_digit() {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            } else {
                clean.push(b[i] as char);
            }
            i += 1;
        }
    }
    if i != b.len() {
        return None;
    }
    if underscores && !underscore_ok(s) {
        return None;
    }
    let f: f64 = clean.parse().ok()?;
    if f.is_infinite() { None } else { Some(f) }
}

fn parse_hex_float(rest: &str, neg: bool) -> Option<f64> {
    // 0x mantissa (hex digits, optional '.'), mandatory p exponent.
    let b = rest.as_bytes();
    let mut i = 2;
    let mut mant: f64 = 0.0;
    let mut saw_digits = false;
    let mut saw_dot = false;
    let mut frac_digits: i32 = 0;
    let mut underscores = false;
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' && !saw_dot {
            saw_dot = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            saw_digits = true;
            mant = mant * 16.0 + f64::from(d);
            if saw_dot {
                frac_digits += 1;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !saw_digits || i >= b.len() || (b[i] != b'p' && b[i] != b'P') {
        return None;
    }
    i += 1;
    let mut esign = 1;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        if b[i] == b'-' {
            esign = -1;
        }
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return None;
    }
    let mut e: i32 = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        if b[i] == b'_' {
            underscores = true;
        } else if e < 100_000 {
            e = e * 10 + i32::from(b[i] - b'0');
        }
        i += 1;
    }
    if i != b.len() || (underscores && !underscore_ok(rest)) {
        return None;
    }
    let f = mant * 2f64.powi(esign * e - 4 * frac_digits);
    if f.is_infinite() {
        return None;
    }
    Some(if neg { -f } else { f })
}

/// Go's `strconv.underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(&(b'+' | b'-')) = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.to_ascii_lowercase().is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

// ---------------------------------------------------------------------------------------------
// Timestamps: goyaml tries time.Parse with four layouts on strings starting "YYYY-".

#[derive(Clone, Copy, PartialEq)]
enum Chunk {
    Lit(&'static str),
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Frac,
    Zone,
}

const LAYOUT_T: &[Chunk] = &[
    Chunk::Year,
    Chunk::Lit("-"),
    Chunk::Month,
    Chunk::Lit("-"),
    Chunk::Day,
    Chunk::Lit("T"),
    Chunk::Hour,
    Chunk::Lit(":"),
    Chunk::Minute,
    Chunk::Lit(":"),
    Chunk::Second,
    Chunk::Frac,
    Chunk::Zone,
];
const LAYOUT_LOWER_T: &[Chunk] = &[
    Chunk::Year,
    Chunk::Lit("-"),
    Chunk::Month,
    Chunk::Lit("-"),
    Chunk::Day,
    Chunk::Lit("t"),
    Chunk::Hour,
    Chunk::Lit(":"),
    Chunk::Minute,
    Chunk::Lit(":"),
    Chunk::Second,
    Chunk::Frac,
    Chunk::Zone,
];
const LAYOUT_SPACE: &[Chunk] = &[
    Chunk::Year,
    Chunk::Lit("-"),
    Chunk::Month,
    Chunk::Lit("-"),
    Chunk::Day,
    Chunk::Lit(" "),
    Chunk::Hour,
    Chunk::Lit(":"),
    Chunk::Minute,
    Chunk::Lit(":"),
    Chunk::Second,
    Chunk::Frac,
];
const LAYOUT_DATE: &[Chunk] = &[
    Chunk::Year,
    Chunk::Lit("-"),
    Chunk::Month,
    Chunk::Lit("-"),
    Chunk::Day,
];

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n != 4 || n == b.len() || b[n] != b'-' {
        return false;
    }
    [LAYOUT_T, LAYOUT_LOWER_T, LAYOUT_SPACE, LAYOUT_DATE]
        .iter()
        .any(|layout| time_parse(layout, s))
}

/// Go `getnum`: one or two digits (two required when `fixed`).
fn getnum(v: &[u8], fixed: bool) -> Option<(u32, &[u8])> {
    let d0 = *v.first()?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match v.get(1) {
        Some(d1) if d1.is_ascii_digit() => {
            Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &v[2..]))
        }
        _ if fixed => None,
        _ => Some((u32::from(d0 - b'0'), &v[1..])),
    }
}

fn cut_space(mut v: &[u8]) -> &[u8] {
    while let Some(b' ') = v.first() {
        v = &v[1..];
    }
    v
}

/// Go `skip`: literal layout text, where a space matches a run of spaces.
fn skip<'a>(mut v: &'a [u8], lit: &str) -> Option<&'a [u8]> {
    let mut p = lit.as_bytes();
    while let Some(&c) = p.first() {
        if c == b' ' {
            if let Some(&x) = v.first()
                && x != b' '
            {
                return None;
            }
            p = cut_space(p);
            v = cut_space(v);
            continue;
        }
        if v.first() != Some(&c) {
            return None;
        }
        p = &p[1..];
        v = &v[1..];
    }
    Some(v)
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether Go's `time.Parse(layout, s)` succeeds for one of goyaml's layouts.
fn time_parse(layout: &[Chunk], s: &str) -> bool {
    let mut v = s.as_bytes();
    let (mut year, mut month, mut day) = (0u32, 1u32, 1u32);
    for (idx, chunk) in layout.iter().enumerate() {
        match *chunk {
            Chunk::Lit(lit) => match skip(v, lit) {
                Some(rest) => v = rest,
                None => return false,
            },
            Chunk::Year => {
                if v.len() < 4 || !v[..4].iter().all(u8::is_ascii_digit) {
                    return false;
                }
                year = v[..4]
                    .iter()
                    .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
                v = &v[4..];
            }
            Chunk::Month => match getnum(v, false) {
                Some((m, rest)) if (1..=12).contains(&m) => {
                    month = m;
                    v = rest;
                }
                _ => return false,
            },
            Chunk::Day => match getnum(v, false) {
                Some((d, rest)) => {
                    day = d;
                    v = rest;
                }
                None => return false,
            },
            Chunk::Hour => match getnum(v, false) {
                Some((h, rest)) if h < 24 => v = rest,
                _ => return false,
            },
            Chunk::Minute => match getnum(v, false) {
                Some((m, rest)) if m < 60 => v = rest,
                _ => return false,
            },
            Chunk::Second => {
                match getnum(v, false) {
                    Some((sec, rest)) if sec < 60 => v = rest,
                    _ => return false,
                }
                // A fraction in the input with no fraction chunk next in the layout is
                // consumed here (all our second chunks are followed by Frac, so no-op).
                let next_is_frac = layout.get(idx + 1) == Some(&Chunk::Frac);
                if !next_is_frac
                    && v.len() >= 2
                    && (v[0] == b'.' || v[0] == b',')
                    && v[1].is_ascii_digit()
                {
                    let n = 2 + v[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                    v = &v[n..];
                }
            }
            Chunk::Frac => {
                if v.len() >= 2 && (v[0] == b'.' || v[0] == b',') && v[1].is_ascii_digit() {
                    let n = 1 + v[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    v = &v[n..];
                }
            }
            Chunk::Zone => {
                if v.first() == Some(&b'Z') {
                    v = &v[1..];
                } else {
                    if v.len() < 6 || v[3] != b':' {
                        return false;
                    }
                    let sign = v[0];
                    let hh = getnum(&v[1..3], true);
                    let mm = getnum(&v[4..6], true);
                    match (hh, mm) {
                        (Some((h, _)), Some((m, _))) if h <= 24 && m <= 60 => {}
                        _ => return false,
                    }
                    if sign != b'+' && sign != b'-' {
                        return false;
                    }
                    v = &v[6..];
                }
            }
        }
    }
    if !v.is_empty() {
        return false;
    }
    day >= 1 && day <= days_in(month, year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_goyaml_v2() {
        let r = |s| resolve(s, Flavor::V2);
        assert_eq!(r("1e3"), Resolved::Float(1000.0));
        assert_eq!(r("0x1F"), Resolved::Int(31));
        assert_eq!(r("+1"), Resolved::Int(1));
        assert_eq!(r(".5"), Resolved::Float(0.5));
        assert_eq!(r("1_000"), Resolved::Int(1000));
        assert_eq!(r("012"), Resolved::Int(10));
        assert_eq!(r("09"), Resolved::Float(9.0));
        assert_eq!(r("1."), Resolved::Float(1.0));
        assert_eq!(r("2024-01-02"), Resolved::Timestamp);
        assert_eq!(r("2023-02-29"), Resolved::Str);
        assert_eq!(r("2001-12-14 21:59:43.10"), Resolved::Timestamp);
        assert_eq!(r("2001-12-14t21:59:43.10-05:00"), Resolved::Timestamp);
        assert_eq!(r("on"), Resolved::Bool);
        assert_eq!(r("~"), Resolved::Null);
        assert_eq!(r("0b101"), Resolved::Int(5));
        assert_eq!(r("1e"), Resolved::Str);
        assert_eq!(r("1,000"), Resolved::Str);
        assert_eq!(r("<<"), Resolved::Str);
        assert_eq!(r("-"), Resolved::Str);
        assert_eq!(
            r("12345678901234567000"),
            Resolved::Uint(12345678901234567000)
        );
        assert_eq!(r("1e400"), Resolved::Str);
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("190:20:30.15"));
        assert!(!is_base60_float("1:60"));
        assert!(!is_base60_float("a:1"));
    }

    #[test]
    fn v3_drops_yaml11_bools() {
        assert_eq!(resolve("on", Flavor::V3), Resolved::Str);
        assert_eq!(resolve("True", Flavor::V3), Resolved::Bool);
        assert_eq!(resolve("0o17", Flavor::V3), Resolved::Int(15));
    }
}
