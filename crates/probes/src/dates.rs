//! Dates as government pages write them: `2026-05-26`, ` 2026-05-26`, `2026/5/26`, `2026.5.26`,
//! `2026年05月26日`, full-width `２０２６－０５－２６`, and year-less `05-26`, `[05-26]`, `(12-31)`,
//! `05月26日` (a year-less date is the latest such date not after the monitoring time); and which
//! of them are a list record's publication date ([`item_date`]: not a clock, a copyright line, a
//! deadline or a period). Lists themselves are read in [`crate::lists`].

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::sync::OnceLock;
use url::Url;

fn full_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})").unwrap()
    })
}

fn short_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?:^|[^\d])(\d{1,2})\s*(?:-|/|月)\s*(\d{1,2})(?:日|[^\d:]|$)").unwrap()
    })
}

/// The first date in `text`, resolving a missing year against `as_of`: the date and the date
/// as written (a year-less one as `MM-DD`).
pub fn parse_date(text: &str, as_of: NaiveDate) -> Option<(NaiveDate, String)> {
    parse_date_at(text, as_of).map(|(d, raw, _)| (d, raw))
}

/// [`parse_date`], with the byte range of the match in `text`.
fn parse_date_at(
    text: &str,
    as_of: NaiveDate,
) -> Option<(NaiveDate, String, std::ops::Range<usize>)> {
    if let Some(c) = full_re().captures(text) {
        let (y, m, d) = (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
            && (1990..=2100).contains(&y)
        {
            let all = c.get(0).expect("whole match");
            return Some((date, all.as_str().trim().to_string(), all.range()));
        }
    }
    for c in short_re().captures_iter(text) {
        let (m, d): (u32, u32) = (c[1].parse().ok()?, c[2].parse().ok()?);
        if let Some(date) = NaiveDate::from_ymd_opt(as_of.year(), m, d)
            .or_else(|| NaiveDate::from_ymd_opt(as_of.year() - 1, m, d))
        {
            let date = if date > as_of {
                NaiveDate::from_ymd_opt(as_of.year() - 1, m, d)?
            } else {
                date
            };
            let span = c.get(1)?.start()..c.get(2)?.end();
            return Some((date, format!("{:02}-{:02}", m, d), span));
        }
    }
    None
}

/// Full-width digits and separators (`２０１９－１１－０３`) as ASCII, so one pattern reads both.
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' | '—' => '-',
            '／' => '/',
            '．' => '.',
            _ => c,
        })
        .collect()
}

/// True for URLs that name an article rather than a column index or the home page.
pub fn article_like(u: &Url) -> bool {
    let p = u.path().to_ascii_lowercase();
    if p == "/" || p.ends_with('/') {
        return false;
    }
    let file = p.rsplit('/').next().unwrap_or("");
    !(file.starts_with("index") || file.starts_with("default") || file.starts_with("list"))
}

/// A date as a list record's publication date (see [`item_date`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDate {
    pub date: NaiveDate,
    /// The date as written.
    pub raw: String,
    /// The text is little more than the date: a label (`发布时间：`), brackets, a time of day
    /// (a date cell, as opposed to a sentence or a title that mentions a date).
    pub strict: bool,
}

/// Most characters of a text read for an item date: a date cell, maybe behind a label, not a
/// sentence of an excerpt.
pub const DATE_CELL_CHARS: usize = 60;

/// Words of texts whose dates are no publication date of a record: "today is" clocks, copyright
/// and registration lines, deadlines and validity ends.
const NOT_ITEM_DATE: &[&str] = &[
    "今天是",
    "今天",
    "今日是",
    "星期",
    "礼拜",
    "当前时间",
    "现在时间",
    "北京时间",
    "©",
    "版权",
    "copyright",
    "备案",
    "截止",
    "截至",
    "有效期",
    "到期",
    "结束时间",
];

fn time_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"\d{1,2}:\d{2}(?::\d{2})?").unwrap())
}

/// The publication date a text gives a list record, if any: a short text (at most
/// [`DATE_CELL_CHARS`]) with a date in any written form, that is no clock, copyright line or
/// deadline. A period (`2026-09-10 至 2026-10-10`, a call for comments) gives its first day.
pub fn item_date(text: &str, as_of: NaiveDate) -> Option<ItemDate> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > DATE_CELL_CHARS || !t.chars().any(char::is_numeric) {
        return None;
    }
    let a = ascii_digits(t);
    let lower = a.to_lowercase();
    if NOT_ITEM_DATE.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let (date, raw, span) = parse_date_at(&a, as_of)?;
    Some(ItemDate {
        date,
        raw,
        strict: date_cell(&a[..span.start], &a[span.end..]),
    })
}

fn part_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:(?P<y>\d{4})\s*年?|(?P<ym_y>\d{4})\s*[-/.年]\s*(?P<ym_m>\d{1,2})\s*月?|(?P<md_m>\d{1,2})\s*[-/.月]\s*(?P<md_d>\d{1,2})\s*日?|(?P<d>\d{1,2})\s*日?)$")
            .unwrap()
    })
}

/// A date written in two pieces side by side, as date badges do: `09/30` above `2019`, `2019`
/// beside `09-30`, `30` above `2019-09`, `2019.09` beside `30日` (each piece its own element).
pub fn split_date(a: &str, b: &str) -> Option<(NaiveDate, String)> {
    let (a, b) = (ascii_digits(a.trim()), ascii_digits(b.trim()));
    let (ca, cb) = (part_re().captures(&a)?, part_re().captures(&b)?);
    let num = |c: &regex::Captures, k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
    let pick = |x: &regex::Captures, y: &regex::Captures| -> Option<(i32, u32, u32)> {
        if let (Some(yr), Some(m), Some(d)) = (num(x, "y"), num(y, "md_m"), num(y, "md_d")) {
            return Some((yr as i32, m, d));
        }
        if let (Some(yr), Some(m), Some(d)) = (num(x, "ym_y"), num(x, "ym_m"), num(y, "d")) {
            return Some((yr as i32, m, d));
        }
        None
    };
    let (y, m, d) = pick(&ca, &cb).or_else(|| pick(&cb, &ca))?;
    let date = NaiveDate::from_ymd_opt(y, m, d).filter(|_| (1990..=2100).contains(&y))?;
    Some((date, format!("{a} {b}")))
}

/// Labels written before a date without a colon (`日期 2026/10/21`).
const DATE_LABELS: &[&str] = &[
    "日期",
    "时间",
    "发布",
    "发布于",
    "更新",
    "更新于",
    "发表于",
    "发布日期",
    "发布时间",
    "更新时间",
    "更新日期",
    "发文日期",
    "成文日期",
    "印发日期",
    "公开日期",
    "生成日期",
];

/// Whether the text around a date (`before`, `after`) leaves it a date cell: nothing after it but
/// a time of day (and the 日 of 年月日), nothing before it but brackets or a short label
/// (`发布时间：`, `日间：`, `日期`).
fn date_cell(before: &str, after: &str) -> bool {
    let letters = |s: &str| s.chars().filter(|c| c.is_alphabetic()).collect::<String>();
    let after = time_re().replace_all(after.trim_start().trim_start_matches('日'), " ");
    if !letters(&after).is_empty() {
        return false;
    }
    let label = letters(before);
    let before = before
        .trim_end()
        .trim_end_matches(['[', '(', '（', '【', '〔', ' ']);
    label.is_empty()
        || (before.ends_with([':', '：']) && label.chars().count() <= 6)
        || DATE_LABELS.contains(&label.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_date_form() {
        let as_of = d("2026-11-28");
        for (text, want) in [
            ("2026-05-26", "2026-05-26"),
            ("   2026-05-26 ", "2026-05-26"),
            ("2026/5/26", "2026-05-26"),
            ("2026.5.6", "2026-05-06"),
            ("2026年05月26日", "2026-05-26"),
            ("05-26", "2026-05-26"),
            ("[05-26]", "2026-05-26"),
            ("(12-31)", "2025-12-31"),
            ("[11-28]", "2026-11-28"),
            ("11月20日", "2026-11-20"),
        ] {
            assert_eq!(
                parse_date(text, as_of).map(|x| x.0),
                Some(d(want)),
                "{text}"
            );
        }
        assert_eq!(parse_date("10:30", as_of), None);
        for (a, b, want) in [
            ("09/30", "2019", "2019-09-30"),
            ("2019", "09-30", "2019-09-30"),
            ("30", "2019-09", "2019-09-30"),
            ("2019.09", "30日", "2019-09-30"),
            ("11月20日", "2025年", "2025-11-20"),
        ] {
            assert_eq!(split_date(a, b).map(|x| x.0), Some(d(want)), "{a} {b}");
        }
        assert_eq!(split_date("2019", "2020"), None);
        assert_eq!(split_date("30", "45"), None);
        assert_eq!(split_date("09-30", "10-01"), None);
        assert_eq!(parse_date("第13-45号", as_of), None);
    }
}
