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
    for table in tables {
        let path = dir.join(format!("{}.csv", table.key));
        let mut buf = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = ::csv::Writer::from_writer(&mut buf);
            let err = |e: ::csv::Error| ReportError::Other(format!("{}: {e}", path.display()));
            w.write_record(&table.headers).map_err(err)?;
            for row in &table.rows {
                w.write_record(row.iter().map(|c| c.text()))
                    .map_err(|e| ReportError::Other(format!("{}: {e}", path.display())))?;
            }
            w.flush().map_err(io_err(&path))?;
        }
        std::fs::write(&path, buf).map_err(io_err(&path))?;
        written.push(path);
    }
    Ok(written)
}
