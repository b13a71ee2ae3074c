//! The report as Markdown (`report.md`).

use crate::{ReportData, annexes, display_time, summary};

/// Markdown: title, summary, the annexes, the rectification list.
pub fn render_md(d: &ReportData) -> String {
    let md = md_text;
    let mut out = format!(
        "# 政府网站检查情况（{}）\n\n{}\n\n",
        md(&d.title),
        md(&summary(d))
    );
    out.push_str(&format!(
        "检查批次：第 {} 次，监测时间点 {}；评分规则 {}。\n\n",
        d.run.id,
        display_time(&d.run.as_of),
        d.rules.version
    ));
    for table in annexes(d) {
        out.push_str(&format!("## {} {}\n\n", table.key, table.title));
        out.push_str(&format!("| {} |\n", table.headers.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(table.headers.len())));
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(|c| md(&c.text())).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if let Some(n) = &table.note {
            out.push_str(&format!("\n{}\n", md(n)));
        }
        out.push('\n');
    }
    let w = crate::wording::wording_table(d);
    out.push_str(&format!("## {}\n\n", w.title));
    if !w.rows.is_empty() {
        out.push_str(&format!(
            "| {} |\n|{}\n",
            w.headers.join(" | "),
            "---|".repeat(w.headers.len())
        ));
        for row in &w.rows {
            let cells: Vec<String> = row.iter().map(|c| md(&c.text())).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    if let Some(n) = &w.note {
        out.push_str(&format!("{}\n\n", md(n)));
    }
    if let Some(r) = &d.since {
        out.push_str(&format!(
            "## 整改情况（与第 {} 次检查相比，整改期限 {}）\n\n",
            r.since_run, r.deadline
        ));
        for (title, items) in [
            ("已整改", &r.fixed),
            ("仍未整改", &r.open),
            ("新发现", &r.new),
        ] {
            out.push_str(&format!("### {title}（{}）\n\n", items.len()));
            for i in items {
                out.push_str(&format!(
                    "- {} {} {}`{}` {}\n",
                    md(&i.site_name),
                    md(&i.site_id),
                    govwatch_score::codes::zh_title(&i.code)
                        .map(|t| format!("{t} "))
                        .unwrap_or_default(),
                    i.code,
                    md(&i.url)
                ));
            }
            out.push('\n');
        }
    }
    out
}

/// Site content as Markdown text: HTML made inert (`<`, `>`, `&` as entities) and Markdown's
/// own marks (links, images, emphasis, code, table cells) escaped, on one line.
pub(crate) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '!' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_text_is_inert() {
        assert_eq!(
            md_text("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            md_text("[点击](javascript:alert(1))"),
            "\\[点击\\](javascript:alert(1))"
        );
        assert_eq!(md_text("a|b\nc"), "a\\|b c");
        assert_eq!(md_text("安平县人民政府"), "安平县人民政府");
    }
}
