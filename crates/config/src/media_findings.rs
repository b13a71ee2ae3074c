//! Inspectors' observations of new-media accounts, from CSV (UTF-8 or GBK): comments closed,
//! messages never answered, and the like — what a feed cannot say. `govwatch media
//! import-findings FILE.csv` stores them; every run then reports them for the account with the
//! inspector's note and evidence URL.
//!
//! Columns (Chinese or English headers): 账号 (the account's `platform:id`, its name or its id),
//! 平台 (optional, to tell accounts of one name apart), 问题代码 (a code of `[manual]` in
//! `media.toml`), 日期 (the day it was observed: 2020-03-10, 2020/3/10, 2020年3月10日), 说明 (what
//! was seen), 证据网址 (optional: the page or screenshot that shows it).

use crate::csv_rows::{CsvFile, CsvRow, bounded, read_csv_text};
use crate::error::{ConfigError, Diagnostic};
use crate::media::ManualRules;
use crate::sites::parse_http_url;
use crate::text::{MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_URL_CHARS};
use chrono::NaiveDate;
use govwatch_model::{Account, ManualFinding, Platform};
use std::collections::HashMap;
use std::path::Path;

const ACCOUNT_COLUMNS: &[&str] = &["账号", "账号名称", "account"];
const PLATFORM_COLUMNS: &[&str] = &["平台", "platform"];
const CODE_COLUMNS: &[&str] = &["问题代码", "代码", "code"];
const DATE_COLUMNS: &[&str] = &["日期", "发现日期", "检查日期", "date"];
const NOTE_COLUMNS: &[&str] = &["说明", "问题描述", "备注", "note"];
const EVIDENCE_COLUMNS: &[&str] = &["证据网址", "证据", "截图", "evidence", "url"];

/// What a manual-findings CSV holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManualImport {
    /// The valid rows (`id` 0: not stored yet).
    pub rows: Vec<ManualFinding>,
    /// One per skipped row: `FILE.csv:LINE: problem`.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a day as inspectors write it.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d);
        }
    }
    None
}

/// The registry looked up by key, by name and by id (built once per file: a look-up per row
/// costs no scan of the registry).
struct Index<'a> {
    by_key: HashMap<String, &'a Account>,
    by_name: HashMap<&'a str, Vec<&'a Account>>,
    by_id: HashMap<&'a str, Vec<&'a Account>>,
}

impl<'a> Index<'a> {
    fn new(accounts: &'a [Account]) -> Index<'a> {
        let mut i = Index {
            by_key: HashMap::new(),
            by_name: HashMap::new(),
            by_id: HashMap::new(),
        };
        for a in accounts {
            i.by_key.entry(a.key()).or_insert(a);
            i.by_name.entry(a.name.as_str()).or_default().push(a);
            i.by_id.entry(a.id.as_str()).or_default().push(a);
        }
        i
    }

    /// The account a cell names: its key, else its name, else its id (narrowed by `platform`).
    fn resolve(&self, cell: &str, platform: Option<Platform>) -> Result<&'a Account, String> {
        if let Some(a) = self.by_key.get(cell) {
            return Ok(a);
        }
        for by in [&self.by_name, &self.by_id] {
            let found: Vec<&Account> = by
                .get(cell)
                .into_iter()
                .flatten()
                .copied()
                .filter(|a| platform.is_none_or(|p| a.platform == p))
                .collect();
            match found.as_slice() {
                [one] => return Ok(one),
                [] => {}
                many => {
                    let keys: Vec<String> = many.iter().map(|a| a.key()).collect();
                    return Err(format!(
                        "账号 `{cell}` 对应 {} 个账号（{}），请写成 平台:账号ID",
                        many.len(),
                        keys.join(", ")
                    ));
                }
            }
        }
        Err(format!(
            "账号 `{cell}` 不在政务新媒体账号名录 (accounts.toml) 中"
        ))
    }
}

/// The columns of an observations CSV, and what a row is checked against.
struct ManualColumns<'a> {
    account: usize,
    code: usize,
    date: usize,
    note: usize,
    platform: Option<usize>,
    evidence: Option<usize>,
    index: Index<'a>,
    rules: &'a ManualRules,
    /// The CSV's file name, for each row's `source` (`FILE.csv:LINE`).
    file_name: String,
}

/// Reads `csv_path`. Rows naming an unknown account or code, a bad day or no note are skipped
/// with a diagnostic; a missing required column fails the whole file.
pub fn read_manual_findings(
    csv_path: &Path,
    accounts: &[Account],
    rules: &ManualRules,
) -> Result<ManualImport, ConfigError> {
    let text = read_csv_text(csv_path)?;
    let csv = CsvFile::new(csv_path, &text)?;
    let cols = ManualColumns {
        account: csv.required(ACCOUNT_COLUMNS)?,
        code: csv.required(CODE_COLUMNS)?,
        date: csv.required(DATE_COLUMNS)?,
        note: csv.required(NOTE_COLUMNS)?,
        platform: csv.optional(PLATFORM_COLUMNS),
        evidence: csv.optional(EVIDENCE_COLUMNS),
        index: Index::new(accounts),
        rules,
        file_name: csv_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let mut out = ManualImport::default();
    csv.for_each_row(
        |r| {
            out.rows.push(manual_row(r, &cols)?);
            Ok(())
        },
        |line, problem| {
            out.diagnostics
                .push(Diagnostic::new(csv_path, line as usize, 0, problem))
        },
    );
    Ok(out)
}

/// One row of an observations CSV as a finding, or every problem it has.
fn manual_row(r: &CsvRow, cols: &ManualColumns) -> Result<ManualFinding, String> {
    bounded(&[
        ("账号", &r.cell(cols.account), MAX_NAME_CHARS),
        ("平台", &r.cell_or_empty(cols.platform), MAX_NAME_CHARS),
        ("问题代码", &r.cell(cols.code), MAX_NAME_CHARS),
        ("日期", &r.cell(cols.date), MAX_NAME_CHARS),
        ("说明", &r.cell(cols.note), MAX_NOTE_CHARS),
        ("证据网址", &r.cell_or_empty(cols.evidence), MAX_URL_CHARS),
    ])?;
    let mut problems = Vec::new();
    let platform = match r.cell_opt(cols.platform) {
        Some(p) => match Platform::from_label(&p) {
            Some(p) => Some(p),
            None => {
                problems.push(format!("平台 `{p}` 不认识"));
                None
            }
        },
        None => None,
    };
    let account = match cols.index.resolve(&r.cell(cols.account), platform) {
        Ok(a) => Some(a),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    let code = r.cell(cols.code);
    if cols.rules.code(&code).is_none() {
        let known: Vec<&str> = cols.rules.codes.iter().map(|c| c.code.as_str()).collect();
        problems.push(format!(
            "问题代码 `{code}` 不能导入（可导入的见 media.toml [manual]：{}）",
            known.join(", ")
        ));
    }
    let date = parse_day(&r.cell(cols.date));
    if date.is_none() {
        problems.push(format!(
            "日期 `{}` 不是日期（应写成 2020-03-10、2020/3/10 或 2020年3月10日）",
            r.cell(cols.date)
        ));
    }
    let note = r.cell(cols.note);
    if note.is_empty() {
        problems.push("说明为空：请写明看到的情况".to_string());
    }
    let evidence = match r.cell_opt(cols.evidence) {
        Some(u) => match parse_http_url(&u) {
            Ok(u) => Some(u.to_string()),
            Err(e) => {
                problems.push(format!("证据网址：{e}"));
                None
            }
        },
        None => None,
    };
    match (account, date) {
        (Some(a), Some(date)) if problems.is_empty() => Ok(ManualFinding {
            id: 0,
            account: a.key(),
            code,
            date,
            note,
            evidence_url: evidence,
            source: format!("{}:{}", cols.file_name, r.line),
        }),
        _ => Err(problems.join("；")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_as_inspectors_write_them() {
        let d = NaiveDate::from_ymd_opt(2020, 3, 10).unwrap();
        for s in ["2020-03-10", "2020/3/10", "2020年3月10日", " 2020.03.10 "] {
            assert_eq!(parse_day(s), Some(d), "{s}");
        }
        assert_eq!(parse_day("3/10"), None);
    }
}
