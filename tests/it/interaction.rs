//! The interaction probe end to end over `fixtures/interaction` (see its README): message-form
//! limits stated as attributes, validator rules, script checks and notice text; a daily cap in text
//! and in a cookie script; opening hours in text and in a `getHours()` script; a site with no
//! lookup; letters answered across the 2026 Spring Festival and a 调休 Saturday (latency in
//! working days); an unanswered letter older than 3 months; a survey column with 6 activities in
//! the year; a survey that is an advertisement; no consultation channel; a dead one. The crawl must
//! never submit (or even request) a message form's action.

use crate::common::{
    Comparison, assert_fixture_hosts, expected_list, fast_settings, finding_list, ts,
};
use govwatch_crawler::Crawler;
use govwatch_model::SiteResult;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;
use serde_json::Value;

/// Every interaction fixture site, by name.
const HOSTS: &[&str] = &[
    "www.ad.msg.test",
    "www.alert.msg.test",
    "www.attr.msg.test",
    "www.deadchannel.msg.test",
    "www.forms.msg.test",
    "www.hours.msg.test",
    "www.late.msg.test",
    "www.latency.msg.test",
    "www.nochannel.msg.test",
    "www.rule.msg.test",
    "www.survey.msg.test",
];

fn is_interaction_code(c: &str) -> bool {
    c.starts_with("message.") || c.starts_with("survey.") || c == "content.commercial_ad"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_interaction_case_gives_exactly_its_findings_and_facts() {
    let root = govwatch_testutil::workspace_root().join("fixtures/interaction");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_fixture_hosts("fixtures/interaction", &sites, HOSTS);
    let mut cmp = Comparison::new("fixtures/interaction", HOSTS);
    let crawler = Crawler::new(fast_settings(&net)).unwrap();
    let port = net.http.port();
    let rules = crate::common::fixture_rules();
    for fx in &sites {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts("2026-11-28T10:00:00+08:00"),
            &rules,
            None,
        )
        .await;
        let got = finding_list(&r.findings, port);
        let want = expected_list(fx);
        if got != want {
            for f in r.facts.iter().filter(|f| is_interaction_code(&f.code)) {
                eprintln!(
                    "FACT {} {} {}",
                    f.code,
                    f.url.as_deref().unwrap_or(""),
                    f.value
                );
            }
        }
        // every probe's findings, not the interaction probe's alone
        cmp.check(&fx.host, got, want);
        check_case_facts(&fx.host, &r, port);
    }
    cmp.finish();
    assert_nothing_posted(&net);
}

/// The values of one site's facts of `code`.
fn facts(r: &SiteResult, code: &str) -> Vec<Value> {
    r.facts
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.value.clone())
        .collect()
}

/// The facts of one interaction case: its consultation form's limits, its letters' latency,
/// its surveys, as the fixture's README describes them.
fn check_case_facts(host: &str, r: &SiteResult, port: u16) {
    let facts = |code: &str| facts(r, code);
    // the form of each consultation channel (the one with a textarea)
    let forms = facts("message.form");
    let form = forms
        .iter()
        .find(|v| v["kind"] == "consultation" && v["form_present"] == true);
    let latency = facts("message.latency");
    assert_eq!(latency.len(), 1, "{host}");
    let latency = &latency[0];
    let survey = &facts("survey.count")[0];
    match host {
        "www.attr.msg.test" => {
            let f = form.expect("form");
            assert_eq!(f["min_len"], 50);
            assert_eq!(f["min_source"]["how"], "attribute");
            assert_eq!(f["max_len"], 1000);
            assert_eq!(f["daily_cap"], 1);
        }
        "www.rule.msg.test" => {
            let f = form.expect("form");
            assert_eq!(f["min_len"], 50);
            assert_eq!(f["min_source"]["how"], "validator");
            assert_eq!(f["daily_cap"], 1);
            let cap = r
                .findings
                .iter()
                .find(|x| x.code == "message.daily_cap")
                .unwrap();
            assert_eq!(cap.value["how"], "script");
        }
        "www.alert.msg.test" => {
            let f = form.expect("form");
            assert_eq!(f["min_len"], 50);
            assert_eq!(f["min_source"]["how"], "script");
            assert_eq!(f["open_hours"], "08:00-19:00");
            assert_eq!(f["daily_cap"], 1);
        }
        "www.hours.msg.test" => {
            let f = form.expect("form");
            assert_eq!(f["open_hours"], "08:00-19:00");
            let h = r
                .findings
                .iter()
                .find(|x| x.code == "message.open_hours")
                .unwrap();
            assert_eq!(h.value["how"], "script");
        }
        "www.latency.msg.test" => check_latency_site(r, form.expect("form"), latency),
        "www.late.msg.test" => {
            let statuses: Vec<String> = facts("message.letter")
                .iter()
                .map(|l| format!("{} {} {}", l["sent"], l["status"], l["kind"]))
                .collect();
            assert!(
                statuses
                    .iter()
                    .any(|s| s.contains("2026-05-01") && s.contains("petition")),
                "{statuses:?}"
            );
            assert!(
                statuses
                    .iter()
                    .any(|s| s.contains("2026-06-15") && s.contains("invalid")),
                "{statuses:?}"
            );
            assert_eq!(latency["last_reply"], "2026-08-20");
        }
        "www.survey.msg.test" => {
            assert_eq!(survey["count"], 6, "{survey}");
            assert_eq!(survey["online"], true);
            assert_eq!(survey["email_only"], false);
        }
        "www.forms.msg.test" => check_forms_site(r, port, latency),
        "www.ad.msg.test" => {
            // the advertisement is not an activity; the other one takes e-mail only
            assert_eq!(survey["count"], 1, "{survey}");
            assert_eq!(survey["email_only"], true, "{survey}");
            assert_eq!(survey["excluded_ads"].as_array().map(Vec::len), Some(1));
        }
        _ => {}
    }
}

/// The latency site: its form's limits and captcha, six letters answered across the Spring
/// Festival, a 调休 Saturday and National Day, in working days.
fn check_latency_site(r: &SiteResult, f: &Value, latency: &Value) {
    let facts = |code: &str| facts(r, code);
    assert_eq!(
        (f["min_len"].clone(), f["max_len"].clone()),
        (5.into(), 400.into())
    );
    assert_eq!(f["captcha"], true);
    // six letters, all answered: working days 2, 1, 0, 2, 9, 1
    assert_eq!(latency["letters"], 6, "{latency}");
    assert_eq!(latency["answered"], 6, "{latency}");
    assert_eq!(latency["within_1"], 3, "{latency}");
    assert_eq!(latency["within_5"], 5, "{latency}");
    assert_eq!(latency["median_days"], 1.5, "{latency}");
    assert_eq!(latency["last_reply"], "2026-11-23");
    let mut by_sent: Vec<(String, u64)> = facts("message.letter")
        .iter()
        .map(|l| {
            (
                l["sent"].as_str().unwrap_or("").to_string(),
                l["working_days"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    by_sent.sort();
    assert_eq!(
        by_sent,
        vec![
            ("2026-02-13".to_string(), 2), // Spring Festival; Sat 02-14 worked
            ("2026-02-27".to_string(), 1), // answered on the 调休 Saturday
            ("2026-06-01".to_string(), 0),
            ("2026-09-30".to_string(), 2), // National Day
            ("2026-11-02".to_string(), 9),
            ("2026-11-20".to_string(), 1),
        ]
    );
}

/// The forms site: the error-report and application forms read like message forms, every
/// channel kind found, a letter answered without a reply date.
fn check_forms_site(r: &SiteResult, port: u16, latency: &Value) {
    let facts = |code: &str| facts(r, code);
    // the error-report and application forms read like message forms, as facts
    let of = |kind: &str| -> Vec<(String, Value)> {
        r.facts
            .iter()
            .filter(|f| f.code == "message.form" && f.value["kind"] == kind)
            .map(|f| {
                let path = f
                    .url
                    .as_deref()
                    .unwrap_or("")
                    .replace(&format!(":{port}"), "");
                (path, f.value.clone())
            })
            .collect()
    };
    let limits = |v: &Value| {
        (
            v["min_len"].clone(),
            v["max_len"].clone(),
            v["captcha"].clone(),
            v["login_required"].clone(),
        )
    };
    let consult = of("consultation");
    assert_eq!(consult.len(), 1, "{consult:?}");
    assert_eq!(
        consult[0].0,
        "http://www.forms.msg.test/hdjl/xzxx/write.html"
    );
    assert_eq!(
        limits(&consult[0].1),
        (5.into(), 500.into(), true.into(), false.into())
    );
    let report = of("error_report");
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0].0, "http://www.forms.msg.test/jczc/index.html");
    assert_eq!(
        limits(&report[0].1),
        (15.into(), 300.into(), true.into(), false.into())
    );
    let apply = of("application");
    assert_eq!(apply.len(), 1, "{apply:?}");
    assert_eq!(
        apply[0].0,
        "http://www.forms.msg.test/zwgk/ysqgk/apply.html"
    );
    assert_eq!(
        limits(&apply[0].1),
        (20.into(), 1000.into(), true.into(), false.into())
    );
    assert_eq!(apply[0].1["min_source"]["how"], "validator");
    assert_eq!(of("petition").len() + of("discipline").len(), 0);
    let kinds: std::collections::BTreeSet<String> = facts("message.channel")
        .iter()
        .map(|c| c["kind"].as_str().unwrap_or("").to_string())
        .collect();
    for k in [
        "application",
        "error_report",
        "consultation",
        "petition",
        "discipline",
    ] {
        assert!(kinds.contains(k), "{k} not among {kinds:?}");
    }
    // one letter marked 已回复 without a reply date: answered, its latency unknown
    assert_eq!(latency["letters"], 3, "{latency}");
    assert_eq!(latency["answered"], 3, "{latency}");
    assert_eq!(latency["answered_undated"], 1, "{latency}");
    assert_eq!(latency["within_1"], 1, "{latency}");
    assert_eq!(latency["within_5"], 2, "{latency}");
    assert_eq!(latency["share_1"], 0.5, "{latency}");
    assert_eq!(latency["share_5"], 1.0, "{latency}");
    assert_eq!(latency["last_reply"], "2026-11-05");
}

/// Nothing was ever posted, and no message form's action was requested.
fn assert_nothing_posted(net: &TestNet) {
    for req in net.http.requests() {
        assert!(
            req.method == "GET" || req.method == "HEAD",
            "{} {}{}",
            req.method,
            req.host,
            req.path
        );
        assert!(
            !["submit", "save"]
                .iter()
                .any(|w| req.path.to_ascii_lowercase().contains(w)),
            "a form action was requested: {}{}",
            req.host,
            req.path
        );
    }
}
