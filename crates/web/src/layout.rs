//! The page shell (header, navigation, stylesheet) and the small formatters every page shares:
//! China time to the second, verdicts, kinds, severities, score item parts, links to site URLs.

use axum::http::header;
use axum::response::IntoResponse;
use govwatch_store::RunStatus;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The stylesheet, served at `/style.css` (the pages' CSP allows styles from the view only).
const STYLE: &str = r#"
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; margin: 0; color: #222; line-height: 1.55; background: #fafafa; }
header.top { background: #9b1c1c; color: #fff; padding: .6em 1.5em; display: flex; gap: 1.6em; align-items: baseline; flex-wrap: wrap; }
header.top .brand { font-weight: bold; font-size: 1.15em; }
header.top a { color: #fff; text-decoration: none; }
header.top a:hover { text-decoration: underline; }
main { max-width: 1280px; margin: 1em auto 3em; padding: 0 1.2em; background: #fff; }
h1 { font-size: 1.5em; margin: .6em 0 .4em; }
h2 { font-size: 1.2em; border-bottom: 2px solid #9b1c1c; padding-bottom: .2em; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin-top: 1.3em; }
table { border-collapse: collapse; margin: .8em 0; width: 100%; font-size: .92em; }
th, td { border: 1px solid #bbb; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f3e9e9; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.url, code.url { word-break: break-all; }
.nowrap { white-space: nowrap; }
tr.sum td { font-weight: bold; background: #f7f7f7; }
.fail { color: #b00; font-weight: bold; }
.pass { color: #060; font-weight: bold; }
.note, .meta { color: #555; font-size: .9em; }
.error { color: #b00; }
.breadcrumb { color: #555; font-size: .9em; margin-top: .8em; }
.finding { border-left: 4px solid #ccc; padding: .2em .9em; margin: .9em 0; background: #fcfcfc; }
.finding.veto { border-color: #b00; }
.finding.deduct { border-color: #e80; }
.finding.warn { border-color: #cc0; }
.finding p { margin: .3em 0; }
.sev { display: inline-block; padding: 0 .4em; border-radius: 3px; font-size: .85em; color: #fff; background: #888; }
.sev.veto { background: #b00; }
.sev.deduct { background: #d60; }
.sev.warn { background: #a80; }
pre { white-space: pre-wrap; word-break: break-all; background: #f4f4f4; padding: .5em; font-size: .85em; margin: .3em 0; }
pre.source { max-height: 28em; overflow: auto; }
pre.source mark, mark { background: #ffe14d; outline: 2px solid #d00; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; margin: 1em 0; }
form.filters { display: flex; flex-wrap: wrap; gap: .8em 1.4em; align-items: end; background: #f5f5f5; padding: .7em 1em; border: 1px solid #ddd; }
form.filters label { display: flex; flex-direction: column; font-size: .88em; color: #444; }
form.filters select { min-width: 9em; font-size: 1em; }
form.login { margin: 1.5em 0; }
iframe.replay { width: 100%; height: 560px; border: 2px solid #9b1c1c; background: #fff; }
ul.downloads li { margin: .2em 0; }
.state-open { color: #b00; font-weight: bold; }
.state-fixed { color: #060; font-weight: bold; }
.state-new { color: #d60; font-weight: bold; }
td.nw { white-space: nowrap; }
@page { size: A4; margin: 2cm 1.5cm; }
@media print {
  header.top, form.filters, form.login, ul.downloads, .breadcrumb, iframe.replay { display: none; }
  body { max-width: none; margin: 0; font-family: "FangSong", "仿宋", "仿宋_GB2312", "STFangsong", serif; font-size: 12pt; }
  h1, h2, h3 { font-family: "SimHei", "黑体", "STHeiti", sans-serif; }
  table { font-family: "SimSun", "宋体", "Songti SC", serif; font-size: 10.5pt; }
  h2 { break-before: page; page-break-before: always; }
  tr, .finding { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  .charts { display: block; }
}
"#;

/// `GET /style.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
}

/// A whole page: title, the navigation bar and the body.
pub fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · govwatch" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header.top {
                    span.brand { "govwatch 政府网站检查" }
                    a href="/" { "检查批次" }
                    a href="/sites" { "网站列表" }
                }
                main { (body) }
            }
        }
    }
}

/// A stored RFC 3339 time in China time to the second (`2026-11-28 02:00:00`).
pub fn time(t: &str) -> String {
    govwatch_report::display_time(t)
}

/// 98.5, 100 — the report's number format.
pub fn num(x: f64) -> String {
    govwatch_report::fmt_num(x)
}

/// A percentage with two decimals at most, or a dash.
pub fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "—".into()
    } else {
        format!("{}%", num((n as f64 * 10000.0 / d as f64).round() / 100.0))
    }
}

/// 合格 / 不合格 with its colour.
pub fn verdict(v: &str) -> Markup {
    let class = if v == govwatch_score::PASS {
        "pass"
    } else {
        "fail"
    };
    html! { span class=(class) { (govwatch_score::verdict_zh(v)) } }
}

/// The final score, or the veto.
pub fn score(s: Option<f64>) -> String {
    s.map(num).unwrap_or_else(|| "—（单项否决）".into())
}

/// 门户网站 / 部门网站.
pub fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "portal" => "门户网站",
        "department" => "部门网站",
        _ => "其他",
    }
}

/// The Chinese word of a score item's part.
pub fn part_zh(part: &str) -> &'static str {
    match part {
        "veto" => "单项否决",
        "deduct" => "扣分",
        "cap" => "封顶",
        "bonus" => "加分",
        _ => "说明",
    }
}

/// The Chinese word of a finding's severity.
pub fn severity_zh(s: &str) -> &'static str {
    govwatch_model::Severity::parse(s)
        .unwrap_or(govwatch_model::Severity::Info)
        .zh()
}

/// A severity badge.
pub fn severity(s: &str) -> Markup {
    html! { span class={ "sev " (s) } { (severity_zh(s)) } }
}

/// The Chinese word of a run's status.
pub fn status_zh(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Running => "进行中",
        RunStatus::Done => "已完成",
        RunStatus::Interrupted => "已中断",
        RunStatus::Failed => "失败",
    }
}

/// A link to a site's URL (http and https only; anything else is shown as text), which opens
/// the live page without a referrer.
pub fn url_link(url: &str) -> Markup {
    if govwatch_report::html::http_href(url) {
        html! { a.url href=(url) rel="noreferrer noopener" { (url) } }
    } else {
        html! { code.url { (url) } }
    }
}

/// An SVG bar chart made by the report's own chart function (its labels are escaped there).
pub fn bar_chart(title: &str, bars: &[(String, f64)], unit: &str) -> Markup {
    PreEscaped(govwatch_report::html::bar_chart(title, bars, unit))
}
