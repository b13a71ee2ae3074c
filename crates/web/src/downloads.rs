//! `/runs/{run}/files/{name}`: a run's report files, made on request by `govwatch-report` from the
//! run's scoring under the configured rules, compared with the previous finished run — the same
//! functions `govwatch report` writes with — and the run's WARC evidence archive
//! ([`govwatch_report::warc::run_warc`], the bytes `govwatch report` writes). Nothing is written
//! to the database; files that the report functions write to a directory go through a temporary
//! one that is removed after the answer is made.

use crate::pages::run::report_data;
use crate::pages::run_or_404;
use crate::{App, WebError};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use govwatch_report::{html::render_html, render_json, render_md, warc, write_csv, xlsx};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::sync::Arc;

/// The files of a run: (name in the URL, what it is). `rectification.csv` exists when there is an
/// earlier run to compare with.
pub fn files(run_id: i64, with_rectification: bool) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        (
            "report.html".into(),
            "HTML 报告（单个文件，可离线打开）".into(),
        ),
        ("report.xlsx".into(), "Excel 报告（附件1–附件5）".into()),
    ];
    for i in 1..=5 {
        v.push((format!("annex-{i}.csv"), format!("附件{i}.csv")));
    }
    if with_rectification {
        v.push(("rectification.csv".into(), "整改情况.csv".into()));
    }
    v.push(("report.md".into(), "Markdown 报告".into()));
    v.push(("report.json".into(), "JSON 数据".into()));
    v.push((warc::warc_name(run_id), "WARC 证据存档".into()));
    v
}

/// A file made for download: its name on disk, media type and bytes.
struct File {
    name: String,
    media_type: &'static str,
    bytes: Vec<u8>,
}

fn make(
    store: &govwatch_store::Store,
    app: &App,
    run_id: i64,
    name: &str,
) -> Result<File, WebError> {
    let not_found = || WebError::NotFound(format!("第 {run_id} 次检查没有文件 {name}。"));
    if name == warc::warc_name(run_id) {
        run_or_404(store, run_id)?;
        let (bytes, _) = warc::run_warc(store, run_id)?;
        return Ok(File {
            name: name.into(),
            media_type: "application/gzip",
            bytes,
        });
    }
    if !files(run_id, true).iter().any(|(n, _)| n == name) {
        return Err(not_found());
    }
    let (d, _) = report_data(store, app, run_id)?;
    let text = |name: &str, media_type, s: String| File {
        name: name.into(),
        media_type,
        bytes: s.into_bytes(),
    };
    Ok(match name {
        "report.html" => text(name, "text/html; charset=utf-8", render_html(&d)),
        "report.md" => text(name, "text/markdown; charset=utf-8", render_md(&d)),
        "report.json" => text(
            name,
            "application/json",
            serde_json::to_string_pretty(&render_json(&d)).unwrap_or_default(),
        ),
        "report.xlsx" => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("report.xlsx");
            xlsx::write_xlsx(&d, &path)?;
            File {
                name: name.into(),
                media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes: std::fs::read(&path)?,
            }
        }
        _ => {
            // the CSV files are written together, named by their table (附件N.csv, 整改情况.csv)
            let key = match name
                .strip_prefix("annex-")
                .and_then(|s| s.strip_suffix(".csv"))
            {
                Some(n) => format!("附件{n}.csv"),
                None if name == "rectification.csv" && d.since.is_some() => "整改情况.csv".into(),
                None => return Err(not_found()),
            };
            let dir = tempfile::tempdir()?;
            write_csv(&d, dir.path())?;
            let path = dir.path().join(&key);
            if !path.is_file() {
                return Err(not_found());
            }
            File {
                name: key,
                media_type: "text/csv; charset=utf-8",
                bytes: std::fs::read(&path)?,
            }
        }
    })
}

pub async fn handler(
    State(app): State<Arc<App>>,
    Path((run_id, name)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let url_name = name.clone();
    let file = app
        .with_store(move |store, app| make(store, app, run_id, &name))
        .await?;
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        url_name.replace(['"', '\\'], "_"),
        utf8_percent_encode(&file.name, NON_ALPHANUMERIC)
    );
    let mut r = file.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.media_type),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
