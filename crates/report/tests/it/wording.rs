//! The report's 表述问题 section and sheet: every wording finding with its confidence, an
//! inspector's confirmation shown and counted, a dismissed finding listed apart and out of the
//! counts and the verdict.

use govwatch_model::{Evidence, Finding, Severity, Site, SiteKind, SiteResult, Timestamp};
use govwatch_report::ReportData;
use govwatch_report::md::render_md;
use govwatch_score::{score_run, shipped_rules};
use govwatch_store::{ReviewState, Store};
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn wording(code: &str, kind: &str, wrong: &str, right: &str) -> Finding {
    let (severity, confidence) = if code == "wording.serious" {
        (Severity::Veto, "确定")
    } else {
        (Severity::Info, "疑似")
    };
    Finding {
        probe: "wording".into(),
        code: code.into(),
        severity,
        url: Some("http://3400000001.gov.test/a.html".into()),
        value: json!({"kind": kind, "confidence": confidence, "wrong": wrong, "right": right,
                      "pattern": wrong, "page_date": "2020-03-20"}),
        message: format!("{confidence}：“{wrong}”应为“{right}”"),
        evidence: Evidence {
            excerpt: Some(format!("……学习{wrong}……")),
            ..Default::default()
        },
        observed_at: ts("2020-03-30T02:00:02+08:00"),
    }
}

fn sheet(d: &ReportData) -> Vec<Vec<String>> {
    govwatch_report::wording::wording_table(d)
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.text()).collect())
        .collect()
}

/// A finished run of one site with three wording findings: its id and the findings' ids.
fn wording_run(store: &mut Store) -> (i64, Vec<i64>) {
    let site = Site {
        id: "3400000001".into(),
        name: "甲县人民政府".into(),
        home: "http://3400000001.gov.test/".parse().unwrap(),
        org: "办公室".into(),
        region: "甲县".into(),
        kind: SiteKind::Portal,
        overrides: Default::default(),
    };
    let run = store
        .begin_run(ts("2020-03-30T02:00:00+08:00"), &json!({}))
        .unwrap();
    store
        .write_site_result(
            run,
            &SiteResult {
                site,
                started_at: ts("2020-03-30T02:00:00+08:00"),
                finished_at: ts("2020-03-30T02:01:00+08:00"),
                fetches: vec![],
                pages: vec![],
                samples: vec![],
                facts: vec![],
                findings: vec![
                    wording("wording.suspect", "phrase", "四个意士", "四个意识"),
                    wording("wording.serious", "name", "习近乎", "习近平"),
                    wording(
                        "wording.suspect",
                        "title_at_date",
                        "国务院总理李克强",
                        "国务院总理李强",
                    ),
                ],
            },
        )
        .unwrap();
    store
        .finish_run(run, govwatch_store::RunStatus::Done, None)
        .unwrap();
    let ids: Vec<i64> = store
        .findings(run, None)
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    (run, ids)
}

/// Before any review: 确定 first, then 疑似; the 确定 one vetoes.
fn check_unreviewed(d: &ReportData) {
    let rows = sheet(d);
    let cols = |r: &Vec<String>| (r[5].clone(), r[7].clone(), r[8].clone(), r[12].clone());
    assert_eq!(
        rows.iter().map(cols).collect::<Vec<_>>(),
        vec![
            (
                "确定".into(),
                "习近乎".into(),
                "习近平".into(),
                "未审核".into()
            ),
            (
                "疑似".into(),
                "四个意士".into(),
                "四个意识".into(),
                "未审核".into()
            ),
            (
                "疑似".into(),
                "国务院总理李克强".into(),
                "国务院总理李强".into(),
                "未审核".into()
            ),
        ]
    );
    assert_eq!(rows[0][1..4], ["甲县", "甲县人民政府", "3400000001"]);
    assert_eq!(rows[0][9], "2020-03-20");
    assert_eq!(d.scores.scores[0].verdict, "fail");
    assert_eq!(
        govwatch_report::wording::wording_summary(d),
        "发现表述问题3处，其中确定（含经核实确认）1处，疑似2处（待核实，不计入单项否决）。"
    );
}

#[test]
fn the_wording_sheet_lists_confidence_and_reviews() {
    let mut store = Store::open_in_memory().unwrap();
    let (run, ids) = wording_run(&mut store);
    let rules = shipped_rules();
    let load = |store: &mut Store| {
        let set = score_run(store, run, &rules).unwrap();
        store.write_scores(&set).unwrap();
        ReportData::load(store, run, &rules, "2020年第一季度".into(), None).unwrap()
    };

    // before any review: 确定 first, then 疑似; the 确定 one vetoes
    let d = load(&mut store);
    check_unreviewed(&d);

    // the 确定 one dismissed, one 疑似 confirmed
    let at = "2020-04-01T09:00:00+08:00";
    store
        .review_finding(ids[1], ReviewState::Dismissed, "引用原文", "张三", at)
        .unwrap();
    store
        .review_finding(ids[0], ReviewState::Confirmed, "", "李四", at)
        .unwrap();
    let d = load(&mut store);
    let rows = sheet(&d);
    assert_eq!(
        rows.iter()
            .map(|r| (r[5].clone(), r[7].clone()))
            .collect::<Vec<_>>(),
        vec![
            ("确定（经核实）".into(), "四个意士".into()),
            ("疑似".into(), "国务院总理李克强".into()),
            ("确定".into(), "习近乎".into()),
        ]
    );
    assert!(rows[0][12].starts_with("已确认（李四，"), "{}", rows[0][12]);
    assert!(rows[2][12].starts_with("已排除（张三，") && rows[2][12].contains("引用原文"));
    assert_eq!(
        govwatch_report::wording::wording_summary(&d),
        "发现表述问题2处，其中确定（含经核实确认）1处，疑似1处（待核实，不计入单项否决）。另有1处经核实排除，不计入评分和问题数。"
    );
    // the dismissed finding is out of the findings every count reads; the confirmed one vetoes
    assert_eq!(d.findings.len(), 2);
    assert_eq!(d.dismissed.len(), 1);
    let veto = d.scores.scores[0]
        .items
        .iter()
        .find(|i| i.part == "veto")
        .unwrap();
    assert_eq!(veto.finding_ids, vec![ids[0]]);
    let md = render_md(&d);
    assert!(md.contains("## 严重表述错误（领导人姓名职务、规范表述）"));
    assert!(md.contains("另有1处经核实排除"));
}
