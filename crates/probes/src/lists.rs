//! Lists read as records, not as links.
//!
//! A list on a government page is a run of sibling records — `li`, `tr`, `dd`, `div`, `p`
//! blocks, a table whose title, excerpt and date sit in separate rows — and a record is an item
//! whatever its link looks like: a real article URL, `javascript:;`, an `onclick`, an anchor with
//! no `href`, a heading, or plain text beside a date. The reader works in two passes over the
//! parsed page:
//!
//! 1. **Titled records.** Every title element — a link of four characters or more (its text, a
//!    heading inside it, or its `title` attribute) that is not a "more" link, a link to a place
//!    on the page itself or a link to a column index — is climbed from, level by level, while its
//!    parent holds no other title. The text met on the way belongs to this
//!    record alone; its first date is the record's date, a strict date cell inside the title
//!    element itself (`<a><h2>标题</h2><i>日期：2019-07-09</i></a>`) first. A row (`li`, `tr`,
//!    `dd`, `dt`, `dl`) of two or three titles is one record (its first). A record whose block
//!    holds no date reads the next two title-free siblings (a date row under a title row).
//! 2. **Records without a title element.** A date not inside any record of pass 1 is the date
//!    of the largest block around it that holds no other date and no link, when that block has
//!    text of its own beside the date (`<li><span>关于…的通知</span><span>2026-05-26</span></li>`).
//!
//! What a reader does not see is no date: text in scripts, styles, templates, form controls and
//! elements hidden inside the record (`display:none`, `hidden`); dates that are not a record's
//! publication — "今天是…" clocks, copyright lines and deadlines (截止) — are never read (see [`crate::dates::item_date`]). Records in navigation
//! bars, headers, footers and breadcrumbs are no items. An undated record counts as an item (it
//! is "not updated") when it sits in a row and its title links to an article, or is long enough
//! to be one (eight characters), and is visible.
//!
//! The result keeps, besides the items, how each list was read ([`ListShape`]: the record
//! structure such as `ul>li`, how many records, how many dated), which the columns probe states
//! in its `column.latest` / `home.latest` facts.

use crate::dates::{article_like, item_date};
use chrono::NaiveDate;
use ego_tree::{NodeId, NodeRef, iter::Edge};
use scraper::{ElementRef, Html, Node};
use std::collections::{HashMap, HashSet};
use url::Url;

/// One record of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    pub title: String,
    /// The article the record links to; for a record without a readable link, the page's URL
    /// with a fragment naming the record's title (`…#item-1a2b3c4d`), stable from run to run.
    pub url: String,
    pub date: Option<NaiveDate>,
    /// The date as written.
    pub raw_date: Option<String>,
    pub pinned: bool,
    /// The record links to its own article (a real URL), which can be followed from run to run;
    /// a record drawn by script or without a link is read, but its date is not judged as faked.
    pub linked: bool,
}

/// How one list of a page was read: its record structure (`ul>li`, `tbody>tr`, `div>div` …),
/// how many records it holds and how many of them are dated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ListShape {
    pub structure: String,
    pub records: usize,
    pub dated: usize,
}

/// The records of a page and the lists they form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListReading {
    pub items: Vec<ListItem>,
    pub lists: Vec<ListShape>,
}

impl ListReading {
    /// How the page's lists were read, for a fact: `{records, dated, lists: [{structure,
    /// records, dated}]}` (at most ten lists, the largest first).
    pub fn summary(&self) -> serde_json::Value {
        let mut lists = self.lists.clone();
        lists.sort_by_key(|l| std::cmp::Reverse(l.records));
        lists.truncate(10);
        serde_json::json!({
            "records": self.items.len(),
            "dated": self.items.iter().filter(|i| i.date.is_some()).count(),
            "lists": lists,
        })
    }
}

/// The list items of a page (see [`read_lists`]).
pub fn list_items(doc: &Html, page_url: &Url, as_of: NaiveDate) -> Vec<ListItem> {
    read_lists(doc, page_url, as_of).items
}

/// Elements whose text no reader sees as page text.
fn code_element(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "textarea"
            | "select"
            | "option"
            | "svg"
            | "iframe"
            | "object"
    )
}

/// Whether an element is hidden from the reader by its own markup.
pub(crate) fn hidden_element(e: &scraper::node::Element) -> bool {
    if e.attr("hidden").is_some() {
        return true;
    }
    if e.name() == "input"
        && e.attr("type")
            .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
    {
        return true;
    }
    e.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Link texts that lead to more of a list, not to an item.
fn more_link(text: &str) -> bool {
    let t: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() && !c.is_ascii_digit())
        .collect::<String>()
        .to_lowercase();
    [
        "更多",
        "更多信息",
        "更多内容",
        "查看更多",
        "了解更多",
        "阅读原文",
        "阅读全文",
        "查看全文",
        "查看原文",
        "全文",
        "详细",
        "详情",
        "查看详情",
        "点击查看",
        "详细信息",
        "more",
        "下一页",
        "上一页",
        "首页",
        "尾页",
        "末页",
    ]
    .contains(&t.as_str())
}

/// Whether a record sits in a menu, drop-down, header, footer or breadcrumb (当前位置) bar (by
/// tag, or by the generic words of its ancestors' class and id).
pub(crate) fn in_navigation(node: &ElementRef) -> bool {
    const WORDS: &[&str] = &[
        "nav",
        "menu",
        "dropdown",
        "header",
        "footer",
        "daohang",
        "subnav",
        "topbar",
        "breadcrumb",
        "crumb",
        "location",
        "position",
        "weizhi",
        "dqwz",
    ];
    std::iter::once(*node)
        .chain(node.ancestors().filter_map(ElementRef::wrap))
        .any(|a| {
            let v = a.value();
            if matches!(v.name(), "nav" | "header" | "footer") {
                return true;
            }
            let attrs = format!("{} {}", v.attr("class").unwrap_or(""), v.id().unwrap_or(""))
                .to_ascii_lowercase();
            attrs
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| WORDS.contains(&w) || w == "dh")
        })
}

/// Elements that are rows of a list: a title inside one is an item even when undated.
fn is_row(name: &str) -> bool {
    matches!(name, "li" | "tr" | "dd" | "dt" | "dl")
}

/// How many titles a node holds, capped (a node holding this many is a list, not an item).
const CAP: u8 = 4;

/// Most characters of text read around one title before its block is taken as no record of a
/// list (an article page's body around an attachment link).
const RECORD_CHARS: usize = 400;

/// A title element of the page.
struct Title<'a> {
    el: ElementRef<'a>,
    text: String,
    /// The article it links to (a real http(s) link to an article-like URL).
    url: Option<Url>,
    /// Inside an element hidden from the reader.
    hidden: bool,
    /// Two or three characters (`三侨生`): a record only when dated, and never one that holds a
    /// longer title (a category tag beside a title, a menu's short links).
    short: bool,
}

/// The visible text nodes under `node` in document order, without those under `skip` (the
/// record's title element), code elements and hidden elements.
fn texts_under(node: NodeRef<Node>, skip: Option<NodeId>, out: &mut Vec<(NodeId, String)>) {
    let mut skipping: Option<NodeId> = None;
    for edge in node.traverse() {
        match edge {
            Edge::Open(n) => {
                if skipping.is_some() {
                    continue;
                }
                match n.value() {
                    Node::Element(e)
                        if Some(n.id()) == skip || code_element(e.name()) || hidden_element(e) =>
                    {
                        skipping = Some(n.id());
                    }
                    Node::Text(t) => out.push((n.id(), t.to_string())),
                    _ => {}
                }
            }
            Edge::Close(n) => {
                if skipping == Some(n.id()) {
                    skipping = None;
                }
            }
        }
    }
}

/// The date of a run of text nodes: the first date cell (a text that is little more than a
/// date); unless `strict`, failing that the first short text with a date. A date cell wins over
/// a date met earlier inside an excerpt cut into pieces by highlighting (`3月29日，…` before the
/// record's own `2022-03-31`).
fn date_in(
    texts: &[(NodeId, String)],
    as_of: NaiveDate,
    strict: bool,
) -> Option<(NaiveDate, String)> {
    // a date in two pieces side by side (`<p>09/30</p><p>2019</p>`): a date cell of its own
    let pieces: Vec<&str> = texts
        .iter()
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(d) = pieces
        .windows(2)
        .filter(|w| w[0].chars().count() <= 10 && w[1].chars().count() <= 10)
        .find_map(|w| crate::dates::split_date(w[0], w[1]))
    {
        return Some(d);
    }
    let dates: Vec<crate::dates::ItemDate> = texts
        .iter()
        .filter_map(|(_, t)| item_date(t, as_of))
        .collect();
    let cell = dates.iter().find(|d| d.strict);
    cell.or(if strict { None } else { dates.first() })
        .map(|d| (d.date, d.raw.clone()))
}

/// The title text of a link or heading: a heading inside a link names it; else its text without
/// the date cells it holds, or its `title` attribute when that is longer.
fn title_text(el: &ElementRef, as_of: NaiveDate) -> String {
    if el.value().name() == "a"
        && let Some(h) = el
            .descendants()
            .filter_map(ElementRef::wrap)
            .find(|e| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
    {
        let t = fold(&h.text().collect::<String>());
        if t.chars().count() >= 4 {
            return t;
        }
    }
    let mut texts = Vec::new();
    texts_under(**el, None, &mut texts);
    let text = fold(
        &texts
            .iter()
            .filter(|(_, t)| item_date(t, as_of).is_none_or(|d| !d.strict))
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let attr = el.value().attr("title").map(fold).unwrap_or_default();
    if attr.chars().count() > text.chars().count() {
        attr
    } else {
        text
    }
}

/// The title elements of the page in document order, and the links left out as navigation
/// (to column indexes or the home page), whose blocks are no records either.
fn titles<'a>(
    doc: &'a Html,
    page_url: &Url,
    as_of: NaiveDate,
) -> (Vec<Title<'a>>, HashSet<NodeId>) {
    let mut out: Vec<Title> = Vec::new();
    let mut navigation = HashSet::new();
    let page = {
        let mut p = page_url.clone();
        p.set_fragment(None);
        p
    };
    // (code, hidden) depth of the walk: elements under code elements are never titles
    let mut code_depth: Vec<NodeId> = Vec::new();
    let mut hidden_depth: Vec<NodeId> = Vec::new();
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(n) => {
                let Node::Element(e) = n.value() else {
                    continue;
                };
                if code_element(e.name()) {
                    code_depth.push(n.id());
                }
                if hidden_element(e) {
                    hidden_depth.push(n.id());
                }
                if !code_depth.is_empty() {
                    continue;
                }
                let Some(el) = ElementRef::wrap(n) else {
                    continue;
                };
                if e.name() != "a" {
                    continue;
                }
                let text = title_text(&el, as_of);
                let chars = text.chars().count();
                // a short title is read as the link shows it (a `大` whose title attribute says
                // 字体大 is a control, not a record)
                let shown = fold(&el.text().collect::<String>()).chars().count();
                if chars < 2
                    || (chars < 4 && shown < 2)
                    || more_link(&text)
                    || text.chars().all(|c| !c.is_alphabetic())
                {
                    continue;
                }
                let href = e.attr("href").map(str::trim).unwrap_or("");
                let lower = href.to_ascii_lowercase();
                let url = if href.is_empty() || href == "#" || lower.starts_with("javascript:") {
                    None // a link drawn by script, or no link at all: still a record
                } else if href.starts_with('#')
                    || lower.starts_with("mailto:")
                    || lower.starts_with("tel:")
                {
                    continue; // a place on this page, an address: no item
                } else {
                    let Ok(u) = page_url.join(href) else { continue };
                    let mut bare = u.clone();
                    bare.set_fragment(None);
                    if !matches!(u.scheme(), "http" | "https") || bare == page {
                        continue;
                    }
                    if !article_like(&u) {
                        navigation.insert(n.id());
                        continue; // a column index or a home page: navigation
                    }
                    Some(u)
                };
                // a picture and a title linking to the same article are one record
                if let (Some(u), Some(last)) = (&url, out.last_mut())
                    && last.url.as_ref() == Some(u)
                {
                    if text.chars().count() > last.text.chars().count() {
                        last.text = text;
                        last.el = el;
                    }
                    continue;
                }
                out.push(Title {
                    el,
                    text,
                    url,
                    hidden: !hidden_depth.is_empty(),
                    short: chars < 4,
                });
            }
            Edge::Close(n) => {
                if code_depth.last() == Some(&n.id()) {
                    code_depth.pop();
                }
                if hidden_depth.last() == Some(&n.id()) {
                    hidden_depth.pop();
                }
            }
        }
    }
    (out, navigation)
}

/// Marks every ancestor of each node in `nodes` with how many of them it holds, capped at
/// [`CAP`]: a walk up stops at the first node already at the cap (its ancestors are too), so the
/// pass is linear in the page's size however deeply rows nest.
fn counts<'a>(nodes: impl Iterator<Item = NodeRef<'a, Node>>) -> HashMap<NodeId, u8> {
    let mut count: HashMap<NodeId, u8> = HashMap::new();
    for node in nodes {
        for a in std::iter::once(node).chain(node.ancestors()) {
            let c = count.entry(a.id()).or_insert(0);
            if *c >= CAP {
                break;
            }
            *c += 1;
        }
    }
    count
}

/// Whether a record is marked as pinned (置顶): by its words, a pin picture or a class word.
fn pinned(title: &ElementRef, block: &ElementRef, texts: &[(NodeId, String)]) -> bool {
    title.text().any(|t| t.contains("置顶"))
        || texts.iter().any(|(_, t)| t.contains("置顶"))
        || block
            .descendants()
            .filter_map(ElementRef::wrap)
            .filter(|e| e.value().name() == "img")
            .any(|i| {
                i.value()
                    .attr("alt")
                    .or(i.value().attr("title"))
                    .is_some_and(|t| t.contains("置顶") || t.eq_ignore_ascii_case("top"))
            })
        || std::iter::once(*block)
            .chain(
                title
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .take_while(|e| e.id() != block.id()),
            )
            .any(|e| {
                e.value().attr("class").is_some_and(|c| {
                    c.to_ascii_lowercase()
                        .split_whitespace()
                        .any(|w| w == "top" || w == "zhiding" || w == "zd" || w == "sticky")
                })
            })
}

/// A record found on the page, before the lists are summed up.
struct Record {
    /// The record's block, its structure and the list element holding it.
    block: NodeId,
    structure: String,
    list: Option<NodeId>,
    item: ListItem,
    /// Read from a title of two or three characters.
    short: bool,
}

/// A record's structure (`ul>li`, `tbody>tr`) and the list element holding it: the structure of
/// its repeating unit, the block or its nearest ancestor that holds no other record (`alone`
/// says whether a parent does not) — a `td` holding a record repeats as its `tr`.
fn structure_of(block: &ElementRef, alone: impl Fn(NodeId) -> bool) -> (String, Option<NodeId>) {
    let mut unit = *block;
    while let Some(p) = unit.parent().and_then(ElementRef::wrap) {
        if matches!(p.value().name(), "body" | "html") || !alone(p.id()) {
            break;
        }
        unit = p;
    }
    let parent = unit.parent().and_then(ElementRef::wrap);
    (
        format!(
            "{}>{}",
            parent.map(|p| p.value().name()).unwrap_or(""),
            unit.value().name()
        ),
        parent.map(|p| p.id()),
    )
}

/// A stable URL for a record without a readable link: the page with a fragment naming the title.
fn record_url(page_url: &Url, title: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    title.hash(&mut h);
    let mut u = page_url.clone();
    u.set_fragment(Some(&format!("item-{:08x}", h.finish() as u32)));
    u.to_string()
}

/// Reads the page's lists as records (see the module's documentation).
pub fn read_lists(doc: &Html, page_url: &Url, as_of: NaiveDate) -> ListReading {
    let (titles, navigation) = titles(doc, page_url, as_of);
    let count = counts(titles.iter().filter(|t| !t.short).map(|t| *t.el));
    let mut rows_taken = HashSet::new();
    let mut records: Vec<Record> = Vec::new();
    // blocks read by pass 1 (records and navigation links): their dates are taken
    let mut taken: HashSet<NodeId> = navigation.clone();
    for t in &titles {
        let Some(climb) = climb(t, &count, &mut rows_taken, as_of) else {
            continue; // a later title of a row already read
        };
        if let Some(r) = titled_record(t, climb, &count, &mut taken, page_url, as_of) {
            records.push(r);
        }
    }
    // one record per block (several links of one block read the same record)
    let mut blocks = HashSet::new();
    records.retain(|r| blocks.insert(r.block));
    // a record of a short title stands in a list of others (`嘉奖令` among the 政府文件), never
    // alone (an article's 打印 or 关闭 beside its byline's date)
    let mut in_list: HashMap<Option<NodeId>, usize> = HashMap::new();
    for r in &records {
        *in_list.entry(r.list).or_default() += 1;
    }
    records.retain(|r| !r.short || (r.list.is_some() && in_list[&r.list] > 1));
    untitled_records(doc, page_url, as_of, &taken, &mut records);
    summed_up(doc, records)
}

/// How many titles a node holds ([`counts`]; capped at [`CAP`]).
fn count_of(count: &HashMap<NodeId, u8>, id: NodeId) -> u8 {
    count.get(&id).copied().unwrap_or(0)
}

/// What the climb from a title to its record's block met.
struct Climb<'a> {
    /// The record's block.
    block: ElementRef<'a>,
    /// The record's date (parsed, as written).
    date: Option<(NaiveDate, String)>,
    /// The block is, or is inside, a row (`li`, `tr`, `dd`, `dt`, `dl`).
    in_row: bool,
    /// The text met on the way (for the pinned marks).
    texts: Vec<(NodeId, String)>,
}

/// Pass 1's climb from one title, level by level while the parent holds no other title: the
/// record's block, its first date and the text on the way. `None` for a later title of a row
/// already read (the row is one record, its first title).
fn climb<'a>(
    t: &Title<'a>,
    count: &HashMap<NodeId, u8>,
    rows_taken: &mut HashSet<NodeId>,
    as_of: NaiveDate,
) -> Option<Climb<'a>> {
    let a = t.el;
    // a date cell inside the title element itself (the whole record is one link)
    let mut inside = Vec::new();
    texts_under(*a, None, &mut inside);
    let mut date = date_in(&inside, as_of, true);
    let mut block = a;
    let mut in_row = false;
    let mut chars = 0usize;
    let mut texts_all: Vec<(NodeId, String)> = Vec::new();
    for level in 0..8 {
        let Some(parent) = block.parent() else { break };
        let Some(pe) = ElementRef::wrap(parent) else {
            break;
        };
        let name = pe.value().name();
        if matches!(name, "body" | "html") {
            break;
        }
        let c = count_of(count, parent.id());
        if t.short && c > 0 {
            break; // a short title's record holds no longer title
        }
        if c > 1 {
            // a row of two or three titles is one record, its first title
            if !in_row && c < CAP && is_row(name) && !hidden_element(pe.value()) {
                if !rows_taken.insert(parent.id()) {
                    return None; // a later title of a row already read
                }
                in_row = true;
                let mut texts = Vec::new();
                texts_under(parent, Some(a.id()), &mut texts);
                if date.is_none() {
                    date = date_in(&texts, as_of, false);
                }
                texts_all.extend(texts);
                block = pe;
            }
            break;
        }
        in_row |= is_row(name);
        let mut texts = Vec::new();
        for sib in parent.children().filter(|s| s.id() != block.id()) {
            texts_under(sib, Some(a.id()), &mut texts);
        }
        chars += texts
            .iter()
            .map(|(_, t)| t.trim().chars().count())
            .sum::<usize>();
        block = pe;
        if chars > RECORD_CHARS {
            break;
        }
        if date.is_none() {
            date = date_in(&texts, as_of, false);
            // a sentence of an excerpt carries no item date; a row's own text may
            if date.is_none() && (level == 0 || is_row(name)) {
                let joined: String = texts
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                if joined.chars().count() <= 120 {
                    date = item_date(&joined, as_of).map(|d| (d.date, d.raw));
                }
            }
        }
        texts_all.extend(texts);
        if date.is_some() {
            break;
        }
    }
    Some(Climb {
        block,
        date,
        in_row,
        texts: texts_all,
    })
}

/// Pass 1's record of one title from its climb: its block taken, a date row under it read when
/// undated; `None` for a title in navigation, or an undated one that is no item.
fn titled_record(
    t: &Title,
    climb: Climb,
    count: &HashMap<NodeId, u8>,
    taken: &mut HashSet<NodeId>,
    page_url: &Url,
    as_of: NaiveDate,
) -> Option<Record> {
    let Climb {
        block,
        mut date,
        in_row,
        texts: texts_all,
    } = climb;
    let a = t.el;
    taken.insert(block.id());
    if date.is_none() {
        // a date row under the title row: the next title-free siblings, short text only
        for sib in block
            .next_siblings()
            .filter(|s| s.value().is_element())
            .take(2)
        {
            if count_of(count, sib.id()) > 0 {
                break;
            }
            let mut texts = Vec::new();
            texts_under(sib, None, &mut texts);
            if let Some(d) = date_in(&texts, as_of, false) {
                date = Some(d);
                taken.insert(sib.id());
                break;
            }
        }
    }
    if in_navigation(&a) {
        return None; // menus, drop-downs, header and footer bars are no lists of items
    }
    if date.is_none() {
        // an undated record: a visible row whose title links to an article or is long
        // enough to be one (a banner, a "more" link and a tab are no items)
        let long = t.text.chars().count() >= 8;
        if t.short || !in_row || t.hidden || !(t.url.is_some() || long) {
            return None;
        }
    }
    let item = ListItem {
        title: t.text.clone(),
        url: match &t.url {
            Some(u) => govwatch_model::normalize_url(u).to_string(),
            None => record_url(page_url, &t.text),
        },
        raw_date: date.as_ref().map(|(_, r)| r.clone()),
        date: date.map(|(d, _)| d),
        pinned: pinned(&a, &block, &texts_all),
        linked: t.url.is_some(),
    };
    let (structure, list) = structure_of(&block, |p| count_of(count, p) <= 1);
    Some(Record {
        block: block.id(),
        structure,
        list,
        item,
        short: t.short,
    })
}

/// The records in document order, each list summed up ([`ListShape`]).
fn summed_up(doc: &Html, mut records: Vec<Record>) -> ListReading {
    let order: HashMap<NodeId, usize> = doc
        .tree
        .root()
        .descendants()
        .enumerate()
        .map(|(i, n)| (n.id(), i))
        .collect();
    records.sort_by_key(|r| order.get(&r.block).copied().unwrap_or(usize::MAX));
    let mut lists: Vec<(Option<NodeId>, ListShape)> = Vec::new();
    for r in &records {
        match lists
            .iter_mut()
            .find(|(p, s)| *p == r.list && s.structure == r.structure)
        {
            Some((_, s)) => {
                s.records += 1;
                s.dated += usize::from(r.item.date.is_some());
            }
            None => lists.push((
                r.list,
                ListShape {
                    structure: r.structure.clone(),
                    records: 1,
                    dated: usize::from(r.item.date.is_some()),
                },
            )),
        }
    }
    ListReading {
        items: records.into_iter().map(|r| r.item).collect(),
        lists: lists.into_iter().map(|(_, s)| s).collect(),
    }
}

/// Words of a page's frame (footer and header lines), whose text is no content of its own.
const FRAME_WORDS: &[&str] = &[
    "版权",
    "主办",
    "承办",
    "协办",
    "维护",
    "备案",
    "技术支持",
    "网站标识码",
    "联系电话",
    "电话",
    "地址",
    "邮编",
    "传真",
    "当前位置",
    "您的位置",
    "你的位置",
    "浏览次数",
    "访问量",
    "建议使用",
    "分辨率",
    "浏览器",
    "copyright",
    "©",
];

/// How many CJK characters of content a page shows of its own, read without a template: visible
/// text outside links, form controls, navigation bars, headers, footers and breadcrumbs, and
/// outside the frame's lines (版权所有, 主办单位, 备案号, 当前位置 …). A column page whose list
/// area is empty shows next to none; a page of text or a list shows plenty.
pub fn own_content_chars(doc: &Html) -> usize {
    let mut texts = Vec::new();
    texts_under(doc.tree.root(), None, &mut texts);
    let mut nav_cache: HashMap<NodeId, bool> = HashMap::new();
    let mut total = 0;
    for (id, t) in &texts {
        let cjk = t.chars().filter(|c| (*c as u32) >= 0x3400).count();
        if cjk == 0 {
            continue;
        }
        let lower = t.to_lowercase();
        if FRAME_WORDS.iter().any(|w| lower.contains(w)) {
            continue;
        }
        let Some(node) = doc.tree.get(*id) else {
            continue;
        };
        let Some(parent) = node.parent().and_then(ElementRef::wrap) else {
            continue;
        };
        let framed = *nav_cache.entry(parent.id()).or_insert_with(|| {
            in_navigation(&parent)
                || parent
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .chain(std::iter::once(parent))
                    .any(|a| matches!(a.value().name(), "a" | "button" | "label" | "form"))
        });
        if !framed {
            total += cjk;
        }
    }
    total
}

/// Pass 2: records without a title element — a date outside every block of pass 1, in the
/// largest block around it that holds no other date and no link and has text of its own (four
/// CJK characters at least, no label); such blocks are records when two or more of one structure
/// sit in one list (a single block of text beside a date is an article's byline, not a list).
fn untitled_records(
    doc: &Html,
    page_url: &Url,
    as_of: NaiveDate,
    taken: &HashSet<NodeId>,
    records: &mut Vec<Record>,
) {
    // the visible dated text nodes of the page
    let mut all = Vec::new();
    texts_under(doc.tree.root(), None, &mut all);
    let dates: Vec<(NodeId, NaiveDate, String)> = all
        .iter()
        .filter(|(_, t)| t.chars().any(|c| c.is_numeric()))
        .filter_map(|(id, t)| item_date(t, as_of).map(|d| (*id, d.date, d.raw)))
        .collect();
    if dates.is_empty() {
        return;
    }
    let date_count = counts(dates.iter().filter_map(|(id, _, _)| doc.tree.get(*id)));
    let links = counts(
        doc.tree
            .root()
            .descendants()
            .filter(|n| n.value().as_element().is_some_and(|e| e.name() == "a")),
    );
    let used: HashSet<NodeId> = records.iter().map(|r| r.block).collect();
    let mut found: Vec<Record> = Vec::new();
    for (id, date, raw) in &dates {
        let Some(node) = doc.tree.get(*id) else {
            continue;
        };
        if node
            .ancestors()
            .any(|a| taken.contains(&a.id()) || used.contains(&a.id()))
        {
            continue;
        }
        let mut best: Option<(ElementRef, String)> = None;
        let mut cur = node.parent();
        while let Some(n) = cur {
            let Some(e) = ElementRef::wrap(n) else { break };
            if matches!(e.value().name(), "body" | "html")
                || date_count.get(&n.id()).copied().unwrap_or(0) > 1
                || links.get(&n.id()).copied().unwrap_or(0) > 0
            {
                break;
            }
            let mut texts = Vec::new();
            texts_under(n, None, &mut texts);
            let chars: usize = texts.iter().map(|(_, t)| t.trim().chars().count()).sum();
            if chars > RECORD_CHARS {
                break;
            }
            // its title: the longest text of its own that is neither a date nor a label
            let title = texts
                .iter()
                .filter(|(tid, _)| tid != id)
                .map(|(_, t)| fold(t))
                .filter(|t| item_date(t, as_of).is_none() && !t.ends_with([':', '：']))
                .max_by_key(|t| t.chars().count())
                .filter(|t| t.chars().filter(|c| (*c as u32) >= 0x3400).count() >= 4);
            if let Some(title) = title {
                best = Some((e, title));
            }
            cur = n.parent();
        }
        let Some((block, title)) = best else { continue };
        if in_navigation(&block) {
            continue;
        }
        let mut texts = Vec::new();
        texts_under(*block, None, &mut texts);
        let (structure, list) = structure_of(&block, |_| false);
        found.push(Record {
            short: false,
            block: block.id(),
            structure,
            list,
            item: ListItem {
                url: record_url(page_url, &title),
                pinned: pinned(&block, &block, &texts),
                title,
                date: Some(*date),
                raw_date: Some(raw.clone()),
                linked: false,
            },
        });
    }
    // a list is two records of one structure at least
    let runs: HashMap<(Option<NodeId>, String), usize> =
        found.iter().fold(HashMap::new(), |mut m, r| {
            *m.entry((r.list, r.structure.clone())).or_default() += 1;
            m
        });
    records.extend(
        found
            .into_iter()
            .filter(|r| runs[&(r.list, r.structure.clone())] >= 2),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use scraper::Html;
    use url::Url;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rows_dates_and_pins() {
        let html = r#"<div class="today">今天是2026年11月28日 星期六</div>
            <ul class="nav"><li><a href="/xwzx/">新闻中心</a><ul class="dropdown"><li><a href="/xwzx/t1.html">县领导简介及分工</a></li></ul></li></ul>
            <ul class="list">
              <li class="top"><img alt="置顶"><a href="/a/t2024_1.html">关于开展2026年度检查工作的通知</a><span>2024-03-01</span></li>
              <li><a href="./t20261120_2.html" title="县政府召开第十次常务会议">县政府召开第十次常务…</a><span> 2026-11-20</span></li>
              <li><a href="t3.html">全县秋冬季森林防火工作会议召开</a>[05-26]</li>
              <li><a href="t4.html">没有日期的一条信息标题</a></li>
            </ul>
            <table><tr><td><a href="t5.html">2026年财政预算执行情况</a></td><td>2026年10月09日</td></tr></table>
            <div class="footer">© 2026 安平县人民政府</div>"#;
        let doc = Html::parse_document(html);
        let items = list_items(
            &doc,
            &Url::parse("http://a.gov.test/xwzx/").unwrap(),
            d("2026-11-28"),
        );
        let got: Vec<(&str, Option<NaiveDate>, bool)> = items
            .iter()
            .map(|i| (i.url.as_str(), i.date, i.pinned))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "http://a.gov.test/a/t2024_1.html",
                    Some(d("2024-03-01")),
                    true
                ),
                (
                    "http://a.gov.test/xwzx/t20261120_2.html",
                    Some(d("2026-11-20")),
                    false
                ),
                (
                    "http://a.gov.test/xwzx/t3.html",
                    Some(d("2026-05-26")),
                    false
                ),
                ("http://a.gov.test/xwzx/t4.html", None, false),
                (
                    "http://a.gov.test/xwzx/t5.html",
                    Some(d("2026-10-09")),
                    false
                ),
            ]
        );
        assert_eq!(items[1].title, "县政府召开第十次常务会议");
    }

    #[test]
    fn div_blocks_cells_labels_and_separate_rows() {
        let html = r##"<div class="today">今天是2026年11月28日</div>
            <div class="banner"><a href="/zt/t100.html">学习贯彻专题网页入口</a></div>
            <div class="position">当前位置：<a href="/xwzx/t0.html">新闻中心栏目</a> 更新于2026-11-28</div>
            <p><a href="#yjzj">在线提交意见</a> 征集时间：2026-11-01至2026-11-30</p>
            <div class="list">
              <div class="item"><a href="t1.html">关于做好冬季供暖工作的通知</a><em>发布日期：2026年11月03日</em></div>
              <p><a href="t2.html">县长主持召开专题会议</a> <span>发布时间：2026-10-30 09:12</span></p>
              <dl><dt><a href="t3.html">全县安全生产工作会议召开</a></dt><dd>日期: 2026/10/21</dd></dl>
            </div>
            <table><tr>
              <td><a href="t4.html">2026年第三季度政务公开工作要点</a></td>
              <td>
                 2026-09-15
              </td></tr></table>
            <ul><li><span>[2026-11-26]</span><a href="t5.html">我县开展消防安全宣传活动</a></li>
                <li><span>发布日其：２０２６－１１－２７</span><a href="t6.html">关于公布第二批名单的公告</a></li></ul>
            <div class="news">
              <div class="tit"><a href="t7.html">全市经济运行分析会召开</a></div>
              <div class="summary">会议指出，2025年12月以来全市经济运行总体平稳，各项指标稳中向好，要继续抓好落实。</div>
              <div class="time">2026-11-25</div>
            </div>
            <div class="news">
              <div class="tit"><a href="t8.html">秋粮收购工作有序推进</a></div>
              <div class="summary">全县各收储企业有序开展收购。</div>
              <div class="time">2026-11-20</div>
            </div>
            <div class="footer">© 2026 安平县人民政府</div>"##;
        let doc = Html::parse_document(html);
        let items = list_items(
            &doc,
            &Url::parse("http://a.gov.test/xwzx/").unwrap(),
            d("2026-11-28"),
        );
        let got: Vec<(&str, Option<NaiveDate>)> = items
            .iter()
            .map(|i| (i.url.rsplit('/').next().unwrap(), i.date))
            .collect();
        assert_eq!(
            got,
            vec![
                ("t1.html", Some(d("2026-11-03"))),
                ("t2.html", Some(d("2026-10-30"))),
                ("t3.html", Some(d("2026-10-21"))),
                ("t4.html", Some(d("2026-09-15"))),
                ("t5.html", Some(d("2026-11-26"))),
                ("t6.html", Some(d("2026-11-27"))),
                ("t7.html", Some(d("2026-11-25"))),
                ("t8.html", Some(d("2026-11-20"))),
            ]
        );
    }

    /// CPU time this thread has used, from `/proc/thread-self/stat` (Linux; `None` elsewhere).
    fn thread_cpu() -> Option<std::time::Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        // fields 14 and 15 (utime, stime) are the 12th and 13th after the command name
        let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        Some(std::time::Duration::from_millis(ticks * 10))
    }

    #[test]
    fn nested_tables_are_read_in_linear_time() {
        // 4,000 nested <table><tr><td>, an item at the bottom: the old reader searched every
        // row's whole subtree (4k rows took 6 s of CPU); one pass takes well under a second.
        let n = 4000;
        let mut html = String::from("<html><body>");
        for _ in 0..n {
            html.push_str("<table><tr><td>");
        }
        html.push_str("<a href=\"/art/1.html\">关于开展专项检查的通知</a> 2026-11-20");
        for _ in 0..n {
            html.push_str("</td></tr></table>");
        }
        html.push_str("</body></html>");
        let doc = Html::parse_document(&html);
        let url = Url::parse("https://www.example.gov.cn/list/").unwrap();
        let before = thread_cpu();
        let items = list_items(&doc, &url, d("2026-11-28"));
        let after = thread_cpu();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].date, Some(d("2026-11-20")));
        assert_eq!(items[0].title, "关于开展专项检查的通知");
        if let (Some(b), Some(a)) = (before, after) {
            assert!(
                a - b < std::time::Duration::from_secs(2),
                "list_items used {:?} of CPU",
                a - b
            );
        }
    }
}
