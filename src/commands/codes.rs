//! `govwatch codes`: every fact and finding code of `docs/codes.md` (compiled in) with its kind,
//! its Chinese title and the indicators (scoring rules of `indicators.toml`, or the shipped ones)
//! that read it; `--json` gives one object per line.

use super::EXIT_CLEAN;
use crate::cli::CodesArgs;
use anyhow::Result;
use govwatch_score::codes::{CodeKind, known_codes, zh_title, zh_titles};
use std::collections::BTreeMap;

/// Runs `govwatch codes`.
pub(crate) fn cmd_codes(a: CodesArgs) -> Result<u8> {
    let rules = super::score_rules(&a.config)?;
    let readers = indicators_by_code(&rules);
    let mut codes: Vec<(String, &'static str)> = known_codes()
        .iter()
        .map(|(c, k)| {
            let kind = match k.kind {
                CodeKind::Fact => "fact",
                CodeKind::Finding => "finding",
            };
            (c.clone(), kind)
        })
        .collect();
    // the daemon's early warnings are documented in a table of their own
    for c in zh_titles().keys() {
        if !codes.iter().any(|(k, _)| k == c) {
            codes.push((c.clone(), "warning"));
        }
    }
    codes.sort();
    for (code, kind) in &codes {
        if a.kind.as_deref().is_some_and(|k| k != *kind) {
            continue;
        }
        let title = zh_title(code).unwrap_or("");
        let read_by = readers.get(code).cloned().unwrap_or_default();
        if a.json {
            outln!(
                "{}",
                serde_json::json!({"code": code, "kind": kind, "title": title, "indicators": read_by})
            );
        } else {
            let kind_zh = match *kind {
                "fact" => "监测记录",
                "finding" => "问题",
                _ => "预警",
            };
            let indicators = if read_by.is_empty() {
                if *kind == "fact" { "—" } else { "不计分" }.to_string()
            } else {
                read_by.join("；")
            };
            outln!(
                "{} {} {} {}",
                super::pad(code, 34),
                kind_zh,
                super::pad(if title.is_empty() { "—" } else { title }, 34),
                indicators
            );
        }
    }
    Ok(EXIT_CLEAN)
}

/// For each code, the indicators whose rules read it (`单项否决：…`, `指标：规则`, `加分：…`).
fn indicators_by_code(rules: &govwatch_score::Rules) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |rule: &govwatch_score::rules::Rule, label: String| {
        let codes = rule
            .select
            .iter()
            .flat_map(|s| s.codes.iter())
            .chain(rule.facts.iter().map(|f| &f.code));
        for c in codes {
            let v = out.entry(c.clone()).or_default();
            if !v.contains(&label) {
                v.push(label.clone());
            }
        }
    };
    for r in &rules.vetoes {
        add(r, format!("单项否决：{}", r.name));
    }
    for i in &rules.indicators {
        for r in &i.rules {
            add(r, format!("{}：{}", i.name, r.name));
        }
    }
    for r in &rules.bonuses {
        add(r, format!("加分：{}", r.name));
    }
    for r in &rules.media_vetoes {
        add(r, format!("政务新媒体单项否决：{}", r.name));
    }
    out
}
