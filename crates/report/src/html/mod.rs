//! The report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no
//! outside resource, so it opens offline and can be mailed. Everything from a site is escaped.
//!
//! [`render_html`] lays out the document; `pieces` holds what every section is made of
//! (escaping, links, charts, tables, a finding with its evidence), `accounts` the new-media
//! accounts' section.

mod accounts;
mod pieces;

pub use pieces::{bar_chart, esc, finding_html, http_href, safe_href};

use crate::cell::fmt_num;
use crate::{ReportData, annexes, problems_of, summary};
use govwatch_score::verdict_zh;
use pieces::{link, table_html};
use std::fmt::Write;

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

/// Renders the whole report: the head and summary, the charts, the tables, each site's section,
/// the accounts' section.
pub fn render_html(d: &ReportData) -> String {
    let mut s = String::new();
    head(&mut s, d);
    charts(&mut s, d);
    for (i, t) in annexes(d).iter().enumerate() {
        s.push_str(&table_html(t, &format!("annex-{}", i + 1)));
    }
    s.push_str(&table_html(&crate::wording::wording_table(d), "wording"));
    if let Some(r) = &d.since {
        s.push_str(&table_html(&crate::since::table(r), "rectification"));
    }
    sites_toc(&mut s, d);
    for site in &d.sites {
        if let Some(score) = d.score(&site.id) {
            site_section(&mut s, d, site, score);
        }
    }
    s.push_str(&accounts::accounts_html(d));
    s.push_str("</body>\n</html>\n");
    s
}

/// The document's head, its title and the summary with the run's line.
fn head(s: &mut String, d: &ReportData) {
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
}

/// The charts by region: mean score and problems.
fn charts(s: &mut String, d: &ReportData) {
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
}

/// The list of sites, each linked to its section, with its verdict and score.
fn sites_toc(s: &mut String, d: &ReportData) {
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
}

/// One site's section: its line, verdict and score, main problems, score items and findings.
fn site_section(
    s: &mut String,
    d: &ReportData,
    site: &govwatch_store::SiteRow,
    score: &govwatch_store::ScoreRow,
) {
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
