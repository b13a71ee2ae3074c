//! The interaction probe on hand-made sites: channel kinds, letters and their latency, forms
//! read directly, login and opening hours from the history, survey ads, service-case tables.

use super::*;
use crate::links::tests::{crawl_with, rec};
use crate::{Previous, ProbeInput};
use govwatch_model::{Link, Page};

/// A page from HTML, with its anchors as links (as the crawler extracts them).
fn page(url: &str, depth: u32, html: &str) -> Page {
    let base = Url::parse(url).unwrap();
    let doc = Html::parse_document(html);
    let links = doc
        .select(sel("a[href]"))
        .filter_map(|a| {
            let raw = a.value().attr("href")?.to_string();
            let u = base.join(&raw).ok()?;
            Some(Link {
                url: u.to_string(),
                raw,
                text: a
                    .text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                kind: LinkKind::Anchor,
            })
        })
        .collect();
    let title = doc
        .select(sel("title"))
        .next()
        .map(|t| t.text().collect::<String>());
    Page {
        fetch: rec(url, Some(200), None),
        depth,
        text: html.into(),
        charset: Some("UTF-8".into()),
        charset_source: None,
        title,
        links,
        is_html: true,
    }
}

fn probe() -> Interaction {
    Interaction::new(InteractionRules::default(), WorkCalendar::shipped())
}

fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn codes(out: &ProbeOutput) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = out
        .findings
        .iter()
        .map(|f| (f.code.clone(), f.url.clone().unwrap_or_default()))
        .collect();
    v.sort();
    v
}

#[test]
fn classifies_channels() {
    let p = probe();
    assert_eq!(p.classify("县长信箱"), Some(Kind::Consultation));
    assert_eq!(p.classify("网上信访"), Some(Kind::Petition));
    assert_eq!(p.classify("纪委书记信箱"), Some(Kind::Discipline));
    assert_eq!(p.classify("在线访谈"), Some(Kind::Interview));
    assert_eq!(p.classify("意见征集"), Some(Kind::Survey));
    assert_eq!(p.classify("我为政府网站找错"), Some(Kind::ErrorReport));
    assert_eq!(p.classify("互动交流"), Some(Kind::Hub));
    assert_eq!(p.classify("政务公开"), None);
}

#[test]
fn letters_latency_in_working_days_and_veto() {
    let home = page(
        "http://a.gov.test/",
        0,
        r#"<a href="/hdjl/xx/">县长信箱</a><a href="/hdjl/list/">信件公开</a>"#,
    );
    let entry = page(
        "http://a.gov.test/hdjl/xx/",
        1,
        r#"<title>县长信箱</title><a href="write.html">我要写信</a>"#,
    );
    let list = page(
        "http://a.gov.test/hdjl/list/",
        1,
        r#"<title>信件公开</title><table><tr><th>标题</th><th>来信时间</th><th>状态</th></tr>
        <tr><td><a href="1.html">春节前咨询供暖问题</a></td><td>2026-02-13</td><td>已回复</td></tr>
        <tr><td><a href="2.html">调休周六答复的咨询</a></td><td>2026-02-27</td><td>已回复</td></tr>
        <tr><td><a href="3.html">咨询公积金提取办法</a></td><td>2026-07-10</td><td>未回复</td></tr>
        <tr><td><a href="4.html">去年的未回复信件</a></td><td>2025-06-01</td><td>未回复</td></tr>
        <tr><td><a href="5.html">状态未知的咨询信件</a></td><td>2026-05-05</td><td></td></tr></table>"#,
    );
    let l1 = page(
        "http://a.gov.test/hdjl/list/1.html",
        2,
        "来信时间：2026-02-13 回复时间：2026-02-24",
    );
    let l2 = page(
        "http://a.gov.test/hdjl/list/2.html",
        2,
        "来信时间：2026-02-27 答复时间：2026-02-28",
    );
    let c = crawl_with(vec![home, entry, list, l1, l2], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-04-01T10:00:00+08:00")));
    let lat = out
        .facts
        .iter()
        .find(|f| f.code == "message.latency")
        .unwrap();
    // (2026-02-13, 2026-02-24]: Sat 14th (调休) and Tue 24th = 2; (02-27, 02-28]: the 调休 Saturday = 1
    assert_eq!(lat.value["answered"], 2, "{}", lat.value);
    assert_eq!(lat.value["within_1"], 1);
    assert_eq!(lat.value["within_5"], 2);
    assert_eq!(lat.value["median_days"], 1.5);
    // As of 2026-11-28: the 07-10 letter is > 3 months unanswered; 2025-06-01 is outside the year.
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    let got = codes(&out);
    assert!(
        got.contains(&(
            "message.unanswered_3m".into(),
            "http://a.gov.test/hdjl/list/3.html".into()
        )),
        "{got:?}"
    );
    assert!(!got.iter().any(|(_, u)| u.ends_with("4.html")), "{got:?}");
    // a row without a readable state is not evidence for the veto
    assert!(!got.iter().any(|(_, u)| u.ends_with("5.html")), "{got:?}");
    assert!(
        got.iter().any(|(c, _)| c == "message.no_recent_reply"),
        "{got:?}"
    );
}

#[test]
fn channel_missing_when_only_petition_and_discipline() {
    let home = page(
        "http://a.gov.test/",
        0,
        r#"<a href="/xf/">网上信访</a><a href="/jj/">纪检举报</a><a href="/ft/">在线访谈</a>"#,
    );
    let c = crawl_with(vec![home], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    assert_eq!(
        codes(&out),
        vec![(
            "message.channel_missing".into(),
            "http://a.gov.test/".into()
        )]
    );
}

#[test]
fn login_without_return_and_hours_from_history() {
    let home = page(
        "http://a.gov.test/",
        0,
        r#"<a href="/xx/write.html">我要写信</a><a href="/xx/list.html">留言选登</a>"#,
    );
    let write = page(
        "http://a.gov.test/xx/write.html",
        1,
        r#"<title>我要写信</title><p>请先登录后再写信。</p><a href="/sso/login.jsp">统一身份认证登录</a>"#,
    );
    let c = crawl_with(vec![home.clone(), write], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    assert!(codes(&out).contains(&(
        "message.login_no_return".into(),
        "http://a.gov.test/xx/write.html".into()
    )));
    let with_return = page(
        "http://a.gov.test/xx/write.html",
        1,
        r#"<title>我要写信</title><p>请先登录</p><a href="/sso/login?returnUrl=%2Fxx%2Fwrite.html">登录</a>"#,
    );
    let c = crawl_with(vec![home.clone(), with_return], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    assert!(
        !codes(&out)
            .iter()
            .any(|(c, _)| c == "message.login_no_return")
    );

    // Open at 10:00 (an earlier run), closed now at 02:00: the history shows a window.
    let closed = page(
        "http://a.gov.test/xx/write.html",
        1,
        "<title>我要写信</title><p>当前不在留言开放时间，请在开放时间内留言。</p>",
    );
    let c = crawl_with(vec![home, closed], vec![]);
    let prev = Previous {
        as_of: None,
        facts: vec![fact(
            "message.form",
            Some("http://a.gov.test/xx/write.html"),
            json!({"form_present": true, "fetched_hour": 10}),
            at("2026-11-27T10:00:00+08:00"),
        )],
    };
    let mut input = ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00"));
    input.previous = Some(&prev);
    let out = probe().run(&input);
    let f = out
        .findings
        .iter()
        .find(|f| f.code == "message.open_hours")
        .expect("open hours from history");
    assert_eq!(f.value["open_at_hour"], 10);
    assert_eq!(f.value["closed_at_hour"], 2);
}

#[test]
fn survey_ad_is_reported_and_not_counted() {
    let home = page(
        "http://a.gov.test/",
        0,
        r#"<a href="/dczj/">调查征集</a><a href="/xx/">局长信箱</a>"#,
    );
    let list = page(
        "http://a.gov.test/dczj/",
        1,
        r#"<title>调查征集</title><ul><li><a href="1.html">全省茶叶品牌调查</a><span>2026-10-01</span></li>
        <li><a href="2.html">关于城市公园管理办法的意见征集</a><span>2026-09-01</span></li></ul>"#,
    );
    let ad = page(
        "http://a.gov.test/dczj/1.html",
        2,
        r#"<p>征集时间：2026-10-01至2026-10-31</p><p>云雾春茶官方旗舰店限时抢购，原价198元，现价98元/盒，全场包邮！</p>
        <a href="https://detail.tmall.com/item.htm?id=1">立即购买</a>"#,
    );
    let mail = page(
        "http://a.gov.test/dczj/2.html",
        2,
        "<p>征集时间：2026-09-01至2026-09-30</p><p>请将意见发送至电子邮箱 yj@a.gov.test。</p>",
    );
    let c = crawl_with(vec![home, list, ad, mail], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    assert!(codes(&out).contains(&(
        "content.commercial_ad".into(),
        "http://a.gov.test/dczj/1.html".into()
    )));
    let s = out.facts.iter().find(|f| f.code == "survey.count").unwrap();
    assert_eq!(s.value["count"], 1, "{}", s.value);
    assert_eq!(s.value["email_only"], true);
}

#[test]
fn service_case_tables_are_not_letters() {
    let home = page(
        "http://a.gov.test/",
        0,
        r#"<a href="/xx/">局长信箱</a><a href="/bjgs/">办件公示</a>"#,
    );
    let entry = page(
        "http://a.gov.test/xx/",
        1,
        r#"<title>局长信箱</title><ul><li><a href="1.html">咨询社保卡补办</a><span>已回复</span><span>2026-11-20</span></li></ul>"#,
    );
    // 办件公示: applications with 办结时间 and 办理中 statuses, months old — services, not messages
    let cases = page(
        "http://a.gov.test/bjgs/",
        1,
        r#"<title>办件公示</title><table><tr><th>事项名称</th><th>受理时间</th><th>办结时间</th><th>状态</th></tr>
        <tr><td><a href="c1.html">企业投资项目备案申请</a></td><td>2026-03-02</td><td></td><td>办理中</td></tr>
        <tr><td><a href="c2.html">建设工程规划许可证核发</a></td><td>2026-01-10</td><td>2026-02-20</td><td>已办结</td></tr></table>"#,
    );
    let c = crawl_with(vec![home, entry, cases], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    let letters: Vec<&Fact> = out
        .facts
        .iter()
        .filter(|f| f.code == "message.letter")
        .collect();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        !out.findings
            .iter()
            .any(|f| f.code == "message.unanswered_3m"),
        "{:?}",
        codes(&out)
    );
}

#[test]
fn a_letters_list_probed_directly_is_read_and_its_titles_are_no_channels() {
    // the crawl starts at the list (an inspector pasting its URL): depth 0, not the site root
    let list = page(
        "http://b.gov.test/hdjl/szxx/xjgk/index.html",
        0,
        r#"<title>信件公开_市长信箱_某市人民政府</title>
        <div class="crumb">首页 &gt; 市长信箱 &gt; 信件公开</div>
        <table><tr><th>标题</th><th>来信时间</th><th>状态</th></tr>
        <tr><td><a href="/hdjl/szxx/xjgk/201.html">咨询养老保险缴费年限</a></td><td>2026-07-02</td><td>未回复</td></tr>
        <tr><td><a href="/hdjl/szxx/xjgk/202.html">关于小区路灯维修的咨询</a></td><td>2026-10-09</td><td>已回复</td></tr>
        <tr><td><a href="/hdjl/szxx/xjgk/203.html">咨询不动产登记材料</a></td><td>2026-09-15</td><td>已回复</td></tr></table>"#,
    );
    let c = crawl_with(vec![list], vec![]);
    let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
    let got = codes(&out);
    assert!(
        got.contains(&(
            "message.unanswered_3m".into(),
            "http://b.gov.test/hdjl/szxx/xjgk/201.html".into()
        )),
        "{got:?}"
    );
    assert_eq!(
        got.iter()
            .filter(|(c, _)| c == "message.unanswered_3m")
            .count(),
        1,
        "{got:?}"
    );
    // no letter title was taken for a consultation channel
    let channels: Vec<&str> = out
        .facts
        .iter()
        .filter(|f| f.code == "message.channel")
        .filter_map(|f| f.url.as_deref())
        .collect();
    assert!(channels.is_empty(), "{channels:?}");
    // 已回复 without a reply date: answered, latency unknown
    let lat = out
        .facts
        .iter()
        .find(|f| f.code == "message.latency")
        .unwrap();
    assert_eq!(lat.value["letters"], 3, "{}", lat.value);
    assert_eq!(lat.value["answered"], 2, "{}", lat.value);
    assert_eq!(lat.value["answered_undated"], 2, "{}", lat.value);
    assert_eq!(lat.value["share_1"], serde_json::Value::Null);
}

/// A form page given as the start URL is read as the form it is, whatever its markup: its kind
/// from its title, its limits from markup, scripts or notice text; a consultation form opened is a
/// working channel (no channel veto).
#[test]
fn form_pages_probed_directly_are_read_as_their_forms() {
    let cases = [
        (
            "http://a.gov.test/hdjl/wyxx.html",
            r#"<html><head><title>我要写信-某县人民政府</title></head><body>
            <form action="/hdjl/save.do" method="post"><input name="xm"><textarea name="nr" placeholder="请输入内容（10~500字）"></textarea>
            <img src="/code.jsp" alt="验证码"><input name="yzm" maxlength="4"><button>提交</button></form></body></html>"#,
            "consultation",
            (Some(10), Some(500)),
        ),
        (
            "http://a.gov.test/jc/index.jsp",
            r#"<html><head><title>我为政府网站找错</title></head><body><div class="tip">问题描述不超过300字。</div>
            <form id="jc"><input id="url" type="text"><textarea id="wtms"></textarea><input type="button" value="提交" onclick="tj()"></form></body></html>"#,
            "error_report",
            (None, Some(300)),
        ),
        (
            "http://a.gov.test/ysqgk/sqb.html",
            r#"<html><head><title>政府信息公开申请表_依申请公开</title></head><body><table>
            <tr><td>所需信息内容描述</td><td><textarea name="content" maxlength="1000"></textarea></td></tr></table>
            <input type="submit" value="提交申请"></body></html>"#,
            "application",
            (None, Some(1000)),
        ),
        (
            // the site's name as the title, a navigation bar naming the mailbox first: the
            // form's own heading says what it is
            "http://a.gov.test/node/n2178/index.html",
            r#"<html><head><title>某市文化和旅游局</title></head><body><ul class="nav"><li>首页</li><li>局长信箱</li><li>依申请公开</li></ul>
            <h3 class="pubtitle">依申请公开</h3><form id="f1"><table><tr><td>所需信息的内容描述</td><td><textarea id="ms" title="或者其他特征描述"></textarea></td></tr>
            <tr><td>所需信息的用途</td><td><textarea id="yt"></textarea></td></tr></table><input type="button" value="提交"></form></body></html>"#,
            "application",
            (None, None),
        ),
    ];
    for (url, html, kind, (min, max)) in cases {
        let c = crawl_with(vec![page(url, 0, html)], vec![]);
        let out = probe().run(&ProbeInput::new(&c, at("2026-11-28T10:00:00+08:00")));
        let forms: Vec<&Value> = out
            .facts
            .iter()
            .filter(|f| f.code == codes::FORM)
            .map(|f| &f.value)
            .collect();
        assert_eq!(forms.len(), 1, "{url}: {forms:?}");
        assert_eq!(forms[0]["kind"], kind, "{url}: {:?}", forms[0]);
        assert_eq!(forms[0]["min_len"].as_u64(), min, "{url}: {:?}", forms[0]);
        assert_eq!(forms[0]["max_len"].as_u64(), max, "{url}: {:?}", forms[0]);
        if kind == "consultation" {
            assert!(
                out.findings
                    .iter()
                    .all(|f| f.code != codes::CHANNEL_MISSING),
                "{url}: {:?}",
                out.findings
            );
        }
    }
}
