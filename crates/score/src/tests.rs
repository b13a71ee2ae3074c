//! Scoring edges, on the shipped rules (and on changed copies of them).

use super::*;
use govwatch_model::{Evidence, Fact, Finding, Sample, Severity};
use govwatch_store::{ScoreRow, StoredFact, StoredFinding};
use serde_json::{Value, json};
use std::path::Path;

fn shipped_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/indicators.toml"),
    )
    .unwrap()
}

fn rules() -> Rules {
    parse_rules(&shipped_text(), Path::new("indicators.toml")).unwrap()
}

fn as_of() -> Timestamp {
    chrono::DateTime::parse_from_rfc3339("2020-03-31T02:00:00+08:00").unwrap()
}

struct Site {
    info: SiteInfo,
    findings: Vec<StoredFinding>,
    facts: Vec<StoredFact>,
    samples: Vec<Sample>,
}

impl Site {
    fn new(kind: SiteKind) -> Site {
        Site {
            info: SiteInfo {
                id: "3400000001".into(),
                kind,
            },
            findings: Vec::new(),
            facts: Vec::new(),
            samples: Vec::new(),
        }
    }

    fn finding(&mut self, code: &str, url: &str, value: Value) -> i64 {
        let id = 1000 + self.findings.len() as i64;
        self.findings.push(StoredFinding {
            id,
            site_id: self.info.id.clone(),
            finding: Finding {
                probe: "test".into(),
                code: code.into(),
                severity: Severity::Deduct,
                url: Some(url.into()),
                value,
                message: String::new(),
                evidence: Evidence::default(),
                observed_at: as_of(),
            },
        });
        id
    }

    /// `n` findings of a code on distinct URLs.
    fn many(&mut self, code: &str, n: usize, value: Value) -> Vec<i64> {
        (0..n)
            .map(|i| self.finding(code, &format!("http://x.gov.cn/{code}/{i}"), value.clone()))
            .collect()
    }

    fn fact(&mut self, code: &str, value: Value) -> i64 {
        let id = 5000 + self.facts.iter().filter(|f| f.id < 9000).count() as i64;
        self.facts.push(StoredFact {
            id,
            site_id: self.info.id.clone(),
            fact: Fact {
                probe: "interaction".into(),
                code: code.into(),
                url: None,
                value,
                observed_at: as_of(),
            },
        });
        id
    }

    /// 7 full days of `per_day` IPv4 samples of which `failed` in total fail, judged by the run's
    /// rule (the `avail.window` fact).
    fn samples(&mut self, per_day: u32, failed: u32) {
        self.samples_of(per_day, failed, 4);
        self.judge_samples();
    }

    /// Adds 7 full days of `per_day` samples of one family, `failed` of them failing.
    fn samples_of(&mut self, per_day: u32, failed: u32, family: u8) {
        let mut k = 0;
        for d in 0..7i64 {
            for i in 0..per_day {
                let at = as_of()
                    - chrono::Duration::days(d)
                    - chrono::Duration::minutes(i64::from(i) * 60 + 1);
                self.samples.push(Sample {
                    url: "http://x.gov.cn/".into(),
                    at,
                    family: Some(family),
                    ok: k >= failed,
                    status: Some(200),
                    error: None,
                    elapsed_ms: 10,
                });
                k += 1;
            }
        }
    }

    /// The run's availability verdict over the samples, stored as its fact (and finding).
    fn judge_samples(&mut self) {
        self.facts.retain(|f| f.fact.code != "avail.window");
        let rules = govwatch_config::AvailabilityRules::default();
        let (fact, finding) = govwatch_probes::availability::verdict(
            &self.samples,
            as_of(),
            &rules,
            "http://x.gov.cn/",
        );
        // ids apart from the facts a test adds (5000…)
        self.facts.push(StoredFact {
            id: 9000,
            site_id: self.info.id.clone(),
            fact,
        });
        self.findings.retain(|f| f.id != 9000);
        if let Some(f) = finding {
            self.findings.push(StoredFinding {
                id: 9000,
                site_id: self.info.id.clone(),
                finding: f,
            });
        }
    }

    fn score(&self, rules: &Rules) -> ScoreRow {
        score_site(
            rules,
            &SiteInput {
                site: &self.info,
                as_of: as_of(),
                findings: &self.findings,
                facts: &self.facts,
            },
        )
    }
}

/// Sum of the signed item points: every point of the score is traced by an item.
fn traced(s: &ScoreRow) -> f64 {
    s.items.iter().map(|i| i.points).sum()
}

fn stale_news() -> Value {
    json!({"name": "要闻", "kind": "news", "level": 1})
}

#[test]
fn clean_site_scores_100_and_passes() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    let r = s.score(&rules());
    assert_eq!(r.verdict, PASS);
    assert_eq!(r.score, Some(100.0));
    assert!(r.complete);
    assert!(r.items.is_empty());
}

#[test]
fn exactly_60_passes_and_59_9_fails() {
    // publish cap 40: 8 stale top-level policy columns × 5 = 40 → 60
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    let policy = json!({"name": "政策文件", "kind": "policy", "level": 1});
    // 4 of them would be 4 of veto 4(1) (< 5); keep them below: 4 policy stale → 20 points
    s.many("column.stale", 4, policy);
    // function cap 20: 20 broken home links → 20 points
    s.many("link.broken_home", 20, json!({}));
    let r = s.score(&rules());
    assert_eq!(r.deducted, 40.0);
    assert_eq!(r.score, Some(60.0));
    assert_eq!(r.verdict, PASS, "exactly 60 passes (below 60 fails)");
    assert_eq!(100.0 + traced(&r), 60.0);
    // one more broken inner link is capped away (function indicator full) → still 60
    s.finding("link.broken", "http://x.gov.cn/more", json!({}));
    assert_eq!(s.score(&rules()).score, Some(60.0));
    // one more blank column in the publish indicator → 59 → fail
    s.finding(
        "column.blank",
        "http://x.gov.cn/blank",
        json!({"name": "x", "kind": "other", "level": 2}),
    );
    let r = s.score(&rules());
    assert_eq!(r.score, Some(59.0));
    assert_eq!(r.verdict, FAIL);
    assert!(!r.vetoed);
}

#[test]
fn tenths_add_up_exactly() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.many("link.broken", 3, json!({}));
    let r = s.score(&rules());
    assert_eq!(r.score, Some(99.7));
    assert_eq!(r.items[0].finding_ids.len(), 3);
}

#[test]
fn exactly_80_gets_no_bonus_and_80_9_does() {
    let mut s = Site::new(SiteKind::Portal);
    s.samples(20, 0);
    s.fact(
        "survey.count",
        json!({"count": 6, "online": true, "email_only": false, "activities": []}),
    );
    s.many("link.broken_home", 20, json!({}));
    let r = s.score(&rules());
    assert_eq!(r.score, Some(80.0));
    assert!(!r.bonus_scored, "exactly 80: no bonus");
    assert_eq!(r.bonus, 0.0);
    // 19.1 deducted → 80.9 → bonus scored: +2 for the surveys
    s.findings.pop();
    s.finding("link.broken", "http://x.gov.cn/inner", json!({}));
    let r = s.score(&rules());
    assert!(r.bonus_scored);
    assert_eq!(r.bonus, 2.0);
    assert_eq!(r.score, Some(82.9));
    assert!((100.0 + traced(&r) - 82.9).abs() < 1e-9);
    let bonus = r.items.iter().find(|i| i.part == "bonus").unwrap();
    assert_eq!(bonus.fact_ids, vec![5000]);
}

#[test]
fn survey_rule_needs_online_and_six() {
    for (count, online, want) in [(6, true, 2.0), (5, true, 0.0), (9, false, 0.0)] {
        let mut s = Site::new(SiteKind::Portal);
        s.samples(20, 0);
        s.fact("survey.count", json!({"count": count, "online": online}));
        assert_eq!(s.score(&rules()).bonus, want, "{count} {online}");
    }
}

#[test]
fn department_gets_no_bonus_and_no_portal_only_deduction() {
    let mut p = Site::new(SiteKind::Portal);
    p.samples(20, 0);
    p.fact("survey.count", json!({"count": 8, "online": true}));
    p.finding("ipv6.low_link_support", "http://x.gov.cn/", json!({}));
    let mut d = Site::new(SiteKind::Department);
    d.samples(20, 0);
    d.facts = p.facts.clone();
    d.findings = p.findings.clone();
    let (rp, rd) = (p.score(&rules()), d.score(&rules()));
    assert_eq!(rp.score, Some(101.0), "portal: −1 IPv6 links, +2 surveys");
    assert_eq!(rd.score, Some(100.0), "department: neither");
    assert!(!rd.bonus_scored);
}

#[test]
fn per_rule_and_per_indicator_caps() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    // search rule max 5: 8 search findings → 5
    s.many("search.no_results", 8, json!({}));
    let r = s.score(&rules());
    assert_eq!(r.score, Some(95.0));
    assert!(r.items[0].note.contains("本项最多 5 分"));
    // function indicator cap 20: + 30 broken home links → 35 → capped to 20
    s.many("link.broken_home", 30, json!({}));
    let r = s.score(&rules());
    assert_eq!(r.deducted, 20.0);
    assert_eq!(r.score, Some(80.0));
    let cap = r.items.iter().find(|i| i.part == "cap").unwrap();
    assert_eq!(cap.points, 15.0);
    assert_eq!(100.0 + traced(&r), 80.0);
}

#[test]
fn blank_column_is_not_also_counted_stale() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    let url = "http://x.gov.cn/gzdt/";
    s.finding(
        "column.blank",
        url,
        json!({"name": "工作动态", "kind": "news", "level": 2}),
    );
    s.finding("column.stale", url, stale_news());
    let r = s.score(&rules());
    assert_eq!(r.score, Some(99.0), "counted once, as blank");
    let stale = r.items.iter().filter(|i| i.rule == "column_stale").count();
    assert_eq!(stale, 0);
}

#[test]
fn a_finding_costs_points_in_one_rule_only() {
    // a stale top-level policy column fits both policy_column_stale and column_stale
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.finding(
        "column.stale",
        "http://x.gov.cn/zcwj/",
        json!({"name": "政策文件", "kind": "policy", "level": 1}),
    );
    assert_eq!(s.score(&rules()).score, Some(95.0));
}

#[test]
fn veto_short_circuits_and_names_its_evidence() {
    let mut s = Site::new(SiteKind::Portal);
    s.samples(20, 0);
    let id = s.finding(
        "home.stale",
        "http://x.gov.cn/",
        json!({"latest": "2020-03-01"}),
    );
    s.many("link.broken_home", 3, json!({}));
    s.fact("survey.count", json!({"count": 8, "online": true}));
    let r = s.score(&rules());
    assert_eq!(r.verdict, FAIL);
    assert!(r.vetoed);
    assert_eq!(r.score, None);
    assert_eq!(r.deducted, 0.0);
    assert!(
        r.items.iter().all(|i| i.part == "veto"),
        "nothing else scored"
    );
    assert_eq!(r.items[0].rule, "home_stale");
    assert_eq!(r.items[0].finding_ids, vec![id]);
}

#[test]
fn column_veto_counts_inclusive_thresholds() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.many("column.stale", 4, stale_news());
    assert!(!s.score(&rules()).vetoed, "4 stale news columns: no veto");
    s.finding(
        "column.stale",
        "http://x.gov.cn/tzgg/",
        json!({"name": "通知公告", "kind": "notice", "level": 1}),
    );
    let r = s.score(&rules());
    assert!(r.vetoed, "5 (news + top-level notice) → veto");
    assert_eq!(r.items[0].rule, "columns_stale_key");
    // a level-2 notice column does not count for 4(1)
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.many("column.stale", 4, stale_news());
    s.finding(
        "column.stale",
        "http://x.gov.cn/a/tzgg/",
        json!({"name": "通知公告", "kind": "notice", "level": 2}),
    );
    assert!(!s.score(&rules()).vetoed);
    // 5 blank columns
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.many(
        "column.blank",
        5,
        json!({"name": "x", "kind": "other", "level": 2}),
    );
    assert_eq!(s.score(&rules()).items[0].rule, "columns_blank");
}

#[test]
fn availability_veto_at_5_percent_of_a_complete_week() {
    // 140 samples, 7 failed = exactly 5% → veto (inclusive)
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 7);
    let r = s.score(&rules());
    assert!(r.vetoed, "{:?}", r.items);
    assert!(
        r.items[0].note.contains("采样 140 次，失败 7 次"),
        "{}",
        r.items[0].note
    );
    // 6 failed = 4.29% → no veto
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 6);
    assert!(!s.score(&rules()).vetoed);
}

#[test]
fn availability_is_judged_over_ipv4_only() {
    // every IPv6 sample fails, IPv4 always answers: half the samples failed, yet the site is
    // reachable the way its users and the national monitoring reach it
    let mut s = Site::new(SiteKind::Department);
    s.samples_of(20, 0, 4);
    s.samples_of(20, 140, 6);
    s.judge_samples();
    let r = s.score(&rules());
    assert!(!r.vetoed, "{:?}", r.items);
    assert!(r.complete);
    let w = &s
        .facts
        .iter()
        .find(|f| f.fact.code == "avail.window")
        .unwrap()
        .fact
        .value;
    assert_eq!(w["samples"], 140);
    assert_eq!(w["v6"]["failed"], 140);
    // the same week with IPv4 failing: vetoed, the window fact traced
    let mut s = Site::new(SiteKind::Department);
    s.samples_of(20, 140, 4);
    s.samples_of(20, 0, 6);
    s.judge_samples();
    let r = s.score(&rules());
    assert!(r.vetoed, "{:?}", r.items);
    assert!(
        r.items[0].note.contains("IPv4 采样 140 次，失败 140 次"),
        "{}",
        r.items[0].note
    );
    assert_eq!(r.items[0].fact_ids.len(), 1);
}

#[test]
fn a_run_without_an_availability_window_is_not_judged() {
    let s = Site::new(SiteKind::Department);
    let r = s.score(&rules());
    assert!(!r.vetoed);
    assert!(!r.complete);
    let note = r.items.iter().find(|i| i.part == "note").unwrap();
    assert!(note.note.contains("无可用性监测数据"), "{}", note.note);
}

#[test]
fn incomplete_availability_window_is_said_not_judged() {
    // 19 samples a day: no day is full, 50% failed, but no verdict is invented
    let mut s = Site::new(SiteKind::Department);
    s.samples(19, 70);
    let r = s.score(&rules());
    assert!(!r.vetoed);
    assert!(!r.complete);
    assert_eq!(r.verdict, PASS);
    let note = r.items.iter().find(|i| i.part == "note").unwrap();
    assert!(note.note.contains("未作判定"), "{}", note.note);
    assert_eq!(traced(&r), 0.0);
}

#[test]
fn unanswered_letter_facts_veto_within_a_year_after_three_months() {
    let letter = |sent: &str, status: &str, kind: &str| json!({"url": "u", "title": "t", "sent": sent, "replied": null, "status": status, "kind": kind, "working_days": null});
    for (sent, status, kind, veto) in [
        ("2019-11-01", "unanswered", "consultation", true), // 5 months, within a year
        ("2020-01-15", "unanswered", "consultation", false), // 2.5 months
        ("2019-02-01", "unanswered", "consultation", false), // over a year ago
        ("2019-11-01", "replied", "consultation", false),
        ("2019-11-01", "unanswered", "petition", false), // petitions excluded
        ("2019-11-01", "processing", "consultation", true),
    ] {
        let mut s = Site::new(SiteKind::Department);
        s.samples(20, 0);
        s.fact("message.letter", letter(sent, status, kind));
        assert_eq!(s.score(&rules()).vetoed, veto, "{sent} {status} {kind}");
    }
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.finding("message.channel_missing", "http://x.gov.cn/", json!(null));
    assert_eq!(s.score(&rules()).items[0].rule, "interaction_poor");
}

#[test]
fn hijack_script_is_a_veto_only_with_a_redirect() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.finding(
        "integrity.external_script",
        "http://x.gov.cn/",
        json!({"hosts": ["a.com"], "scripts": [], "hijack": false}),
    );
    assert!(!s.score(&rules()).vetoed);
    s.finding(
        "integrity.external_script",
        "http://x.gov.cn/b",
        json!({"hosts": ["a.com"], "scripts": [], "hijack": true}),
    );
    assert!(s.score(&rules()).vetoed);
}

#[test]
fn a_changed_threshold_in_the_file_changes_the_verdict() {
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.many(
        "column.blank",
        4,
        json!({"name": "x", "kind": "other", "level": 2}),
    );
    assert!(
        !s.score(&rules()).vetoed,
        "4 blank columns under the shipped rules"
    );
    let text = shipped_text().replacen(
        "at_least = 5\nselect = [{ codes = [\"column.blank\"] }]",
        "at_least = 4\nselect = [{ codes = [\"column.blank\"] }]",
        1,
    );
    assert_ne!(text, shipped_text());
    let changed = parse_rules(&text, Path::new("indicators.toml")).unwrap();
    assert_ne!(changed.hash, rules().hash);
    let r = s.score(&changed);
    assert!(r.vetoed);
    assert_eq!(r.verdict, FAIL);
    // and the pass line
    let mut s = Site::new(SiteKind::Department);
    s.samples(20, 0);
    s.many("link.broken_home", 15, json!({}));
    assert_eq!(s.score(&rules()).verdict, PASS);
    let text = shipped_text()
        .replacen("fail_below = 60.0", "fail_below = 85.5", 1)
        .replacen("bonus_above = 80.0", "bonus_above = 90.0", 1);
    assert_eq!(
        s.score(&parse_rules(&text, Path::new("x.toml")).unwrap())
            .verdict,
        FAIL
    );
}

#[test]
fn scores_round_trip_through_the_store() {
    use govwatch_model::{Site as ModelSite, SiteOverrides, SiteResult};
    let mut store = Store::open_in_memory().unwrap();
    let site = ModelSite {
        id: "3400000001".into(),
        name: "测试县人民政府".into(),
        home: "http://x.gov.cn/".parse().unwrap(),
        org: "办公室".into(),
        region: "测试县".into(),
        kind: SiteKind::Portal,
        overrides: SiteOverrides::default(),
    };
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    let finding = |code: &str, url: &str| Finding {
        probe: "links".into(),
        code: code.into(),
        severity: Severity::Deduct,
        url: Some(url.into()),
        value: json!({}),
        message: "m".into(),
        evidence: Evidence::default(),
        observed_at: as_of(),
    };
    store
        .write_site_result(
            run,
            &SiteResult {
                site: site.clone(),
                started_at: as_of(),
                finished_at: as_of(),
                fetches: vec![],
                pages: vec![],
                samples: vec![],
                facts: vec![],
                findings: vec![
                    finding("link.broken_home", "http://x.gov.cn/a"),
                    finding("link.broken", "http://x.gov.cn/b"),
                ],
            },
        )
        .unwrap();
    let set = score_run(&store, run, &rules()).unwrap();
    assert_eq!(set.scores.len(), 1);
    let s = &set.scores[0];
    assert_eq!(s.score, Some(98.9));
    assert!(!s.complete, "no samples: availability not judged");
    store.write_scores(&set).unwrap();
    store.write_scores(&set).unwrap(); // same rules: replaced, not doubled
    let back = store.scores(run, None).unwrap().unwrap();
    assert_eq!(back.scores, set.scores);
    // a second rule set is a second scoring, kept beside the first
    let text = shipped_text().replacen("per = 0.1", "per = 0.5", 1);
    let other = parse_rules(&text, Path::new("x.toml")).unwrap();
    store
        .write_scores(&score_run(&store, run, &other).unwrap())
        .unwrap();
    let refs = store.scorings(run).unwrap();
    assert_eq!(refs.len(), 2);
    assert_eq!(
        store
            .scores(run, Some(&other.hash))
            .unwrap()
            .unwrap()
            .scores[0]
            .score,
        Some(98.5)
    );
    assert_eq!(
        store
            .scores(run, Some(&rules().hash))
            .unwrap()
            .unwrap()
            .scores[0]
            .score,
        Some(98.9)
    );
}

#[test]
fn a_site_not_inspected_is_never_passed() {
    for (reason, words) in [
        ("crawl_refused", "网站拒绝抓取"),
        ("redirects", "重定向循环"),
        ("page_budget", "超出解析上限"),
    ] {
        let mut s = Site::new(SiteKind::Department);
        s.samples(20, 0);
        let id = s.fact(
            "site.not_inspected",
            json!({"reason": reason, "detail": "robots.txt Crawl-delay 3600 s"}),
        );
        let r = s.score(&rules());
        assert_eq!(r.verdict, NOT_INSPECTED);
        assert_eq!(verdict_zh(&r.verdict), "未检查（无法评分）");
        assert_eq!(r.score, None);
        assert!(!r.complete);
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].rule, "not_inspected");
        assert_eq!(r.items[0].fact_ids, vec![id]);
        assert!(r.items[0].note.contains(words), "{}", r.items[0].note);
    }
    assert_eq!(verdict_zh(PASS), "合格");
    assert_eq!(verdict_zh(FAIL), "不合格");
}

#[test]
fn sites_not_inspected_stay_out_of_the_pass_rate() {
    let mut ok = Site::new(SiteKind::Department);
    ok.samples(20, 0);
    let mut refused = Site::new(SiteKind::Department);
    refused.info.id = "3400000002".into();
    refused.fact(
        "site.not_inspected",
        json!({"reason": "crawl_refused", "detail": "robots.txt Crawl-delay 3600 s"}),
    );
    let rows: Vec<govwatch_store::SiteRow> = [&ok, &refused]
        .iter()
        .map(|s| govwatch_store::SiteRow {
            id: s.info.id.clone(),
            name: "某县某局".into(),
            home: "http://x.gov.cn/".into(),
            org: "某县某局".into(),
            region: "某县".into(),
            kind: "department".into(),
        })
        .collect();
    let set = govwatch_store::ScoreSet {
        run_id: 1,
        rules_version: "t".into(),
        rules_hash: "h".into(),
        scored_at: "2020-03-31T02:00:00+08:00".into(),
        as_of: "2020-03-31T02:00:00+08:00".into(),
        scores: vec![ok.score(&rules()), refused.score(&rules())],
    };
    let f = crate::figures(&rows, &set, 90.0, &[]);
    assert_eq!(
        (
            f.overall.sites,
            f.overall.passed,
            f.overall.failed,
            f.overall.not_inspected
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(f.overall.pass_rate, Some(100.0));
    assert_eq!(f.incomplete, 0, "not inspected is not provisional");
}

#[test]
fn reviews_decide_what_counts_for_the_wording_veto() {
    use govwatch_model::{Site as ModelSite, SiteOverrides, SiteResult};
    use govwatch_store::ReviewState;
    let mut store = Store::open_in_memory().unwrap();
    let site = ModelSite {
        id: "3400000001".into(),
        name: "测试县人民政府".into(),
        home: "http://x.gov.cn/".parse().unwrap(),
        org: "办公室".into(),
        region: "测试县".into(),
        kind: SiteKind::Portal,
        overrides: SiteOverrides::default(),
    };
    let run = store.begin_run(as_of(), &json!({})).unwrap();
    let finding = |code: &str, severity: Severity, wrong: &str| Finding {
        probe: "wording".into(),
        code: code.into(),
        severity,
        url: Some("http://x.gov.cn/a.html".into()),
        value: json!({"kind": "phrase", "wrong": wrong, "pattern": wrong}),
        message: "m".into(),
        evidence: Evidence::default(),
        observed_at: as_of(),
    };
    store
        .write_site_result(
            run,
            &SiteResult {
                site,
                started_at: as_of(),
                finished_at: as_of(),
                fetches: vec![],
                pages: vec![],
                samples: vec![],
                facts: vec![],
                findings: vec![
                    finding("wording.suspect", Severity::Info, "四个意士"),
                    finding("wording.serious", Severity::Veto, "习近乎"),
                ],
            },
        )
        .unwrap();
    let ids: Vec<i64> = store
        .findings(run, None)
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    let vetoes = |store: &Store| -> Vec<Vec<i64>> {
        score_run(store, run, &rules()).unwrap().scores[0]
            .items
            .iter()
            .filter(|i| i.part == "veto")
            .map(|i| i.finding_ids.clone())
            .collect()
    };
    // 确定 counts, 疑似 does not
    assert_eq!(vetoes(&store), vec![vec![ids[1]]]);
    // the 确定 one dismissed: no veto, and the unconfirmed 疑似 costs nothing
    let at = "2020-04-01T09:00:00+08:00";
    store
        .review_finding(ids[1], ReviewState::Dismissed, "原文引用", "张三", at)
        .unwrap();
    let s = &score_run(&store, run, &rules()).unwrap().scores[0];
    assert_eq!((s.verdict.as_str(), s.score), ("pass", Some(100.0)));
    // the 疑似 one confirmed: it counts as 确定
    store
        .review_finding(ids[0], ReviewState::Confirmed, "", "张三", at)
        .unwrap();
    assert_eq!(vetoes(&store), vec![vec![ids[0]]]);
}
