//! Item dates of the real list pages in `../shared/realpages` (not in the repository). Without a
//! page a test says SKIPPED on a developer's machine and fails in CI (`GOVWATCH_REQUIRE_SHARED`).

use chrono::NaiveDate;
use govwatch_probes::lists::list_items;
use scraper::Html;
use url::Url;

fn items(
    test: &str,
    name: &str,
    url: &str,
    as_of: &str,
) -> Option<Vec<govwatch_probes::lists::ListItem>> {
    let text = govwatch_testutil::require::realpage_text(test, name)?;
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
        "zhecheng_notices_out_of_order",
        "zhecheng.gov.cn__c-list-gsgg__2.html",
        "http://www.zhecheng.gov.cn/xxgk/xxgkml/gsgg/index.html",
        "2018-08-01",
    ) else {
        return;
    };
    // an older item (2017-11-20) sits near the top; the newest is still found
    assert_eq!(newest(&it), Some(d("2018-07-23")));
    // the 15 rows' dates in page order (the dates in the article URLs are the CMS's, not shown)
    let dates: Vec<NaiveDate> = it.iter().filter_map(|i| i.date).collect();
    let want: Vec<NaiveDate> = [
        "2018-06-12",
        "2017-11-20",
        "2018-07-23",
        "2018-07-20",
        "2018-07-13",
        "2018-07-11",
        "2018-07-10",
        "2018-07-10",
        "2018-07-09",
        "2018-07-09",
        "2018-06-26",
        "2018-06-26",
        "2018-06-11",
        "2018-06-11",
        "2018-06-11",
    ]
    .iter()
    .map(|s| d(s))
    .collect();
    assert_eq!(dates, want);
    // the hidden side menu's links are no items
    assert_eq!(
        it.len(),
        15,
        "{:?}",
        it.iter().map(|i| &i.title).collect::<Vec<_>>()
    );
}

#[test]
fn zhecheng_government_documents() {
    let Some(it) = items(
        "zhecheng_government_documents",
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
        "daozhen_notices_in_spans",
        "gzdzhrss.com-daozhen-hrss__c-list-tzgg__3.html",
        "http://www.gzdzhrss.com/gzdt/tzgg/index.html",
        "2020-12-01",
    ) else {
        return;
    };
    // 20 rows, each with its date in a <span> after the link, newest first
    let dates: Vec<Option<NaiveDate>> = it.iter().map(|i| i.date).collect();
    let want: Vec<Option<NaiveDate>> = [
        "2020-11-27",
        "2020-07-02",
        "2020-07-02",
        "2020-06-29",
        "2019-09-17",
        "2019-08-07",
        "2019-08-05",
        "2019-06-26",
        "2019-06-10",
        "2019-04-28",
        "2019-03-12",
        "2019-03-12",
        "2018-04-13",
        "2017-12-29",
        "2017-12-06",
        "2017-12-06",
        "2017-12-01",
        "2017-11-28",
        "2017-11-28",
        "2017-11-24",
    ]
    .iter()
    .map(|s| Some(d(s)))
    .collect();
    assert_eq!(dates, want);
    assert_eq!(newest(&it), Some(d("2020-11-27")));
    assert_eq!(
        it[0].title,
        "关于转发《省人力资源社会保障厅关于一次性吸纳失业人员就业补贴发放工作的通知》"
    );
}

#[test]
fn zhecheng_homepage_short_dates() {
    // MM-DD dates without a year, resolved against the monitoring time
    let Some(it) = items(
        "zhecheng_homepage_short_dates",
        "zhecheng.gov.cn__d-homepage-modified__7.html",
        "http://www.zhecheng.gov.cn/",
        "2018-08-01",
    ) else {
        return;
    };
    // the newest items are written `07-27` (2018-07-27 in their URLs): the year comes from the
    // monitoring time, 2018-08-01
    assert_eq!(newest(&it), Some(d("2018-07-27")));
}
