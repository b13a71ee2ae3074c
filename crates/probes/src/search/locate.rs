//! Finding a site's search entries: `<form>`s named or labelled for search, JS-built searches (an
//! input plus a handler that builds a URL), and search links to other hosts of the site.

use crate::evidence::{clip, excerpt_around};
use crate::html::{sel, text_of};
use govwatch_model::{LinkKind, Page, SiteCrawl, normalize_url_str};
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
    /// What makes two entries the same search (kind, action without query, method, field,
    /// selects).
    pub(super) fn key(&self) -> String {
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

/// A string literal ending in a query field (`'/search.html?searchWord='`) that a script joins
/// the words to, in a page whose scripts navigate (`$url = '…?searchWord=' + …; window.open($url)`).
fn literal_url_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r#"['"]([^'"\s]*?[?&][A-Za-z_][A-Za-z0-9_]*=)['"]\s*\+"#).unwrap())
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

/// Whether an input of this `type` takes typed words: text, search, no type, or a type a browser
/// does not know (`type="keywords"`), which it shows as a text box.
fn text_box(ty: Option<&str>) -> bool {
    let ty = ty.unwrap_or("text").trim().to_ascii_lowercase();
    !matches!(
        ty.as_str(),
        "hidden"
            | "submit"
            | "button"
            | "image"
            | "reset"
            | "checkbox"
            | "radio"
            | "file"
            | "password"
            | "color"
            | "date"
            | "datetime-local"
            | "month"
            | "week"
            | "time"
            | "number"
            | "range"
            | "email"
            | "tel"
            | "url"
    )
}

fn is_query_input(e: &ElementRef) -> bool {
    let v = e.value();
    let ty = v.attr("type").unwrap_or("text").to_ascii_lowercase();
    if !text_box(Some(&ty)) {
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

/// Words of a box that looks something up that is no site search (a letter's query code, a
/// phone number, a login): a text input labelled so is never taken for a search box.
const LOOKUP_WORDS: &[&str] = &[
    "查询码",
    "编号",
    "信件",
    "手机",
    "身份证",
    "密码",
    "验证码",
    "用户名",
    "账号",
    "邮箱",
    "电话",
    "姓名",
    "受理号",
    "回执",
];

/// Whether `words` (a control's text, value, alt, title) say search: 搜索, 检索, 查询, 搜, search.
fn says_search(words: &str) -> bool {
    let lower = words.to_ascii_lowercase();
    has_any(words, SEARCH_WORDS)
        || words.contains('搜')
        || words.contains("查询")
        || lower.contains("search")
        || lower.contains("sousuo")
}

/// Whether a class, id, picture or handler name says search (`search_icon`, `btn-ss`,
/// `sousuo.png`, `doSearch()`).
fn named_search(names: &str) -> bool {
    let lower = names.to_ascii_lowercase();
    lower.contains("search")
        || lower.contains("sousuo")
        || lower.contains("jiansuo")
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| matches!(w, "ss" | "so" | "sou" | "ssk" | "sskuang"))
}

/// Whether a text input is a visitor's search box: a visible text input, not labelled as a
/// lookup of something else, offered with a search control — a button, picture, link, `div` or
/// `span` near it (in the small block around it) that says search by its text, value, alt or
/// title, or is named so (class, id, picture, handler) — or with an Enter handler (an
/// `onkey…` attribute, or a page script that reads Enter on it).
fn offered_as_search(e: &ElementRef, scripts: &str) -> bool {
    let v = e.value();
    if !text_box(v.attr("type")) || v.attr("readonly").is_some() || crate::lists::hidden_element(v)
    {
        return false;
    }
    let own = format!(
        "{} {} {} {}",
        v.attr("placeholder").unwrap_or(""),
        v.attr("name").unwrap_or(""),
        v.attr("id").unwrap_or(""),
        v.attr("title").unwrap_or("")
    );
    if has_any(&own, LOOKUP_WORDS) {
        return false;
    }
    // the small block around the input: up to three levels, while it holds a few controls and
    // little text (a search bar, not a whole form or page)
    let mut scope = None;
    for a in e.ancestors().filter_map(ElementRef::wrap).take(3) {
        if matches!(a.value().name(), "body" | "html" | "form") && scope.is_some() {
            break;
        }
        let inputs = a
            .select(sel(
                "input[type=text], input[type=search], input:not([type]), textarea",
            ))
            .count();
        // the text a visitor sees in the block (a script defining its handler is no text)
        let text = visible_chars(&a);
        if inputs > 3 || text > 80 {
            break;
        }
        scope = Some(a);
    }
    let Some(scope) = scope else { return false };
    if has_any(&scope.text().collect::<String>(), LOOKUP_WORDS) {
        return false;
    }
    let control = scope
        .select(sel(
            "button, a, img, input[type=button], input[type=submit], input[type=image], span, div, i, em, label",
        ))
        .filter(|b| b.id() != e.id())
        .any(|b| {
            let bv = b.value();
            let text: String = b.text().collect::<String>().split_whitespace().collect();
            let words = format!(
                "{} {} {} {}",
                if text.chars().count() <= 10 { text.as_str() } else { "" },
                bv.attr("value").unwrap_or(""),
                bv.attr("alt").unwrap_or(""),
                bv.attr("title").unwrap_or(""),
            );
            let names = format!(
                "{} {} {} {}",
                bv.attr("class").unwrap_or(""),
                bv.attr("id").unwrap_or(""),
                bv.attr("src").unwrap_or("").rsplit('/').next().unwrap_or(""),
                bv.attr("onclick").unwrap_or(""),
            );
            says_search(&words) || named_search(&names)
        });
    control || enter_handler(e, scripts)
}

/// How many characters of visible text an element holds (scripts, styles and hidden parts left
/// out).
fn visible_chars(e: &ElementRef) -> usize {
    e.descendants()
        .filter_map(|n| n.value().as_text().map(|t| (n, t)))
        .filter(|(n, _)| {
            !n.ancestors().take_while(|a| a.id() != e.id()).any(|a| {
                a.value().as_element().is_some_and(|el| {
                    matches!(el.name(), "script" | "style" | "noscript" | "template")
                        || crate::lists::hidden_element(el)
                })
            })
        })
        .map(|(_, t)| t.trim().chars().count())
        .sum()
}

/// Whether the input runs something on Enter: its own `onkeydown`/`onkeyup`/`onkeypress`, or a
/// page script naming its id or class beside a check of key code 13 or "Enter".
fn enter_handler(e: &ElementRef, scripts: &str) -> bool {
    let v = e.value();
    let on_key = ["onkeydown", "onkeyup", "onkeypress"]
        .iter()
        .filter_map(|a| v.attr(a))
        .any(|h| h.contains("13") || h.contains("Enter"));
    if on_key {
        return true;
    }
    let reads_enter =
        scripts.contains("13") || scripts.contains("'Enter'") || scripts.contains("\"Enter\"");
    if !reads_enter
        || !(scripts.contains("keydown")
            || scripts.contains("keyup")
            || scripts.contains("keypress"))
    {
        return false;
    }
    let names: Vec<String> = v
        .id()
        .map(|i| format!("#{i}"))
        .into_iter()
        .chain(v.classes().map(|c| format!(".{c}")))
        .collect();
    names
        .iter()
        .any(|n| n.len() > 2 && scripts.contains(n.as_str()))
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
    // forms read here (a search form, or a message or login form that never is one): their
    // controls are no loose search boxes; the controls of other forms may be (a form without
    // names, whose handler builds the search)
    let mut read_forms: HashSet<ego_tree::NodeId> = HashSet::new();
    for (form, controls) in &owned {
        match form_entry(page, &base, *form, controls, &scripts) {
            FormRead::Search(e) => {
                read_forms.insert(form.id());
                out.push(e);
            }
            FormRead::NoSearch => {
                read_forms.insert(form.id());
            }
            FormRead::Loose => {}
        }
    }
    // JS-built search: an input outside any form plus a script that builds the URL.
    let in_forms: HashSet<_> = owned
        .iter()
        .filter(|(f, _)| read_forms.contains(&f.id()))
        .flat_map(|(_, c)| c.iter().map(|e| e.id()))
        .collect();
    let loose = loose_inputs(doc, &in_forms, &scripts);
    let built = script_url(&scripts);
    if let (Some(input), None, true) = (loose.first(), built.as_ref(), out.is_empty()) {
        // a choice of search engines whose values are the URLs the words are appended to
        // (`window.open(select.value + words)`): the first is the site's template
        if let Some(entry) = select_template(page, &base, input, &scripts) {
            out.push(entry);
            return out;
        }
        // the handler lives in an external script or builds its URL in a way not read here:
        // the search is there, unverified (never `search.missing`, never submitted)
        out.push(unverified_entry(page, &base, input));
    }
    if let (Some(input), Some((prefix, code))) = (loose.first(), built)
        && let Some(entry) = script_entry(page, &base, input, &prefix, &code, &scripts)
    {
        out.push(entry);
    }
    if out.is_empty() {
        out = in_comments(page, doc);
    }
    out
}

/// What a form is to the search reader (returned by value and matched at once: no box).
#[allow(clippy::large_enum_variant)]
enum FormRead {
    /// A search form, read as this entry.
    Search(SearchEntry),
    /// A message, letter or login form: never a search, never submitted.
    NoSearch,
    /// No search form by itself; its controls may still be a loose search box whose handler
    /// builds the search.
    Loose,
}

/// Reads one form with its controls ([`form_controls`]) as a search form, or says why it is none.
fn form_entry(
    page: &Page,
    base: &Url,
    form: ElementRef,
    controls: &[ElementRef],
    scripts: &str,
) -> FormRead {
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
        return FormRead::NoSearch; // a message, letter or login form: never a search, never submitted
    }
    let action_raw = f.attr("action").unwrap_or("").trim();
    let to_itself = action_raw.is_empty()
        || action_raw.starts_with('#')
        || action_raw.to_ascii_lowercase().starts_with("javascript");
    // a form that submits nowhere but whose controls run a handler (`onclick="was_search()"`):
    // the handler builds the search, read as a loose box
    if to_itself
        && (f.attr("onsubmit").is_some()
            || form.descendants().filter_map(ElementRef::wrap).any(|e| {
                ["onclick", "onkeydown", "onkeyup", "onkeypress"]
                    .iter()
                    .any(|a| e.value().attr(a).is_some())
            }))
    {
        return FormRead::Loose;
    }
    let action = if to_itself {
        base.clone()
    } else {
        match base.join(action_raw) {
            Ok(u) => u,
            Err(_) => return FormRead::Loose,
        }
    };
    let inputs: Vec<ElementRef> = controls
        .iter()
        .filter(|c| c.value().name() == "input")
        .copied()
        .collect();
    let Some(q) = form_query_input(&form, &inputs, &action) else {
        return FormRead::Loose;
    };
    let Some(qname) = q.value().attr("name").map(str::to_string) else {
        return FormRead::Loose; // no field name: the handler builds the search (read as a loose box)
    };
    let select_els: Vec<ElementRef> = controls
        .iter()
        .filter(|c| c.value().name() == "select")
        .copied()
        .collect();
    let only = select_els.len() == 1;
    let selects = select_els
        .iter()
        .map(|s| select_info(s, scripts, only))
        .collect();
    FormRead::Search(SearchEntry {
        page: page.fetch.url.clone(),
        kind: "form",
        host: action.host_str().unwrap_or("").to_string(),
        action: action.to_string(),
        method: f.attr("method").unwrap_or("GET").to_ascii_uppercase(),
        query_field: qname,
        hidden: hidden_fields(&inputs),
        selects,
        maxlength: maxlength(q),
        pattern: q.value().attr("pattern").map(str::to_string),
        excerpt: markup_excerpt(&form),
    })
}

/// The search box of a form: an input named or labelled for search, else — in a form whose
/// action or labels say search — its first text box; `None` for a form that is no search.
fn form_query_input<'a, 'b>(
    form: &ElementRef,
    inputs: &'b [ElementRef<'a>],
    action: &Url,
) -> Option<&'b ElementRef<'a>> {
    let labels = format!(
        "{} {}",
        text_of(form),
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
        (action_says || has_any(&labels, SEARCH_WORDS))
            .then(|| inputs.iter().find(|i| text_box(i.value().attr("type"))))?
    })?;
    (action_says || has_any(&labels, SEARCH_WORDS) || is_query_input(query)).then_some(query)
}

/// A form's hidden fields (name, value), submitted with the search.
fn hidden_fields(inputs: &[ElementRef]) -> Vec<(String, String)> {
    inputs
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
        .collect()
}

/// A box's `maxlength`, when it gives a number.
fn maxlength(input: &ElementRef) -> Option<u32> {
    input
        .value()
        .attr("maxlength")
        .and_then(|m| m.trim().parse().ok())
}

/// An element's markup with its white space folded, clipped to 400 characters (an entry's
/// excerpt).
fn markup_excerpt(e: &ElementRef) -> String {
    clip(
        &e.html().split_whitespace().collect::<Vec<_>>().join(" "),
        400,
    )
}

/// The inputs outside the forms read that may be a search box wired by script: inputs named or
/// labelled for search, else inputs of no search name offered with a search control
/// ([`offered_as_search`]).
fn loose_inputs<'a>(
    doc: &'a Html,
    in_forms: &HashSet<ego_tree::NodeId>,
    scripts: &str,
) -> Vec<ElementRef<'a>> {
    let loose: Vec<ElementRef> = doc
        .select(sel("input"))
        .filter(|e| !in_forms.contains(&e.id()) && is_query_input(e))
        .collect();
    if !loose.is_empty() {
        return loose;
    }
    // an input of no search name next to a search button (text, value, alt, title, class)
    doc.select(sel("input"))
        .filter(|e| !in_forms.contains(&e.id()) && offered_as_search(e, scripts))
        .collect()
}

/// The search URL a page script builds, as (the URL prefix, the script text that builds it): a
/// navigation to a literal joined with the words, or a literal ending in a query field that a
/// navigating script joins the words to.
fn script_url(scripts: &str) -> Option<(String, String)> {
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
    let navigates = scripts.contains("location") || scripts.contains("window.open");
    js_url_re()
        .captures_iter(scripts)
        .filter_map(|c| {
            let g = c.get(1).or(c.get(2))?;
            Some((g.as_str().to_string(), c.get(0)?.as_str().to_string()))
        })
        .chain(
            literal_url_re()
                .captures_iter(scripts)
                .filter(|_| navigates)
                .filter_map(|c| {
                    Some((
                        c.get(1)?.as_str().to_string(),
                        c.get(0)?.as_str().to_string(),
                    ))
                }),
        )
        .find(|(prefix, _)| search_like(prefix))
}

/// A search box whose handler's target is not read from the page: present, `unverified`, its
/// excerpt the block around it.
fn unverified_entry(page: &Page, base: &Url, input: &ElementRef) -> SearchEntry {
    let around = input
        .parent()
        .and_then(|p| p.parent())
        .and_then(ElementRef::wrap)
        .unwrap_or(*input);
    SearchEntry {
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
        maxlength: maxlength(input),
        pattern: input.value().attr("pattern").map(str::to_string),
        excerpt: markup_excerpt(&around),
    }
}

/// The search a page script builds from `prefix` (its query field the last one it ends in, if
/// any) with the box's words; `None` when the prefix is no URL.
fn script_entry(
    page: &Page,
    base: &Url,
    input: &ElementRef,
    prefix: &str,
    code: &str,
    scripts: &str,
) -> Option<SearchEntry> {
    let action = base.join(prefix).ok()?;
    let field = match prefix.rsplit_once(['?', '&']) {
        Some((_, p)) if p.ends_with('=') => p.trim_end_matches('=').to_string(),
        _ => String::new(),
    };
    let excerpt = clip(&excerpt_around(scripts, code, 80).unwrap_or_default(), 400);
    Some(scripted_get(page, &action, field, input, excerpt))
}

/// A search box beside a `<select>` whose options are search URLs ending in their query field
/// (`http://www.example.gov.cn/so/s?siteCode=…&qt=`), which a page script opens with the words
/// appended: a script search whose URL template is the first option.
fn select_template(
    page: &Page,
    base: &Url,
    input: &ElementRef,
    scripts: &str,
) -> Option<SearchEntry> {
    if !(scripts.contains(".value")
        && (scripts.contains("window.open") || scripts.contains("location")))
    {
        return None;
    }
    let scope = input
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take(3)
        .find(|a| a.select(sel("select")).next().is_some())?;
    let select = scope.select(sel("select")).next()?;
    let names: Vec<&str> = [select.value().id(), select.value().attr("name")]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect();
    if !names.iter().any(|n| scripts.contains(n)) {
        return None;
    }
    let template = select
        .select(sel("option"))
        .filter_map(|o| o.value().attr("value"))
        .map(str::trim)
        .find(|v| v.ends_with('=') && base.join(v).is_ok_and(|u| u.query().is_some()))?;
    let action = base.join(template).ok()?;
    let field = template
        .rsplit(['?', '&'])
        .next()
        .unwrap_or("")
        .trim_end_matches('=')
        .to_string();
    Some(scripted_get(
        page,
        &action,
        field,
        input,
        markup_excerpt(&scope),
    ))
}

/// The entry of a search a page script sends by GET to `action` with the box's words in `field`.
fn scripted_get(
    page: &Page,
    action: &Url,
    field: String,
    input: &ElementRef,
    excerpt: String,
) -> SearchEntry {
    SearchEntry {
        page: page.fetch.url.clone(),
        kind: "script",
        host: action.host_str().unwrap_or("").to_string(),
        action: action.to_string(),
        method: "GET".into(),
        query_field: field,
        hidden: vec![],
        selects: vec![],
        maxlength: maxlength(input),
        pattern: input.value().attr("pattern").map(str::to_string),
        excerpt,
    }
}

/// Search boxes left in HTML comments (`<!-- <form class="search" …> -->`): a template's box that
/// a script may draw or that may be switched off. The static reader cannot tell which, so each is
/// present but unverified — never `search.missing`, never submitted.
fn in_comments(page: &Page, doc: &Html) -> Vec<SearchEntry> {
    let mut out = Vec::new();
    for node in doc.tree.root().descendants() {
        let Some(c) = node.value().as_comment() else {
            continue;
        };
        let lower = c.to_ascii_lowercase();
        if !(lower.contains("<form") || lower.contains("<input")) || lower.len() > 100_000 {
            continue;
        }
        let inner = Html::parse_fragment(c);
        for mut e in locate_in(page, &inner) {
            e.kind = "unverified";
            e.excerpt = clip(&format!("<!-- {} -->", e.excerpt), 400);
            out.push(e);
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

/// What of a page can hold a search: its raw `<form>`…`</form>` markup (also inside comments),
/// its text inputs and buttons outside forms, and its inline scripts that navigate. Pages
/// repeating the same header search box give the same key and are parsed once; pages with none
/// of these are not parsed at all.
pub(super) fn raw_search_key(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut key = String::new();
    let mut at = 0;
    let mut outside = String::new();
    while let Some(i) = lower[at..].find("<form") {
        let start = at + i;
        outside.push_str(&lower[at..start]);
        let end = lower[start..]
            .find("</form>")
            .map(|e| start + e + 7)
            .unwrap_or(lower.len());
        key.push_str(&lower[start..end]);
        at = end;
    }
    outside.push_str(&lower[at..]);
    // the controls outside forms: a search box wired by script
    for tag in ["<input", "<button"] {
        let mut at = 0;
        while let Some(i) = outside[at..].find(tag) {
            let start = at + i;
            let end = outside[start..]
                .find('>')
                .map(|e| start + e + 1)
                .unwrap_or(outside.len());
            key.push_str(&outside[start..end]);
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

/// Notes the search links of one page (text or URL saying search) not noted yet.
pub(super) fn note_search_links(p: &Page, out: &mut Vec<String>) {
    for l in p.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
        let Some(u) = normalize_url_str(&l.url) else {
            continue;
        };
        if search_link(&l.text, &u) && !out.contains(&u) {
            out.push(u);
        }
    }
}

/// The candidates not crawled (as asked or as answered), at most three.
pub(super) fn not_crawled(crawl: &SiteCrawl, candidates: Vec<String>) -> Vec<String> {
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
