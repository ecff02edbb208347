//! Go's `time.Time` as `encoding/json` writes and reads it: RFC 3339 with the nanoseconds
//! trimmed of trailing zeros (`time.RFC3339Nano`), `Z` for UTC.

use chrono::{DateTime, FixedOffset, Timelike};

/// Formats like Go's `t.Format(time.RFC3339Nano)`.
pub fn format_go_time(t: &DateTime<FixedOffset>) -> String {
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    let offset = t.offset().local_minus_utc();
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60));
    }
    out
}

/// Reads a time as Go's `time.Time.UnmarshalJSON` does (RFC 3339, any fraction).
pub fn parse_go_time(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("parsing time {s:?} as \"2006-01-02T15:04:05Z07:00\": {e}"))
}

/// Go's zero time, what a missing `created` reads as.
pub(crate) fn zero_time() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").unwrap_or_default()
}

/// Now, in UTC, with nanoseconds (what `time.Now()` gives on a UTC machine).
pub(crate) fn now() -> DateTime<FixedOffset> {
    chrono::Utc::now().fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        let t = parse_go_time("2016-10-06T16:23:20.499814565-06:00").unwrap();
        assert_eq!(format_go_time(&t), "2016-10-06T16:23:20.499814565-06:00");
        let t = parse_go_time("2026-11-23T14:43:28.1Z").unwrap();
        assert_eq!(format_go_time(&t), "2026-11-23T14:43:28.1Z");
        let t = parse_go_time("2026-11-23T14:43:28.000000000+00:00").unwrap();
        assert_eq!(format_go_time(&t), "2026-11-23T14:43:28Z");
        assert_eq!(format_go_time(&zero_time()), "0001-01-01T00:00:00Z");
        assert!(parse_go_time("yesterday").is_err());
    }
}
