//! `/runs/{run}/files/{name}`: a run's report files, made on request in memory by
//! [`govwatch_report::render`] from the run's scoring under the configured rules, compared with
//! the previous finished run — the same function `govwatch report` writes with — and the run's
//! WARC evidence archive ([`govwatch_report::warc::run_warc`], the bytes `govwatch report`
//! writes). Nothing is written to the database or to disk.

use crate::pages::{report_data, run_or_404};
use crate::{App, WebError};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use govwatch_report::{Format, warc};
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

/// The report format a file of [`files`] is made in, and the name the format gives that file
/// (the CSV files are named by their table: 附件N.csv, 整改情况.csv).
fn format_of(name: &str) -> Option<(Format, String)> {
    let csv = |key: &str| Some((Format::Csv, format!("{key}.csv")));
    match name {
        "report.html" => Some((Format::Html, name.into())),
        "report.xlsx" => Some((Format::Xlsx, name.into())),
        "report.md" => Some((Format::Md, name.into())),
        "report.json" => Some((Format::Json, name.into())),
        "rectification.csv" => csv("整改情况"),
        _ => {
            let n = name.strip_prefix("annex-")?.strip_suffix(".csv")?;
            csv(&format!("附件{n}"))
        }
    }
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
    let (format, file_name) = format_of(name).ok_or_else(not_found)?;
    let (d, _) = report_data(store, app, run_id)?;
    let file = govwatch_report::render(format, &d)?
        .into_iter()
        .find(|f| f.name == file_name)
        .ok_or_else(not_found)?;
    Ok(File {
        name: file.name,
        media_type: format.media_type(),
        bytes: file.bytes,
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
