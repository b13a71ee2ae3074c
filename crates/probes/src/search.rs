//! Site search (function-design indicator: site search exists and works; the Anhui notice: "the
//! provincial geology bureau's site can only be searched after choosing a column, and the columns
//! offered do not include 政务公开").
//!
//! Pure, like every probe; the network part is split out:
//! 1. [`discovery_links`]: search links to other hosts of the site (a separate search host or a
//!    provincial search platform), which the runner has the crawler fetch;
//! 2. [`locate`]: every search entry on the crawled pages — `<form>`s named or labelled for search,
//!    and JS-built searches (an input plus a handler that builds a URL) read from the scripts;
//! 3. [`plan`]: a search for the title of a crawled article, which the runner has the crawler
//!    submit: with GET, or by POST only for sites whose configuration says `search_post = true`
//!    (only search forms are ever submitted);
//! 4. [`Search`] judges the entries and the results.
//!
//! Facts: `search.form` (one per distinct search entry), `search.query` (one per search
//! submitted), `search.script_loaded` (results filled by script).
//! Findings: `search.missing`, `search.column_required`, `search.scope_missing`,
//! `search.broken`, `search.no_results`, `search.input_limited`.

use crate::evidence::{clip, excerpt_around};
use crate::html::{sel, text_of};
use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_model::{Fact, LinkKind, Page, SearchPlan, Severity, SiteCrawl, normalize_url_str};
use regex::Regex;
use scraper::{ElementRef, Html};
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use std::sync::OnceLock;
use url::Url;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `search.form` (fact).
    pub const FORM: &str = "search.form";
    /// `search.query` (fact).
    pub const QUERY: &str = "search.query";
    /// `search.script_loaded` (fact).
    pub const SCRIPT_LOADED: &str = "search.script_loaded";
    /// `search.missing` (finding).
    pub const MISSING: &str = "search.missing";
    /// `search.column_required` (finding).
    pub const COLUMN_REQUIRED: &str = "search.column_required";
    /// `search.scope_missing` (finding).
    pub const SCOPE_MISSING: &str = "search.scope_missing";
    /// `search.broken` (finding).
    pub const BROKEN: &str = "search.broken";
    /// `search.no_results` (finding).
    pub const NO_RESULTS: &str = "search.no_results";
    /// `search.input_limited` (finding).
    pub const INPUT_LIMITED: &str = "search.input_limited";
    /// Every code above.
    pub const ALL: &[&str] = &[
        FORM,
        QUERY,
        SCRIPT_LOADED,
        MISSING,
        COLUMN_REQUIRED,
        SCOPE_MISSING,
        BROKEN,
        NO_RESULTS,
        INPUT_LIMITED,
    ];
}

/// Input names that carry a search term on real sites.
const QUERY_NAMES: &[&str] = &[
    "q",
    "query",
    "keyword",
    "keywords",
    "kw",
    "key",
    "searchword",
    "sword",
    "wd",
    "word",
    "searchkey",
    "search",
    "searchtext",
    "searchvalue",
    "qt",
    "text",
    "title",
    "sstext",
    "content",
];
/// Words that label a search box or button.
const SEARCH_WORDS: &[&str] = &["搜索", "检索", "站内搜索", "全文检索", "搜 索", "查找"];
/// Option texts meaning "search everything".
const ALL_WORDS: &[&str] = &["全部", "全站", "不限", "所有"];
/// Option texts that choose a field or a year, not a column.
const FIELD_WORDS: &[&str] = &[
    "标题",
    "正文",
    "全文",
    "内容",
    "文号",
    "索引号",
    "发布机构",
    "名称",
    "关键字",
    "关键词",
    "作者",
    "发文字号",
    "主题词",
    "摘要",
    "时间",
    "日期",
    "来源",
    "发文机关",
];
/// Link texts that are never column names: the shipped `not_columns` of `config/columns.toml`.
/// ([`Search`] is a unit value the runner names, so it carries no rules; the list is the one the
/// columns probe ships with.)
fn shipped_not_columns() -> &'static [String] {
    static L: OnceLock<Vec<String>> = OnceLock::new();
    L.get_or_init(|| govwatch_config::ColumnRules::default().not_columns)
}

/// A `<select>` of a search form.
#[derive(Debug, Clone, Serialize)]
pub struct SelectInfo {
    pub name: String,
    pub options: Vec<(String, String)>,
    /// Chooses a column (by its name or its options), not a field or a year.
    pub is_column: bool,
    /// Has a "search everything" choice.
    pub has_all: bool,
    pub all_value: Option<String>,
    /// The first option is empty ("请选择栏目").
    pub first_empty: bool,
    /// What makes the empty first option mandatory, as an excerpt.
    pub mandatory_by: Option<String>,
    pub markup: String,
}

impl SelectInfo {
    /// The search can only be run inside one column.
    pub fn restricts(&self) -> bool {
        self.is_column && !self.has_all && (!self.first_empty || self.mandatory_by.is_some())
    }
}

/// One search entry found on a page.
#[derive(Debug, Clone, Serialize)]
pub struct SearchEntry {
    pub page: String,
    /// `form` or `script`.
    pub kind: &'static str,
    /// Where the query goes: the form action, or the URL prefix the script builds.
    pub action: String,
    pub method: String,
    pub query_field: String,
    pub hidden: Vec<(String, String)>,
    pub selects: Vec<SelectInfo>,
    pub maxlength: Option<u32>,
    pub pattern: Option<String>,
    pub host: String,
    pub excerpt: String,
}

impl SearchEntry {
    fn key(&self) -> String {
        let action = self.action.split('?').next().unwrap_or("");
        let sel: Vec<String> = self
            .selects
            .iter()
            .map(|s| format!("{}:{:?}", s.name, s.options))
            .collect();
        format!(
            "{}|{}|{}|{}|{}",
            self.kind,
            action,
            self.method,
            self.query_field,
            sel.join(",")
        )
    }
}

fn js_url_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"(?:location(?:\.href)?\s*=|location\.assign\(|window\.open\()\s*['"]([^'"]+?[=/])['"]\s*\+"#).unwrap()
    })
}

fn mandatory_alert_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"alert\(\s*['"][^'"]*选择[^'"]*(?:栏目|频道|分类|范围)[^'"]*['"]\s*\)"#)
            .unwrap()
    })
}

fn has_any(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| hay.contains(w))
}

fn inline_scripts(doc: &Html) -> String {
    let mut s = String::new();
    for e in doc.select(sel("script")) {
        if e.value().attr("src").is_none() {
            s.push_str(&e.text().collect::<String>());
            s.push('\n');
        }
    }
    for e in doc.select(sel("[onclick], [onsubmit]")) {
        for a in ["onclick", "onsubmit"] {
            if let Some(v) = e.value().attr(a) {
                s.push_str(v);
                s.push('\n');
            }
        }
    }
    s
}

fn is_query_input(e: &ElementRef) -> bool {
    let v = e.value();
    let ty = v.attr("type").unwrap_or("text").to_ascii_lowercase();
    if !matches!(ty.as_str(), "text" | "search" | "") {
        return false;
    }
    let name = v.attr("name").unwrap_or("").to_ascii_lowercase();
    let id = v.attr("id").unwrap_or("").to_ascii_lowercase();
    let ph = v.attr("placeholder").unwrap_or("");
    ty == "search"
        || QUERY_NAMES.contains(&name.as_str())
        || QUERY_NAMES.contains(&id.as_str())
        || name.contains("search")
        || name.contains("keyword")
        || id.contains("search")
        || id.contains("keyword")
        || has_any(ph, &["搜索", "关键字", "关键词", "检索"])
}

fn select_info(e: &ElementRef, scripts: &str, only_select: bool) -> SelectInfo {
    let v = e.value();
    let name = v.attr("name").or(v.attr("id")).unwrap_or("").to_string();
    let id = v.attr("id").unwrap_or("");
    let options: Vec<(String, String)> = e
        .select(sel("option"))
        .map(|o| {
            (
                o.value()
                    .attr("value")
                    .map(str::to_string)
                    .unwrap_or_else(|| text_of(&o)),
                text_of(&o),
            )
        })
        .collect();
    let lname = format!("{} {}", name, id).to_ascii_lowercase();
    let named_column = [
        "column", "channel", "lanmu", "chnl", "catalog", "scope", "range", "cate", "siteid",
        "colid", "colum",
    ]
    .iter()
    .any(|w| lname.contains(w))
        || lname
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "lm");
    let is_placeholder = |t: &str| t.is_empty() || t.contains("请选择") || t.starts_with("--");
    let real: Vec<&(String, String)> = options.iter().filter(|(_, t)| !is_placeholder(t)).collect();
    let year_like = |t: &str| t.chars().all(|c| c.is_ascii_digit() || c == '年') && !t.is_empty();
    let columns_by_options = real.iter().any(|(_, t)| {
        !has_any(t, ALL_WORDS) && !FIELD_WORDS.iter().any(|f| t == f) && !year_like(t)
    });
    let is_column = named_column || columns_by_options;
    let all = options
        .iter()
        .find(|(_, t)| has_any(t, ALL_WORDS) && !t.contains("请选择"));
    let first_empty = options
        .first()
        .is_some_and(|(val, t)| val.is_empty() || is_placeholder(t));
    let markup = clip(
        &e.html().split_whitespace().collect::<Vec<_>>().join(" "),
        300,
    );
    let mut mandatory_by = None;
    if v.attr("required").is_some() {
        mandatory_by = Some(markup.clone());
    } else if let Some(rule) = v
        .attr("data-rule")
        .or(v.attr("data-validate"))
        .filter(|r| r.contains("required"))
    {
        mandatory_by = Some(format!("data-rule=\"{rule}\""));
    } else if v.attr("class").is_some_and(|c| c.contains("required")) {
        mandatory_by = Some(markup.clone());
    } else if let Some(m) = mandatory_alert_re().find(scripts) {
        // the alert must be about this select: the script names it, or it is the form's only select
        let near =
            excerpt_around(scripts, m.as_str(), 120).unwrap_or_else(|| m.as_str().to_string());
        let names_it = (!id.is_empty() && scripts.contains(id))
            || (!name.is_empty() && scripts.contains(&name));
        if names_it || only_select {
            mandatory_by = Some(clip(&near, 300));
        }
    }
    SelectInfo {
        name,
        has_all: all.is_some(),
        all_value: all.map(|(v, _)| v.clone()),
        options,
        is_column,
        first_empty,
        mandatory_by,
        markup,
    }
}

/// Every search entry on one page.
pub fn locate_in(page: &Page, doc: &Html) -> Vec<SearchEntry> {
    let Ok(base) = Url::parse(&page.fetch.final_url) else {
        return vec![];
    };
    let scripts = inline_scripts(doc);
    let mut out = Vec::new();
    let owned = form_controls(doc);
    for (form, controls) in &owned {
        let form = *form;
        let f = form.value();
        let is_ty = |e: &ElementRef, t: &str| {
            e.value()
                .attr("type")
                .is_some_and(|x| x.eq_ignore_ascii_case(t))
        };
        if controls
            .iter()
            .any(|c| c.value().name() == "textarea" || is_ty(c, "password") || is_ty(c, "file"))
        {
            continue; // a message, letter or login form: never a search, never submitted
        }
        let action_raw = f.attr("action").unwrap_or("").trim();
        let action = if action_raw.is_empty() || action_raw.starts_with("javascript") {
            base.clone()
        } else {
            match base.join(action_raw) {
                Ok(u) => u,
                Err(_) => continue,
            }
        };
        let inputs: Vec<ElementRef> = controls
            .iter()
            .filter(|c| c.value().name() == "input")
            .copied()
            .collect();
        let labels = format!(
            "{} {}",
            text_of(&form),
            inputs
                .iter()
                .filter_map(|i| i.value().attr("value"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let la = action.as_str().to_ascii_lowercase();
        let action_says = [
            "search",
            "sousuo",
            "jsearch",
            "query",
            "retrieval",
            "fulltext",
            "/s/",
            "was5",
        ]
        .iter()
        .any(|w| la.contains(w));
        let query = inputs.iter().find(|i| is_query_input(i)).or_else(|| {
            (action_says || has_any(&labels, SEARCH_WORDS)).then(|| {
                inputs.iter().find(|i| {
                    matches!(
                        i.value()
                            .attr("type")
                            .unwrap_or("text")
                            .to_ascii_lowercase()
                            .as_str(),
                        "text" | "search"
                    )
                })
            })?
        });
        let Some(q) = query else { continue };
        if !(action_says || has_any(&labels, SEARCH_WORDS) || is_query_input(q)) {
            continue;
        }
        let Some(qname) = q.value().attr("name").map(str::to_string) else {
            continue;
        };
        let hidden = inputs
            .iter()
            .filter(|i| {
                i.value()
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
            })
            .filter_map(|i| {
                Some((
                    i.value().attr("name")?.to_string(),
                    i.value().attr("value").unwrap_or("").to_string(),
                ))
            })
            .collect();
        let select_els: Vec<ElementRef> = controls
            .iter()
            .filter(|c| c.value().name() == "select")
            .copied()
            .collect();
        let only = select_els.len() == 1;
        let selects = select_els
            .iter()
            .map(|s| select_info(s, &scripts, only))
            .collect();
        out.push(SearchEntry {
            page: page.fetch.url.clone(),
            kind: "form",
            host: action.host_str().unwrap_or("").to_string(),
            action: action.to_string(),
            method: f.attr("method").unwrap_or("GET").to_ascii_uppercase(),
            query_field: qname,
            hidden,
            selects,
            maxlength: q
                .value()
                .attr("maxlength")
                .and_then(|m| m.trim().parse().ok()),
            pattern: q.value().attr("pattern").map(str::to_string),
            excerpt: clip(
                &form.html().split_whitespace().collect::<Vec<_>>().join(" "),
                400,
            ),
        });
    }
    // JS-built search: an input outside any form plus a script that builds the URL.
    let in_forms: HashSet<_> = owned
        .iter()
        .flat_map(|(_, c)| c.iter().map(|e| e.id()))
        .collect();
    let loose: Vec<ElementRef> = doc
        .select(sel("input"))
        .filter(|e| !in_forms.contains(&e.id()) && is_query_input(e))
        .collect();
    // the URL the script builds must look like a search (not, say, an error-report link)
    let search_like = |p: &str| {
        let p = p.to_ascii_lowercase();
        [
            "search",
            "keyword",
            "sousuo",
            "kw=",
            "q=",
            "query",
            "sword",
            "wd=",
            "searchword",
        ]
        .iter()
        .any(|w| p.contains(w))
    };
    let built = js_url_re()
        .captures_iter(&scripts)
        .find(|c| c.get(1).is_some_and(|g| search_like(g.as_str())));
    if let (Some(input), Some(m)) = (loose.first(), built) {
        let prefix = m.get(1).map(|g| g.as_str()).unwrap_or("");
        if let Ok(action) = base.join(prefix) {
            let (field, action_base) = match prefix.rsplit_once(['?', '&']) {
                Some((_, p)) if p.ends_with('=') => {
                    (p.trim_end_matches('=').to_string(), action.to_string())
                }
                _ => (String::new(), action.to_string()),
            };
            out.push(SearchEntry {
                page: page.fetch.url.clone(),
                kind: "script",
                host: action.host_str().unwrap_or("").to_string(),
                action: action_base,
                method: "GET".into(),
                query_field: field,
                hidden: vec![],
                selects: vec![],
                maxlength: input
                    .value()
                    .attr("maxlength")
                    .and_then(|m| m.trim().parse().ok()),
                pattern: input.value().attr("pattern").map(str::to_string),
                excerpt: clip(
                    &excerpt_around(&scripts, m.get(0).unwrap().as_str(), 80).unwrap_or_default(),
                    400,
                ),
            });
        }
    }
    out
}

/// Each form with its controls. A `<form>` opened inside a `<table>` (common on old sites) is
/// parsed as an empty element whose controls follow it in the table cells; those controls, up
/// to the next form, are taken as its own, as a browser's form owner would.
fn form_controls(doc: &Html) -> Vec<(ElementRef<'_>, Vec<ElementRef<'_>>)> {
    let is_control = |n: &str| matches!(n, "input" | "select" | "textarea" | "button");
    let mut out: Vec<(ElementRef, Vec<ElementRef>)> = Vec::new();
    // (index of the empty form, the table it sits in)
    let mut orphan_owner: Option<(usize, ego_tree::NodeId)> = None;
    for node in doc.root_element().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        let name = el.value().name();
        if name == "form" {
            let controls: Vec<ElementRef> = el
                .descendants()
                .filter_map(ElementRef::wrap)
                .filter(|e| is_control(e.value().name()))
                .collect();
            let table = el
                .ancestors()
                .filter_map(ElementRef::wrap)
                .find(|a| a.value().name() == "table")
                .map(|t| t.id());
            orphan_owner = match (controls.is_empty(), table) {
                (true, Some(t)) => Some((out.len(), t)),
                _ => None,
            };
            out.push((el, controls));
        } else if is_control(name)
            && let Some((i, table)) = orphan_owner
        {
            let mut anc = el.ancestors().filter_map(ElementRef::wrap);
            let in_table = el.ancestors().any(|a| a.id() == table);
            if in_table && !anc.any(|a| a.value().name() == "form") {
                out[i].1.push(el);
            }
        }
    }
    out
}

fn search_pages(crawl: &SiteCrawl) -> Vec<&Page> {
    crawl
        .pages
        .iter()
        .chain(crawl.search_pages.iter())
        .filter(|p| p.is_html && p.fetch.ok())
        .collect()
}

/// What of a page can hold a search: its raw `<form>`…`</form>` markup and its inline scripts
/// that navigate. Pages repeating the same header search box give the same key and are parsed
/// once; pages with neither are not parsed at all.
fn raw_search_key(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut key = String::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find("<form") {
        let start = at + i;
        let end = lower[start..]
            .find("</form>")
            .map(|e| start + e + 7)
            .unwrap_or(lower.len());
        key.push_str(&lower[start..end]);
        at = end;
    }
    if lower.contains("location") || lower.contains("window.open") {
        let mut at = 0;
        while let Some(i) = lower[at..].find("<script") {
            let start = at + i;
            let end = lower[start..]
                .find("</script>")
                .map(|e| start + e + 9)
                .unwrap_or(lower.len());
            let chunk = &lower[start..end];
            if chunk.contains("location") || chunk.contains("window.open") {
                key.push_str(chunk);
            }
            at = end;
        }
    }
    key
}

/// Distinct search entries on all pages (home first).
pub fn locate(crawl: &SiteCrawl) -> Vec<SearchEntry> {
    let mut seen = HashSet::new();
    let mut raw_seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for p in search_pages(crawl) {
        let key = raw_search_key(&p.text);
        if key.is_empty() || !raw_seen.insert(key) {
            continue;
        }
        let doc = Html::parse_document(&p.text);
        for e in locate_in(p, &doc) {
            if seen.insert(e.key()) {
                out.push(e);
            }
        }
    }
    out
}

/// Whether a link says it leads to a search (its text, or a search host or path).
fn search_link(text: &str, normalized_url: &str) -> bool {
    let lu = normalized_url.to_ascii_lowercase();
    has_any(text, SEARCH_WORDS) || lu.contains("://search.") || lu.contains("/search")
}

/// Search links on crawled pages that lead to pages not crawled (a separate search host).
pub fn discovery_links(crawl: &SiteCrawl) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    for p in crawl.pages.iter().filter(|p| p.is_html && p.depth <= 1) {
        note_search_links(p, &mut candidates);
    }
    not_crawled(crawl, candidates)
}

fn note_search_links(p: &Page, out: &mut Vec<String>) {
    for l in p.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
        let Some(u) = normalize_url_str(&l.url) else {
            continue;
        };
        if search_link(&l.text, &u) && !out.contains(&u) {
            out.push(u);
        }
    }
}

fn not_crawled(crawl: &SiteCrawl, candidates: Vec<String>) -> Vec<String> {
    let crawled: HashSet<&str> = crawl
        .pages
        .iter()
        .flat_map(|p| [p.fetch.url.as_str(), p.fetch.final_url.as_str()])
        .collect();
    candidates
        .into_iter()
        .filter(|u| !crawled.contains(u.as_str()))
        .take(3)
        .collect()
}

/// The search boxes and search links of a site, noted page by page while it is crawled (with
/// its DOM at hand), so that the searches can be planned without keeping the pages' text.
/// [`SearchScan::add`] on every page in crawl order gives what [`locate`] and
/// [`discovery_links`] give on the whole crawl.
#[derive(Debug, Default)]
pub struct SearchScan {
    raw_seen: HashSet<String>,
    seen: HashSet<String>,
    entries: Vec<SearchEntry>,
    candidates: Vec<String>,
}

impl SearchScan {
    /// Notes one page (its text and links must still be there).
    pub fn add(&mut self, page: &Page, doc: &Html) {
        if page.is_html && page.fetch.ok() {
            let key = raw_search_key(&page.text);
            if !key.is_empty() && self.raw_seen.insert(key) {
                for e in locate_in(page, doc) {
                    if self.seen.insert(e.key()) {
                        self.entries.push(e);
                    }
                }
            }
        }
        if page.is_html && page.depth <= 1 {
            note_search_links(page, &mut self.candidates);
        }
    }

    /// Search links (on the home page and its level) to pages not crawled, at most three.
    pub fn discovery_links(&self, crawl: &SiteCrawl) -> Vec<String> {
        not_crawled(crawl, self.candidates.clone())
    }

    /// The searches to submit (see [`plan`]).
    pub fn plan(&self, crawl: &SiteCrawl) -> Vec<SearchPlan> {
        plan_with(crawl, self.entries.clone())
    }

    /// The distinct search entries found, as [`locate`] gives them.
    pub fn entries(&self) -> Vec<SearchEntry> {
        self.entries.clone()
    }
}

/// The title of a crawled article to search for, and its URL.
pub fn pick_term(crawl: &SiteCrawl) -> Option<(String, String)> {
    let site_name = crawl.site.name.as_str();
    crawl
        .pages
        .iter()
        .filter(|p| p.depth >= 1 && p.is_html && p.fetch.ok())
        .filter(|p| {
            let path = Url::parse(&p.fetch.url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            !(path.ends_with('/')
                || path.ends_with("/index.html")
                || path.ends_with("/index.htm")
                || path.ends_with("/index.shtml"))
        })
        .find_map(|p| {
            let t = p.title.as_deref()?;
            let first = t.split(" - ").next()?;
            let first = first
                .split(['_', '|', '—', '－'])
                .map(str::trim)
                .find(|s| !s.is_empty())?;
            let n = first.chars().count();
            (n >= 4 && first != site_name).then(|| {
                (
                    first.chars().take(30).collect::<String>(),
                    p.fetch.url.clone(),
                )
            })
        })
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The searches to submit: for each distinct entry (at most two), the term in a GET query URL, or
/// in a form-encoded body for POST forms where the site's configuration allows POST searches.
pub fn plan(crawl: &SiteCrawl) -> Vec<SearchPlan> {
    plan_with(crawl, locate(crawl))
}

fn plan_with(crawl: &SiteCrawl, entries: Vec<SearchEntry>) -> Vec<SearchPlan> {
    let Some((term, expect_url)) = pick_term(crawl) else {
        return vec![];
    };
    let allow_post = crawl.site.overrides.search_post;
    let mut out = Vec::new();
    for e in entries
        .into_iter()
        .filter(|e| e.method == "GET" || (allow_post && e.method == "POST"))
        .take(2)
    {
        if e.kind == "script" {
            // the script appends the term to its URL prefix
            out.push(SearchPlan {
                form_page: e.page.clone(),
                url: format!("{}{}", e.action, enc(&term)),
                method: "GET".into(),
                body: None,
                term: term.clone(),
                expect_url: expect_url.clone(),
            });
            continue;
        }
        let Ok(mut u) = Url::parse(&e.action) else {
            continue;
        };
        let mut pairs: Vec<(String, String)> = e.hidden.clone();
        for s in &e.selects {
            let v = s
                .all_value
                .clone()
                .or_else(|| {
                    s.options
                        .iter()
                        .find(|(v, _)| !v.is_empty())
                        .map(|(v, _)| v.clone())
                })
                .unwrap_or_default();
            pairs.push((s.name.clone(), v));
        }
        pairs.push((e.query_field.clone(), term.clone()));
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let (url, method, body) = if e.method == "POST" {
            (u.to_string(), "POST", Some(encoded))
        } else {
            u.set_query(Some(&encoded));
            (u.to_string(), "GET", None)
        };
        out.push(SearchPlan {
            form_page: e.page.clone(),
            url,
            method: method.into(),
            body,
            term: term.clone(),
            expect_url: expect_url.clone(),
        });
    }
    out
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
fn pattern_rejects_chinese(p: &str) -> bool {
    match Regex::new(&format!("^(?:{p})$")) {
        Ok(re) => !re.is_match("政务公开"),
        Err(_) => false,
    }
}

fn script_loaded(page: &Page) -> Option<String> {
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

pub struct Search;

impl Probe for Search {
    fn name(&self) -> &'static str {
        "search"
    }

    fn slot(&self) -> Option<usize> {
        Some(3)
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let crawl = input.crawl;
        let mut out = ProbeOutput::default();
        let Some(home) = input.home() else { return out };
        if !home.fetch.ok() {
            return out; // nothing to judge: availability says why
        }
        let at = home.fetch.started_at;
        let mk = |code: &str,
                  url: &str,
                  value: serde_json::Value,
                  message: String,
                  excerpt: String,
                  status: Option<u16>,
                  archived: Option<String>| {
            crate::evidence::finding("search", code, Severity::Deduct, at)
                .url(url)
                .value(value)
                .message(message)
                .excerpt(excerpt)
                .status(status)
                .archived(archived)
                .build()
        };
        // the entries noted while the site was crawled, or read from the pages now
        let entries = match input.site_scan::<Vec<SearchEntry>>(self) {
            Some(e) => e.clone(),
            None => locate(crawl),
        };
        if entries.is_empty() {
            out.findings.push(mk(
                codes::MISSING,
                &home.fetch.url,
                json!({ "pages_examined": search_pages(crawl).len() }),
                "no site search found on the crawled pages".into(),
                format!(
                    "no search form, search link or script-built search on {} pages",
                    search_pages(crawl).len()
                ),
                home.fetch.status,
                Some(home.fetch.url.clone()),
            ));
            return out;
        }
        let columns = top_columns(crawl, shipped_not_columns());
        for e in &entries {
            out.facts.push(Fact {
                probe: "search".into(),
                code: codes::FORM.into(),
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
                out.findings.push(mk(
                    codes::COLUMN_REQUIRED,
                    &e.page,
                    json!({ "select": s.name, "options": options, "mandatory_by": s.mandatory_by }),
                    format!("site search requires choosing a column first ({})", s.name),
                    clip(&format!("{} — {}", s.markup, why), 600),
                    None,
                    Some(e.page.clone()),
                ));
                let missing: Vec<&String> = columns
                    .iter()
                    .filter(|c| !options.iter().any(|o| same_column(o, c)))
                    .collect();
                if !missing.is_empty() {
                    out.findings.push(mk(
                        codes::SCOPE_MISSING,
                        &e.page,
                        json!({ "select": s.name, "missing": missing, "offered": options, "top_columns": columns }),
                        format!("site search cannot reach the columns {}", missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("、")),
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
                out.findings.push(mk(
                    codes::INPUT_LIMITED,
                    &e.page,
                    json!({ "maxlength": e.maxlength, "pattern": e.pattern, "field": e.query_field }),
                    format!("the search box is limited: {}", why.join(", ")),
                    e.excerpt.clone(),
                    None,
                    Some(e.page.clone()),
                ));
            }
        }
        for a in &crawl.searches {
            let r = &a.result;
            let expect = normalize_url_str(&a.plan.expect_url).unwrap_or_default();
            let linked = r.links.iter().any(|l| {
                normalize_url_str(&l.url).as_deref() == Some(expect.as_str())
                    || l.text.contains(&a.plan.term)
            });
            let outcome = if r.fetch.error == Some(govwatch_model::FetchError::RobotsDisallowed) {
                "not_tested_robots"
            } else if let Some(fail) = r.fetch.failure() {
                out.findings.push(mk(
                    codes::BROKEN,
                    &a.plan.url,
                    json!({ "term": a.plan.term, "failure": fail, "form_page": a.plan.form_page }),
                    format!("site search fails: {fail} for the query “{}”", a.plan.term),
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
                let text = Html::parse_document(&r.text)
                    .root_element()
                    .text()
                    .collect::<String>();
                let shown = clip(&text.split_whitespace().collect::<Vec<_>>().join(" "), 200);
                out.findings.push(mk(
                    codes::NO_RESULTS,
                    &a.plan.url,
                    json!({ "term": a.plan.term, "expected": a.plan.expect_url, "form_page": a.plan.form_page }),
                    format!("site search finds nothing for “{}”, the title of a page of the site", a.plan.term),
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
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_model::{FetchRecord, Purpose};

    fn page(html: &str) -> Page {
        Page {
            fetch: FetchRecord {
                url: "http://www.dzj.gov.test/".into(),
                final_url: "http://www.dzj.gov.test/".into(),
                method: "GET".into(),
                purpose: Purpose::Page,
                status: Some(200),
                started_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00")
                    .unwrap(),
                elapsed_ms: 1,
                queue_ms: 0,
                bytes: 1,
                content_type: None,
                content_hash: None,
                remote_addr: None,
                family: Some(4),
                error: None,
                error_message: None,
                redirects: vec![],
                attempt: 1,
            },
            depth: 0,
            text: html.into(),
            charset: None,
            charset_source: None,
            title: None,
            links: vec![],
            is_html: true,
        }
    }

    fn one(html: &str) -> SearchEntry {
        let p = page(html);
        let doc = Html::parse_document(html);
        let mut e = locate_in(&p, &doc);
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    }

    #[test]
    fn mandatory_column_select_by_script_alert() {
        let e = one(
            r#"<form action="/search/" onsubmit="return chk();"><input name="q">
            <select name="columnid" id="columnid"><option value="">请选择栏目</option><option value="1">新闻动态</option><option value="2">通知公告</option></select>
            <input type="submit" value="搜索"></form>
            <script>function chk(){ if(document.getElementById('columnid').value==''){ alert('请先选择栏目'); return false; } return true; }</script>"#,
        );
        let s = &e.selects[0];
        assert!(s.is_column && s.first_empty && !s.has_all);
        assert!(s.mandatory_by.as_deref().unwrap().contains("请先选择栏目"));
        assert!(s.restricts());
    }

    #[test]
    fn empty_first_option_not_enforced_is_no_restriction() {
        let e = one(
            r#"<form action="/search/"><input name="keyword"><select name="channel"><option value="">请选择栏目</option><option value="1">新闻动态</option></select></form>"#,
        );
        assert!(!e.selects[0].restricts());
    }

    #[test]
    fn required_attribute_and_no_all_choice_restrict() {
        let e = one(
            r#"<form action="/search/"><input name="q"><select name="lm" required><option value="">请选择</option><option value="1">新闻</option></select></form>"#,
        );
        assert!(e.selects[0].restricts());
        let e = one(
            r#"<form action="/search/"><input name="q"><select name="catalog"><option value="1">新闻</option><option value="2">通知</option></select></form>"#,
        );
        assert!(e.selects[0].restricts());
    }

    #[test]
    fn field_and_year_selects_are_not_columns() {
        let e = one(
            r#"<form action="/search/"><input name="q"><select name="field"><option>标题</option><option>正文</option></select><select name="year"><option>2026</option><option>2025</option></select></form>"#,
        );
        assert!(
            e.selects.iter().all(|s| !s.is_column && !s.restricts()),
            "{:?}",
            e.selects
        );
    }

    #[test]
    fn letter_and_login_forms_are_never_search() {
        let p = page(
            r#"<form action="/letter"><input name="title"><textarea name="content"></textarea><input type="submit" value="提交"></form>
            <form action="/login"><input name="user"><input type="password" name="pw"><input type="submit" value="登录"></form>"#,
        );
        let doc = Html::parse_document(&p.text);
        assert!(locate_in(&p, &doc).is_empty());
    }

    #[test]
    fn pattern_that_rejects_chinese() {
        assert!(pattern_rejects_chinese("[A-Za-z0-9 ]+"));
        assert!(!pattern_rejects_chinese(".{1,30}"));
        assert!(!pattern_rejects_chinese("[\\u4e00-\\u9fa5A-Za-z0-9]+"));
    }
}
