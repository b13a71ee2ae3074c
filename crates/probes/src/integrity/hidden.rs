//! Hidden link farms (暗链): blocks hidden by inline style, by the page's own `<style>` rules or
//! as tiny marquees that link to other hosts with spam words, or to many non-government hosts.

use super::{Integrity, IntegrityScan, codes, finding, host_allowed};
use crate::evidence::clip;
use crate::html::sel;
use govwatch_model::{Page, Severity};
use regex::Regex;
use scraper::{ElementRef, Html};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;
use url::Url;

impl Integrity {
    /// Check 1: hidden blocks of the page that are link farms, as one finding; gives the roots of
    /// every hidden block (their text is left out of the spam-word check).
    pub(super) fn hidden_links(
        &self,
        page: &Page,
        doc: &Html,
        base: &Url,
        owned: &dyn Fn(&str) -> bool,
        out: &mut IntegrityScan,
    ) -> HashSet<ego_tree::NodeId> {
        let url = page.fetch.url.as_str();
        let (classes, ids) = hidden_selectors(doc);
        // 1. hidden link farms
        let mut hidden_roots: HashSet<ego_tree::NodeId> = HashSet::new();
        let mut farm_hosts: BTreeSet<String> = BTreeSet::new();
        let mut farm_words: BTreeSet<(String, String)> = BTreeSet::new();
        let (mut farm_links, mut farm_blocks) = (0usize, 0usize);
        let mut farm_excerpt = String::new();
        for el in doc
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
        {
            if !is_hidden(&el, &classes, &ids)
                || el.ancestors().any(|a| hidden_roots.contains(&a.id()))
            {
                continue;
            }
            hidden_roots.insert(el.id());
            let mut hosts: BTreeSet<String> = BTreeSet::new();
            let mut words = BTreeSet::new();
            let mut outbound = 0;
            for a in el.select(sel("a[href]")) {
                let Ok(u) = base.join(a.value().attr("href").unwrap_or("").trim()) else {
                    continue;
                };
                let Some(h) = u.host_str().map(str::to_ascii_lowercase) else {
                    continue;
                };
                if owned(&h) || !matches!(u.scheme(), "http" | "https") {
                    continue;
                }
                outbound += 1;
                hosts.insert(h);
                words.extend(self.spam_words(&format!("{} {}", a.text().collect::<String>(), u)));
            }
            if outbound == 0 {
                continue;
            }
            let r = &self.rules.hidden_links;
            let gov = hosts
                .iter()
                .filter(|h| host_allowed(h, &r.government_suffixes))
                .count();
            let share = gov as f64 / hosts.len() as f64;
            let farm = words.len() >= r.min_spam_words
                || (hosts.len() >= r.min_outbound_hosts && share < r.max_government_share);
            if farm {
                farm_blocks += 1;
                farm_links += outbound;
                farm_hosts.extend(hosts);
                farm_words.extend(words);
                if farm_excerpt.is_empty() {
                    farm_excerpt = clip(
                        &el.html().split_whitespace().collect::<Vec<_>>().join(" "),
                        500,
                    );
                }
            }
        }
        if farm_blocks > 0 {
            let words: Vec<&str> = farm_words.iter().map(|(_, w)| w.as_str()).collect();
            out.findings.push(finding(
                codes::HIDDEN_LINKS,
                Severity::Veto,
                page,
                url,
                json!({ "blocks": farm_blocks, "links": farm_links, "hosts": farm_hosts, "words": words }),
                format!("页面 {url} 含 {farm_links} 个指向 {} 个外部网站的隐藏链接（暗链）", farm_hosts.len()),
                farm_excerpt,
            ));
        }

        hidden_roots
    }
}

fn hidden_rule_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    // simple single-selector rules only: `.x{display:none}`, `#y{visibility:hidden}`
    R.get_or_init(|| Regex::new(r"(?s)(^|[}\s,])([.#][A-Za-z0-9_-]+)\s*\{([^}]*)\}").unwrap())
}

fn offscreen_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(left|top|text-indent):-\d{3,}").unwrap())
}

pub(super) fn hides(decl: &str) -> bool {
    let d: String = decl
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    d.contains("display:none")
        || d.contains("visibility:hidden")
        || (d.contains("position:absolute") && offscreen_re().is_match(&d))
        || ((d.contains("width:0") || d.contains("height:0")) && d.contains("overflow:hidden"))
        || d.contains("font-size:0")
}

/// Classes and ids hidden by the page's own `<style>` blocks.
fn hidden_selectors(doc: &Html) -> (HashSet<String>, HashSet<String>) {
    let (mut classes, mut ids) = (HashSet::new(), HashSet::new());
    for st in doc.select(sel("style")) {
        let css = st.text().collect::<String>();
        for c in hidden_rule_re().captures_iter(&css) {
            if hides(&c[3]) {
                let s = &c[2];
                if let Some(class) = s.strip_prefix('.') {
                    classes.insert(class.to_string());
                } else if let Some(id) = s.strip_prefix('#') {
                    ids.insert(id.to_string());
                }
            }
        }
    }
    (classes, ids)
}

fn is_hidden(e: &ElementRef, classes: &HashSet<String>, ids: &HashSet<String>) -> bool {
    let v = e.value();
    if v.attr("style").is_some_and(hides) || v.attr("hidden").is_some() {
        return true;
    }
    if v.classes().any(|c| classes.contains(c)) || v.id().is_some_and(|i| ids.contains(i)) {
        return true;
    }
    if v.name() == "marquee" {
        let tiny = |a: &str| {
            v.attr(a)
                .and_then(|x| x.trim_end_matches("px").trim().parse::<u32>().ok())
                .is_some_and(|n| n <= 2)
        };
        return tiny("width") || tiny("height");
    }
    false
}
