//! The search probe's form reading on real government pages from `../shared/realpages` (not in the
//! repository): without a page a test says SKIPPED on a developer's machine and fails in CI
//! (`GOVWATCH_REQUIRE_SHARED`).

use crate::common;

use govwatch_model::Page;
use govwatch_probes::search::{SearchEntry, locate_in};
use scraper::Html;

fn page(test: &str, name: &str, url: &str, gbk: bool) -> Option<Page> {
    let bytes = govwatch_testutil::require::realpage(test, name)?;
    let text = if gbk {
        encoding_rs::GBK.decode(&bytes).0.into_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
    Some(common::html_page(url, text, 0, vec![], t))
}

fn entries(test: &str, name: &str, url: &str, gbk: bool) -> Option<Vec<SearchEntry>> {
    let p = page(test, name, url, gbk)?;
    let doc = Html::parse_document(&p.text);
    Some(locate_in(&p, &doc))
}

#[test]
fn handan_scope_select_with_all_is_not_a_restriction() {
    let Some(e) = entries(
        "handan_scope_select_with_all_is_not_a_restriction",
        "hd.gov.cn-handan-xxgk__b-list-with-scope-select-JSPwrapped__2.html",
        "http://hdzfxxgk.hd.gov.cn/",
        false,
    ) else {
        return;
    };
    assert_eq!(e.len(), 1);
    let f = &e[0];
    assert_eq!(
        (f.kind, f.method.as_str(), f.query_field.as_str()),
        ("form", "POST", "sword")
    );
    assert_eq!(f.action, "http://www.hd.gov.cn/govsearch/simp_gov_list.jsp");
    assert!(
        f.hidden
            .contains(&("searchYear".to_string(), "all".to_string()))
    );
    let s = &f.selects[0];
    assert_eq!(s.name, "searchColumn");
    assert!(s.has_all && !s.restricts(), "{s:?}");
    assert_eq!(s.all_value.as_deref(), Some("all"));
}

#[test]
fn shanxi_sitesearch_box() {
    let Some(e) = entries(
        "shanxi_sitesearch_box",
        "shanxi.gov.cn__b-article-with-sitesearch__1.html",
        "http://www.shanxi.gov.cn/yw/1.html",
        false,
    ) else {
        return;
    };
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].method.as_str(),
            e[0].query_field.as_str(),
            e[0].maxlength
        ),
        ("POST", "sword", Some(255))
    );
    assert_eq!(
        e[0].action,
        "http://www.shanxi.gov.cn/search/sxgovsearch.jsp"
    );
}

#[test]
fn xiaoxian_provincial_platform_and_column_search_but_not_the_letter_forms() {
    let Some(e) = entries(
        "xiaoxian_provincial_platform_and_column_search_but_not_the_letter_forms",
        "ahxx.gov.cn-xiaoxian__a-sjxx-write-letter__1.html",
        "https://www.ahxx.gov.cn/content/column/4697445",
        false,
    ) else {
        return;
    };
    // the header box goes to the shared provincial search platform; "搜索本栏" searches the column;
    // the letter form and the letter look-up (password) are never taken for search
    let got: Vec<(&str, &str, &str)> = e
        .iter()
        .map(|x| (x.host.as_str(), x.method.as_str(), x.query_field.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "www.ahsz.gov.cn");
    assert_eq!(
        (got[0].1, got[1].1, got[1].2),
        ("GET", "GET", "SearchWords")
    );
    assert!(e.iter().all(|x| x.maxlength == Some(30)));
}

#[test]
fn zhecheng_empirecms_search() {
    let Some(e) = entries(
        "zhecheng_empirecms_search",
        "zhecheng.gov.cn__c-list-gsgg__2.html",
        "http://www.zhecheng.gov.cn/xxgk/xxgkml/gsgg/index.html",
        false,
    ) else {
        return;
    };
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].method.as_str(), e[0].query_field.as_str()),
        ("POST", "qt")
    );
}

#[test]
fn yuexi_gbk_asp_search() {
    let Some(e) = entries(
        "yuexi_gbk_asp_search",
        "ahyx.gov.cn-yuexi__d-homepage-GB2312-TRUNCATED__1.html",
        "http://ahyx.gov.cn/",
        true,
    ) else {
        return;
    };
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].action.as_str(),
            e[0].query_field.as_str(),
            e[0].maxlength
        ),
        ("http://ahyx.gov.cn/search.asp", "Keyword", Some(50))
    );
    assert!(
        e[0].hidden
            .contains(&("Field".to_string(), "Title".to_string()))
    );
}

#[test]
fn daozhen_script_built_search_url() {
    let Some(e) = entries(
        "daozhen_script_built_search_url",
        "gzdzhrss.com-daozhen-hrss__c-list-tzgg__3.html",
        "http://www.gzdzhrss.com/gzdt/tzgg/index.html",
        false,
    ) else {
        return;
    };
    let js: Vec<&SearchEntry> = e.iter().filter(|x| x.kind == "script").collect();
    assert_eq!(js.len(), 1, "{e:?}");
    assert_eq!(js[0].action, "http://www.gzdzhrss.com/search.html?keyword=");
    assert_eq!(js[0].query_field, "keyword");
}
