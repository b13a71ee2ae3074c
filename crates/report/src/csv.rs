//! The annex tables as CSV files (`附件N-….csv`), UTF-8 with a byte-order mark for Excel.

use crate::cell::Cell;
use crate::{ReportData, ReportError, annexes, since};

/// The annex tables as CSV files `附件N.csv` (UTF-8 with BOM, so spreadsheet programs read the
/// Chinese), plus `整改情况.csv` with `--since`, then the wording table, made in memory: (file
/// name, bytes) each.
pub fn render_csv(d: &ReportData) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let mut files = Vec::new();
    let mut tables = annexes(d);
    if let Some(r) = &d.since {
        tables.push(since::table(r));
    }
    tables.push(crate::wording::wording_table(d));
    for table in tables {
        let name = format!("{}.csv", table.key);
        let err = |e: ::csv::Error| ReportError::Other(format!("{name}: {e}"));
        let mut w = ::csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
        w.write_record(&table.headers).map_err(err)?;
        for row in &table.rows {
            w.write_record(row.iter().map(csv_cell)).map_err(err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ReportError::Other(format!("{name}: {e}")))?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// A cell as written to CSV. Text from a site or the registry that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, a tab or a carriage return first: CSV injection, OWASP) is
/// written with a leading apostrophe, which spreadsheets show as text; numbers are ours and
/// written as they are.
pub(crate) fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        other => other.text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_text() {
        let t = |s: &str| csv_cell(&Cell::Text(s.into()));
        assert_eq!(t("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(t("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(t("+86 10"), "'+86 10");
        assert_eq!(t("-1"), "'-1");
        assert_eq!(t("安平县"), "安平县");
        assert_eq!(csv_cell(&Cell::Num(-1.5)), "-1.5");
    }
}
