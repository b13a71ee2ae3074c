//! The annex tables as an XLSX workbook (rust_xlsxwriter): one sheet per annex, named 附件1…附件5,
//! a title row as the notice heads each annex, Chinese headers in bold with borders, column widths
//! set, numbers as numbers — ready to paste into an official notice. After the annexes, the
//! 问题明细 sheet: one row per finding, the sheet site owners rectify from.
//!
//! Every sheet prints on A4 landscape, fitted to the page width, its title and header rows
//! repeated on each printed page, the page number in the footer.
//!
//! A text longer than an Excel cell holds (32,767 UTF-16 units) is cut there with a note saying
//! so ([`fit_cell`]); the full text stays in `report.json` and the database.

use crate::cell::Cell;
use crate::{ReportData, ReportError, annexes, problem_details};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use std::borrow::Cow;

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

/// The most an Excel cell holds, in UTF-16 units (Excel's "32,767 characters").
pub const EXCEL_CELL_MAX: usize = 32_767;

/// `text` as a cell holds it: whole when it fits, else cut at a character boundary so that the
/// cut text and a note (`…（全文 N 字，超出 Excel 单元格上限，已截断；全文见 report.json）`) fit in
/// [`EXCEL_CELL_MAX`].
pub fn fit_cell(text: &str) -> Cow<'_, str> {
    let units = |s: &str| s.encode_utf16().count();
    if text.len() <= EXCEL_CELL_MAX || units(text) <= EXCEL_CELL_MAX {
        return Cow::Borrowed(text);
    }
    let note = format!(
        "…（全文 {} 字，超出 Excel 单元格上限，已截断；全文见 report.json）",
        text.chars().count()
    );
    let room = EXCEL_CELL_MAX - units(&note);
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if used + c.len_utf16() > room {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    Cow::Owned(format!("{}{note}", &text[..end]))
}

/// The workbook's bytes (`report.xlsx`: the annexes, the rectification list after them with
/// `--since`, the wording table, then 问题明细).
pub fn render_xlsx(d: &ReportData) -> Result<Vec<u8>, ReportError> {
    build(d).map_err(|e| ReportError::Xlsx {
        message: e.to_string(),
    })
}

fn build(d: &ReportData) -> Result<Vec<u8>, XlsxError> {
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
        ws.merge_range(
            0,
            0,
            0,
            last_col,
            fit_cell(&sheet_title(&t.key, &t.title)).as_ref(),
            &title,
        )?;
        for (c, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, fit_cell(h).as_ref(), &head)?;
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
                        None => ws.write_string_with_format(r, c, fit_cell(s).as_ref(), &cell)?,
                    },
                    Cell::Int(n) => ws.write_number_with_format(r, c, *n as f64, &num)?,
                    Cell::Num(x) => ws.write_number_with_format(r, c, *x, &num)?,
                };
            }
        }
        if let Some(n) = &t.note {
            ws.write_string_with_format(t.rows.len() as u32 + 3, 0, fit_cell(n).as_ref(), &note)?;
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
    wb.save_to_buffer()
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

    #[test]
    fn long_texts_are_cut_at_the_cell_limit_with_a_note() {
        assert_eq!(fit_cell("短文本"), "短文本");
        let exact = "字".repeat(EXCEL_CELL_MAX);
        assert!(matches!(fit_cell(&exact), Cow::Borrowed(_)));
        for (text, n) in [
            ("观".repeat(40_000), 40_000),
            // two UTF-16 units each: 20,000 characters are 40,000 units
            ("𠀀".repeat(20_000), 20_000),
            (format!("{}{}", "a".repeat(32_766), "𠀀"), 32_767),
        ] {
            let cut = fit_cell(&text);
            let units = cut.encode_utf16().count();
            assert!(units <= EXCEL_CELL_MAX, "{units}");
            assert!(units > EXCEL_CELL_MAX - 60, "{units}");
            let note =
                format!("…（全文 {n} 字，超出 Excel 单元格上限，已截断；全文见 report.json）");
            assert!(cut.ends_with(&note), "{}", &cut[cut.len() - 120..]);
            assert!(text.starts_with(cut.strip_suffix(&note).unwrap()));
        }
    }
}
