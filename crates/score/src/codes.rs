//! The fact and finding codes a rule may read, with the fields of their `value`.
//!
//! The list is `docs/codes.md` itself, compiled into the crate (`include_str!`) and parsed once:
//! the document is the contract every probe follows, so a code documented there is a code the
//! rules may name, and a rule naming anything else is a typo caught at load time.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Fact or finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Fact,
    Finding,
}

/// A documented code and the fields its `value` holds (empty when the document names none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCode {
    pub kind: CodeKind,
    pub fields: Vec<String>,
}

const CODES_MD: &str = include_str!("../../../docs/codes.md");

/// Every known code.
pub fn known_codes() -> &'static BTreeMap<String, KnownCode> {
    static CODES: OnceLock<BTreeMap<String, KnownCode>> = OnceLock::new();
    CODES.get_or_init(|| parse_codes_md(CODES_MD))
}

/// Parses the code table of `docs/codes.md`: rows `| `code` | fact|finding | … | value |`.
pub fn parse_codes_md(text: &str) -> BTreeMap<String, KnownCode> {
    let mut rows: Vec<(String, CodeKind, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        if cells.len() < 3 {
            continue;
        }
        let code = cells[0].trim_matches('`').to_string();
        let kind = match cells[1] {
            "fact" => CodeKind::Fact,
            "finding" => CodeKind::Finding,
            _ => continue,
        };
        let value = cells.last().copied().unwrap_or("").to_string();
        rows.push((code, kind, value));
    }
    let raw: BTreeMap<String, (CodeKind, String)> =
        rows.into_iter().map(|(c, k, v)| (c, (k, v))).collect();
    let mut out = BTreeMap::new();
    for (code, (kind, value)) in &raw {
        let mut fields = identifiers(value);
        // "as `avail.sample`": the same value as another code
        if let Some(rest) = value.strip_prefix("as `")
            && let Some(other) = rest.split('`').next()
            && let Some((_, v)) = raw.get(other)
        {
            fields.extend(identifiers(v));
        }
        fields.sort();
        fields.dedup();
        out.insert(
            code.clone(),
            KnownCode {
                kind: *kind,
                fields,
            },
        );
    }
    out
}

/// Heading of the section of `docs/codes.md` that gives each finding and warning code its
/// Chinese title.
const TITLES_HEADING: &str = "## Chinese titles";

/// The Chinese title of every finding and warning code (`docs/codes.md`, section "Chinese
/// titles"), by code.
pub fn zh_titles() -> &'static BTreeMap<String, String> {
    static TITLES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    TITLES.get_or_init(|| parse_zh_titles(CODES_MD))
}

/// The Chinese title of a code (`link.broken_home` → 首页错链、死链), if the document gives one.
pub fn zh_title(code: &str) -> Option<&'static str> {
    zh_titles().get(code).map(String::as_str)
}

/// `中文标题 (code)`, or the code alone when it has no title: how people see a finding's code.
pub fn titled(code: &str) -> String {
    match zh_title(code) {
        Some(t) => format!("{t} ({code})"),
        None => code.to_string(),
    }
}

/// Parses the rows `| `code` | 中文标题 |` of the titles section of `docs/codes.md`.
pub fn parse_zh_titles(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("## ") {
            inside = line.starts_with(TITLES_HEADING);
            continue;
        }
        if !inside || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        if let [code, title] = cells[..]
            && !title.is_empty()
        {
            out.insert(code.trim_matches('`').to_string(), title.to_string());
        }
    }
    out
}

/// Words that look like JSON keys inside the first `{…}` of a value cell.
fn identifiers(cell: &str) -> Vec<String> {
    let Some(start) = cell.find('{') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut word = String::new();
    for c in cell[start..].chars().chain(std::iter::once(' ')) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            word.push(c);
        } else {
            if !word.is_empty() && word.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_md_is_parsed_with_fields() {
        let codes = known_codes();
        let stale = &codes["column.stale"];
        assert_eq!(stale.kind, CodeKind::Finding);
        for f in ["name", "kind", "level", "latest"] {
            assert!(stale.fields.contains(&f.to_string()), "{f}");
        }
        assert_eq!(codes["avail.sample"].kind, CodeKind::Fact);
        // "as `avail.sample`"
        assert!(
            codes["avail.sample_failed"]
                .fields
                .contains(&"elapsed_ms".to_string())
        );
        assert!(codes.contains_key("link.broken_home"));
        assert!(codes.contains_key("message.latency"));
        assert!(!codes.contains_key("link.brokn"));
        assert!(codes.len() > 40);
    }

    #[test]
    fn every_finding_code_has_a_chinese_title() {
        let titles = zh_titles();
        let missing: Vec<&String> = known_codes()
            .iter()
            .filter(|(_, k)| k.kind == CodeKind::Finding)
            .map(|(c, _)| c)
            .filter(|c| !titles.contains_key(*c))
            .collect();
        assert!(
            missing.is_empty(),
            "no 中文标题 in docs/codes.md: {missing:?}"
        );
        for c in titles.keys() {
            assert!(
                known_codes().contains_key(c) || c.starts_with("warn."),
                "a title for an unknown code {c}"
            );
        }
        assert_eq!(zh_title("link.broken_home"), Some("首页错链、死链"));
        assert_eq!(titled("home.stale"), "首页不更新 (home.stale)");
        assert_eq!(titled("crawl.summary"), "crawl.summary");
    }
}
