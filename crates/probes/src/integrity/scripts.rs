//! Scripts loaded from hosts that are neither the site's nor allowed, and inline scripts that
//! redirect visitors by where they came from (hijack).

use super::{Integrity, IntegrityScan, codes, finding, host_allowed};
use crate::ProbeOutput;
use crate::evidence::clip;
use crate::html::sel;
use govwatch_model::{Page, Severity};
use scraper::Html;
use serde_json::json;
use std::collections::HashSet;
use url::Url;

impl Integrity {
    /// Check 3, on one page: its foreign scripts and its hijack script, if any.
    pub(super) fn read_scripts(
        &self,
        doc: &Html,
        base: &Url,
        owned: &dyn Fn(&str) -> bool,
        out: &mut IntegrityScan,
    ) {
        // 3. external scripts and hijack redirects: an inline script that compares the
        // visitor's referrer with a search engine and sends the visitor elsewhere
        let hijack = doc
            .select(sel("script:not([src])"))
            .map(|s| s.text().collect::<String>())
            .find(|code| hijack_script(code, &self.rules.scripts.hijack_engines))
            .map(|code| {
                crate::evidence::excerpt_around(&code, "referrer", 120).unwrap_or_default()
            });
        let mut foreign: Vec<(String, String)> = Vec::new();
        for s in doc.select(sel("script[src]")) {
            let Ok(u) = base.join(s.value().attr("src").unwrap_or("").trim()) else {
                continue;
            };
            if !matches!(u.scheme(), "http" | "https") {
                continue; // browser extensions saved with the page, data: URLs
            }
            let Some(h) = u.host_str().map(str::to_ascii_lowercase) else {
                continue;
            };
            if !owned(&h) && !host_allowed(&h, &self.rules.scripts.allowed_hosts) {
                foreign.push((h, u.to_string()));
            }
        }
        out.foreign = foreign;
        out.hijack = hijack;
    }
}

/// Whether one inline script is a hijack: it reads the referrer, names a search engine and
/// navigates (`location…=`, `location.replace`, `window.open`).
fn hijack_script(code: &str, engines: &[String]) -> bool {
    let lower = code.to_ascii_lowercase();
    lower.contains("referrer")
        && engines
            .iter()
            .any(|e| lower.contains(&e.to_ascii_lowercase()))
        && (lower.contains("location") || lower.contains("window.open"))
}

/// Check 3, over the site: a finding for a page's scripts from outside hosts not seen on an
/// earlier page (`seen`), or for its hijack script when it loads none.
pub(super) fn judge_scripts(
    page: &Page,
    sc: &IntegrityScan,
    scripts_seen: &mut HashSet<String>,
    out: &mut ProbeOutput,
) {
    let url = page.fetch.url.as_str();
    let new: Vec<&(String, String)> = sc
        .foreign
        .iter()
        .filter(|(h, _)| scripts_seen.insert(h.clone()))
        .collect();
    if !new.is_empty() {
        let hosts: Vec<&str> = new.iter().map(|(h, _)| h.as_str()).collect();
        out.findings.push(finding(
            codes::EXTERNAL_SCRIPT,
            if sc.hijack.is_some() { Severity::Veto } else { Severity::Warn },
            page,
            url,
            json!({ "hosts": hosts, "scripts": new.iter().map(|(_, u)| u).collect::<Vec<_>>(), "hijack": sc.hijack.is_some() }),
            format!("页面 {url} 引用外部网站的脚本：{}", hosts.join("、")),
            match &sc.hijack {
                Some(h) => clip(&format!("<script src=\"{}\"> … {h}", new[0].1), 400),
                None => format!("<script src=\"{}\">", new[0].1),
            },
        ));
    } else if let Some(h) = &sc.hijack
        && sc.foreign.is_empty()
    {
        out.findings.push(finding(
            codes::HIJACK_REDIRECT,
            Severity::Veto,
            page,
            url,
            json!({ "script": h }),
            format!("页面 {url} 的脚本按访客来源跳转到其他网站（劫持跳转）"),
            clip(h, 400),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::hijack_script;

    #[test]
    fn a_hijack_compares_the_referrer_with_search_engines_and_navigates() {
        let engines: Vec<String> = govwatch_config::IntegrityRules::default()
            .scripts
            .hijack_engines;
        // the injected script of the spam networks
        assert!(hijack_script(
            r#"var s=document.referrer;if(s.indexOf("baidu")>0||s.indexOf("sogou")>0){location.href="http://www.lucky.test/";}"#,
            &engines
        ));
        assert!(hijack_script(
            "if (/google|bing/.test(document.referrer)) { window.location.replace('http://x.test/') }",
            &engines
        ));
        // the referrer posted to a statistics page, or used to build an error-report link: no hijack
        assert!(!hijack_script(
            "function pagestat(){ $.ajax({url:'/stat.jsp', data:{ref: document.referrer, url: location.href}}); }",
            &engines
        ));
        assert!(!hijack_script(
            "function getCurrUrl(){ var r = window.top.document.referrer; $('#jiucuo').attr('href', 'https://pucha.kaipuyun.cn/exposure/jiucuo.html?site_code=4201110001&url=' + encodeURIComponent(location.href)); }",
            &engines
        ));
    }
}
