//! The real-page gate (issue 24): every page labelled in `../shared/realpages/labels.json` probed
//! the way its `_doc` says — the page alone, as the start page of an ad-hoc site
//! (`govwatch probe URL --max-pages 1 --as-of AS_OF`), links unchecked — through the real binary,
//! crawler and probes, served by the fixture server. Per family (column, search, message,
//! integrity) it prints precision and recall of the labelled `must` / `must_not` findings and the
//! accuracy of the labelled facts (`latest`, `search`, `form`), then every miss with its file; it
//! fails when a family is under precision 0.95, recall 0.90 or facts 0.90.
//!
//! The labels are read as data: a page added to the folder with its labels is measured without
//! code written for it. Without `../shared/realpages` the gate says SKIPPED, unless
//! `GOVWATCH_REQUIRE_SHARED` is set (CI), where a missing folder or page fails with its name.

use crate::common::govwatch;
use govwatch_testutil::TestNet;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HOST: &str = "www.realpages.test";

/// The labelled pages, or `None` (SKIPPED) when the folder is absent on a developer's machine.
fn labels() -> Option<(PathBuf, BTreeMap<String, Value>)> {
    const TEST: &str = "labelled_real_pages_hold_every_family";
    let dir = govwatch_testutil::require::realpages_dir();
    let text = govwatch_testutil::require::realpage_text(TEST, "labels.json")?;
    let all: BTreeMap<String, Value> = serde_json::from_str(&text).expect("labels.json is JSON");
    let pages: BTreeMap<String, Value> = all
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    for name in pages.keys() {
        if !dir.join(name).is_file() {
            govwatch_testutil::require::missing_shared(
                TEST,
                &format!("{}, named in labels.json", dir.join(name).display()),
            );
            return None;
        }
    }
    Some((dir, pages))
}

/// A finding code's family.
fn family(code: &str) -> &'static str {
    match code.split('.').next().unwrap_or("") {
        "column" | "home" => "column",
        "search" => "search",
        "message" => "message",
        "integrity" => "integrity",
        _ => "other",
    }
}

#[derive(Default, Debug)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
    facts: u32,
    facts_ok: u32,
}

impl Score {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn fact_accuracy(&self) -> f64 {
        ratio(self.facts_ok, self.facts)
    }
}

/// A share, 1.0 when nothing was asked.
fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The JSON lines of `govwatch probe` on one page.
fn probe(dir: &Path, url: &str, as_of: &str) -> Vec<Value> {
    let out = govwatch(
        dir,
        &[
            "probe",
            url,
            "--max-pages",
            "1",
            "--as-of",
            as_of,
            "--allow-private",
            "--json",
        ],
    )
    .output()
    .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "probe {url} exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labelled_real_pages_hold_every_family() {
    let Some((dir, pages)) = labels() else { return };
    let (root, work, results) = probe_every_page(&dir, pages).await;
    let mut scores: BTreeMap<&str, Score> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    for (name, label, url, recs) in &results {
        score_findings(name, label, recs, &mut scores, &mut misses);
        score_facts(name, label, url, recs, &mut scores, &mut misses);
    }
    print_scores(&dir, results.len(), &scores, &misses);
    check_issue30_findings(&results);
    let failing: Vec<String> = scores
        .iter()
        .filter(|(f, _)| **f != "other")
        .filter(|(_, s)| s.precision() < 0.95 || s.recall() < 0.90 || s.fact_accuracy() < 0.90)
        .map(|(f, s)| {
            format!(
                "{f}: precision {:.2}, recall {:.2}, facts {:.2}",
                s.precision(),
                s.recall(),
                s.fact_accuracy()
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&work);
    assert!(
        failing.is_empty(),
        "real-page gate below precision 0.95 / recall 0.90 / facts 0.90: {failing:?}; misses: {misses:#?}"
    );
}

/// The labelled `must` / `must_not` findings of one page against those the probe gave, counted
/// per family; each miss listed with its file.
fn score_findings(
    name: &str,
    label: &Value,
    recs: &[Value],
    scores: &mut BTreeMap<&str, Score>,
    misses: &mut Vec<String>,
) {
    let found: Vec<&str> = recs
        .iter()
        .filter(|r| r["type"] == "finding")
        .filter_map(|r| r["code"].as_str())
        .collect();
    for code in label["must"].as_array().into_iter().flatten() {
        let code = code.as_str().unwrap();
        let s = scores.entry(family(code)).or_default();
        if found.contains(&code) {
            s.tp += 1;
        } else {
            s.fn_ += 1;
            misses.push(format!("{name}: missed {code}"));
        }
    }
    for code in label["must_not"].as_array().into_iter().flatten() {
        let code = code.as_str().unwrap();
        let s = scores.entry(family(code)).or_default();
        if found.contains(&code) {
            s.fp += 1;
            misses.push(format!("{name}: false {code}"));
        }
    }
}

/// The labelled facts of one page (`latest`, `search`, `form`) against those the probe read,
/// counted per family; each miss listed with its file.
fn score_facts(
    name: &str,
    label: &Value,
    url: &str,
    recs: &[Value],
    scores: &mut BTreeMap<&str, Score>,
    misses: &mut Vec<String>,
) {
    let facts = |code: &str| {
        recs.iter()
            .filter(move |r| r["type"] == "fact" && r["code"] == code)
            .collect::<Vec<_>>()
    };
    if let Some(want) = label.get("latest") {
        let got = ["column.latest", "home.latest"]
            .iter()
            .flat_map(|c| facts(c))
            .filter(|r| r["url"] == url)
            .filter_map(|r| r["value"]["latest"].as_str())
            .map(|d| d.chars().take(10).collect::<String>())
            .max();
        let s = scores.entry("column").or_default();
        s.facts += 1;
        if got.as_deref() == want.as_str() {
            s.facts_ok += 1;
        } else {
            misses.push(format!("{name}: newest date {want} read as {got:?}"));
        }
    }
    if let Some(want) = label.get("search").and_then(Value::as_bool) {
        let got = !facts("search.form").is_empty() || !facts("search.unverified").is_empty();
        let s = scores.entry("search").or_default();
        s.facts += 1;
        if got == want {
            s.facts_ok += 1;
        } else {
            misses.push(format!("{name}: search entry {want} read as {got}"));
        }
    }
    if let Some(want) = label.get("form").and_then(Value::as_object) {
        let forms = facts("message.form");
        let ok = forms
            .iter()
            .any(|f| want.iter().all(|(k, v)| &f["value"][k] == v));
        let s = scores.entry("message").or_default();
        s.facts += 1;
        if ok {
            s.facts_ok += 1;
        } else {
            let read: Vec<Value> = forms
                .iter()
                .map(|f| {
                    want.keys()
                        .map(|k| (k.clone(), f["value"][k].clone()))
                        .collect()
                })
                .collect();
            misses.push(format!(
                "{name}: form {} read as {}",
                Value::Object(want.clone()),
                Value::Array(read)
            ));
        }
    }
}

/// Prints precision, recall and fact accuracy per family, then every miss.
fn print_scores(dir: &Path, pages: usize, scores: &BTreeMap<&str, Score>, misses: &[String]) {
    println!("real-page gate: {} pages of {}", pages, dir.display());
    println!("family     precision  recall  facts   (tp fp fn, facts right/asked)");
    for (f, s) in scores {
        println!(
            "{f:<10} {:>9.2}  {:>6.2}  {:>5.2}   ({} {} {}, {}/{})",
            s.precision(),
            s.recall(),
            s.fact_accuracy(),
            s.tp,
            s.fp,
            s.fn_,
            s.facts_ok,
            s.facts
        );
    }
    for m in misses {
        println!("MISS {m}");
    }
}

/// The issue-30 findings of each page are among those reviewed ([`ISSUE30_REVIEWED`]); fewer
/// are listed.
fn check_issue30_findings(results: &[Probed]) {
    // the site-level checks of issue 30 (identity marks, accessibility, soft 404s, attachments)
    // are not labelled in labels.json: each page's findings were reviewed against its static
    // markup (ISSUE30_REVIEWED; each page is probed as the home page of an ad-hoc site, with no
    // registry id or sponsor to compare with). None beyond them may appear; fewer may (where
    // Chromium is installed a page read in the browser is judged by its rendered DOM, in which a
    // script may draw a mark or wipe the footer: the marks are then unverified), and are listed
    let mut issue30_changed = Vec::new();
    for (name, _, _, recs) in results {
        let codes: Vec<&str> = recs
            .iter()
            .filter(|r| r["type"] == "finding")
            .filter_map(|r| r["code"].as_str())
            .filter(|c| {
                ["identity.", "a11y.", "link.soft_404", "privacy.attachment"]
                    .iter()
                    .any(|p| c.starts_with(p))
            })
            .collect();
        let reviewed: &[&str] = ISSUE30_REVIEWED
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, c)| c);
        if codes.iter().any(|c| !reviewed.contains(c)) {
            issue30_changed.push(format!("{name}: {codes:?}, reviewed {reviewed:?}"));
        } else if codes.len() != reviewed.len() {
            println!("FEWER {name}: {codes:?}, reviewed {reviewed:?}");
        }
    }
    assert!(
        issue30_changed.is_empty(),
        "issue-30 findings on real pages beyond the reviewed ones:\n{}",
        issue30_changed.join("\n")
    );
}

/// One labelled page probed: its file name, its labels, its URL, the probe's JSON lines.
type Probed = (String, Value, String, Vec<Value>);

/// Serves the labelled files as one ad-hoc site and probes each page through the binary.
/// Returns the served folder, the scratch folder and each page's records.
async fn probe_every_page(
    dir: &Path,
    pages: BTreeMap<String, Value>,
) -> (PathBuf, PathBuf, Vec<Probed>) {
    // the fixture server serves one ad-hoc site whose pages are the labelled files, as they are
    let root = std::env::temp_dir().join(format!("govwatch-realpages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join(HOST)).unwrap();
    for name in pages.keys() {
        std::fs::copy(dir.join(name), root.join(HOST).join(name)).unwrap();
    }
    let net = TestNet::start(&root).await.unwrap();
    let work = crate::common::scratch("realpages", "gate");
    std::fs::write(
        work.join("config/crawl.toml"),
        format!(
            "check_links = false\nipv6 = false\nrate = 50.0\nretries = 0\nallow_private = true\n\
             dns_servers = [\"{}\"]\ndns_port = {}\n",
            net.dns.addr(),
            net.dns.addr().port()
        ),
    )
    .unwrap();
    let port = net.http.port();
    let work2 = work.clone();
    let results = tokio::task::spawn_blocking(move || {
        pages
            .iter()
            .map(|(name, label)| {
                let url = format!("http://{HOST}:{port}/{name}");
                let as_of = label["as_of"].as_str().expect("as_of").to_string();
                (
                    name.clone(),
                    label.clone(),
                    url.clone(),
                    probe(&work2, &url, &as_of),
                )
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    (root, work, results)
}

/// The issue-30 findings of each real page, reviewed against its markup: the identity marks it
/// lacks (no 网站标识码, ICP or 公网安备 number, no conac badge or 找错 entry in its footer or
/// scripts), no accessible-mode entry, no `lang`, at least half of 10 or more images without
/// `alt`, a form field without a label. Pages not listed have none (a footer drawn by a script is
/// unverified, never missing).
const ISSUE30_REVIEWED: &[(&str, &[&str])] = &[
    (
        "atxlyj.cn-antu-linyeju__c-list-xwdt__5.html",
        &["a11y.entry_missing", "a11y.lang_missing"],
    ),
    (
        "atxlyj.cn-antu-linyeju__e-homepage-hijackjs-kb__4.html",
        &[
            "a11y.entry_missing",
            "a11y.images_no_alt",
            "a11y.lang_missing",
        ],
    ),
    (
        "cmse.gov.cn__b-article-with-search__1.html",
        &[
            "identity.site_code_missing",
            "identity.psb_missing",
            "identity.conac_missing",
            "identity.error_report_missing",
            "a11y.entry_missing",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "fgw.zj.gov.cn__b-article-with-sitesearch__1.html",
        &["a11y.inputs_no_label", "a11y.lang_missing"],
    ),
    (
        "gd-baomiju.stwgdcn-mirror__d-homepage-post-searchform__1.html",
        &[
            "identity.site_code_missing",
            "identity.icp_missing",
            "identity.psb_missing",
            "identity.conac_missing",
            "identity.error_report_missing",
            "a11y.entry_missing",
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "gdjyj.gd.gov.cn-jianyuju.stwgdcn-mirror__c-list-gdjy-news__2.html",
        &["identity.conac_missing", "a11y.images_no_alt"],
    ),
    (
        "gdjyj.gd.gov.cn-jianyuju.stwgdcn-mirror__e-homepage-macau-prison-link__1.html",
        &["identity.conac_missing", "a11y.images_no_alt"],
    ),
    (
        "hdjxedu.cn__d-home__1.html",
        &[
            "identity.site_code_missing",
            "identity.conac_missing",
            "identity.error_report_missing",
            "a11y.entry_missing",
            "a11y.inputs_no_label",
        ],
    ),
    (
        "jspn.js.cn-jiangsu-wujiaju__c-list-gzdt-searchform__2.html",
        &[
            "identity.site_code_missing",
            "identity.icp_missing",
            "identity.psb_missing",
            "identity.conac_missing",
            "identity.error_report_missing",
            "a11y.entry_missing",
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "jspn.js.cn-jiangsu-wujiaju__e-homepage-hijackjs__1.html",
        &[
            "identity.site_code_missing",
            "identity.icp_missing",
            "identity.psb_missing",
            "identity.conac_missing",
            "identity.error_report_missing",
            "a11y.entry_missing",
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "lgedu.net-langao-jiaotiju__a-wyxx-write-letter__1.html",
        &[
            "identity.psb_missing",
            "identity.conac_missing",
            "a11y.entry_missing",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "lgedu.net-langao-jiaotiju__c-list-gzxx__4.html",
        &[
            "identity.conac_missing",
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "lgedu.net-langao-jiaotiju__e-homepage-hidden-linkfarm__5.html",
        &[
            "identity.psb_missing",
            "identity.conac_missing",
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "npc.gov.cn__b-article-with-search__1.html",
        &[
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "samr.cfda.gov.cn__c-column__1.html",
        &[
            "identity.site_code_missing",
            "identity.psb_missing",
            "identity.error_report_missing",
            "a11y.entry_missing",
            "a11y.inputs_no_label",
            "a11y.lang_missing",
        ],
    ),
    (
        "wanzai.gov.cn__d-article-no-searchbox-chrome-saved__1.html",
        &["a11y.images_no_alt", "a11y.lang_missing"],
    ),
    (
        "zjgztb.com-suzhou-ggzy__c-list-table-td-dates__3.html",
        &["a11y.entry_missing", "a11y.inputs_no_label"],
    ),
    (
        "zjgztb.com-suzhou-ggzy__d-fullsearch-script-only-noform__2.html",
        &["a11y.entry_missing", "a11y.inputs_no_label"],
    ),
    (
        "zjw.beijing.gov.cn__c-column__2.html",
        &["a11y.lang_missing"],
    ),
    (
        "zjw.beijing.gov.cn__e-data__1.html",
        &[
            "identity.site_code_missing",
            "a11y.images_no_alt",
            "a11y.lang_missing",
        ],
    ),
    (
        "zjw.beijing.gov.cn__e-data__3.html",
        &[
            "identity.conac_missing",
            "identity.error_report_missing",
            "a11y.images_no_alt",
            "a11y.lang_missing",
        ],
    ),
    (
        "zjw.beijing.gov.cn__e-data__4.html",
        &[
            "a11y.entry_missing",
            "a11y.images_no_alt",
            "a11y.lang_missing",
        ],
    ),
    (
        "zmhd.jiujiang.gov.cn__b-search__1.html",
        &["a11y.entry_missing", "a11y.inputs_no_label"],
    ),
];
