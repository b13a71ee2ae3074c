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
//! submitted), `search.script_loaded` (results filled by script), `search.unverified` (an input
//! and a search button whose script's target cannot be read: present, not verified).
//! Findings: `search.missing`, `search.column_required`, `search.scope_missing`,
//! `search.broken`, `search.no_results`, `search.input_limited`.
//!
//! Files: [`locate`] (entries and search links), [`plan`] (searches to submit), `scan`
//! ([`SearchScan`]: entries and links noted page by page during the crawl), [`judge`] (the
//! findings); [`Search`]'s `run` dispatches to them.

use crate::{Probe, ProbeInput, ProbeOutput};

mod judge;
mod locate;
mod plan;
mod scan;

pub use judge::top_columns;
pub use locate::{SearchEntry, SelectInfo, discovery_links, locate, locate_in};
pub use plan::{pick_term, plan};
pub use scan::SearchScan;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `search.form` (fact).
    pub const FORM: &str = "search.form";
    /// `search.query` (fact).
    pub const QUERY: &str = "search.query";
    /// `search.script_loaded` (fact).
    pub const SCRIPT_LOADED: &str = "search.script_loaded";
    /// `search.unverified` (fact).
    pub const UNVERIFIED: &str = "search.unverified";
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
        UNVERIFIED,
        MISSING,
        COLUMN_REQUIRED,
        SCOPE_MISSING,
        BROKEN,
        NO_RESULTS,
        INPUT_LIMITED,
    ];
}

/// The search probe. `not_columns`: link texts that are never column names (`not_columns` of
/// `config/columns.toml`, as edited by the office), for the scope check's top columns.
#[derive(Debug, Clone)]
pub struct Search {
    pub not_columns: Vec<String>,
}

impl Search {
    pub fn new(columns: &govwatch_config::ColumnRules) -> Search {
        Search {
            not_columns: columns.not_columns.clone(),
        }
    }
}

impl Default for Search {
    /// With the shipped `config/columns.toml`.
    fn default() -> Search {
        Search::new(&govwatch_config::ColumnRules::default())
    }
}

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
        // the entries noted while the site was crawled, or read from the pages now
        let entries = match input.site_scan::<Vec<SearchEntry>>(self) {
            Some(e) => e.clone(),
            None => locate(crawl),
        };
        if entries.is_empty() {
            judge::no_entries(input, home, at, &mut out);
            return out;
        }
        let columns = top_columns(crawl, &self.not_columns);
        for e in &entries {
            judge::entry(e, &columns, at, &mut out);
        }
        for a in &crawl.searches {
            judge::query(a, at, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::judge::pattern_rejects_chinese;
    use super::*;
    use govwatch_model::{FetchRecord, Page, Purpose};
    use scraper::Html;

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
    fn script_built_search_boxes_without_a_form() {
        // window.open with a template literal, the input named by no search word
        let e = one(
            r#"<div class="sch"><input type="text" id="kw1" placeholder="请输入"><a href="javascript:void(0)" onclick="go()">搜索</a></div>
            <script>function go(){ var v=document.getElementById('kw1').value; window.open(`/jsearch/index.jsp?searchword=${encodeURIComponent(v)}`); }</script>"#,
        );
        assert_eq!(
            (e.kind, e.action.as_str(), e.query_field.as_str()),
            (
                "script",
                "http://www.dzj.gov.test/jsearch/index.jsp?searchword=",
                "searchword"
            )
        );
        // location.href = '…?q=' + …
        let e = one(
            r#"<div class="search"><input type="text" id="searchText"><button onclick="location.href='/s/?q='+encodeURIComponent(document.getElementById('searchText').value)">检索</button></div>"#,
        );
        assert_eq!(
            (e.kind, e.action.as_str()),
            ("script", "http://www.dzj.gov.test/s/?q=")
        );
    }

    #[test]
    fn a_box_whose_handler_is_elsewhere_is_present_but_unverified() {
        let html = r#"<div class="top"><div class="ss"><input type="text" class="ipt" maxlength="40"><img src="/img/ss.png" alt="搜索" onclick="doSearch()"></div></div>
            <script src="/js/common.js"></script>"#;
        let e = one(html);
        assert_eq!(
            (e.kind, e.method.as_str(), e.maxlength),
            ("unverified", "", Some(40))
        );
        // never submitted: the planner takes GET (and allowed POST) entries only, and it has no
        // method
        let crawl_page = page(html);
        // judged as a fact, not as missing
        let mut out = crate::ProbeOutput::default();
        super::judge::entry(&e, &[], crawl_page.fetch.started_at, &mut out);
        assert_eq!(
            out.facts
                .iter()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>(),
            vec![codes::UNVERIFIED]
        );
        assert!(out.findings.is_empty());
        // a text input with no search button beside it is no search box
        let p = page(r#"<div><input type="text" id="phone"><span>联系电话</span></div>"#);
        let doc = Html::parse_document(&p.text);
        assert!(locate_in(&p, &doc).is_empty());
    }

    #[test]
    fn the_offices_not_columns_are_those_the_scope_check_leaves_out() {
        // a search that must be scoped to a column and offers 新闻动态 and 政务公开; the home page
        // also links 办事服务 and 专题专栏
        let html = r#"<div class="nav"><a href="/xwdt/">新闻动态</a><a href="/zwgk/">政务公开</a><a href="/bsfw/">办事服务</a><a href="/ztzl/">专题专栏</a></div>
            <form action="/search/" onsubmit="return chk();"><input name="q">
            <select name="columnid" id="columnid"><option value="">请选择栏目</option><option value="1">新闻动态</option><option value="2">政务公开</option></select>
            <input type="submit" value="搜索"></form>
            <script>function chk(){ if(document.getElementById('columnid').value==''){ alert('请先选择栏目'); return false; } return true; }</script>"#;
        let mut home = page(html);
        let doc = Html::parse_document(html);
        home.links = doc
            .select(&scraper::Selector::parse("a[href]").unwrap())
            .map(|a| govwatch_model::Link {
                url: format!("http://www.dzj.gov.test{}", a.value().attr("href").unwrap()),
                raw: a.value().attr("href").unwrap().into(),
                text: a.text().collect(),
                kind: govwatch_model::LinkKind::Anchor,
            })
            .collect();
        let crawl = govwatch_model::SiteCrawl {
            site: govwatch_model::Site {
                id: "1300000001".into(),
                name: "地质局".into(),
                home: "http://www.dzj.gov.test/".parse().unwrap(),
                org: String::new(),
                region: String::new(),
                kind: govwatch_model::SiteKind::Department,
                overrides: Default::default(),
            },
            pages: vec![home],
            fetches: vec![],
            link_checks: vec![],
            samples: vec![],
            robots_blocked: vec![],
            skipped: Default::default(),
            ipv6: None,
            search_pages: vec![],
            searches: vec![],
            page_fetches_apart: false,
            notes: Vec::new(),
            not_found: None,
        };
        let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
        let missing = |probe: &Search| -> Vec<String> {
            let out = probe.run(&crate::ProbeInput::new(&crawl, as_of));
            out.findings
                .iter()
                .filter(|f| f.code == codes::SCOPE_MISSING)
                .flat_map(|f| f.value["missing"].as_array().cloned().unwrap_or_default())
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        };
        // the shipped list: both columns not offered are named
        assert_eq!(missing(&Search::default()), ["办事服务", "专题专栏"]);
        // an office that lists 专题专栏 as no column (columns.toml not_columns): only 办事服务
        let mut rules = govwatch_config::ColumnRules::default();
        rules.not_columns.push("专题专栏".into());
        assert_eq!(missing(&Search::new(&rules)), ["办事服务"]);
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

    /// (kind, action, query field) of the one entry on a page.
    fn read(html: &str) -> (&'static str, String, String) {
        let e = one(html);
        (e.kind, e.action, e.query_field)
    }

    #[test]
    fn a_text_input_offered_with_any_search_control_is_a_search_box() {
        let unverified = |html: &str| {
            assert_eq!(read(html).0, "unverified", "{html}");
        };
        // a div named as a search button, holding only an icon
        unverified(
            r#"<div class="sbar"><div class="ibox"><input type="text" class="kw-ipt"></div><div class="btn-search"><img src="/i/a.png"></div></div>"#,
        );
        // a picture of a magnifier, named so by its file only
        unverified(
            r#"<p class="top-s"><input type="text" id="t1"><img src="/images/sousuo.png" alt=""></p>"#,
        );
        // a button that says 查询, a link that says 搜
        unverified(
            r#"<td><input type="text" id="words" size="20"><input type="button" value="查询" onclick="goQuery()"></td>"#,
        );
        unverified(
            r#"<span class="ss"><input type="text" name="w1"><a href="javascript:;" class="go">搜</a></span>"#,
        );
        // nothing but an Enter handler, in the input or in a page script naming it
        unverified(
            r#"<div><input type="text" id="s1" onkeydown="if(event.keyCode==13)go()"></div>"#,
        );
        unverified(
            r#"<div class="hd"><input type="text" id="topkw"></div>
            <script>$('#topkw').on('keydown', function(e){ if (e.keyCode === 13) { openSearch(this.value); } });</script>"#,
        );
        // a form whose input has no name: its handler builds the search
        unverified(
            r#"<form onsubmit="return go()"><input type="text" id="k"><button type="submit">搜索</button></form>"#,
        );
        // a search form left in a comment (a template's box: drawn by script, or switched off)
        let e = one(
            r#"<div class="head"><!-- <form action="http://search.example.gov.cn/s/"><input name="text"><button>搜索</button></form> --></div>"#,
        );
        assert_eq!((e.kind, e.query_field.as_str()), ("unverified", "text"));
        assert!(e.excerpt.starts_with("<!--"), "{}", e.excerpt);
    }

    #[test]
    fn a_choice_of_search_urls_opened_with_the_words_is_a_script_search() {
        let (kind, action, field) = read(
            r#"<table><tr><td><select id="eng" name="cx"><option value="http://www.dzj.gov.test/so/s?siteCode=1300000001&amp;qt=">本站查询</option><option value="http://www.prov.gov.test/so/s?qt=">全省查询</option></select>
            <input type="text" id="qt"><img id="go" src="/img/btn.png"></td></tr></table>
            <script>document.getElementById('go').onclick = function(){ window.open(document.getElementById('eng').value + encodeURIComponent(document.getElementById('qt').value)); };</script>"#,
        );
        assert_eq!(
            (kind, action.as_str(), field.as_str()),
            (
                "script",
                "http://www.dzj.gov.test/so/s?siteCode=1300000001&qt=",
                "qt"
            )
        );
    }

    #[test]
    fn a_type_a_browser_does_not_know_is_a_text_box() {
        let (kind, action, field) = read(
            r#"<form action="//search.prov.gov.test/search/local_msg/200006" method="get" target="_blank"><input name="keywords" type="keywords" placeholder="请输入关键词"><button type="submit">搜索</button></form>"#,
        );
        assert_eq!(
            (kind, action.as_str(), field.as_str()),
            (
                "form",
                "http://search.prov.gov.test/search/local_msg/200006",
                "keywords"
            )
        );
    }

    #[test]
    fn a_form_to_itself_whose_handler_builds_the_url_is_a_script_search() {
        let (kind, action, field) = read(
            r##"<form class="box" action="#" method="get"><div><input type="text" class="inp" name="wordTxt" id="wordTxt" onkeydown="if(event.keyCode==13) do_search();"><span class="btn" onclick="do_search();"></span></div></form>
            <script>function do_search(){ if($('#wordTxt').val()==''){ alert('请输入关键字'); return false; }
              $url = '/SITE/dzj/search.html?searchWord='+$('#wordTxt').val()+'&siteId=36'; window.open($url,'_blank'); }</script>"##,
        );
        assert_eq!(
            (kind, action.as_str(), field.as_str()),
            (
                "script",
                "http://www.dzj.gov.test/SITE/dzj/search.html?searchWord=",
                "searchWord"
            )
        );
        // the same box whose handler lives in a script file: there, unverified
        let (kind, _, _) = read(
            r##"<form action="#"><input type="text" id="w2"><span class="btn" onclick="do_search();">搜索</span></form><script src="/js/s.js"></script>"##,
        );
        assert_eq!(kind, "unverified");
    }

    #[test]
    fn lookup_boxes_and_lone_inputs_are_no_search_boxes() {
        for html in [
            // a letter's query code, a phone number: looked up, not searched
            r#"<div class="cx"><input type="text" id="cxm" placeholder="请输入查询码"><button>查询</button></div>"#,
            r#"<div class="cx"><span>手机号码</span><input type="text" id="tel"><a href="javascript:;">查询</a></div>"#,
            // a link list named like a search box, without any input
            r#"<div class="searchBox"><a href="http://www.a.gov.test/">省政府</a><a href="http://www.b.gov.test/">市政府</a></div>"#,
            // an input with no search control near it
            r#"<div class="sub"><input type="text" id="email"><span>订阅</span></div>"#,
            // a hidden input and a read-only date box
            r#"<div class="s"><input type="text" readonly id="d1"><button>搜索</button></div>"#,
        ] {
            let p = page(html);
            let doc = Html::parse_document(html);
            assert!(locate_in(&p, &doc).is_empty(), "{html}");
        }
    }

    #[test]
    fn pattern_that_rejects_chinese() {
        assert!(pattern_rejects_chinese("[A-Za-z0-9 ]+"));
        assert!(!pattern_rejects_chinese(".{1,30}"));
        assert!(!pattern_rejects_chinese("[\\u4e00-\\u9fa5A-Za-z0-9]+"));
    }
}
