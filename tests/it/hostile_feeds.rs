//! Hostile feeds (issue 27), through the real crawler, runner, store and scorer: a feed whose
//! items are all dated after the monitoring time is 未监测 (the verdict follows the probe's fact
//! `media.not_measured`, not the reader's success); a feed whose item holds 200,000 nested `<div>`
//! is read under the page's parse budget (its body left unparsed and counted, the account
//! measured on its dates) and the night goes on with the other accounts.

use crate::common::{fast_settings, ts};
use govwatch_crawler::Crawler;
use govwatch_model::{Account, Platform, Site, SiteKind};
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const AS_OF: &str = "2026-11-28T10:00:00+08:00";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-feeds-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>账号</title>",
    );
    for (i, (date, body)) in items.iter().enumerate() {
        s.push_str(&format!(
            "<item><title>第{i}条</title><link>https://weibo.example/1/{i}</link>\
             <pubDate>{date}</pubDate><description>{body}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn account(id: &str, name: &str, feed: url::Url) -> Account {
    Account {
        platform: Platform::Weibo,
        id: id.into(),
        name: name.into(),
        org: format!("{name}单位"),
        region: "测试县".into(),
        site: "3400000001".into(),
        feed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_dated_and_nested_feeds_are_judged_and_the_night_goes_on() {
    let root = scratch("fixtures");
    write_fixtures(&root);
    let net = TestNet::start(&root).await.unwrap();
    let site = Site {
        id: "3400000001".into(),
        name: "测试县人民政府".into(),
        home: net.http.url("www.site.feeds.test", "/"),
        org: "测试县人民政府办公室".into(),
        region: "测试县".into(),
        kind: SiteKind::Portal,
        overrides: Default::default(),
    };
    let feed = |f: &str| net.http.url("rsshub.feeds.test", &format!("/{f}"));
    let accounts = vec![
        account("1", "未来发布", feed("future.xml")),
        account("2", "深层发布", feed("nested.xml")),
        account("3", "正常发布", feed("fresh.xml")),
    ];
    let db = scratch("run").join("govwatch.db");
    let mut store = Store::open(&db).unwrap();
    store.upsert_sites(std::slice::from_ref(&site)).unwrap();
    let crawler = Arc::new(Crawler::new(fast_settings(&net)).unwrap());
    let opts = RunOptions {
        as_of: ts(AS_OF),
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules: Default::default(),
        accounts: accounts.clone(),
    };
    let (report, store) = run(
        crawler,
        store,
        vec![site],
        opts,
        std::future::pending(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.accounts_done, 3, "every account read");
    let run_id = report.run_id;

    // the stored row and the verdict follow the probe's fact
    let rows = store.run_accounts(run_id).unwrap();
    let measured: Vec<(String, bool)> = rows.iter().map(|a| (a.key.clone(), a.measured)).collect();
    assert_eq!(
        measured,
        [
            ("weibo:1".to_string(), false),
            ("weibo:2".to_string(), true),
            ("weibo:3".to_string(), true)
        ]
    );
    let facts = store.account_facts(run_id).unwrap();
    let fact = |key: &str, code: &str| {
        facts
            .iter()
            .find(|f| f.account_key == key && f.stored.fact.code == code)
            .map(|f| f.stored.fact.value.clone())
    };
    assert_eq!(
        fact("weibo:1", "media.not_measured").unwrap()["reason"],
        "none_before_as_of"
    );
    let nested = fact("weibo:2", "media.feed").unwrap();
    assert_eq!(nested["items"], 2);
    assert_eq!(nested["over_budget"], 1);
    assert_eq!(nested["latest"], "2026-11-27T10:00:00+08:00");
    let posts = store.posts(run_id, "weibo:2").unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["", "防汛通知"]);
    assert_eq!(fact("weibo:3", "media.feed").unwrap()["over_budget"], 0);

    let rules = govwatch_score::shipped_rules();
    let verdicts = govwatch_score::media::score_accounts(&store, run_id, &rules).unwrap();
    let got: Vec<(&str, &str)> = verdicts
        .iter()
        .map(|v| {
            (
                v.key.as_str(),
                govwatch_score::media::account_verdict_zh(&v.verdict),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("weibo:1", "未监测"),
            ("weibo:2", "合格"),
            ("weibo:3", "合格")
        ]
    );
    let (lines, _) = govwatch_runner::media::summary_lines(&store, run_id).unwrap();
    let line = lines.iter().find(|l| l.starts_with("weibo:1")).unwrap();
    assert!(line.contains("未监测"), "{line}");
}

/// The test's sites: a home page, and three feeds (every item after the monitoring time; a
/// fresh item nesting 200,000 `<div>`; an ordinary one).
fn write_fixtures(root: &Path) {
    let site_dir = root.join("www.site.feeds.test");
    std::fs::create_dir_all(&site_dir).unwrap();
    std::fs::write(
        site_dir.join("index.html"),
        "<html><head><title>首页</title></head><body><p>测试</p></body></html>",
    )
    .unwrap();
    let feeds = root.join("rsshub.feeds.test");
    std::fs::create_dir_all(&feeds).unwrap();
    // every item after the monitoring time: one the next day, one in 2099
    std::fs::write(
        feeds.join("future.xml"),
        rss(&[
            ("Sun, 29 Nov 2026 02:00:00 GMT", "明天的通知"),
            ("Thu, 01 Jan 2099 00:00:00 GMT", "很久以后"),
        ]),
    )
    .unwrap();
    // a fresh item whose body nests 200,000 <div> (in CDATA), and a plain one before it
    let bomb = format!(
        "<![CDATA[{}深{}]]>",
        "<div>".repeat(200_000),
        "</div>".repeat(200_000)
    );
    std::fs::write(
        feeds.join("nested.xml"),
        rss(&[
            ("Fri, 27 Nov 2026 02:00:00 GMT", &bomb),
            (
                "Thu, 26 Nov 2026 02:00:00 GMT",
                "<![CDATA[<p>防汛通知</p>]]>",
            ),
        ]),
    )
    .unwrap();
    // an ordinary account read after them
    std::fs::write(
        feeds.join("fresh.xml"),
        rss(&[(
            "Fri, 27 Nov 2026 02:00:00 GMT",
            "&lt;p&gt;今日要闻&lt;/p&gt;",
        )]),
    )
    .unwrap();
}
