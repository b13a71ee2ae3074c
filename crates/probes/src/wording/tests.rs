//! The wording probe on pages of its own (`fixtures/wording`, several unlike markups), each
//! planted error found with its confidence, nothing else; and on new-media posts.

use super::*;
use crate::links::tests::{crawl_with, rec};
use govwatch_model::{Platform, Post};

const AS_OF: &str = "2024-06-01T02:00:00+08:00";

fn page(name: &str, text: &str) -> Page {
    let mut fetch = rec(&format!("http://a.gov.test/{name}"), Some(200), None);
    fetch.started_at = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    Page {
        fetch,
        depth: 1,
        text: text.to_string(),
        charset: Some("UTF-8".into()),
        charset_source: None,
        title: None,
        links: vec![],
        is_html: true,
    }
}

/// (code, kind, wrong, right) of every finding of one fixture page.
fn found(name: &str, text: &str) -> Vec<(String, String, String, String)> {
    let crawl = crawl_with(vec![page(name, text)], vec![]);
    let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    let input = ProbeInput::new(&crawl, as_of);
    let probe = Wording::new(&WordingRules::default());
    probe
        .run(&input)
        .findings
        .into_iter()
        .map(|f| {
            let v = &f.value;
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (f.code.clone(), s("kind"), s("wrong"), s("right"))
        })
        .collect()
}

fn row(code: &str, kind: &str, wrong: &str, right: &str) -> (String, String, String, String) {
    (code.into(), kind.into(), wrong.into(), right.into())
}

#[test]
fn an_article_gives_its_name_near_miss_and_its_title_at_the_wrong_date() {
    let f = found(
        "article.html",
        include_str!("../../../../fixtures/wording/article-trs-planted.html"),
    );
    assert_eq!(
        f,
        vec![
            row("wording.serious", "name", "李墙", "李强"),
            row(
                "wording.suspect",
                "title_at_date",
                "国务院总理李克强",
                "国务院总理李强"
            ),
        ]
    );
}

#[test]
fn a_table_list_judges_each_item_at_its_own_date() {
    let f = found(
        "list.html",
        include_str!("../../../../fixtures/wording/list-table-planted.html"),
    );
    assert_eq!(
        f,
        vec![
            row(
                "wording.suspect",
                "title_at_date",
                "国务院总理李克强",
                "国务院总理李强"
            ),
            row(
                "wording.serious",
                "known",
                "中国共产党第二十次全国人民代表大会",
                "中国共产党第二十次全国代表大会"
            ),
            row(
                "wording.serious",
                "phrase",
                "习近平新时代中国特色社会主意思想",
                "习近平新时代中国特色社会主义思想"
            ),
        ]
    );
}

#[test]
fn split_elements_and_short_formulations() {
    let f = found(
        "home.html",
        include_str!("../../../../fixtures/wording/home-divs-planted.html"),
    );
    assert_eq!(
        f,
        vec![
            row("wording.serious", "name", "习近乎", "习近平"),
            row("wording.suspect", "phrase", "四个意士", "四个意识"),
        ]
    );
}

#[test]
fn right_text_and_ordinary_names_give_nothing() {
    let f = found(
        "clean.html",
        include_str!("../../../../fixtures/wording/clean-formulations.html"),
    );
    assert_eq!(f, vec![]);
}

#[test]
fn a_finding_carries_its_evidence() {
    let crawl = crawl_with(
        vec![page(
            "a.html",
            include_str!("../../../../fixtures/wording/article-trs-planted.html"),
        )],
        vec![],
    );
    let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    let out = Wording::new(&WordingRules::default()).run(&ProbeInput::new(&crawl, as_of));
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Veto);
    assert_eq!(f.url.as_deref(), Some("http://a.gov.test/a.html"));
    assert_eq!(
        f.message,
        "确定领导人姓名写错：“国务院总理”旁的“李墙”应为“李强”，同音字"
    );
    assert_eq!(f.value["pattern"], "李墙");
    assert_eq!(f.value["page_date"], "2024-05-06");
    assert_eq!(f.value["date_source"], "published");
    assert_eq!(f.value["confidence"], "确定");
    assert!(
        f.evidence
            .excerpt
            .as_deref()
            .unwrap()
            .contains("传达学习国务院总理李墙主持召开"),
        "{:?}",
        f.evidence.excerpt
    );
    let s = &out.findings[1];
    assert_eq!(s.severity, Severity::Info);
    assert_eq!(s.value["page_date"], "2024-05-06");
    assert_eq!(s.value["date_source"], "page");
}

#[test]
fn a_whitelisted_word_is_never_flagged() {
    let mut rules = WordingRules::default();
    rules.whitelist.words = vec!["四个意士".into()];
    let crawl = crawl_with(
        vec![page(
            "home.html",
            include_str!("../../../../fixtures/wording/home-divs-planted.html"),
        )],
        vec![],
    );
    let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    let out = Wording::new(&rules).run(&ProbeInput::new(&crawl, as_of));
    let wrong: Vec<&str> = out
        .findings
        .iter()
        .map(|f| f.value["wrong"].as_str().unwrap())
        .collect();
    assert_eq!(wrong, vec!["习近乎"]);
}

#[test]
fn posts_are_judged_at_their_own_date() {
    let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    let post = |id: &str, day: &str, text: &str| Post {
        id: id.into(),
        link: Some(format!("https://weibo.test/{id}")),
        title: String::new(),
        published: Some(
            chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00")).unwrap(),
        ),
        text: text.into(),
        links: vec![],
        categories: vec![],
        repost: None,
    };
    let feed = FeedRead {
        url: "https://rsshub.test/weibo/1".into(),
        posts: vec![
            post("1", "2021-05-06", "国务院总理李克强主持召开国务院常务会议"),
            post("2", "2024-05-06", "国务院总理李克强主持召开国务院常务会议"),
            post("3", "2024-05-07", "坚定“四个自信”，做到“两个维护”"),
            post("4", "2024-05-08", "学习贯彻中华人民共合国宪法"),
        ],
        fetches: vec![],
        page: None,
        format: Some("rss2".into()),
        title: None,
        failure: None,
        over_budget: 0,
    };
    let account = Account {
        platform: Platform::Weibo,
        id: "1".into(),
        name: "测试发布".into(),
        org: "测试县人民政府办公室".into(),
        region: "测试县".into(),
        site: "1300000001".into(),
        feed: feed.url.parse().unwrap(),
    };
    let f = Wording::new(&WordingRules::default()).posts(&account, &feed, as_of);
    let got: Vec<(&str, &str, &str)> = f
        .iter()
        .map(|f| {
            (
                f.code.as_str(),
                f.value["wrong"].as_str().unwrap(),
                f.url.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "wording.suspect",
                "国务院总理李克强",
                "https://weibo.test/2"
            ),
            ("wording.serious", "中华人民共合国", "https://weibo.test/4"),
        ]
    );
    assert_eq!(f[0].value["date_source"], "given");
    assert_eq!(f[0].value["account"], account.key());
}
