//! The list reader on the list shapes of `fixtures/lists` (one page per way real sites write a
//! list, see its README): each page's newest item date, records, dated records and the structure
//! of its largest list, exactly as `expected.toml` gives them.

use chrono::NaiveDate;
use govwatch_probes::lists::read_lists;
use scraper::Html;
use serde::Deserialize;
use std::path::PathBuf;
use url::Url;

#[derive(Deserialize)]
struct Expected {
    as_of: NaiveDate,
    page: Vec<Page>,
}

#[derive(Deserialize)]
struct Page {
    file: String,
    newest: Option<NaiveDate>,
    records: usize,
    dated: usize,
    structure: String,
}

#[test]
fn every_list_shape_is_read_as_its_records() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lists");
    let expected: Expected =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".html"))
        .collect();
    assert_eq!(
        files.len(),
        expected.page.len(),
        "every page of fixtures/lists has its expectations, and only those"
    );
    let mut wrong = Vec::new();
    for p in &expected.page {
        let html = std::fs::read_to_string(dir.join(&p.file)).unwrap();
        let doc = Html::parse_document(&html);
        let url = Url::parse(&format!("http://www.lists.gov.test/lm/{}", p.file)).unwrap();
        let r = read_lists(&doc, &url, expected.as_of);
        let newest = r.items.iter().filter_map(|i| i.date).max();
        let dated = r.items.iter().filter(|i| i.date.is_some()).count();
        let largest = r
            .lists
            .iter()
            .max_by_key(|l| l.records)
            .map(|l| l.structure.clone())
            .unwrap_or_default();
        let got = (newest, r.items.len(), dated, largest);
        let want = (p.newest, p.records, p.dated, p.structure.clone());
        if got != want {
            wrong.push(format!(
                "{}: want {want:?}, read {got:?}: {:#?}",
                p.file, r.items
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
