//! False alarms of the wording probe, measured: every page of `../shared/realpages` (each page of
//! the sample required in CI, SKIPPED on a developer's machine without it) and every page and feed
//! of `fixtures/` (but the wording fixtures with planted errors) must give no `wording.*` finding —
//! real government pages write these names right.

use crate::common;
use govwatch_config::WordingRules;

use govwatch_model::SiteCrawl;
use govwatch_probes::wording::Wording;
use govwatch_probes::{Probe, ProbeInput};
use std::path::{Path, PathBuf};

const AS_OF: &str = "2026-11-28T02:00:00+08:00";

/// The text of a saved page: GBK when its head declares a GB charset, else UTF-8.
fn decode(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    if [
        "charset=gb2312",
        "charset=\"gb2312",
        "charset=gbk",
        "charset=gb18030",
    ]
    .iter()
    .any(|c| head.contains(c))
        && std::str::from_utf8(bytes).is_err()
    {
        encoding_rs::GBK.decode(bytes).0.into_owned()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn crawl_of(path: &Path) -> SiteCrawl {
    let text = decode(&std::fs::read(path).unwrap());
    let t = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    common::single_page_crawl("http://page.gov.test/index.html", text, t)
}

/// Every file under `dir` that a site serves as a page or a feed.
fn pages_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            pages_under(&p, out);
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let page = matches!(
            ext.as_deref(),
            Some("html" | "htm" | "shtml" | "jsp" | "xml")
        ) || ext.is_none();
        if page && !name.ends_with("-planted.html") {
            out.push(p);
        }
    }
}

/// (file, wrong words) of every wording finding on `files`.
fn findings(files: &[PathBuf]) -> Vec<(String, String)> {
    let probe = Wording::new(&WordingRules::default());
    let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap();
    let mut out = Vec::new();
    for f in files {
        let crawl = crawl_of(f);
        for x in probe.run(&ProbeInput::new(&crawl, as_of)).findings {
            out.push((
                f.display().to_string(),
                format!("{} {} ({})", x.code, x.value["wrong"], x.message),
            ));
        }
    }
    out
}

#[test]
fn no_wording_finding_on_real_pages() {
    let Some(dir) =
        govwatch_testutil::require::realpages_complete("no_wording_finding_on_real_pages")
    else {
        return;
    };
    let mut files = Vec::new();
    pages_under(&dir, &mut files);
    // every page of the sample, and any added beside them
    assert!(
        files.len() >= govwatch_testutil::require::REALPAGES.len(),
        "{} real pages",
        files.len()
    );
    let found = findings(&files);
    eprintln!(
        "{} real pages judged, {} wording findings",
        files.len(),
        found.len()
    );
    assert_eq!(found, vec![]);
}

#[test]
fn no_wording_finding_on_any_fixture() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut files = Vec::new();
    pages_under(&dir, &mut files);
    assert!(files.len() >= 500, "{} fixture pages", files.len());
    let found = findings(&files);
    eprintln!(
        "{} fixture pages and feeds judged, {} wording findings",
        files.len(),
        found.len()
    );
    assert_eq!(found, vec![]);
}
