//! The new-media accounts' section of the HTML report: each account's verdict, its vetoes and each
//! finding's evidence.

use super::pieces::{esc, finding_html};
use crate::ReportData;
use govwatch_score::account_verdict_zh;
use std::fmt::Write;

/// The per-account section of the HTML report: verdict, vetoes, and each finding's evidence.
pub(super) fn accounts_html(d: &ReportData) -> String {
    let m = &d.media;
    if m.accounts.is_empty() {
        return String::new();
    }
    let mut s = String::from("<h2 id=\"accounts\">政务新媒体检查详情</h2>\n");
    for a in &m.accounts {
        let verdict = m.verdict(&a.key).map(|v| v.verdict.as_str()).unwrap_or("");
        let class = match verdict {
            govwatch_score::PASS => "pass",
            govwatch_score::NOT_MEASURED => "note",
            _ => "fail",
        };
        let _ = write!(
            s,
            "<section class=\"account\" id=\"account-{}\">\n<h3>{}（{}）</h3>\n\
             <p>地区：{}；主办单位：{}；账号：{}；所属网站：{}；订阅源：<code>{}</code></p>\n\
             <p>检查结果：<span class=\"{class}\">{}</span>；订阅源内容 {} 条</p>\n",
            esc(&a.key),
            esc(&a.name),
            esc(a.platform_zh()),
            esc(&a.region),
            esc(&a.org),
            esc(&a.account_id),
            esc(&a.site_id),
            esc(&a.feed),
            account_verdict_zh(verdict),
            a.posts
        );
        if let Some(v) = m.verdict(&a.key) {
            for i in &v.items {
                let refs: Vec<String> = i
                    .finding_ids
                    .iter()
                    .map(|id| format!("<a href=\"#f-{id}\">#{id}</a>"))
                    .collect();
                let _ = writeln!(
                    s,
                    "<p>单项否决：{}（{}）{}</p>",
                    esc(&i.name),
                    esc(&i.note),
                    refs.join(" ")
                );
            }
        }
        if let Some((_, why)) = m.not_measured.iter().find(|(k, _)| k == &a.key) {
            let _ = writeln!(s, "<p class=\"note\">未监测：{}</p>", esc(why));
        }
        for f in m.findings.iter().filter(|f| f.account_key == a.key) {
            s.push_str(&finding_html(d, &f.stored));
        }
        s.push_str("</section>\n");
    }
    s
}
