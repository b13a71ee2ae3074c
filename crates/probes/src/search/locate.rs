//! Finding a site's search entries: `<form>`s named or labelled for search, JS-built searches (an
//! input plus a handler that builds a URL), and search links to other hosts of the site.

use super::plan::plan_with;
use crate::evidence::{clip, excerpt_around};
use crate::html::{sel, text_of};
use govwatch_model::{LinkKind, Page, SearchPlan, SiteCrawl, normalize_url_str};
use regex::Regex;
use scraper::{ElementRef, Html};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::OnceLock;
use url::Url;

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
    /// `form`, `script`, or `unverified` (an input and a search button whose handler's target
    /// cannot be read from the page: present, never submitted, `search.unverified`).
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
        Regex::new(r#"(?:location(?:\.href)?\s*=|location\.(?:assign|replace)\(|window\.open\()\s*(?:['"]([^'"]+?[=/])['"]\s*\+|`([^`$]+?[=/])\$\{)"#).unwrap()
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

pub(super) fn inline_scripts(doc: &Html) -> String {
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

/// Whether a text input outside any form sits beside a search button: a button, link, image or
/// input within its parent or grandparent whose text, value, alt, title, class, id or handler
/// says search (搜索, 检索, search, sousuo).
fn beside_search_button(e: &ElementRef) -> bool {
    let v = e.value();
    let ty = v.attr("type").unwrap_or("text").to_ascii_lowercase();
    if !matches!(ty.as_str(), "text" | "search" | "") {
        return false;
    }
    let says = |b: &ElementRef| {
        let bv = b.value();
        let words = format!(
            "{} {} {} {} {} {} {}",
            b.text().collect::<String>(),
            bv.attr("value").unwrap_or(""),
            bv.attr("alt").unwrap_or(""),
            bv.attr("title").unwrap_or(""),
            bv.attr("class").unwrap_or(""),
            bv.attr("id").unwrap_or(""),
            bv.attr("onclick").unwrap_or(""),
        );
        let lower = words.to_ascii_lowercase();
        has_any(&words, SEARCH_WORDS) || lower.contains("search") || lower.contains("sousuo")
    };
    let Some(parent) = e.parent().and_then(ElementRef::wrap) else {
        return false;
    };
    let scope = parent
        .parent()
        .and_then(ElementRef::wrap)
        .filter(|g| !matches!(g.value().name(), "body" | "html"))
        .unwrap_or(parent);
    scope
        .select(sel(
            "button, a, img, input[type=button], input[type=submit], input[type=image], span, div",
        ))
        .filter(|b| b.id() != e.id() && b.text().collect::<String>().chars().count() <= 10)
        .any(|b| says(&b))
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
    let built = js_url_re().captures_iter(&scripts).find(|c| {
        c.get(1)
            .or(c.get(2))
            .is_some_and(|g| search_like(g.as_str()))
    });
    let loose: Vec<ElementRef> = if loose.is_empty() {
        // an input of no search name next to a search button (text, value, alt, title, class)
        doc.select(sel("input"))
            .filter(|e| !in_forms.contains(&e.id()) && beside_search_button(e))
            .collect()
    } else {
        loose
    };
    if let (Some(input), None, true) = (loose.first(), built.as_ref(), out.is_empty()) {
        // the handler lives in an external script or builds its URL in a way not read here:
        // the search is there, unverified (never `search.missing`, never submitted)
        let around = input
            .parent()
            .and_then(|p| p.parent())
            .and_then(ElementRef::wrap)
            .unwrap_or(*input);
        out.push(SearchEntry {
            page: page.fetch.url.clone(),
            kind: "unverified",
            host: base.host_str().unwrap_or("").to_string(),
            action: String::new(),
            method: String::new(),
            query_field: input
                .value()
                .attr("name")
                .or(input.value().attr("id"))
                .unwrap_or("")
                .to_string(),
            hidden: vec![],
            selects: vec![],
            maxlength: input
                .value()
                .attr("maxlength")
                .and_then(|m| m.trim().parse().ok()),
            pattern: input.value().attr("pattern").map(str::to_string),
            excerpt: clip(
                &around
                    .html()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                400,
            ),
        });
    }
    if let (Some(input), Some(m)) = (loose.first(), built) {
        let prefix = m.get(1).or(m.get(2)).map(|g| g.as_str()).unwrap_or("");
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

pub(super) fn search_pages(crawl: &SiteCrawl) -> Vec<&Page> {
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
    // [issue 25 hook] a search box without a form whose handler is in an external script: its
    // inputs, when the page says search somewhere (read as `unverified`, never missing)
    if key.is_empty() && (SEARCH_WORDS.iter().any(|w| html.contains(w)) || lower.contains("search"))
    {
        let mut at = 0;
        while let Some(i) = lower[at..].find("<input") {
            let start = at + i;
            let end = lower[start..]
                .find('>')
                .map(|e| start + e + 1)
                .unwrap_or(lower.len());
            key.push_str(&lower[start..end]);
            at = end;
        }
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

    /// [issue 25 hook] A page read again in the browser: the search boxes its drawn DOM shows
    /// (a form a script wrote in) replace the page's `unverified` entries. A box still without a
    /// readable target stays unverified until the browser tried it ([`Self::tried_in_browser`]).
    pub fn rendered_page(&mut self, page: &Page, doc: &Html) {
        let real: Vec<SearchEntry> = locate_in(page, doc)
            .into_iter()
            .filter(|e| e.kind != "unverified")
            .collect();
        if real.is_empty() {
            return;
        }
        self.entries
            .retain(|e| !(e.page == page.fetch.url && e.kind == "unverified"));
        for e in real {
            if self.seen.insert(e.key()) {
                self.entries.push(e);
            }
        }
    }

    /// [issue 25 hook] An `unverified` search box of `page` that the browser tried: the search
    /// its script sends, as an entry the planner submits like a script-built one.
    pub fn tried_in_browser(&mut self, page: &str, entry: SearchEntry) {
        self.entries
            .retain(|e| !(e.page == page && e.kind == "unverified"));
        if self.seen.insert(entry.key()) {
            self.entries.push(entry);
        }
    }
}
