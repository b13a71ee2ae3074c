//! The annex tables as an XLSX workbook (rust_xlsxwriter): one sheet per annex, named 附件1…附件5,
//! a title row as the notice heads each annex, Chinese headers in bold with borders, column widths
//! set, numbers as numbers — ready to paste into an official notice. After the annexes, the
//! 问题明细 sheet: one row per finding, the sheet site owners rectify from.
//!
//! Every sheet prints on A4 landscape, fitted to the page width, its title and header rows
//! repeated on each printed page, the page number in the footer.

use crate::{Cell, ReportData, ReportError, annexes, problem_details};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use std::path::Path;

/// The font of the tables: 宋体, as official documents set their tables.
const TABLE_FONT: &str = "宋体";
/// The font of the sheet titles: 黑体.
const HEADING_FONT: &str = "黑体";

/// A sheet's title row: its key and title, the key once (`问题明细` is both).
fn sheet_title(key: &str, title: &str) -> String {
    if title.starts_with(key) {
        title.to_string()
    } else {
        format!("{key} {title}")
    }
}

/// A percentage written as text by the tables (`75%`, `99.64%`) as the fraction it stands for.
fn percent_value(s: &str) -> Option<f64> {
    let n = s.strip_suffix('%')?;
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    n.parse::<f64>().ok().map(|x| x / 100.0)
}

/// Writes the workbook to `path` (the rectification list after the annexes with `--since`, then
/// 问题明细).
pub fn write_xlsx(d: &ReportData, path: &Path) -> Result<(), ReportError> {
    build(d, path).map_err(|e| ReportError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn build(d: &ReportData, path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    // the fonts of an official document: 宋体 in the tables, 黑体 for the titles
    let title = Format::new()
        .set_font_name(HEADING_FONT)
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_font_name(TABLE_FONT)
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap()
        .set_background_color("F3E9E9");
    let cell = Format::new()
        .set_font_name(TABLE_FONT)
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let num = Format::new()
        .set_font_name(TABLE_FONT)
        .set_border(FormatBorder::Thin);
    let percent = Format::new()
        .set_font_name(TABLE_FONT)
        .set_border(FormatBorder::Thin)
        .set_num_format("0.00%");
    let note = Format::new().set_font_name(TABLE_FONT);
    let mut tables = annexes(d);
    if let Some(r) = &d.since {
        tables.push(crate::since::table(r));
    }
    tables.push(crate::wording::wording_table(d));
    tables.push(problem_details(d));
    for t in &tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.key)?;
        let last_col = t.headers.len().saturating_sub(1) as u16;
        ws.merge_range(0, 0, 0, last_col, &sheet_title(&t.key, &t.title), &title)?;
        for (c, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, h, &head)?;
        }
        for (c, w) in t.widths.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Cell::Text(s) => match percent_value(s) {
                        // a rate is a number an office sums and sorts, shown as a percentage
                        Some(x) => ws.write_number_with_format(r, c, x, &percent)?,
                        None => ws.write_string_with_format(r, c, s, &cell)?,
                    },
                    Cell::Int(n) => ws.write_number_with_format(r, c, *n as f64, &num)?,
                    Cell::Num(x) => ws.write_number_with_format(r, c, *x, &num)?,
                };
            }
        }
        if let Some(n) = &t.note {
            ws.write_string_with_format(t.rows.len() as u32 + 3, 0, n, &note)?;
        }
        ws.set_freeze_panes(2, 0)?;
        // print: A4 landscape, one page wide (as many tall as it takes), the title and header
        // rows on every page, page numbers in the footer
        ws.set_paper_size(9);
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(0, 1)?;
        ws.set_print_center_horizontally(true);
        ws.set_footer("&C第 &P 页，共 &N 页");
    }
    wb.save(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_once_and_rates_as_numbers() {
        assert_eq!(
            sheet_title("问题明细", "问题明细（每条问题一行，供整改）"),
            "问题明细（每条问题一行，供整改）"
        );
        assert_eq!(sheet_title("附件1", "检查结果"), "附件1 检查结果");
        assert_eq!(percent_value("75%"), Some(0.75));
        assert_eq!(percent_value("99.64%"), Some(0.9964));
        assert_eq!(percent_value("—"), None);
        assert_eq!(percent_value("约5%"), None);
        assert_eq!(percent_value("%"), None);
    }
}
