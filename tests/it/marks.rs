//! Attachments, soft 404s and the site's identity end to end (issue 30): the crawler fetches the
//! site's attachments and its not-found page, the probes read them. Each site of
//! `fixtures/marks` gives exactly the findings its `expected.toml` lists, in the families these
//! checks own (`privacy.*`, `link.*`, `identity.*`, `a11y.*`); numbers are never in full in any
//! message, value or excerpt.

use crate::common::{expected_list, fast_settings, finding_list, ts};
use govwatch_crawler::Crawler;
use govwatch_model::SiteResult;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;

fn ours(code: &str) -> bool {
    [
        "privacy.",
        "link.broken",
        "link.soft_404",
        "identity.",
        "a11y.",
    ]
    .iter()
    .any(|p| code.starts_with(p))
}

async fn inspect_all() -> (
    TestNet,
    Vec<(
        String,
        SiteResult,
        std::collections::BTreeSet<(String, String)>,
    )>,
) {
    let root = govwatch_testutil::workspace_root().join("fixtures/marks");
    let net = TestNet::start(&root).await.unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_eq!(sites.len(), 3);
    let mut settings = fast_settings(&net);
    // the identity marks link to national hosts (conac, MIIT, the error-report platform):
    // outside the test network, and not what these sites are about
    settings.check_external = false;
    let crawler = Crawler::new(settings).unwrap();
    let mut out = Vec::new();
    for fx in &sites {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            ts("2026-11-28T02:00:00+08:00"),
            &Default::default(),
            None,
        )
        .await;
        out.push((fx.host.clone(), r, expected_list(fx).into_iter().collect()));
    }
    (net, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_marks_site_gives_exactly_its_findings() {
    let (net, results) = inspect_all().await;
    let port = net.http.port();
    for (host, r, want) in &results {
        assert_eq!(
            finding_list(r.findings.iter().filter(|f| ours(&f.code)), port)
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>(),
            *want,
            "findings of {host}: {:#?}",
            r.findings
                .iter()
                .filter(|f| ours(&f.code))
                .map(|f| (&f.code, &f.message))
                .collect::<Vec<_>>()
        );
    }
    let result = |host: &str| &results.iter().find(|(h, _, _)| h == host).unwrap().1;
    check_attachment_findings(result("www.files.marks.test"));
    check_attachments_read(result("www.files.marks.test"));
    check_soft_404s(&net, result("www.soft.marks.test"));
    let code = result("www.code.marks.test");
    let m = code
        .findings
        .iter()
        .find(|f| f.code == "identity.site_code_mismatch")
        .unwrap();
    assert_eq!(m.value["shown"], serde_json::json!(["1350000130"]));
    assert_eq!(m.value["expected"], "1350000103");
}

/// The attachments' findings: the numbers never in full; what each file holds, where, how grave;
/// an attachment that cannot be downloaded named by its link text.
fn check_attachment_findings(files: &SiteResult) {
    // the numbers never in full: not in a message, a value or an excerpt
    let full = [
        "990101198503120029",
        "990102197906240035",
        "990103200111050044",
        "13900001111",
        "13900002222",
    ];
    let dump = serde_json::to_string(&files.findings).unwrap()
        + &serde_json::to_string(&files.facts).unwrap();
    for n in full {
        assert!(!dump.contains(n), "{n} in full in the results");
    }
    let by = |suffix: &str| {
        files
            .findings
            .iter()
            .find(|f| f.code == "privacy.attachment" && f.url.as_deref().unwrap().ends_with(suffix))
            .unwrap()
    };
    let x = by("dibao.xlsx");
    assert_eq!(x.severity, govwatch_model::Severity::Deduct);
    assert_eq!(
        (
            x.value["id_numbers"].as_u64(),
            x.value["bank_cards"].as_u64(),
            x.value["phones"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(x.value["worst"], "id_number");
    assert_eq!(x.value["units"], serde_json::json!(["工作表“新增对象”"]));
    let ex = x.evidence.excerpt.as_deref().unwrap();
    assert!(
        ex.starts_with("工作表“新增对象”：") && ex.contains("990101********0029"),
        "{ex}"
    );
    assert!(x.message.contains("新增对象名单.xlsx"), "{}", x.message);
    let p = by("gongshi.pdf");
    assert_eq!(p.value["id_numbers"].as_u64(), Some(1));
    assert_eq!(p.value["units"], serde_json::json!(["第 2 页"]));
    let csv = by("download.jsp?fileid=7");
    assert_eq!(csv.severity, govwatch_model::Severity::Warn);
    assert_eq!(csv.value["worst"], "phone");
    let broken = files
        .findings
        .iter()
        .find(|f| f.code == "link.broken")
        .unwrap();
    assert!(
        broken.message.starts_with("附件“3. 公示说明.xls”无法下载"),
        "{}",
        broken.message
    );
    assert_eq!(broken.value["attachment"], true);
}

/// What was read of each attachment, and what was not (a zip bomb).
fn check_attachments_read(files: &SiteResult) {
    // what was read, and what was not
    let read = |suffix: &str| {
        files
            .facts
            .iter()
            .find(|f| f.code == "attachment.read" && f.url.as_deref().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("no attachment.read for {suffix}"))
            .value
            .clone()
    };
    let bomb = read("bomb.xlsx");
    assert_eq!(
        (bomb["read"].as_bool(), bomb["reason"].as_str()),
        (Some(false), Some("zip_bomb"))
    );
    let clean = read("clean.xlsx");
    assert_eq!(
        (
            clean["read"].as_bool(),
            clean["format"].as_str(),
            clean["id_numbers"].as_u64(),
            clean["phones"].as_u64()
        ),
        (Some(true), Some("xlsx"), Some(0), Some(0))
    );
    assert_eq!(read("gongshi.pdf")["parts"].as_u64(), Some(2));
    assert_eq!(read("download.jsp?fileid=7")["format"], "text");
}

/// The soft 404s, how each was told, and one request for the not-found page at a path of its own.
fn check_soft_404s(net: &TestNet, soft: &SiteResult) {
    // the soft 404s: how each was told
    let reason = |suffix: &str| {
        let f = soft
            .findings
            .iter()
            .find(|f| f.code == "link.soft_404" && f.url.as_deref().unwrap().ends_with(suffix))
            .unwrap();
        (
            f.value["reason"].as_str().unwrap().to_string(),
            f.value["on_home"].as_bool().unwrap(),
        )
    };
    assert_eq!(
        reason("/zxft/index.html"),
        ("same_as_not_found".into(), true)
    );
    assert_eq!(
        reason("/t20261101_9.html"),
        ("same_as_not_found".into(), false)
    );
    assert_eq!(
        reason("/t20261010_3.html"),
        ("says_not_found".into(), false)
    );
    let nf = soft
        .facts
        .iter()
        .find(|f| f.code == "link.not_found_page")
        .unwrap();
    assert_eq!(nf.value["status"].as_u64(), Some(200));
    // one request for the not-found page, at a path of its own
    let asked: Vec<String> = net
        .http
        .requests_for("www.soft.marks.test")
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with("/govwatch-not-found-"))
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
}
