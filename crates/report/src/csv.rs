//! The annex tables as CSV files (`附件N-….csv`), UTF-8 with a byte-order mark for Excel.

use super::*;

/// The annex tables as CSV files `附件N.csv` in `dir` (UTF-8 with BOM, so spreadsheet programs
/// read the Chinese), plus `rectification.csv` with `--since`. Returns the files written.
pub fn write_csv(d: &ReportData, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let mut tables = annexes(d);
    if let Some(r) = &d.since {
        tables.push(since::table(r));
    }
    tables.push(crate::wording::wording_table(d));
    for table in tables {
        let path = dir.join(format!("{}.csv", table.key));
        let mut buf = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = ::csv::Writer::from_writer(&mut buf);
            let err = |e: ::csv::Error| ReportError::Other(format!("{}: {e}", path.display()));
            w.write_record(&table.headers).map_err(err)?;
            for row in &table.rows {
                w.write_record(row.iter().map(csv_cell))
                    .map_err(|e| ReportError::Other(format!("{}: {e}", path.display())))?;
            }
            w.flush().map_err(io_err(&path))?;
        }
        std::fs::write(&path, buf).map_err(io_err(&path))?;
        written.push(path);
    }
    Ok(written)
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
