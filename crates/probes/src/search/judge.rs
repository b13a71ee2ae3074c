//! Judging a site's search: no search at all, a column that must be chosen first, columns the
//! choice leaves out, a limited search box, and the searches submitted (broken, no results).

use super::codes;
use super::locate::{SearchEntry, inline_scripts, search_pages};
use crate::evidence::{clip, excerpt_around};
use govwatch_model::{
    Fact, Finding, LinkKind, Page, SearchAttempt, Severity, SiteCrawl, Timestamp, normalize_url_str,
};
use regex::Regex;
use scraper::Html;
use serde_json::json;
use url::Url;

// Every finding of the probe (all deductions), built by the one builder ([`crate::evidence`]).
#[allow(clippy::too_many_arguments)]
fn finding(
    at: Timestamp,
    code: &str,
    url: &str,
    value: serde_json::Value,
    message: String,
    excerpt: String,
    status: Option<u16>,
    archived: Option<String>,
) -> Finding {
    crate::evidence::finding("search", code, Severity::Deduct, at)
        .url(url)
        .value(value)
        .message(message)
        .excerpt(excerpt)
        .status(status)
        .archived(archived)
        .build()
}

/// `search.missing`: no search entry on the crawled pages.
fn missing(crawl: &SiteCrawl, home: &Page, at: Timestamp) -> Finding {
    finding(
        at,
        codes::MISSING,
        &home.fetch.url,
        json!({ "pages_examined": search_pages(crawl).len() }),
        "所抓取的页面上未发现站内搜索".into(),
        format!(
            "在所抓取的 {} 个页面上未发现搜索表单、搜索链接或由脚本生成的搜索框",
            search_pages(crawl).len()
        ),
        home.fetch.status,
        Some(home.fetch.url.clone()),
    )
}

/// No search entry on the crawled pages: a search box the home page's script writes in is
/// present, not verified without a browser (`search.unverified`, [issue 25 hook]) — never
/// `search.missing`, which is given otherwise.
pub(super) fn no_entries(
    input: &crate::ProbeInput,
    home: &Page,
    at: Timestamp,
    out: &mut crate::ProbeOutput,
) {
    if home.is_html
        && let Some(f) = crate::scripted::assess(
            input.dom(0),
            &input.crawl.site.home,
            input.as_of.date_naive(),
            None,
        )
        .search
    {
        out.facts.push(Fact {
            probe: "search".into(),
            code: codes::UNVERIFIED.into(),
            url: Some(home.fetch.url.clone()),
            value: json!({
                "page": home.fetch.url, "kind": "unverified", "shape": f.shape,
                "reason": f.shape.zh(), "excerpt": f.excerpt,
            }),
            observed_at: at,
        });
        return;
    }
    out.findings.push(missing(input.crawl, home, at));
}

/// One search entry: its `search.form` fact, and its column choice (`search.column_required`,
/// `search.scope_missing`) and search box (`search.input_limited`) judged.
pub(super) fn entry(
    e: &SearchEntry,
    columns: &[String],
    at: Timestamp,
    out: &mut crate::ProbeOutput,
) {
    out.facts.push(Fact {
        probe: "search".into(),
        code: if e.kind == "unverified" {
            codes::UNVERIFIED.into()
        } else {
            codes::FORM.into()
        },
        url: Some(e.page.clone()),
        value: serde_json::to_value(e).unwrap_or_default(),
        observed_at: at,
    });
    for s in e.selects.iter().filter(|s| s.restricts()) {
        let options: Vec<&str> = s.options.iter().map(|(_, t)| t.as_str()).collect();
        let why = match &s.mandatory_by {
            Some(m) => format!("the empty first option is made mandatory: {m}"),
            None => format!("no “all” choice among {}", options.join("/")),
        };
        out.findings.push(finding(
            at,
            codes::COLUMN_REQUIRED,
            &e.page,
            json!({ "select": s.name, "options": options, "mandatory_by": s.mandatory_by }),
            format!("站内搜索须先选择栏目才能检索（{}）", s.name),
            clip(&format!("{} — {}", s.markup, why), 600),
            None,
            Some(e.page.clone()),
        ));
        let missing: Vec<&String> = columns
            .iter()
            .filter(|c| !options.iter().any(|o| same_column(o, c)))
            .collect();
        if !missing.is_empty() {
            out.findings.push(finding(
                    at,
                    codes::SCOPE_MISSING,
                    &e.page,
                    json!({ "select": s.name, "missing": missing, "offered": options, "top_columns": columns }),
                    format!("站内搜索无法检索以下栏目：{}", missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("、")),
                    format!("offered: {}; top-level columns not offered: {}", options.join("/"), missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("/")),
                    None,
                    Some(e.page.clone()),
                ));
        }
    }
    let short = e.maxlength.filter(|m| *m < 10);
    let rejects = e.pattern.as_deref().filter(|p| pattern_rejects_chinese(p));
    if short.is_some() || rejects.is_some() {
        let mut why = Vec::new();
        if let Some(m) = short {
            why.push(format!("maxlength={m}"));
        }
        if let Some(p) = rejects {
            why.push(format!("pattern=\"{p}\" rejects Chinese"));
        }
        out.findings.push(finding(
            at,
            codes::INPUT_LIMITED,
            &e.page,
            json!({ "maxlength": e.maxlength, "pattern": e.pattern, "field": e.query_field }),
            format!("搜索框限制了输入：{}", why.join("，")),
            e.excerpt.clone(),
            None,
            Some(e.page.clone()),
        ));
    }
}

/// One search submitted: its `search.query` fact and its outcome (`search.broken`,
/// `search.no_results`, `search.script_loaded`).
pub(super) fn query(a: &SearchAttempt, at: Timestamp, out: &mut crate::ProbeOutput) {
    let r = &a.result;
    let expect = normalize_url_str(&a.plan.expect_url).unwrap_or_default();
    let linked = r.links.iter().any(|l| {
        normalize_url_str(&l.url).as_deref() == Some(expect.as_str())
            || l.text.contains(&a.plan.term)
    });
    let outcome = if r.fetch.error == Some(govwatch_model::FetchError::RobotsDisallowed) {
        "not_tested_robots"
    } else if let Some(fail) = r.fetch.failure() {
        out.findings.push(finding(
            at,
            codes::BROKEN,
            &a.plan.url,
            json!({ "term": a.plan.term, "failure": fail, "form_page": a.plan.form_page }),
            format!("站内搜索不可用：检索“{}”时出错（{fail}）", a.plan.term),
            format!("{} {} → {fail}", a.plan.method, a.plan.url),
            r.fetch.status,
            None,
        ));
        "broken"
    } else if linked {
        "ok"
    } else if let Some(script) = script_loaded(r) {
        out.facts.push(Fact {
            probe: "search".into(),
            code: codes::SCRIPT_LOADED.into(),
            url: Some(a.plan.url.clone()),
            value: json!({ "script": script }),
            observed_at: r.fetch.started_at,
        });
        "script_loaded"
    } else {
        // a result page over the parse budget is not parsed (its text stays in the archive)
        let text = if r.is_html {
            Html::parse_document(&r.text)
                .root_element()
                .text()
                .collect::<String>()
        } else {
            String::new()
        };
        let shown = clip(&text.split_whitespace().collect::<Vec<_>>().join(" "), 200);
        out.findings.push(finding(
            at,
            codes::NO_RESULTS,
            &a.plan.url,
            json!({ "term": a.plan.term, "expected": a.plan.expect_url, "form_page": a.plan.form_page }),
            format!("站内搜索检索不到本站页面标题“{}”", a.plan.term),
            shown,
            r.fetch.status,
            Some(a.plan.url.clone()),
        ));
        "no_results"
    };
    out.facts.push(Fact {
        probe: "search".into(),
        code: codes::QUERY.into(),
        url: Some(a.plan.url.clone()),
        value: json!({ "term": a.plan.term, "expected": a.plan.expect_url, "status": r.fetch.status, "result": outcome }),
        observed_at: r.fetch.started_at,
    });
}

/// The site's top-level columns: short link texts on the home page pointing at column indexes.
pub fn top_columns(crawl: &SiteCrawl, not_columns: &[String]) -> Vec<String> {
    let Some(home) = crawl.pages.iter().find(|p| p.depth == 0 && p.is_html) else {
        return vec![];
    };
    let hosts = crawl.site.hosts();
    let mut out: Vec<String> = Vec::new();
    for l in home.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
        let Ok(u) = Url::parse(&l.url) else { continue };
        let internal = u
            .host_str()
            .is_some_and(|h| hosts.iter().any(|x| x.eq_ignore_ascii_case(h)));
        let path = u.path();
        let dir_like = path.ends_with('/')
            || path.ends_with("/index.html")
            || path.ends_with("/index.htm")
            || path.ends_with("/index.shtml");
        let t = l.text.trim();
        let n = t.chars().count();
        let cjk = t.chars().all(|c| (c as u32) >= 0x4E00);
        if internal
            && dir_like
            && path != "/"
            && (2..=8).contains(&n)
            && cjk
            && !not_columns.iter().any(|w| w == t)
            && !out.iter().any(|x| x == t)
        {
            out.push(t.to_string());
        }
    }
    out
}

fn same_column(a: &str, b: &str) -> bool {
    let disclosure = ["政务公开", "信息公开", "政府信息公开"];
    a.contains(b)
        || b.contains(a)
        || (disclosure.iter().any(|d| a.contains(d)) && disclosure.iter().any(|d| b.contains(d)))
}

/// Whether a pattern attribute refuses Chinese input.
pub(super) fn pattern_rejects_chinese(p: &str) -> bool {
    match Regex::new(&format!("^(?:{p})$")) {
        Ok(re) => !re.is_match("政务公开"),
        Err(_) => false,
    }
}

fn script_loaded(page: &Page) -> Option<String> {
    if !page.is_html {
        return None;
    }
    let doc = Html::parse_document(&page.text);
    let s = inline_scripts(&doc);
    [
        "$.ajax",
        "$.get(",
        "$.post(",
        "fetch(",
        "XMLHttpRequest",
        "axios",
    ]
    .iter()
    .find(|m| s.contains(**m))
    .map(|m| {
        excerpt_around(&s, m, 100)
            .map(|e| clip(&e, 300))
            .unwrap_or_default()
    })
}
