//! China time, the inspections' clock: the +08:00 offset ([`china`], [`CHINA_TZ`]), the monitoring
//! time given on the command line ([`parse_as_of`]), quarters ([`quarter_bounds`]) and the format
//! people read times in ([`DISPLAY_FORMAT`], [`display`]).
//!
//! Every crate takes China time from here instead of writing the offset itself. China has one zone
//! (Asia/Shanghai, UTC+8) without daylight saving, so a fixed offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike};

/// Seconds east of UTC of China time (Asia/Shanghai, no daylight saving).
pub const CHINA_OFFSET_SECS: i32 = 8 * 3600;

/// China time as a fixed offset (+08:00).
pub const CHINA_TZ: FixedOffset = match FixedOffset::east_opt(CHINA_OFFSET_SECS) {
    Some(tz) => tz,
    None => panic!("+08:00 is a valid offset"),
};

/// China time as a fixed offset (+08:00).
pub fn china() -> FixedOffset {
    CHINA_TZ
}

/// A time as people read it in a notice: China time to the second with the offset,
/// `2026-11-28 10:00:00 +08:00`.
pub const DISPLAY_FORMAT: &str = "%Y-%m-%d %H:%M:%S %:z";

/// `t` in China time.
pub fn in_china<Tz: TimeZone>(t: &DateTime<Tz>) -> DateTime<FixedOffset> {
    t.with_timezone(&CHINA_TZ)
}

/// `t` in China time formatted by [`DISPLAY_FORMAT`].
pub fn display<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    in_china(t).format(DISPLAY_FORMAT).to_string()
}

/// Now in China time, to the second.
pub fn china_now() -> DateTime<FixedOffset> {
    let now = chrono::Utc::now().with_timezone(&CHINA_TZ);
    now.with_nanosecond(0).unwrap_or(now)
}

/// Why a time given by a person could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// `--as-of` text in none of the accepted forms.
    #[error("--as-of {0:?}: expected a date like 2026-11-28, \"2026-11-28 02:00\" or RFC 3339")]
    AsOf(String),
    /// A local time that does not exist or exists twice (cannot happen at a fixed offset).
    #[error("--as-of {0:?} is ambiguous")]
    Ambiguous(String),
    /// `--quarter` text not of the form `2020Q1`.
    #[error("--quarter {0:?}: expected YEARQn, e.g. 2020Q1")]
    Quarter(String),
}

/// Reads a monitoring time point: RFC 3339, or a date or date and time without a zone, which is
/// China time (`2026-11-28`, `2026-11-28 02:00`, `2026-11-28T02:00:30`).
pub fn parse_as_of(s: &str) -> Result<DateTime<FixedOffset>, TimeError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    let local = |n: NaiveDateTime| {
        CHINA_TZ
            .from_local_datetime(&n)
            .single()
            .ok_or_else(|| TimeError::Ambiguous(s.to_string()))
    };
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return local(n);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    }
    Err(TimeError::AsOf(s.to_string()))
}

/// A quarter: its first instant, the first instant of the next quarter (both China time) and its
/// Chinese name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarter {
    /// First instant of the quarter, 00:00 +08:00 on its first day.
    pub from: DateTime<FixedOffset>,
    /// First instant of the next quarter.
    pub until: DateTime<FixedOffset>,
    /// `2020年第一季度`.
    pub name: String,
}

/// `2020Q1` (or `2020q1`) → its bounds in China time and its name.
pub fn quarter_bounds(q: &str) -> Result<Quarter, TimeError> {
    let bad = || TimeError::Quarter(q.to_string());
    let upper = q.to_ascii_uppercase();
    let (y, n) = upper.split_once('Q').ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    if !(1..=4).contains(&n) {
        return Err(bad());
    }
    let start = |y: i32, m: u32| {
        let day = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
        CHINA_TZ
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .single()
            .ok_or_else(bad)
    };
    let from = start(y, (n - 1) * 3 + 1)?;
    let until = if n == 4 {
        start(y + 1, 1)?
    } else {
        start(y, n * 3 + 1)?
    };
    let names = ["一", "二", "三", "四"];
    Ok(Quarter {
        from,
        until,
        name: format!("{y}年第{}季度", names[n as usize - 1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_are_bounded_in_china_time() {
        let q = quarter_bounds("2020Q1").unwrap();
        assert_eq!(q.from.to_rfc3339(), "2020-01-01T00:00:00+08:00");
        assert_eq!(q.until.to_rfc3339(), "2020-04-01T00:00:00+08:00");
        assert_eq!(q.name, "2020年第一季度");
        let q = quarter_bounds("2019q4").unwrap();
        assert_eq!(q.from.to_rfc3339(), "2019-10-01T00:00:00+08:00");
        assert_eq!(q.until.to_rfc3339(), "2020-01-01T00:00:00+08:00");
        assert_eq!(q.name, "2019年第四季度");
        for bad in ["2020Q5", "2020Q0", "Q1", "2020", "20x0Q1"] {
            assert_eq!(
                quarter_bounds(bad),
                Err(TimeError::Quarter(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn as_of_without_a_zone_is_china_time() {
        for (s, want) in [
            ("2026-11-28", "2026-11-28T00:00:00+08:00"),
            ("2026-11-28 02:00", "2026-11-28T02:00:00+08:00"),
            ("2026-11-28T02:00:30", "2026-11-28T02:00:30+08:00"),
            ("2026-11-28T02:00:00Z", "2026-11-28T02:00:00+00:00"),
        ] {
            assert_eq!(parse_as_of(s).unwrap().to_rfc3339(), want, "{s}");
        }
        assert_eq!(
            parse_as_of("28/11/2026").unwrap_err().to_string(),
            "--as-of \"28/11/2026\": expected a date like 2026-11-28, \"2026-11-28 02:00\" or RFC 3339"
        );
    }

    #[test]
    fn people_read_china_time_to_the_second() {
        let t = DateTime::parse_from_rfc3339("2026-11-27T18:00:00.5Z").unwrap();
        assert_eq!(display(&t), "2026-11-28 02:00:00 +08:00");
        assert_eq!(china().local_minus_utc(), 8 * 3600);
    }
}
