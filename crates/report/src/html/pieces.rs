//! The pieces every section of the HTML report is made of: escaping, safe links, the inline SVG
//! bar chart, a table, one finding with its evidence. The web view uses the escaping, link and
//! chart pieces too.

use crate::ReportData;
use crate::cell::{Cell, Table, fmt_num};
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `url` may be the target of a link to a site: an absolute `http:` or `https:` URL with
/// no control character or white space (a browser drops tabs and line breaks from a URL, so
/// `java\tscript:` would run).
pub fn http_href(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")) && clean_href(url)
}

/// Whether `url` may be the target of any link a report or the web view emits: an `http(s):` URL
/// ([`http_href`]) or a relative reference — no scheme, not `//host` (which a report opened from
/// a file would send to a network share), no back-slash, no control character or white space.
/// Everything else (`javascript:`, `data:`, `file:`, `vbscript:` …) is shown as text only.
pub fn safe_href(url: &str) -> bool {
    if http_href(url) {
        return true;
    }
    if !clean_href(url) || url.starts_with("//") {
        return false;
    }
    // a scheme ends at the first `:` before any `/`, `?` or `#`
    let head = url.split(['/', '?', '#']).next().unwrap_or("");
    !head.contains(':')
}

fn clean_href(url: &str) -> bool {
    !url.is_empty()
        && !url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

/// A link to an http(s) URL; anything else (javascript:, data:) is shown as text only.
pub(super) fn link(url: &str) -> String {
    if http_href(url) {
        format!(
            "<a href=\"{}\" rel=\"noreferrer noopener\">{}</a>",
            esc(url),
            esc(url)
        )
    } else {
        format!("<code>{}</code>", esc(url))
    }
}

/// Whether a cell is short enough to be kept on one line (a region, a name, a verdict, a code):
/// Chinese text has no spaces to break at, so a narrow column would split 安平县 as 安平/县.
fn nowrap(text: &str) -> bool {
    text.chars().count() <= 12
}

/// A horizontal bar chart as inline SVG.
pub fn bar_chart(title: &str, bars: &[(String, f64)], unit: &str) -> String {
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9);
    let row = 26.0;
    let label_w = 150.0;
    let bar_w = 330.0;
    let h = 34.0 + row * bars.len() as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        w = label_w + bar_w + 70.0,
        t = esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 30.0 + row * i as f64;
        let w = (v / max * bar_w).max(0.0);
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"13\" text-anchor=\"end\">{l}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"#b33\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"13\">{v}{u}</text>",
            lx = label_w - 6.0,
            ty = y + 14.0,
            l = esc(label),
            bx = label_w,
            vx = label_w + w + 4.0,
            v = fmt_num(*v),
            u = esc(unit)
        );
    }
    s.push_str("</svg>");
    s
}

pub(super) fn table_html(t: &Table, id: &str) -> String {
    let mut s = format!(
        "<h2 id=\"{id}\" class=\"annex-title\">{} {}</h2>\n<table class=\"annex\">\n<thead><tr>",
        esc(&t.key),
        esc(&t.title)
    );
    for h in &t.headers {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        s.push_str("<tr>");
        for c in row {
            let class = match c {
                Cell::Text(t) if nowrap(t) => " class=\"nw\"",
                Cell::Text(_) => "",
                _ => " class=\"num\"",
            };
            let _ = write!(s, "<td{class}>{}</td>", esc(&c.text()));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    if let Some(n) = &t.note {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(n));
    }
    s
}

/// A severity as the inspection documents name it.
fn severity_zh(s: govwatch_model::Severity) -> &'static str {
    s.zh()
}

/// One finding with its evidence: Chinese title, code, severity, message, URL, time, status, excerpt, and the
/// record of the WARC (or the page) that holds the archived copy.
pub fn finding_html(d: &ReportData, f: &govwatch_store::StoredFinding) -> String {
    let mut s = String::new();
    let x = &f.finding;
    let _ = write!(
        s,
        "<div class=\"finding {}\" id=\"f-{}\">\n<p><b>#{}</b> {}<code>{}</code>（{}）{}</p>\n\
         <p>网址：{}；时间：{}{}</p>\n",
        esc(x.severity.as_str()),
        f.id,
        f.id,
        govwatch_score::codes::zh_title(&x.code)
            .map(|t| format!("{} ", esc(t)))
            .unwrap_or_default(),
        esc(&x.code),
        severity_zh(x.severity),
        esc(&x.message),
        x.url.as_deref().map(link).unwrap_or_else(|| "—".into()),
        esc(&govwatch_model::time::display(&x.observed_at)),
        x.evidence
            .status
            .map(|st| format!("；HTTP 状态：{st}"))
            .unwrap_or_default()
    );
    if let Some(e) = &x.evidence.excerpt {
        let _ = writeln!(s, "<pre>{}</pre>", esc(e));
    }
    match d.archived(f) {
        Some(a) => {
            // the WARC file beside the report, by its relative name; anything else as text
            let file = if safe_href(&a.file) {
                format!("<a href=\"{}\">{}</a>", esc(&a.file), esc(&a.file))
            } else {
                format!("<code>{}</code>", esc(&a.file))
            };
            let _ = writeln!(
                s,
                "<p class=\"note\">存档：{} 记录 {}（偏移 {}，{} 字节），页面 {}</p>",
                file,
                esc(&a.record_id),
                a.offset,
                a.length,
                esc(&a.url)
            );
        }
        None => {
            if let Some(arch) = &x.evidence.archived {
                let _ = writeln!(s, "<p class=\"note\">存档页面：{}</p>", esc(arch));
            }
        }
    }
    s.push_str("</div>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_relative_links() {
        for good in [
            "http://www.example.gov.cn/a?b=1#c",
            "HTTPS://www.example.gov.cn/",
            "run-3.warc.gz",
            "warc/run-3.warc.gz",
            "./run-3.warc.gz",
            "#f-12",
            "/findings/12",
            "a?x=b:c",
        ] {
            assert!(safe_href(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
            "//evil.example/x",
            "\\\\evil.example\\share",
            "/\\evil.example",
            "http://ok.example/\u{7}",
            "",
        ] {
            assert!(!safe_href(bad), "{bad:?}");
        }
        assert!(!http_href("run-3.warc.gz"));
        assert!(!http_href("http://x.example/a b"));
        assert_eq!(
            link("javascript:alert(1)"),
            "<code>javascript:alert(1)</code>"
        );
    }
}
