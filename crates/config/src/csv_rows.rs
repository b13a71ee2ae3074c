//! The one row loop of the office's CSV files (the site registry's export, the account list,
//! inspectors' observations): the reader (comma- or tab-separated), columns found by any of
//! their names, blank rows passed over, a row that cannot be read or that its reader refuses
//! reported with its line, cells trimmed, and every cell bounded and free of control characters
//! before anything else quotes it. The files are read in whatever encoding the office saved them
//! ([`decode_text`]: UTF-8 or GBK/GB18030, a BOM deciding).

use crate::error::ConfigError;
use crate::text::field_problem;
use csv::StringRecord;
use encoding_rs::{Encoding, GB18030, UTF_8};
use std::path::Path;

/// Reads a CSV file of unknown encoding as text (see [`decode_text`]).
pub(crate) fn read_csv_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(decode_text(&bytes).0)
}

/// Decodes a text file of unknown encoding: a BOM decides; else valid UTF-8 is UTF-8; else
/// GB18030 (a superset of GBK), unless it does not decode cleanly and chardetng's guess does.
/// Returns the text (without BOM) and the encoding used.
pub fn decode_text(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), UTF_8);
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(bytes, true);
        let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
        if guess != GB18030 && guess != UTF_8 {
            let (other, other_errors) = guess.decode_without_bom_handling(bytes);
            if !other_errors {
                return (other.into_owned(), guess);
            }
        }
    }
    (text.into_owned(), GB18030)
}

/// Finds the column named by one of `names` (header cells are trimmed, BOM removed).
fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.contains(&h.as_str()))
}

/// A CSV file being read: the reader over its decoded text and its header cells.
pub(crate) struct CsvFile<'t> {
    file: &'t Path,
    reader: csv::Reader<&'t [u8]>,
    headers: Vec<String>,
}

impl<'t> CsvFile<'t> {
    /// A reader over decoded text (comma- or tab-separated, judged by the header line) and its
    /// header cells (trimmed, BOM removed); `file` names it in messages.
    pub(crate) fn new(file: &'t Path, text: &'t str) -> Result<CsvFile<'t>, ConfigError> {
        let first_line = text.lines().next().unwrap_or("");
        let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
            b'\t'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| ConfigError::Csv {
                file: file.to_path_buf(),
                line: 1,
                message: format!("无法读取表头（{e}）"),
            })?
            .iter()
            .map(|h| {
                h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                    .to_string()
            })
            .collect();
        Ok(CsvFile {
            file,
            reader,
            headers,
        })
    }

    /// The column named by one of `names`, or an error on the header line naming them.
    pub(crate) fn required(&self, names: &[&str]) -> Result<usize, ConfigError> {
        column(&self.headers, names).ok_or_else(|| ConfigError::Csv {
            file: self.file.to_path_buf(),
            line: 1,
            message: format!("缺少必需的列 {}（其中任一列名均可）", names.join("、")),
        })
    }

    /// The column named by one of `names`, when there is one.
    pub(crate) fn optional(&self, names: &[&str]) -> Option<usize> {
        column(&self.headers, names)
    }

    /// Gives `read` every row that is not blank; a row that cannot be read, or that `read`
    /// refuses with its problem, goes to `skip` with its line.
    pub(crate) fn for_each_row(
        mut self,
        mut read: impl FnMut(&CsvRow) -> Result<(), String>,
        mut skip: impl FnMut(u64, String),
    ) {
        for record in self.reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    skip(line, format!("无法读取这一行（{e}）"));
                    continue;
                }
            };
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let row = CsvRow {
                line,
                record: &record,
            };
            if let Err(problem) = read(&row) {
                skip(line, problem);
            }
        }
    }
}

/// One data row of a CSV file.
pub(crate) struct CsvRow<'r> {
    /// The row's line in the file.
    pub(crate) line: u64,
    record: &'r StringRecord,
}

impl CsvRow<'_> {
    /// The trimmed cell of column `i` ("" past the row's end).
    pub(crate) fn cell(&self, i: usize) -> String {
        self.record.get(i).unwrap_or("").trim().to_string()
    }

    /// The trimmed cell of an optional column, "" without the column.
    pub(crate) fn cell_or_empty(&self, i: Option<usize>) -> String {
        i.map(|i| self.cell(i)).unwrap_or_default()
    }

    /// The trimmed cell of an optional column, `None` without the column or when empty.
    pub(crate) fn cell_opt(&self, i: Option<usize>) -> Option<String> {
        i.map(|i| self.cell(i)).filter(|s| !s.is_empty())
    }
}

/// `Err` with every problem of the cells `(column, value, bound)` (too long, a control
/// character), checked before anything else quotes such a value.
pub(crate) fn bounded(cells: &[(&str, &str, usize)]) -> Result<(), String> {
    let hostile: Vec<String> = cells
        .iter()
        .filter_map(|(what, v, max)| field_problem(what, v, *max))
        .collect();
    if hostile.is_empty() {
        Ok(())
    } else {
        Err(hostile.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        let text = "网站标识码,网站名称\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode_text(&gbk), (text.to_string(), GB18030));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&bom), (text.to_string(), UTF_8));
        assert_eq!(decode_text(text.as_bytes()), (text.to_string(), UTF_8));
    }
}
