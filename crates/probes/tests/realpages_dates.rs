//! Item dates of the real list pages in `../shared/realpages`, when that folder is present (it is
//! not in the repository; each test says SKIPPED in its output and checks nothing without it).

use chrono::NaiveDate;
use govwatch_probes::lists::list_items;
use scraper::Html;
use std::path::PathBuf;
use url::Url;

fn items(name: &str, url: &str, as_of: &str) -> Option<Vec<govwatch_probes::lists::ListItem>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/realpages")
        .join(name);
    let Ok(bytes) = std::fs::read(&p) else {
        {
            // straight to stderr: libtest captures eprintln!, and a skip must show
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: real page {} is missing",
                p.display()
            );
        };
        return None;
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let doc = Html::parse_document(&text);
    Some(list_items(
        &doc,
        &Url::parse(url).unwrap(),
        NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap(),
    ))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn newest(items: &[govwatch_probes::lists::ListItem]) -> Option<NaiveDate> {
    items.iter().filter_map(|i| i.date).max()
}

#[test]
fn zhecheng_notices_out_of_order() {
    let Some(it) = items(
        "zhecheng.gov.cn__c-list-gsgg__2.html",
        "http://www.zhecheng.gov.cn/xxgk/xxgkml/gsgg/index.html",
        "2018-08-01",
    ) else {
        return;
    };
    // an older item (2017-11-20) sits near the top; the newest is still found
    assert_eq!(newest(&it), Some(d("2018-07-23")));
    assert!(it.iter().any(|i| i.date == Some(d("2017-11-20"))));
    assert!(
        it.iter().filter(|i| i.date.is_some()).count() >= 15,
        "{}",
        it.len()
    );
}

#[test]
fn zhecheng_government_documents() {
    let Some(it) = items(
        "zhecheng.gov.cn__c-list-zfwj__3.html",
        "http://www.zhecheng.gov.cn/xxgk/xxgkml/zfwj/index.html",
        "2018-08-01",
    ) else {
        return;
    };
    // 2018-07-12 appears only inside article URLs (the CMS's path), never as a visible date
    assert_eq!(newest(&it), Some(d("2018-07-06")));
    // 25 dated documents (two of them titled 嘉奖令, three characters); the sidebar's links to
    // other document lists sit in a hidden menu (`display:none`), which no reader sees: no
    // undated items
    assert_eq!(it.iter().filter(|i| i.date.is_some()).count(), 25);
    assert_eq!(it.len(), 25);
    assert_eq!(it.iter().filter(|i| i.title == "嘉奖令").count(), 2);
}

#[test]
fn daozhen_notices_in_spans() {
    let Some(it) = items(
        "gzdzhrss.com-daozhen-hrss__c-list-tzgg__3.html",
        "http://www.gzdzhrss.com/gzdt/tzgg/index.html",
        "2020-12-01",
    ) else {
        return;
    };
    assert_eq!(newest(&it), Some(d("2020-11-27")));
    assert!(
        it.iter().filter(|i| i.date.is_some()).count() >= 10,
        "{}",
        it.len()
    );
}

#[test]
fn zhecheng_homepage_short_dates() {
    // MM-DD dates without a year, resolved against the monitoring time
    let Some(it) = items(
        "zhecheng.gov.cn__d-homepage-modified__7.html",
        "http://www.zhecheng.gov.cn/",
        "2018-08-01",
    ) else {
        return;
    };
    let n = newest(&it).expect("dated items on the home page");
    assert!(n <= d("2018-08-01") && n >= d("2018-06-01"), "{n}");
}
