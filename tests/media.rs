//! Government new-media accounts end to end over `fixtures/media` (see its README): feeds in the
//! shapes RSSHub serves for 微博 (RSS 2.0), 头条号 (Atom), 公众号 (RSS 2.0 in GBK, and Atom) and
//! 抖音 (JSON Feed), read by the real crawler through the fixture server and the test DNS, judged
//! by the media probe, compared with `expected.toml` exactly; then a whole run with inspectors'
//! findings imported from CSV, stored, scored (new-media vetoes) and reported (annex 4).

mod common;

use common::{fast_settings, ts};
use govwatch_crawler::Crawler;
use govwatch_model::{Account, Site, SiteKind, SiteOverrides};
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::strip_port;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const AS_OF: &str = "2026-11-28T10:00:00+08:00";

fn root() -> PathBuf {
    govwatch_testutil::workspace_root().join("fixtures/media")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    account: Vec<ExpectedAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedAccount {
    key: String,
    #[allow(dead_code)]
    why: String,
    finding: Vec<ExpectedFinding>,
    not_measured: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFinding {
    code: String,
    url: String,
}

fn expected() -> BTreeMap<String, ExpectedAccount> {
    let text = std::fs::read_to_string(root().join("expected.toml")).unwrap();
    let e: Expected = toml::from_str(&text).unwrap();
    e.account.into_iter().map(|a| (a.key.clone(), a)).collect()
}

/// The stand-in site every fixture account belongs to.
fn site(net: &TestNet) -> Site {
    Site {
        id: "1310000001".into(),
        name: "安平县人民政府".into(),
        home: net.http.url("www.anping.media.test", "/"),
        org: "安平县人民政府办公室".into(),
        region: "安平县".into(),
        kind: SiteKind::Portal,
        overrides: SiteOverrides::default(),
    }
}

fn accounts(net: &TestNet, sites: &[Site]) -> Vec<Account> {
    let path = root().join("accounts.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{PORT}}", &net.http.port().to_string());
    govwatch_config::parse_accounts(&path, &text, Some(sites)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_account_gives_exactly_its_findings() {
    let net = TestNet::start(root()).await.unwrap();
    let port = net.http.port();
    let sites = vec![site(&net)];
    let registry = accounts(&net, &sites);
    let want = expected();
    assert_eq!(registry.len(), want.len());
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    let rules = govwatch_config::ProbeRules::default();
    for a in &registry {
        let r =
            govwatch_runner::media::inspect_account(&crawler, a, &registry, &[], ts(AS_OF), &rules)
                .await;
        let got: BTreeSet<(String, String)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    strip_port(f.url.as_deref().unwrap_or(""), port),
                )
            })
            .collect();
        let exp = &want[&a.key()];
        let exp_set: BTreeSet<(String, String)> = exp
            .finding
            .iter()
            .map(|f| (f.code.clone(), f.url.clone()))
            .collect();
        if got != exp_set {
            for f in &r.findings {
                eprintln!("FINDING {} {} {:?}", f.code, f.message, f.evidence.excerpt);
            }
            for f in &r.facts {
                eprintln!("FACT {} {}", f.code, f.value);
            }
        }
        assert_eq!(got, exp_set, "findings of {}", a.key());
        assert_eq!(got.len(), r.findings.len(), "no finding twice: {}", a.key());
        let not_measured: Vec<&govwatch_model::Fact> = r
            .facts
            .iter()
            .filter(|f| f.code == "media.not_measured")
            .collect();
        match &exp.not_measured {
            Some(reason) => {
                assert_eq!(not_measured.len(), 1, "{}", a.key());
                assert_eq!(
                    not_measured[0].value["reason"],
                    reason.as_str(),
                    "{}",
                    a.key()
                );
                assert!(!r.feed.measured());
                assert!(r.facts.iter().all(|f| f.code == "media.not_measured"));
            }
            None => {
                assert!(not_measured.is_empty(), "{}: {not_measured:?}", a.key());
                assert!(r.feed.measured(), "{}", a.key());
                // the archived copy of the feed is the evidence of every finding
                let page = r.feed.page.as_ref().unwrap();
                for f in &r.findings {
                    assert_eq!(
                        f.evidence.archived.as_deref(),
                        Some(page.fetch.url.as_str())
                    );
                    assert_eq!(f.evidence.status, Some(200));
                }
            }
        }
        let fact = |code: &str| r.facts.iter().find(|f| f.code == code).map(|f| &f.value);
        match a.key().as_str() {
            "weibo:2010000001" => {
                let share = fact("media.repost_share").unwrap();
                assert_eq!(
                    (share["posts"].clone(), share["reposts"].clone()),
                    (8.into(), 2.into())
                );
                let feed = fact("media.feed").unwrap();
                assert_eq!(feed["format"], "rss2");
                assert_eq!(feed["latest"], "2026-11-27T09:30:00+08:00");
                let reposts: Vec<&str> = r
                    .feed
                    .posts
                    .iter()
                    .filter_map(|p| p.repost.as_deref())
                    .collect();
                assert_eq!(reposts, vec!["prefix:转发微博", "marker://@"]);
            }
            "weibo:2010000002" => {
                let s = &r.findings[0];
                assert_eq!(s.value["latest"], "2026-11-13");
                assert_eq!(s.value["days"], 15);
                assert!(s.message.contains("14天内无更新"), "{}", s.message);
            }
            "weibo:2010000003" => {
                let z = r
                    .findings
                    .iter()
                    .find(|f| f.code == "media.zombie")
                    .unwrap();
                assert_eq!(z.value["announced"], "2026-10-15");
                assert_eq!(z.value["phrase"], "停止更新");
                let s = r.findings.iter().find(|f| f.code == "media.stale").unwrap();
                assert_eq!(s.value["days"], 44);
            }
            "toutiao:MS4wLjABAAAAanpingjiaoyu" => {
                assert_eq!(fact("media.feed").unwrap()["format"], "atom");
                let f = &r.findings[0];
                assert_eq!(
                    (f.value["posts"].clone(), f.value["reposts"].clone()),
                    (8.into(), 7.into())
                );
                assert_eq!(f.value["share"], 0.875);
            }
            "wechat:anping_nongye" => {
                // decoded from GBK by the XML declaration
                let page = r.feed.page.as_ref().unwrap();
                assert_eq!(page.charset.as_deref(), Some("GBK"));
                let f = &r.findings[0];
                assert_eq!(
                    f.value["title"],
                    "【年货节】安平特产黑木耳限时抢购，全场包邮！"
                );
                assert_eq!(
                    f.value["shop_links"][0],
                    "https://item.taobao.com/item.htm?id=660000000001"
                );
                assert!(f.evidence.excerpt.as_deref().unwrap().contains("限时抢购"));
            }
            "douyin:MS4wLjABAAAAanpingwenlv1" => {
                assert_eq!(fact("media.feed").unwrap()["format"], "json");
                let f = &r.findings[0];
                assert_eq!(f.value["org"], "安平县文化和旅游局");
                assert_eq!(f.value["accounts"].as_array().unwrap().len(), 2);
            }
            "weibo:2010000009" => {
                assert_eq!(not_measured[0].value["status"], 503);
                assert_eq!(not_measured[0].value["error"], "HTTP 503");
            }
            "weishi:anping_weishi" => {
                let e = not_measured[0].value["error"].as_str().unwrap();
                assert!(e.starts_with("dns"), "{e}");
            }
            _ => {}
        }
    }
    // politely: robots.txt asked once, each feed once, with govwatch's User-Agent
    let log = net.http.requests_for("rsshub.media.test");
    let robots = log.iter().filter(|r| r.path == "/robots.txt").count();
    assert_eq!(robots, 1, "{log:?}");
    assert_eq!(log.len(), 1 + 10, "{log:?}");
    assert!(log.iter().all(|r| {
        r.user_agent
            .as_deref()
            .is_some_and(|u| u.contains("govwatch"))
    }));
}
