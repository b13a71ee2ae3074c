//! A report table and its cells, and the report's number format: what every table (the annexes,
//! the accounts' annex, 整改, 表述) is made of and every format (md, html, csv, xlsx, json) reads.

use serde::Serialize;

/// One annex table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Short name, e.g. `附件1` (sheet and file names).
    pub key: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Said under the table (e.g. why it is empty).
    pub note: Option<String>,
    /// Column widths for spreadsheets, in characters.
    pub widths: Vec<f64>,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => fmt_num(*x),
        }
    }
}

/// 98.9, 100, 99.64 — no trailing zeros.
pub fn fmt_num(x: f64) -> String {
    let s = format!("{:.2}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

pub(crate) fn pct(x: Option<f64>) -> Cell {
    match x {
        Some(v) => Cell::Text(format!("{}%", fmt_num(v))),
        None => Cell::Text("—".into()),
    }
}

pub(crate) fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

pub(crate) fn kind_zh(kind: &str) -> &'static str {
    if kind == "portal" {
        "门户网站"
    } else {
        "部门网站"
    }
}
