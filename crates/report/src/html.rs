//! The report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no
//! outside resource, so it opens offline and can be mailed. Everything from a site is escaped.

use crate::{ReportData, Table, annexes, fmt_num, problems_of, summary};
use govwatch_score::verdict_zh;
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
fn link(url: &str) -> String {
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

const STYLE: &str = r#"
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; margin: 2em auto; max-width: 1200px; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; text-align: center; }
h2 { border-bottom: 2px solid #a00; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; font-size: .92em; }
th, td { border: 1px solid #999; padding: .3em .5em; vertical-align: top; }
th { background: #f3e9e9; }
td.num { text-align: right; }
.fail { color: #b00; font-weight: bold; }
.pass { color: #060; }
.note { color: #555; font-size: .9em; }
.finding { border-left: 3px solid #ccc; padding-left: .8em; margin: .8em 0; }
.finding.veto { border-color: #b00; }
.finding.deduct { border-color: #e80; }
pre { white-space: pre-wrap; word-break: break-all; background: #f7f7f7; padding: .4em; font-size: .85em; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; }
th, td.nw { white-space: nowrap; }
@page { size: A4; margin: 2cm 1.5cm; }
@media print {
  body { max-width: none; margin: 0; font-family: "FangSong", "仿宋", "仿宋_GB2312", "STFangsong", serif; font-size: 12pt; }
  h1, h2, h3 { font-family: "SimHei", "黑体", "STHeiti", sans-serif; }
  table { font-family: "SimSun", "宋体", "Songti SC", serif; font-size: 10.5pt; }
  h2.annex-title, h2#sites { break-before: page; page-break-before: always; }
  tr, .finding { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  .charts { display: block; }
}
"#;

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

fn table_html(t: &Table, id: &str) -> String {
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
                crate::Cell::Text(t) if nowrap(t) => " class=\"nw\"",
                crate::Cell::Text(_) => "",
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

/// Renders the whole report.
pub fn render_html(d: &ReportData) -> String {
    let mut s = String::new();
    let title = format!("政府网站检查情况（{}）", d.title);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(s, "<p id=\"summary\">{}</p>", esc(&summary(d)));
    let _ = writeln!(
        s,
        "<p class=\"note\">检查批次：第 {} 次，监测时间点 {}；评分规则 {}（{}…）；评分时间 {}。</p>",
        d.run.id,
        esc(&crate::display_time(&d.run.as_of)),
        esc(&d.rules.version),
        esc(&d.rules.hash[..12.min(d.rules.hash.len())]),
        esc(&crate::display_time(&d.scores.scored_at))
    );

    // charts
    let f = &d.figures;
    let scores: Vec<(String, f64)> = f
        .by_region
        .iter()
        .map(|g| (g.name.clone(), g.mean_score.unwrap_or(0.0)))
        .collect();
    let problems: Vec<(String, f64)> = f
        .by_region
        .iter()
        .map(|g| (g.name.clone(), g.problems as f64))
        .collect();
    s.push_str("<div class=\"charts\">\n");
    s.push_str(&bar_chart("各地区平均得分", &scores, "分"));
    s.push_str(&bar_chart("各地区问题数", &problems, "个"));
    s.push_str("\n</div>\n");

    for (i, t) in annexes(d).iter().enumerate() {
        s.push_str(&table_html(t, &format!("annex-{}", i + 1)));
    }

    s.push_str(&table_html(&crate::wording::wording_table(d), "wording"));
    if let Some(r) = &d.since {
        s.push_str(&table_html(&crate::since::table(r), "rectification"));
    }

    // per-site pages
    s.push_str("<h2 id=\"sites\">各网站检查详情</h2>\n<ul class=\"toc\">\n");
    for site in &d.sites {
        if let Some(score) = d.score(&site.id) {
            let _ = writeln!(
                s,
                "<li><a href=\"#site-{}\">{}</a>（{}）：{} {}</li>",
                esc(&site.id),
                esc(&site.name),
                esc(&site.id),
                verdict_zh(&score.verdict),
                score.score.map(fmt_num).unwrap_or_else(|| "—".into())
            );
        }
    }
    s.push_str("</ul>\n");
    for site in &d.sites {
        let Some(score) = d.score(&site.id) else {
            continue;
        };
        let class = if score.verdict == govwatch_score::PASS {
            "pass"
        } else {
            "fail"
        };
        let _ = write!(
            s,
            "<section class=\"site\" id=\"site-{}\">\n<h3>{}（{}）</h3>\n\
             <p>地区：{}；主办单位：{}；首页：{}</p>\n\
             <p>检查结果：<span class=\"{class}\">{}</span>；得分：{}；扣分：{}；加分：{}{}</p>\n",
            esc(&site.id),
            esc(&site.name),
            esc(&site.id),
            esc(&site.region),
            esc(&site.org),
            link(&site.home),
            verdict_zh(&score.verdict),
            score
                .score
                .map(fmt_num)
                .unwrap_or_else(|| "—（单项否决）".into()),
            fmt_num(score.deducted),
            fmt_num(score.bonus),
            if score.complete {
                ""
            } else {
                "（部分指标监测未满周期，见说明）"
            }
        );
        let p = problems_of(score);
        if !p.is_empty() {
            let _ = writeln!(s, "<p>主要问题：{}</p>", esc(&p));
        }
        if !score.items.is_empty() {
            s.push_str("<table class=\"items\"><thead><tr><th>类别</th><th>指标</th><th>规则</th><th>分值</th><th>依据</th><th>说明</th></tr></thead><tbody>\n");
            for i in &score.items {
                let refs: Vec<String> = i
                    .finding_ids
                    .iter()
                    .map(|id| format!("<a href=\"#f-{id}\">#{id}</a>"))
                    .chain(i.fact_ids.iter().map(|id| format!("监测记录 #{id}")))
                    .collect();
                let part = match i.part.as_str() {
                    "veto" => "单项否决",
                    "deduct" => "扣分",
                    "cap" => "封顶",
                    "bonus" => "加分",
                    _ => "说明",
                };
                let _ = writeln!(
                    s,
                    "<tr><td>{part}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                    esc(d.rules.indicators.get(&i.indicator).unwrap_or(&i.indicator)),
                    esc(&i.name),
                    fmt_num(i.points),
                    refs.join(" "),
                    esc(&i.note)
                );
            }
            s.push_str("</tbody></table>\n");
        }
        let findings: Vec<_> = d.findings.iter().filter(|f| f.site_id == site.id).collect();
        if !findings.is_empty() {
            let _ = writeln!(s, "<h4>发现的问题及证据（{} 条）</h4>", findings.len());
        }
        for f in findings {
            s.push_str(&finding_html(d, f));
        }
        s.push_str("</section>\n");
    }
    s.push_str(&crate::media::render_html(d));
    s.push_str("</body>\n</html>\n");
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
