//! The media probe on hand-made posts: each rule's boundaries, and what a failing feed gives.

use super::*;
use govwatch_config::{InteractionRules, MediaRules};
use govwatch_model::{FeedFailure, Platform};
use url::Url;

fn ts(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

const AS_OF: &str = "2026-11-28T10:00:00+08:00";

fn account(platform: Platform, id: &str, org: &str) -> Account {
    Account {
        platform,
        id: id.into(),
        name: format!("账号{id}"),
        org: org.into(),
        region: "安平县".into(),
        site: "1310000001".into(),
        feed: Url::parse(&format!("http://rsshub.test/{}/{id}", platform.as_str())).unwrap(),
    }
}

fn post(n: usize, when: &str, title: &str, text: &str) -> Post {
    Post {
        id: format!("p{n}"),
        link: Some(format!("https://weibo.test/p/{n}")),
        title: title.into(),
        published: Some(ts(when)),
        text: text.into(),
        links: vec![],
        categories: vec![],
        repost: None,
    }
}

fn feed(posts: Vec<Post>) -> FeedRead {
    FeedRead {
        url: "http://rsshub.test/weibo/1".into(),
        fetches: vec![],
        page: None,
        format: Some("rss2".into()),
        title: Some("t".into()),
        posts,
        failure: None,
        over_budget: 0,
    }
}

fn probe() -> Media {
    Media::new(MediaRules::default(), InteractionRules::default().ads)
}

fn codes(out: &ProbeOutput) -> Vec<String> {
    let mut c: Vec<String> = out.findings.iter().map(|f| f.code.clone()).collect();
    c.sort();
    c
}

fn run(a: &Account, f: &mut FeedRead) -> ProbeOutput {
    probe().inspect(a, f, std::slice::from_ref(a), &[], ts(AS_OF))
}

#[test]
fn fourteen_days_is_in_time_fifteen_is_stale() {
    let a = account(Platform::Weibo, "1", "安平县人民政府办公室");
    // 2026-11-14 23:59 China time: 14 calendar days before 2026-11-28
    let mut f = feed(vec![post(
        1,
        "2026-11-14T23:59:00+08:00",
        "会议",
        "县政府召开会议",
    )]);
    let out = run(&a, &mut f);
    assert!(codes(&out).is_empty(), "{:?}", out.findings);
    let feed_fact = out.facts.iter().find(|f| f.code == "media.feed").unwrap();
    assert_eq!(feed_fact.value["latest"], "2026-11-14T23:59:00+08:00");
    assert_eq!(feed_fact.value["account"], "weibo:1");
    // 15:59 UTC on the 13th is 23:59 on the 13th in China: 15 days
    let mut f = feed(vec![post(
        1,
        "2026-11-13T15:59:00Z",
        "会议",
        "县政府召开会议",
    )]);
    let out = run(&a, &mut f);
    assert_eq!(codes(&out), vec!["media.stale"]);
    let s = &out.findings[0];
    assert_eq!(s.severity, Severity::Veto);
    assert_eq!(s.value["latest"], "2026-11-13");
    assert_eq!(s.value["days"], 15);
    assert_eq!(s.value["window_days"], 14);
    assert!(s.message.contains("2026-11-13"), "{}", s.message);
    assert_eq!(s.url.as_deref(), Some("http://rsshub.test/weibo/1"));
}

#[test]
fn posts_after_the_monitoring_time_do_not_count() {
    let a = account(Platform::Weibo, "1", "单位");
    let mut f = feed(vec![
        post(1, "2026-12-01T09:00:00+08:00", "后来的", "后来的内容"),
        post(2, "2026-10-01T09:00:00+08:00", "旧的", "旧的内容"),
    ]);
    let out = run(&a, &mut f);
    assert_eq!(codes(&out), vec!["media.stale"]);
    assert_eq!(out.findings[0].value["latest"], "2026-10-01");
    // only posts after it: not measured, not stale
    let mut f = feed(vec![post(1, "2026-12-01T09:00:00+08:00", "后来的", "x")]);
    let out = run(&a, &mut f);
    assert!(out.findings.is_empty());
    assert_eq!(out.facts[0].code, "media.not_measured");
    assert_eq!(out.facts[0].value["reason"], "none_before_as_of");
}

#[test]
fn a_feed_that_fails_is_not_measured_never_stale() {
    let a = account(Platform::Weibo, "1", "单位");
    for why in [
        FeedFailure::Fetch,
        FeedFailure::Parse,
        FeedFailure::Empty,
        FeedFailure::Undated,
    ] {
        let mut f = feed(vec![]);
        f.failure = Some((why, "HTTP 503".into()));
        let out = run(&a, &mut f);
        assert!(out.findings.is_empty(), "{why:?}: {:?}", out.findings);
        assert_eq!(out.facts.len(), 1);
        assert_eq!(out.facts[0].code, "media.not_measured");
        assert_eq!(out.facts[0].value["reason"], why.as_str());
        assert_eq!(out.facts[0].value["error"], "HTTP 503");
    }
}

#[test]
fn the_newest_post_announcing_a_stop_is_a_zombie() {
    let a = account(Platform::Weibo, "1", "单位");
    let mut f = feed(vec![
        post(
            1,
            "2026-11-20T09:00:00+08:00",
            "公告",
            "因工作调整，本账号自即日起停止更新，感谢关注。",
        ),
        post(2, "2026-11-10T09:00:00+08:00", "会议", "召开会议"),
    ]);
    let out = run(&a, &mut f);
    assert_eq!(codes(&out), vec!["media.zombie"]);
    let z = &out.findings[0];
    assert_eq!(z.value["announced"], "2026-11-20");
    assert_eq!(z.value["phrase"], "停止更新");
    assert_eq!(z.url.as_deref(), Some("https://weibo.test/p/1"));
    assert!(z.evidence.excerpt.as_deref().unwrap().contains("停止更新"));
    // a later post: the account went on
    let mut f = feed(vec![
        post(1, "2026-11-20T09:00:00+08:00", "公告", "本账号停止更新"),
        post(2, "2026-11-25T09:00:00+08:00", "会议", "召开会议"),
    ]);
    assert!(codes(&run(&a, &mut f)).is_empty());
    // a service pausing for maintenance is not the account stopping
    let mut f = feed(vec![post(
        1,
        "2026-11-25T09:00:00+08:00",
        "提示",
        "社保查询系统维护期间暂停更新数据",
    )]);
    assert!(codes(&run(&a, &mut f)).is_empty());
}

fn reposts(total: usize, reposted: usize, start_day: u32) -> Vec<Post> {
    (0..total)
        .map(|i| {
            let day = format!("2026-11-{:02}T09:00:00+08:00", start_day + i as u32);
            if i < reposted {
                post(i, &day, "转发微博", "转发微博 - 转发 @云泽发布: 通知")
            } else {
                post(i, &day, "原创", "县政府召开会议")
            }
        })
        .collect()
}

#[test]
fn repost_share_above_the_bar_over_enough_posts() {
    let a = account(Platform::Toutiao, "9", "单位");
    // 5 of 6 = 83% > 80%
    let mut f = feed(reposts(6, 5, 10));
    let out = run(&a, &mut f);
    assert_eq!(codes(&out), vec!["media.repost_only"]);
    let r = &out.findings[0];
    assert_eq!(
        (r.value["posts"].clone(), r.value["reposts"].clone()),
        (6.into(), 5.into())
    );
    assert_eq!(f.posts[0].repost.as_deref(), Some("prefix:转发微博"));
    assert_eq!(f.posts[5].repost, None);
    // 4 of 5 = 80%: not above the bar
    let mut f = feed(reposts(5, 4, 10));
    assert!(codes(&run(&a, &mut f)).is_empty());
    // 4 of 4 = 100% but fewer than 5 posts
    let mut f = feed(reposts(4, 4, 20));
    let out = run(&a, &mut f);
    assert!(codes(&out).is_empty());
    let share = out
        .facts
        .iter()
        .find(|f| f.code == "media.repost_share")
        .unwrap();
    assert_eq!(share.value["share"], 1.0);
    // posts older than the quarter do not count
    let mut posts = reposts(6, 1, 10);
    for (i, p) in posts.iter_mut().enumerate().skip(1) {
        p.title = "转发微博".into();
        p.published = Some(ts(&format!("2026-08-{:02}T09:00:00+08:00", 10 + i)));
    }
    let mut f = feed(posts);
    let out = run(&a, &mut f);
    assert!(!codes(&out).contains(&"media.repost_only".to_string()));
}

#[test]
fn repost_markers_and_official_forwarding() {
    let r = MediaRules::default().repost;
    let mut p = post(
        1,
        AS_OF,
        "转发省政府办公厅关于做好冬季防火工作的通知",
        "各乡镇：现将通知转发给你们。",
    );
    assert_eq!(repost::marker(&r, &p), None);
    p.text = "学习了//@安平发布:冬季防火".into();
    assert_eq!(repost::marker(&r, &p).as_deref(), Some("marker://@"));
    let mut p = post(2, AS_OF, "标题", "正文");
    p.categories = vec!["转载".into()];
    assert_eq!(repost::marker(&r, &p).as_deref(), Some("category:转载"));
}

#[test]
fn ads_use_the_sites_rule_and_off_topic_words() {
    let a = account(Platform::Wechat, "gh_1", "单位");
    let mut ad = post(
        1,
        "2026-11-25T09:00:00+08:00",
        "年货节",
        "限时抢购！本地特产全场包邮，点击购买",
    );
    ad.links = vec!["https://item.taobao.com/item.htm?id=1".into()];
    let price = post(
        2,
        "2026-11-24T09:00:00+08:00",
        "价格监测",
        "本周猪肉价格监测：部分超市特价促销，价格平稳。",
    );
    let gossip = post(
        3,
        "2026-11-23T09:00:00+08:00",
        "十二星座今日运势",
        "看看你的星座今日运势",
    );
    let mut f = feed(vec![ad, price, gossip]);
    let out = run(&a, &mut f);
    assert_eq!(codes(&out), vec!["media.commercial_ad", "media.off_topic"]);
    let ad = out
        .findings
        .iter()
        .find(|f| f.code == "media.commercial_ad")
        .unwrap();
    assert_eq!(ad.url.as_deref(), Some("https://weibo.test/p/1"));
    assert_eq!(
        ad.value["shop_links"][0],
        "https://item.taobao.com/item.htm?id=1"
    );
    assert!(ad.value["strong"].as_array().unwrap().len() >= 2);
    let ot = out
        .findings
        .iter()
        .find(|f| f.code == "media.off_topic")
        .unwrap();
    assert_eq!(ot.url.as_deref(), Some("https://weibo.test/p/3"));
}

#[test]
fn one_unit_two_accounts_on_one_platform() {
    let a = account(Platform::Weibo, "1", "安平县 人民政府办公室");
    let b = account(Platform::Weibo, "2", "安平县人民政府办公室");
    let c = account(Platform::Wechat, "3", "安平县人民政府办公室");
    let d = account(Platform::Other, "4", "安平县人民政府办公室");
    let e = account(Platform::Other, "5", "安平县人民政府办公室");
    let registry = vec![a.clone(), b.clone(), c.clone(), d.clone(), e.clone()];
    let m = probe();
    let fresh = || {
        feed(vec![post(
            1,
            "2026-11-27T09:00:00+08:00",
            "会议",
            "召开会议",
        )])
    };
    let dup = |x: &Account| {
        let out = m.inspect(x, &mut fresh(), &registry, &[], ts(AS_OF));
        codes(&out)
    };
    assert_eq!(dup(&a), vec!["media.duplicate_accounts"]);
    assert_eq!(dup(&b), vec!["media.duplicate_accounts"]);
    assert!(dup(&c).is_empty());
    assert!(dup(&d).is_empty(), "`other` lumps platforms together");
    let out = m.inspect(&a, &mut fresh(), &registry, &[], ts(AS_OF));
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.value["accounts"][0]["key"], "weibo:1");
    assert_eq!(f.value["accounts"][1]["key"], "weibo:2");
    // reported whether or not the feed could be read
    let mut failed = feed(vec![]);
    failed.failure = Some((FeedFailure::Fetch, "dns".into()));
    let out = m.inspect(&b, &mut failed, &registry, &[], ts(AS_OF));
    assert_eq!(codes(&out), vec!["media.duplicate_accounts"]);
}

#[test]
fn manual_findings_within_the_window() {
    let a = account(Platform::Weibo, "1", "单位");
    let row = |code: &str, day: &str| ManualFinding {
        id: 7,
        account: "weibo:1".into(),
        code: code.into(),
        date: day.parse().unwrap(),
        note: "评论区已关闭".into(),
        evidence_url: Some("https://weibo.test/1".into()),
        source: "checks.csv:2".into(),
    };
    let rows = vec![
        row("media.comments_closed", "2026-11-20"),
        row("media.unanswered", "2026-08-28"), // 3 months before: outside
        row("media.unanswered", "2026-11-29"), // after the monitoring time
        ManualFinding {
            account: "weibo:2".into(),
            ..row("media.unanswered", "2026-11-20")
        },
    ];
    let mut f = feed(vec![post(
        1,
        "2026-11-27T09:00:00+08:00",
        "会议",
        "召开会议",
    )]);
    let out = probe().inspect(&a, &mut f, std::slice::from_ref(&a), &rows, ts(AS_OF));
    assert_eq!(codes(&out), vec!["media.comments_closed"]);
    let m = &out.findings[0];
    assert_eq!(m.probe, "manual");
    assert_eq!(m.severity, Severity::Veto);
    assert_eq!(m.url.as_deref(), Some("https://weibo.test/1"));
    assert_eq!(m.value["manual_id"], 7);
    assert_eq!(m.evidence.excerpt.as_deref(), Some("评论区已关闭"));
    assert_eq!(m.evidence.extra["source"], "checks.csv:2");
}
