//! Privacy leaks: resident ID numbers (valid date and GB 11643 check digit) and mobile numbers
//! in a page's visible text, masked in the evidence.

use super::{IntegrityScan, codes, finding};
use govwatch_model::{Page, Severity};
use regex::Regex;
use scraper::Html;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Check 4: ID numbers and mobile numbers published on the page.
pub(super) fn privacy(page: &Page, doc: &Html, cx: &crate::ScanCx, out: &mut IntegrityScan) {
    let url = page.fetch.url.as_str();
    // 4. privacy: resident ID numbers and mobile numbers in page text
    let all_text = cx.visible_text(doc).to_string();
    let all_text = all_text.as_str();
    let digits = has_digit_run(all_text, 11);
    let ids_found: BTreeSet<String> = (if digits { Some(id_re()) } else { None })
        .into_iter()
        .flat_map(|re| re.captures_iter(all_text))
        .map(|c| c[1].to_string())
        .filter(|s| valid_id_number(s))
        .collect();
    if !ids_found.is_empty() {
        let masked: Vec<String> = ids_found.iter().map(|s| mask_id(s)).collect();
        out.findings.push(finding(
            codes::PRIVACY_ID_NUMBER,
            Severity::Deduct,
            page,
            url,
            json!({ "count": ids_found.len(), "masked": masked }),
            format!("页面 {url} 公开了 {} 个公民身份证号码", ids_found.len()),
            masked.join(", "),
        ));
    }
    let phones: BTreeSet<String> = (if digits { Some(phone_re()) } else { None })
        .into_iter()
        .flat_map(|re| re.captures_iter(all_text))
        .map(|c| c[1].to_string())
        .filter(|p| !ids_found.iter().any(|id| id.contains(p.as_str())))
        .collect();
    if !phones.is_empty() {
        let masked: Vec<String> = phones.iter().map(|s| mask_phone(s)).collect();
        out.findings.push(finding(
            codes::PRIVACY_PHONE,
            Severity::Warn,
            page,
            url,
            json!({ "count": phones.len(), "masked": masked }),
            format!("页面 {url} 公开了 {} 个个人手机号码", phones.len()),
            masked.join(", "),
        ));
    }
}

/// Whether the text holds a run of at least `n` ASCII digits (a mobile number has 11, an ID
/// number 17 or 18): most pages have none, and need no regex search.
pub(crate) fn has_digit_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

pub(crate) fn id_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:^|[^0-9A-Za-z])([1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?:[^0-9A-Za-z]|$)").unwrap())
}

pub(crate) fn phone_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:^|[^\d])(1[3-9]\d{9})(?:[^\d]|$)").unwrap())
}

/// An 18-digit resident ID number with a valid date and check digit (GB 11643).
pub fn valid_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let date = &s[6..14];
    if chrono::NaiveDate::parse_from_str(date, "%Y%m%d").is_err() {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| (c - b'0') as u32 * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17].to_ascii_uppercase() == check
}

pub(crate) fn mask_id(s: &str) -> String {
    format!("{}********{}", &s[..6], &s[14..])
}

pub(crate) fn mask_phone(s: &str) -> String {
    format!("{}****{}", &s[..3], &s[7..])
}

/// A run of 16 to 19 digits (a bank card number's length, ISO/IEC 7812), standing alone.
pub(crate) fn card_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:^|[^0-9A-Za-z])([3-6]\d{15,18})(?:[^0-9A-Za-z]|$)").unwrap())
}

/// The Luhn check digit holds (ISO/IEC 7812-1: every payment card number passes it).
pub(crate) fn luhn(s: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in s.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    s.len() >= 12 && sum.is_multiple_of(10)
}

/// A card number masked as banks print it: the first 6 and last 4 digits.
pub(crate) fn mask_card(s: &str) -> String {
    format!(
        "{}{}{}",
        &s[..6],
        "*".repeat(s.len() - 10),
        &s[s.len() - 4..]
    )
}

/// `text` with every run of 11 or more digits masked (the middle replaced by `*`): an excerpt
/// around a number never carries another number in full.
pub(crate) fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let n = run.chars().count();
        if n >= 11 {
            let keep_head = if n >= 15 { 6 } else { 3 };
            let keep_tail = 4;
            let head: String = run.chars().take(keep_head).collect();
            let tail: String = run.chars().skip(n - keep_tail).collect();
            out.push_str(&head);
            out.push_str(&"*".repeat(n - keep_head - keep_tail));
            out.push_str(&tail);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == 'X' || c == 'x') && run.len() == 17 {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
