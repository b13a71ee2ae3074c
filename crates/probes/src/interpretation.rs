//! Policy documents and their interpretations (解读): the Anhui notice flags interpretation
//! material wrongly linked to its policy document.
//!
//! Among the crawled articles, an interpretation is a page whose title says 解读; a policy
//! document is a page without 解读 in its title. When one links the other, the link must go both
//! ways, and to the right document: the document names (《…》) in the interpretation's title must
//! appear in the policy's title (without 《》, the interpretation's title less 解读 must be part of
//! the policy's title, or the reverse).
//!
//! Finding `policy.interpretation_mismatch` (deduct), url = the interpretation page, value
//! `{interpretation, policy, reasons: [one_way | title_mismatch], interpretation_title, policy_title}`.

use crate::dates::article_like;
use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_model::{LinkKind, Page, Severity};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use url::Url;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `policy.interpretation_mismatch` (finding).
    pub const INTERPRETATION_MISMATCH: &str = "policy.interpretation_mismatch";
    /// Every code above.
    pub const ALL: &[&str] = &[INTERPRETATION_MISMATCH];
}

pub struct Interpretation;

/// Document names quoted in 《》.
fn doc_names(title: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = title;
    while let Some(a) = rest.find('《') {
        let after = &rest[a + '《'.len_utf8()..];
        let Some(b) = after.find('》') else { break };
        let name = after[..b].trim();
        if !name.is_empty() {
            out.push(name.to_string());
        }
        rest = &after[b + '》'.len_utf8()..];
    }
    out
}

fn core(title: &str) -> String {
    let mut t = title.replace(['《', '》', '“', '”', '"'], "");
    for w in ["政策解读", "图文解读", "解读", "关于印发", "的通知", "关于"] {
        t = t.replace(w, "");
    }
    t.trim()
        .trim_end_matches(['：', ':', '-'])
        .trim()
        .to_string()
}

/// The interpretation's title fits the policy's title.
pub fn titles_match(interp: &str, policy: &str) -> bool {
    let names = doc_names(interp);
    if !names.is_empty() {
        return names.iter().any(|n| policy.contains(n.as_str()));
    }
    let (a, b) = (core(interp), core(policy));
    !a.is_empty() && (b.contains(&a) || a.contains(&b))
}

fn title_of(p: &Page) -> String {
    p.title.clone().unwrap_or_default()
}

impl Probe for Interpretation {
    fn name(&self) -> &'static str {
        "policy"
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        let articles: HashMap<String, &Page> = input
            .pages()
            .iter()
            .filter(|p| p.is_html && p.fetch.ok() && p.depth >= 1)
            .filter(|p| Url::parse(&p.fetch.url).is_ok_and(|u| article_like(&u)))
            .map(|p| (p.fetch.url.clone(), p))
            .collect();
        let links_of = |p: &Page| -> Vec<String> {
            p.links
                .iter()
                .filter(|l| l.kind == LinkKind::Anchor)
                .filter_map(|l| input.normalized(&l.url))
                .filter(|u| articles.contains_key(u) && *u != p.fetch.url)
                .collect()
        };
        let is_interp = |p: &Page| title_of(p).contains("解读");
        // (interpretation, policy) → reasons
        let mut problems: BTreeMap<(String, String), Vec<&'static str>> = BTreeMap::new();
        for (url, p) in &articles {
            let mine = links_of(p);
            for other in &mine {
                let q = articles[other];
                let (interp, policy) = match (is_interp(p), is_interp(q)) {
                    (true, false) => (*p, q),
                    (false, true) => (q, *p),
                    _ => continue,
                };
                let back = if std::ptr::eq(interp, *p) {
                    links_of(q).contains(url)
                } else {
                    links_of(interp).contains(&policy.fetch.url)
                };
                let key = (interp.fetch.url.clone(), policy.fetch.url.clone());
                let reasons = problems.entry(key).or_default();
                if !back && !reasons.contains(&"one_way") {
                    reasons.push("one_way");
                }
                if !titles_match(&title_of(interp), &title_of(policy))
                    && !reasons.contains(&"title_mismatch")
                {
                    reasons.push("title_mismatch");
                }
            }
        }
        for ((iu, pu), reasons) in problems.into_iter().filter(|(_, r)| !r.is_empty()) {
            let (ip, pp) = (articles[&iu], articles[&pu]);
            let (it, pt) = (title_of(ip), title_of(pp));
            let why: Vec<String> = reasons
                .iter()
                .map(|r| match *r {
                    "one_way" => "the link goes one way only".to_string(),
                    _ => format!("“{it}” does not match the document “{pt}”"),
                })
                .collect();
            out.findings.push(
                crate::evidence::finding(
                    "policy",
                    codes::INTERPRETATION_MISMATCH,
                    Severity::Deduct,
                    ip.fetch.started_at,
                )
                .url(iu.clone())
                .value(json!({ "interpretation": iu, "policy": pu, "reasons": reasons, "interpretation_title": it, "policy_title": pt }))
                .message(format!("政策解读 {iu} 与所解读的文件 {pu} 不对应：{}", why.join("；")))
                .excerpt(format!("解读: {it} ↔ 文件: {pt} — {}", why.join("; ")))
                .status(ip.fetch.status)
                .archived(Some(iu.clone()))
                .body_hash(ip.fetch.content_hash.clone())
                .build(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert!(titles_match(
            "《云泽市法律援助工作实施办法》政策解读",
            "云泽市司法局关于印发《云泽市法律援助工作实施办法》的通知"
        ));
        assert!(!titles_match(
            "《云泽市公共法律服务体系建设方案》解读",
            "关于印发《云泽市律师行业管理办法》的通知"
        ));
        assert!(titles_match(
            "关于进一步优化营商环境若干措施的解读",
            "关于进一步优化营商环境若干措施"
        ));
        assert_eq!(doc_names("《甲》和《乙》解读"), vec!["甲", "乙"]);
    }
}
