//! The report's formats, chosen in one place: [`Format`] names them (as `--format` and the web
//! downloads do), [`render`] makes a format's files in memory and [`write`] writes them into a
//! folder. `govwatch report`, the demo and the web view's downloads all go through here.

use crate::{ReportData, ReportError, csv, html, io_err, json, md, xlsx};
use std::path::{Path, PathBuf};

/// A format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `report.md`.
    Md,
    /// `report.html`, one self-contained file.
    Html,
    /// One CSV file per table (`附件1.csv` …, `整改情况.csv`, the wording table).
    Csv,
    /// `report.xlsx`, one sheet per table.
    Xlsx,
    /// `report.json`, the data behind every other format.
    Json,
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Format; 5] = [
        Format::Md,
        Format::Html,
        Format::Csv,
        Format::Xlsx,
        Format::Json,
    ];

    /// The format's name as `--format` takes it (`md`, `html`, `csv`, `xlsx`, `json`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
        }
    }

    /// The format named `name` (as [`Format::name`] gives it).
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The media type its files are served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Md => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
        }
    }
}

/// One file of a format: its name in the report's folder and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The files of `format` for the report `d`, made in memory.
pub fn render(format: Format, d: &ReportData) -> Result<Vec<ReportFile>, ReportError> {
    let one = |name: &str, bytes: Vec<u8>| {
        vec![ReportFile {
            name: name.into(),
            bytes,
        }]
    };
    Ok(match format {
        Format::Md => one("report.md", md::render_md(d).into_bytes()),
        Format::Html => one("report.html", html::render_html(d).into_bytes()),
        Format::Json => one(
            "report.json",
            serde_json::to_string_pretty(&json::render_json(d))
                .map_err(|e| ReportError::Other(format!("report.json: {e}")))?
                .into_bytes(),
        ),
        Format::Xlsx => one("report.xlsx", xlsx::render_xlsx(d)?),
        Format::Csv => csv::render_csv(d)?
            .into_iter()
            .map(|(name, bytes)| ReportFile { name, bytes })
            .collect(),
    })
}

/// Writes the files of `format` for the report `d` into `dir`; returns their paths.
pub fn write(format: Format, d: &ReportData, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for f in render(format, d)? {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.bytes).map_err(io_err(&path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_as_format_takes_them() {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["md", "html", "csv", "xlsx", "json"]);
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
        }
        for bad in ["", "MD", "pdf", "csv,md", " html"] {
            assert_eq!(Format::parse(bad), None, "{bad:?}");
        }
    }
}
