//! Timestamps: every WIT `timestamp` is RFC 3339 in UTC, `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! Providers send dates in several shapes (`2026-12-01T10:00:00+02:00`,
//! `2026-12-01 10:00:00 UTC`, `2026-12-01 10:00:00 +0200`, a bare `2026-12-01`, epoch
//! seconds, HTTP dates); these helpers turn them into that one form without a date library.

/// Normalizes a date-time to RFC 3339 UTC (`2026-12-01T10:00:00Z`).
///
/// Accepts a date, optionally followed by `T`/space and `HH:MM[:SS[.fraction]]`, optionally
/// followed by a zone: `Z`, `UTC`, `GMT`, `+HH:MM`, `+HHMM` or `+HH` (with or without a space
/// before it). A date alone means midnight UTC; a time without a zone is taken as UTC.
/// Fractions of a second are dropped. Returns `None` for anything else.
pub fn normalize_rfc3339(input: &str) -> Option<String> {
    parse_unix_seconds(input).map(format_unix_seconds)
}

/// Parses the same forms as [`normalize_rfc3339`] into seconds since the Unix epoch.
pub fn parse_unix_seconds(input: &str) -> Option<i64> {
    let s = input.trim();
    let (date, rest) = split_at_checked(s, 10)?;
    let (year, month, day) = parse_date(date)?;
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if rest.is_empty() {
        return Some(seconds);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?.trim_start();
    let (time_of_day, zone) = parse_time(rest)?;
    seconds += time_of_day;
    let offset = parse_zone(zone.trim())?;
    Some(seconds - offset)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC.
pub fn format_unix_seconds(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 IMF-fixdate) into Unix
/// seconds, as found in `Date` and `Retry-After`.
pub fn parse_http_date(input: &str) -> Option<i64> {
    let mut parts = input.split_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let (time_of_day, zone) = parse_time(parts.next()?)?;
    if !zone.is_empty() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + time_of_day)
}

/// The current time in Unix seconds, from the component's wall clock.
pub fn now_unix() -> Option<i64> {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    i64::try_from(elapsed.as_secs()).ok()
}

fn split_at_checked(s: &str, mid: usize) -> Option<(&str, &str)> {
    s.is_char_boundary(mid).then(|| s.split_at(mid))
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_date(date: &str) -> Option<(i64, u32, u32)> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i64::from(digits(&date[0..4])?);
    let month = digits(&date[5..7])?;
    let day = digits(&date[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day))
}

/// Parses `HH:MM[:SS[.fraction]]`, returning seconds into the day and the unparsed rest.
fn parse_time(s: &str) -> Option<(i64, &str)> {
    let (hh, rest) = split_at_checked(s, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (mm, mut rest) = split_at_checked(rest, 2)?;
    let mut ss = 0;
    if let Some(after) = rest.strip_prefix(':') {
        let (sec, after) = split_at_checked(after, 2)?;
        ss = digits(sec)?;
        rest = after;
        if let Some(fraction) = rest.strip_prefix(['.', ',']) {
            let end = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            if end == 0 {
                return None;
            }
            rest = &fraction[end..];
        }
    }
    let (hh, mm) = (digits(hh)?, digits(mm)?);
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // A leap second is folded into the last second of its minute.
    let ss = ss.min(59);
    Some((i64::from(hh * 3600 + mm * 60 + ss), rest))
}

/// Offset east of UTC in seconds.
fn parse_zone(zone: &str) -> Option<i64> {
    match zone {
        "" | "Z" | "z" | "UTC" | "GMT" => return Some(0),
        _ => {}
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &zone[1..];
    if !body.is_ascii() {
        return None;
    }
    let (hh, mm) = match body.len() {
        2 => (body, "00"),
        4 => body.split_at(2),
        5 if body.as_bytes()[2] == b':' => (&body[..2], &body[3..]),
        _ => return None,
    };
    let (hh, mm) = (digits(hh)?, digits(mm)?);
    if hh > 23 || mm > 59 {
        return None;
    }
    Some(sign * i64::from(hh * 3600 + mm * 60))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_expiration_header_forms() {
        assert_eq!(
            normalize_rfc3339("2026-12-01 10:00:00 UTC").as_deref(),
            Some("2026-12-01T10:00:00Z")
        );
        assert_eq!(
            normalize_rfc3339("2026-12-01 10:00:00 +0200").as_deref(),
            Some("2026-12-01T08:00:00Z")
        );
        assert_eq!(
            normalize_rfc3339("2026-12-01 01:30:00 -0700").as_deref(),
            Some("2026-12-01T08:30:00Z")
        );
    }

    #[test]
    fn rfc3339_and_iso_forms() {
        let cases = [
            ("2018-06-15T13:01:51-07:00", "2018-06-15T20:01:51Z"),
            ("2019-05-15T15:20:33Z", "2019-05-15T15:20:33Z"),
            ("2019-05-15t15:20:33.123456z", "2019-05-15T15:20:33Z"),
            ("2024-02-29T23:30:00-01:00", "2024-03-01T00:30:00Z"),
            ("2026-12-31T23:59:60Z", "2026-12-31T23:59:59Z"),
            ("2026-12-01", "2026-12-01T00:00:00Z"),
            ("2026-12-01T10:00", "2026-12-01T10:00:00Z"),
            ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
            (" 2000-01-01T00:00:00+00 ", "2000-01-01T00:00:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalize_rfc3339(input).as_deref(),
                Some(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_malformed() {
        for input in [
            "",
            "yesterday",
            "2026-13-01",
            "2023-02-29",
            "2026-12-01X10:00:00Z",
            "2026-12-01T25:00:00Z",
            "2026-12-01T10:00:00+2",
            "2026-12-01T10:00:00 CEST",
            "2026-12-01T10:00:00.Z",
            "2026-1２-01",
            "2026-12-01T10:00:00+1é1",
        ] {
            assert_eq!(normalize_rfc3339(input), None, "{input}");
        }
    }

    #[test]
    fn epoch_round_trip() {
        assert_eq!(format_unix_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix_seconds(1_528_917_567), "2018-06-13T19:19:27Z");
        assert_eq!(
            parse_unix_seconds("2018-06-13T19:19:27Z"),
            Some(1_528_917_567)
        );
        assert_eq!(format_unix_seconds(-1), "1969-12-31T23:59:59Z");
        for days in [-25_000_i64, -1, 0, 59, 365, 11_016, 20_000, 2_932_896] {
            let s = format_unix_seconds(days * 86_400 + 3_723);
            assert_eq!(parse_unix_seconds(&s), Some(days * 86_400 + 3_723), "{s}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("06 Nov 1994"), None);
        assert!(now_unix().is_some_and(|now| now > 1_700_000_000));
    }
}
