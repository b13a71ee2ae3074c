//! A crawl started at a column's page (`govwatch probe` of a column URL, as inspectors paste
//! them): the page is judged as the column it is, by its kind (`column.latest`, `column.stale`),
//! and a blank one is reported blank (`column.blank`). The fixtures (fixtures/columns/startpage):
//! `tzgg.html`, a 通知公告 list of `div` rows, date before link, out of date order;
//! `zcwj-blank.html`, a 政策文件 page whose list is empty and says 暂无信息; `zcwj-stray.html`, a
//! 政策文件 page saying 该栏目暂无信息 beside a side box of two undated links, reached from
//! `home.html` in an ordinary crawl.

use crate::common;

use govwatch_model::{Link, LinkKind, Page, SiteCrawl};
use govwatch_probes::columns::Columns;
use govwatch_probes::{Probe, ProbeInput};
use std::path::PathBuf;

fn page(url: &str, file: &str, depth: u32, links: Vec<Link>) -> Page {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/columns/startpage")
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    let title = text
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(t, _)| t.to_string());
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    Page {
        title,
        ..common::html_page(url, text, depth, links, t)
    }
}

fn crawl_of(pages: Vec<Page>) -> SiteCrawl {
    common::crawl_of_pages("清河县人民政府", pages)
}

fn crawl(url: &str, file: &str) -> SiteCrawl {
    crawl_of(vec![page(url, file, 0, vec![])])
}

fn rules() -> govwatch_config::ColumnRules {
    govwatch_config::load_column_rules(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/columns.toml"),
    )
    .unwrap()
}

#[test]
fn a_column_url_probed_directly_is_judged_as_its_column() {
    let url = "http://www.qinghe.gov.test/xxgk/tzgg/index.html";
    let c = crawl(url, "tzgg.html");
    let probe = Columns { rules: rules() };
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let out = probe.run(&ProbeInput::new(&c, as_of));
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .map(|f| (f.url.clone().unwrap(), f.value.clone()))
        .collect();
    assert_eq!(latest.len(), 1, "{latest:?}");
    assert_eq!(latest[0].0, url);
    let v = &latest[0].1;
    assert_eq!(v["name"], "通知公告");
    assert_eq!(v["kind"], "notice");
    assert_eq!(v["latest"], "2026-04-18");
    assert_eq!(v["items"], 4);
    assert_eq!(v["undated"], 0);
    assert_eq!(v["window_days"], 180);
    // 2026-04-18 + 180 days = 2026-10-15: stale on 2026-11-28
    let stale: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.code == "column.stale")
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", out.findings);
    assert_eq!(stale[0].url.as_deref(), Some(url));
}

#[test]
fn the_same_page_at_the_site_root_is_only_the_home_page() {
    let url = "http://www.qinghe.gov.test/";
    let c = crawl(url, "tzgg.html");
    let probe = Columns { rules: rules() };
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let out = probe.run(&ProbeInput::new(&c, as_of));
    assert!(
        out.facts.iter().all(|f| f.code != "column.latest"),
        "{:?}",
        out.facts
    );
    assert!(out.facts.iter().any(|f| f.code == "home.latest"));
}

fn judged(c: &SiteCrawl) -> govwatch_probes::ProbeOutput {
    let probe = Columns { rules: rules() };
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    probe.run(&ProbeInput::new(c, as_of))
}

fn codes_at(out: &govwatch_probes::ProbeOutput, code: &str) -> Vec<String> {
    out.findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.url.clone().unwrap_or_default())
        .collect()
}

#[test]
fn a_blank_column_probed_directly_is_reported_blank() {
    let url = "http://www.qinghe.gov.test/xxgk/zcwj/";
    let out = judged(&crawl(url, "zcwj-blank.html"));
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .collect();
    assert_eq!(latest.len(), 1, "{:?}", out.facts);
    assert_eq!(latest[0].value["name"], "政策文件");
    assert_eq!(latest[0].value["kind"], "policy");
    assert_eq!(latest[0].value["items"], 0);
    assert_eq!(codes_at(&out, "column.blank"), [url], "{:?}", out.findings);
    let blank = out
        .findings
        .iter()
        .find(|f| f.code == "column.blank")
        .unwrap();
    assert!(
        blank
            .evidence
            .excerpt
            .as_deref()
            .unwrap_or("")
            .contains("暂无信息"),
        "{:?}",
        blank.evidence
    );
    // blank only: never also stale or undated (as the start page it is judged as a home page
    // too, by the home rules)
    let column: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.code.starts_with("column."))
        .collect();
    assert_eq!(column.len(), 1, "{column:?}");
}

#[test]
fn a_list_page_with_dates_is_not_blank_and_a_page_without_list_or_marker_is_no_column() {
    // the dated list of tzgg.html: judged, not blank
    let out = judged(&crawl(
        "http://www.qinghe.gov.test/xxgk/tzgg/index.html",
        "tzgg.html",
    ));
    assert!(
        codes_at(&out, "column.blank").is_empty(),
        "{:?}",
        out.findings
    );
    // the home page at a column's path says nothing of being empty: not taken for a blank column
    let out = judged(&crawl("http://www.qinghe.gov.test/xxgk/zcwj/", "home.html"));
    assert!(
        codes_at(&out, "column.blank").is_empty(),
        "{:?}",
        out.findings
    );
}

#[test]
fn a_column_saying_it_is_empty_beside_a_side_box_of_links_is_blank() {
    let home = "http://www.qinghe.gov.test/";
    let col = "http://www.qinghe.gov.test/xxgk/zcwj/";
    let link = |url: &str, text: &str| Link {
        url: url.into(),
        raw: url.into(),
        text: text.into(),
        kind: LinkKind::Anchor,
    };
    let c = crawl_of(vec![
        page(
            home,
            "home.html",
            0,
            vec![
                link(col, "政策文件"),
                link(
                    "http://www.qinghe.gov.test/xwzx/gzdt/202611/t20261125_310.html",
                    "清河县开展冬季森林防火专项检查",
                ),
            ],
        ),
        page(col, "zcwj-stray.html", 1, vec![]),
    ]);
    let out = judged(&c);
    let fact = out
        .facts
        .iter()
        .find(|f| f.code == "column.latest" && f.url.as_deref() == Some(col))
        .expect("the column judged");
    // the side box's two undated links are what the list reader saw
    assert_eq!(fact.value["items"], 2, "{}", fact.value);
    assert_eq!(fact.value["latest"], serde_json::Value::Null);
    assert_eq!(codes_at(&out, "column.blank"), [col], "{:?}", out.findings);
    let blank = out
        .findings
        .iter()
        .find(|f| f.code == "column.blank")
        .unwrap();
    assert!(
        blank
            .evidence
            .excerpt
            .as_deref()
            .unwrap_or("")
            .contains("该栏目暂无信息"),
        "{:?}",
        blank.evidence
    );
}

#[test]
fn a_title_with_the_site_name_first_still_names_the_column() {
    // "站名-栏目名", as TRS sites write it: the site's name is no column
    let url = "http://www.qinghe.gov.test/xxgk/tzgg/index.html";
    let mut c = crawl(url, "tzgg.html");
    c.pages[0].title = Some("清河县人力资源网-通知公告".into());
    let out = judged(&c);
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .collect();
    assert_eq!(latest.len(), 1, "{:?}", out.facts);
    assert_eq!(latest[0].value["name"], "通知公告");
    assert_eq!(latest[0].value["kind"], "notice");
    assert_eq!(codes_at(&out, "column.stale"), [url]);
}

#[test]
fn a_real_list_page_probed_at_its_column_url() {
    // ../shared/realpages (not in the repository): the 道真县人力资源网 通知公告 list, titled
    // "道真县人力资源网-通知公告", probed at its column URL
    let Some(real) = govwatch_testutil::require::realpage_text(
        "a_real_list_page_probed_at_its_column_url",
        "gzdzhrss.com-daozhen-hrss__c-list-tzgg__3.html",
    ) else {
        return;
    };
    let url = "http://www.gzdzhrss.com/gzdt/tzgg/index.html";
    let mut p = page(url, "tzgg.html", 0, vec![]);
    p.text = real;
    p.title = p
        .text
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(t, _)| t.trim().to_string());
    let mut c = crawl_of(vec![p]);
    c.site.name = "道真县人力资源网".into();
    let out = judged(&c);
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .collect();
    assert_eq!(latest.len(), 1, "{:?}", out.facts);
    let v = &latest[0].value;
    assert_eq!(
        (v["name"].as_str(), v["kind"].as_str(), v["latest"].as_str()),
        (Some("通知公告"), Some("notice"), Some("2020-11-27")),
        "{v}"
    );
    assert_eq!(codes_at(&out, "column.stale"), [url]);
}

#[test]
fn the_offices_empty_words_say_a_column_is_blank() {
    let url = "http://www.qinghe.gov.test/xxgk/zcwj/";
    let mut c = crawl(url, "zcwj-blank.html");
    // a column with an introduction of its own above an empty list that says 暂无文章
    c.pages[0].text = c.pages[0].text.replace(
        "暂无信息",
        "本栏目发布县政府及县政府办公室制发的规范性文件、政策解读和其他政策性文件，欢迎社会各界监督。</div><div>本栏目暂无文章",
    );
    // 暂无文章 is not among the shipped words, and the introduction is content of its own:
    // nothing says the page is empty
    assert!(codes_at(&judged(&c), "column.blank").is_empty());
    // an office that adds it to columns.toml empty_words
    let mut rules = rules();
    rules.empty_words.push("暂无文章".into());
    let probe = Columns { rules };
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let out = probe.run(&ProbeInput::new(&c, as_of));
    assert_eq!(codes_at(&out, "column.blank"), [url], "{:?}", out.findings);
}

#[test]
fn future_days_of_a_duty_roster_are_no_faked_dates() {
    // a column whose list links to its articles, above a roster of the coming days (rows without
    // links): the roster is read, its days after the monitoring time are never a faked date
    let url = "http://www.qinghe.gov.test/zbxx/";
    let out = judged(&crawl(url, "zbb-roster.html"));
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .collect();
    assert_eq!(latest.len(), 1, "{:?}", out.facts);
    assert_eq!(latest[0].value["latest"], "2026-11-20");
    assert_eq!(latest[0].value["items"], 5);
    assert_eq!(latest[0].value["future"], 0);
    assert!(
        codes_at(&out, "content.backdated").is_empty(),
        "{:?}",
        out.findings
    );
}

#[test]
fn a_page_whose_breadcrumb_names_a_column_is_that_column_wherever_it_is() {
    // served at a file of the top folder (as a saved page is), with no meta tag: its breadcrumb
    // bar says it is 民意征集; its list is empty and it shows nothing else of its own
    let url = "http://www.qinghe.gov.test/myzj.html";
    let out = judged(&crawl(url, "myzj-crumb-blank.html"));
    let latest: Vec<_> = out
        .facts
        .iter()
        .filter(|f| f.code == "column.latest")
        .collect();
    assert_eq!(latest.len(), 1, "{:?}", out.facts);
    assert_eq!(latest[0].value["name"], "民意征集");
    assert_eq!(codes_at(&out, "column.blank"), [url], "{:?}", out.findings);
    // judged as the column it is: the home rule is not judged on it
    assert!(
        codes_at(&out, "home.stale").is_empty(),
        "{:?}",
        out.findings
    );
    // an article whose breadcrumb ends at 正文, with a dated list of related links, is no column
    let url = "http://www.qinghe.gov.test/t20260902_9.html";
    let out = judged(&crawl(url, "article-crumb.html"));
    assert!(
        out.facts.iter().all(|f| f.code != "column.latest"),
        "{:?}",
        out.facts
    );
    assert!(codes_at(&out, "column.blank").is_empty());
    // nor the site's home page: its related links are months old, which says nothing of a home
    // page that was not read
    assert!(
        codes_at(&out, "home.stale").is_empty(),
        "{:?}",
        out.findings
    );
}

#[test]
fn an_article_probed_directly_is_no_home_page_to_judge() {
    // an article page by its metadata (ArticleTitle, PubDate), in table markup, at an address
    // without a date, beside a box of old dated links
    let url = "http://www.qinghe.gov.test/xwzx/gzdt/show.asp?id=88";
    let out = judged(&crawl(url, "article-meta.html"));
    assert!(
        codes_at(&out, "home.stale").is_empty(),
        "{:?}",
        out.findings
    );
    assert!(
        codes_at(&out, "column.stale").is_empty(),
        "{:?}",
        out.findings
    );
    // the same box on a home page (no article metadata): 首页不更新 as before
    let home = "http://www.qinghe.gov.test/";
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/columns/startpage/article-meta.html"),
    )
    .unwrap()
    .replace("<meta name=\"ArticleTitle\" content=\"县政府召开第二次常务会议\"><meta name=\"PubDate\" content=\"2026-09-15 10:20\">", "");
    let mut p = page(home, "article-meta.html", 0, vec![]);
    p.text = text;
    let out = judged(&crawl_of(vec![p]));
    assert_eq!(codes_at(&out, "home.stale"), [home], "{:?}", out.findings);
}

#[test]
fn the_home_page_under_another_name_is_no_column() {
    // the home page links to itself as /index.html (its list items do, on small sites), and that
    // page names a column in its ColumnName tag: still the home page, never a stale column
    let home = "http://www.qinghe.gov.test/";
    let alias = "http://www.qinghe.gov.test/index.html";
    let link = Link {
        url: alias.into(),
        raw: "/index.html".into(),
        text: "关于做好第一项重点工作的通知".into(),
        kind: LinkKind::Anchor,
    };
    let c = crawl_of(vec![
        page(home, "home.html", 0, vec![link]),
        page(alias, "index-alias.html", 1, vec![]),
    ]);
    let out = judged(&c);
    assert!(
        out.facts
            .iter()
            .all(|f| !(f.code == "column.latest" && f.url.as_deref() == Some(alias))),
        "{:?}",
        out.facts
    );
    assert!(
        codes_at(&out, "column.stale").is_empty(),
        "{:?}",
        out.findings
    );
}

fn anchor(url: &str, text: &str) -> Link {
    Link {
        url: url.into(),
        raw: url.into(),
        text: text.into(),
        kind: LinkKind::Anchor,
    }
}

fn hub_links() -> Vec<Link> {
    vec![
        anchor("http://www.qinghe.gov.test/xxgk/tzgg/", "通知公告"),
        anchor("http://www.qinghe.gov.test/zwgk/zcwj/", "政策文件"),
        anchor("http://www.qinghe.gov.test/xwzx/gzdt/", "工作动态"),
        anchor("http://www.qinghe.gov.test/hdjl/", "互动交流"),
    ]
}

fn home_latest(out: &govwatch_probes::ProbeOutput) -> serde_json::Value {
    out.facts
        .iter()
        .find(|f| f.code == "home.latest")
        .map(|f| f.value.clone())
        .expect("home.latest")
}

#[test]
fn a_hub_home_page_whose_columns_were_not_read_is_not_judged_stale() {
    // a home page of channel links without a date, probed alone: it is judged by its columns,
    // and none was read — nothing says it is stale
    let home = "http://www.qinghe.gov.test/";
    let out = judged(&crawl_of(vec![page(home, "hub-home.html", 0, hub_links())]));
    let v = home_latest(&out);
    assert_eq!(v["hub"], true);
    assert_eq!(v["columns"], 4);
    assert_eq!(v["columns_crawled"], 0);
    assert_eq!(v["latest"], serde_json::Value::Null);
    assert!(
        codes_at(&out, "home.stale").is_empty(),
        "{:?}",
        out.findings
    );
}

#[test]
fn a_hub_home_page_is_judged_by_the_columns_read() {
    let home = "http://www.qinghe.gov.test/";
    // its one column read shows no date at all: nothing dated anywhere, 首页不更新
    let out = judged(&crawl_of(vec![
        page(home, "hub-home.html", 0, hub_links()),
        page(
            "http://www.qinghe.gov.test/xwzx/gzdt/",
            "gzdt-undated.html",
            1,
            vec![],
        ),
    ]));
    let v = home_latest(&out);
    assert_eq!(
        (v["hub"].clone(), v["columns_crawled"].clone()),
        (true.into(), 1.into())
    );
    assert_eq!(
        codes_at(&out, "home.stale"),
        ["http://www.qinghe.gov.test/"]
    );
    // its 通知公告 read, newest 2026-04-18: stale by then (more than 14 days before 11-28)
    let out = judged(&crawl_of(vec![
        page(home, "hub-home.html", 0, hub_links()),
        page(
            "http://www.qinghe.gov.test/xxgk/tzgg/",
            "tzgg.html",
            1,
            vec![],
        ),
    ]));
    let v = home_latest(&out);
    assert_eq!(v["latest"], "2026-04-18");
    assert_eq!(
        codes_at(&out, "home.stale"),
        ["http://www.qinghe.gov.test/"]
    );
}
