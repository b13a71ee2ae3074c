//! The Chinese working-day calendar (`config/holidays.toml`): statutory holidays and 调休 working
//! weekends from the State Council's yearly notices, used to count reply latency in working days.

use crate::error::{ConfigError, Diagnostic};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    year: Vec<YearEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: Spanned<i32>,
    source: String,
    off: Vec<Spanned<String>>,
    #[serde(default)]
    work: Vec<Spanned<String>>,
}

/// Working days in China: Monday–Friday except statutory holidays, plus the weekend days the
/// yearly notice makes working days.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkCalendar {
    off: HashSet<NaiveDate>,
    work: HashSet<NaiveDate>,
    /// Years whose notice is in the calendar.
    years: BTreeSet<i32>,
    /// Each covered year's source, for facts and reports.
    pub sources: Vec<(i32, String)>,
}

impl WorkCalendar {
    /// The calendar as shipped in `config/holidays.toml`.
    pub fn shipped() -> WorkCalendar {
        parse_calendar(crate::shipped::HOLIDAYS, Path::new("config/holidays.toml"))
            .expect("shipped holidays.toml is valid")
    }

    /// A calendar of weekdays only (no holiday data).
    pub fn weekdays_only() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// Whether `d`'s year is covered by a notice (otherwise only weekdays are known).
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.years.contains(&d.year())
    }

    /// The covered years, oldest first.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.work.contains(&d) {
            return true;
        }
        if self.off.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// Working days elapsed from `from` to `to`: the working days `d` with `from < d <= to`
    /// (0 when answered the same day, or when `to` is not after `from`). A letter sent on Friday
    /// and answered on Monday took 1 working day; one sent before the Spring Festival and answered
    /// on the first working day after it took 1.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.succ_opt().expect("date in range");
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

/// Reads `holidays.toml`; a missing file gives the shipped calendar.
pub fn load_work_calendar(path: &Path) -> Result<WorkCalendar, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_calendar(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(WorkCalendar::shipped()),
        Err(source) => Err(ConfigError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A weekday in words (`周一` … `周五`).
fn weekday_zh(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// Parses the calendar text; `path` names the file in errors (with line and column).
pub fn parse_calendar(text: &str, path: &Path) -> Result<WorkCalendar, ConfigError> {
    let file: File = crate::parse_toml(text, path)?;
    let err = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = crate::line_col(text, span.start);
        ConfigError::Parse {
            file: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let mut cal = WorkCalendar::default();
    for y in &file.year {
        let year = *y.year.get_ref();
        if !cal.years.insert(year) {
            return Err(err(y.year.span(), format!("{year} 年出现了两次")));
        }
        cal.sources.push((year, y.source.clone()));
        for r in &y.off {
            let raw = r.get_ref();
            let (a, b) = match raw.split_once("..") {
                Some((a, b)) => (parse_date(a), parse_date(b)),
                None => (parse_date(raw), parse_date(raw)),
            };
            let (Some(a), Some(b)) = (a, b) else {
                return Err(err(
                    r.span(),
                    format!(
                        "{raw:?} 不是 YYYY-MM-DD 形式的日期或 YYYY-MM-DD..YYYY-MM-DD 形式的日期范围"
                    ),
                ));
            };
            if b < a || (b - a).num_days() > 15 {
                return Err(err(
                    r.span(),
                    format!("{raw:?}：假期范围应从前往后写，最长 16 天"),
                ));
            }
            let mut d = a;
            while d <= b {
                cal.off.insert(d);
                d = d.succ_opt().expect("date in range");
            }
        }
        for w in &y.work {
            let raw = w.get_ref();
            let Some(d) = parse_date(raw) else {
                return Err(err(w.span(), format!("{raw:?} 不是 YYYY-MM-DD 形式的日期")));
            };
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(err(
                    w.span(),
                    format!(
                        "{raw} 是{}：只有周末才能调为工作日",
                        weekday_zh(d.weekday())
                    ),
                ));
            }
            cal.work.insert(d);
        }
    }
    if let Some(d) = cal.off.intersection(&cal.work).next() {
        return Err(ConfigError::Invalid(vec![Diagnostic::new(
            path,
            0,
            0,
            format!("{d} 既列为休息日，又列为工作日"),
        )]));
    }
    Ok(cal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn holidays_shipped_calendar_covers_2019_to_2026() {
        let cal = WorkCalendar::shipped();
        assert_eq!(
            cal.years().collect::<Vec<_>>(),
            (2019..=2026).collect::<Vec<_>>()
        );
        // Each year's Spring Festival range holds the lunar new year's day.
        for day in [
            "2019-02-05",
            "2020-01-25",
            "2021-02-12",
            "2022-02-01",
            "2023-01-22",
            "2024-02-10",
            "2025-01-29",
            "2026-02-17",
        ] {
            assert!(!cal.is_working_day(d(day)), "{day}");
        }
        // National Day is off every year.
        for y in 2019..=2026 {
            assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(y, 10, 3).unwrap()));
        }
    }

    #[test]
    fn holidays_adjusted_weekends_and_spring_festival() {
        let cal = WorkCalendar::shipped();
        // 2020: Saturday 1 February stopped being a working day when the holiday was extended.
        assert!(!cal.is_working_day(d("2020-02-01")));
        assert!(cal.is_working_day(d("2020-01-19"))); // Sunday, 调休
        assert!(cal.is_working_day(d("2020-02-03"))); // first Monday back
        // 2024: Sunday 4 and Sunday 18 February worked; 10–17 off.
        assert!(cal.is_working_day(d("2024-02-04")));
        assert!(cal.is_working_day(d("2024-02-18")));
        assert!(!cal.is_working_day(d("2024-02-16")));
        // Friday 2024-02-09 (除夕 eve) → Sunday 18 February: the 18th is the first working day.
        assert_eq!(
            cal.working_days_between(d("2024-02-09"), d("2024-02-18")),
            1
        );
        assert_eq!(
            cal.working_days_between(d("2024-02-09"), d("2024-02-19")),
            2
        );
        // Same day, Friday → Monday, weekday-only outside the covered years.
        assert_eq!(
            cal.working_days_between(d("2021-03-05"), d("2021-03-05")),
            0
        );
        assert_eq!(
            cal.working_days_between(d("2021-03-05"), d("2021-03-08")),
            1
        );
        assert!(!cal.covers(d("2030-01-02")));
        assert!(cal.is_working_day(d("2030-01-02")));
    }

    #[test]
    fn holidays_bad_files_name_line() {
        let bad = "[[year]]\nyear = 2020\nsource = \"x\"\noff = [\"2020-13-01\"]\n";
        let e = parse_calendar(bad, Path::new("h.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("h.toml 第 4 行"), "{e}");
        let weekday = "[[year]]\nyear = 2020\nsource = \"x\"\noff = []\nwork = [\"2020-01-20\"]\n";
        let e = parse_calendar(weekday, Path::new("h.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("h.toml 第 5 行") && e.contains("2020-01-20 是周一"),
            "{e}"
        );
    }
}
