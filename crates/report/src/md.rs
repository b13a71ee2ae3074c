//! The report as Markdown (`report.md`).

use super::*;

/// Markdown: title, summary, the annexes, the rectification list.
pub fn render_md(d: &ReportData) -> String {
    let md = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
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
                    "- {} {} `{}` {}\n",
                    md(&i.site_name),
                    md(&i.site_id),
                    i.code,
                    md(&i.url)
                ));
            }
            out.push('\n');
        }
    }
    out
}
