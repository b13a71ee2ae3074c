//! `/findings/{id}`: one finding — its evidence (code, message, URL, time, HTTP status, excerpt,
//! value), what it cost, the fetch records of its URL and of its archived page, and the archived
//! page itself: in a sandboxed frame ([`crate::replay`]) and as source text with the excerpt
//! marked (escaped first, then marked).

use crate::layout::{self, time, url_link};
use crate::replay::{self, ArchivedEvidence, MARK_ID, archived_evidence, locate, mark_text};
use crate::{App, WebError};
use axum::extract::{Path, State};
use axum::response::Html;
use govwatch_model::Purpose;
use govwatch_store::{ArchiveRecord, Review, ScoreRow, Store, StoredFetch};
use maud::{Markup, html};
use std::sync::Arc;

/// Characters of source shown either side of the excerpt.
const SOURCE_RADIUS: usize = 1500;

pub async fn handler(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let m = app
        .with_store(move |store, app| render(store, app, id))
        .await?;
    Ok(Html(m.into_string()))
}

fn purpose_zh(p: Purpose) -> &'static str {
    match p {
        Purpose::Page => "页面抓取",
        Purpose::LinkCheck => "链接检查",
        Purpose::Robots => "robots.txt",
        Purpose::Sample => "可用性采样",
    }
}

/// The byte index `n` characters before / after `at` (clamped).
fn chars_before(s: &str, at: usize, n: usize) -> usize {
    s[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

fn chars_after(s: &str, at: usize, n: usize) -> usize {
    s[at..]
        .char_indices()
        .nth(n)
        .map(|(i, _)| at + i)
        .unwrap_or(s.len())
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn render(store: &Store, app: &App, id: i64) -> Result<Markup, WebError> {
    let ev = archived_evidence(store, id)?;
    let run_id = ev.run_id;
    let f = &ev.finding;
    let x = &f.finding;
    let site = store.site(&f.site_id)?;
    let site_name = site.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let scoring = app.scoring(store, run_id)?;
    let score = scoring.set.scores.iter().find(|s| s.site_id == f.site_id);
    let urls: Vec<&str> = [x.url.as_deref(), x.evidence.archived.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let fetches = store.fetches_for(run_id, &f.site_id, &urls)?;
    let record = match &ev.page {
        Some(p) => store.archive_record(run_id, p.id)?,
        None => None,
    };
    let review = store.review_of(id)?;
    let title = format!("问题 #{id}：{}", x.code);
    let body = html! {
        p.breadcrumb {
            a href="/" { "检查批次" } " › " a href={ "/runs/" (run_id) } { "第 " (run_id) " 次" }
            " › " a href={ "/runs/" (run_id) "/sites/" (f.site_id) } { (site_name) }
            " › 问题 #" (id)
        }
        h1 { "问题 #" (id) "：" code { (x.code) } }
        p { (layout::severity(x.severity.as_str())) " " (x.message) }
        (evidence_table(&ev, &site_name, review.as_ref(), score))
        (fetches_table(&fetches))
        (archive_section(&ev, id, record.as_ref()))
    };
    Ok(layout::page(&title, body))
}

/// 证据: the finding's code, severity, message, URL, site, run, time, review, HTTP status,
/// excerpt, value and what it cost.
fn evidence_table(
    ev: &ArchivedEvidence,
    site_name: &str,
    review: Option<&Review>,
    score: Option<&ScoreRow>,
) -> Markup {
    let (run_id, f) = (ev.run_id, &ev.finding);
    let (x, id) = (&f.finding, f.id);
    let items: Vec<_> = score
        .iter()
        .flat_map(|s| s.items.iter())
        .filter(|i| i.finding_ids.contains(&id))
        .collect();
    html! {
    h2 #evidence { "证据" }
    table.evidence {
        tbody {
            tr { th { "问题代码" } td { code { (x.code) } " （" (x.probe) "）" } }
            tr { th { "严重程度" } td { (layout::severity_zh(x.severity.as_str())) } }
            tr { th { "说明" } td { (x.message) } }
            tr { th { "网址" } td.url { (x.url.as_deref().map(url_link).unwrap_or_else(|| html! { "—" })) } }
            tr { th { "网站" } td { a href={ "/runs/" (run_id) "/sites/" (f.site_id) "#f-" (id) } { (site_name) } " （" (f.site_id) "）" } }
            @if let Some(account) = &ev.account {
                tr { th { "政务新媒体账号" } td { a href={ "/runs/" (run_id) "/accounts#" (account) } { (account) } } }
            }
            tr { th { "检查批次" } td { a href={ "/runs/" (run_id) } { "第 " (run_id) " 次" } } }
            tr { th { "发现时间" } td { (time(&x.observed_at.to_rfc3339())) } }
            tr { th { "审核" } td.review { @match review { Some(r) => { (r.describe()) }, None => { "未审核（govwatch review " (id) " --confirm 或 --dismiss --reason 原因）" } } } }
            tr { th { "HTTP 状态" } td { (x.evidence.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) } }
            tr { th { "证据摘录" } td { @match &x.evidence.excerpt { Some(e) => pre.excerpt { (e) }, None => "—" } } }
            tr { th { "测量值" } td { pre { (pretty(&x.value)) } } }
            @if !x.evidence.extra.is_null() {
                tr { th { "补充信息" } td { pre { (pretty(&x.evidence.extra)) } } }
            }
            tr {
                th { "计分" }
                td {
                    (super::site::cost(f, &items, score))
                    @for it in items.iter().filter(|i| !i.note.is_empty()) { br; span.note { (it.note) } }
                }
            }
        }
    }
    }
}

/// 抓取记录: every fetch of the finding's URL and of its archived page.
fn fetches_table(fetches: &[StoredFetch]) -> Markup {
    html! {
    h2 #fetches { "抓取记录（" (fetches.len()) " 条）" }
    @if fetches.is_empty() {
        p { "本批次没有该网址的抓取记录。" }
    } @else {
        table.fetches {
            thead { tr {
                th { "编号" } th { "用途" } th { "请求" } th { "最终网址" } th.num { "状态" }
                th { "发出时间" } th.num { "耗时（毫秒）" } th.num { "字节" } th { "类型" }
                th { "对端地址" } th { "错误" } th { "重定向" } th.num { "尝试" }
            } }
            tbody {
                @for s in fetches {
                    @let r = &s.fetch;
                    tr {
                        td.num { (s.id) }
                        td { (purpose_zh(r.purpose)) }
                        td.url { (r.method) " " (r.url) }
                        td.url { @if r.final_url != r.url { (r.final_url) } @else { "（同左）" } }
                        td.num { (r.status.map(|x| x.to_string()).unwrap_or_else(|| "—".into())) }
                        td { (time(&r.started_at.to_rfc3339())) }
                        td.num { (r.elapsed_ms) }
                        td.num { (r.bytes) }
                        td { (r.content_type.as_deref().unwrap_or("—")) }
                        td { (r.remote_addr.as_deref().unwrap_or("—")) @if let Some(fam) = r.family { " （IPv" (fam) "）" } }
                        td { @if let Some(e) = r.error { (e.zh()) " " code { (e.as_str()) } " " } span.raw { (r.error_message.as_deref().unwrap_or("")) } }
                        td.url { @for h in &r.redirects { (h) br; } }
                        td.num { (r.attempt) }
                    }
                }
            }
        }
    }
    }
}

/// 存档页面: the archived page in a sandboxed frame, its WARC record, and its source with the
/// excerpt marked.
fn archive_section(ev: &ArchivedEvidence, id: i64, record: Option<&ArchiveRecord>) -> Markup {
    let run_id = ev.run_id;
    let located = match (&ev.text, ev.finding.finding.evidence.excerpt.as_deref()) {
        (Some(t), Some(e)) => locate(t, e),
        _ => None,
    };
    let marks = match (&ev.text, &located) {
        (Some(t), Some(r)) => mark_text(t, r.clone()).1,
        _ => 0,
    };
    html! {
    h2 #archive { "存档页面" }
    @match &ev.text {
        None => {
            p { "本问题没有存档页面（该网址未被作为页面抓取，或抓取失败）。证据见上方抓取记录。" }
        }
        Some(text) => {
            p.meta {
                @if let Some(p) = &ev.page {
                    "存档网址：" (url_link(&p.url))
                    @if p.final_url != p.url { "（最终网址 " (p.final_url) "）" }
                    "；抓取时间：" (p.fetched_at.as_deref().map(time).unwrap_or_else(|| "—".into()))
                    "；HTTP 状态：" (p.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into()))
                    "；原始编码：" (p.charset.as_deref().unwrap_or("—")) "；"
                }
                "正文哈希：" code { (ev.body_hash.as_deref().unwrap_or("—")) }
            }
            p.meta {
                @match record {
                    Some(a) => {
                        "WARC 存档：" a href={ "/runs/" (run_id) "/files/" (govwatch_report::warc::warc_name(run_id)) } { (a.file) }
                        " 记录 " code { (a.record_id) } "（偏移 " (a.offset) "，长度 " (a.length) " 字节）"
                    }
                    None => {
                        "本批次尚未写入 WARC 存档记录；下载 "
                        a href={ "/runs/" (run_id) "/files/" (govwatch_report::warc::warc_name(run_id)) } { (govwatch_report::warc::warc_name(run_id)) }
                        " 时按同一正文生成。"
                    }
                }
            }
            p #highlight {
                @if marks > 0 {
                    "证据摘录已在存档页面中以黄色标出。"
                } @else if located.is_some() {
                    "证据摘录位于页面的标签、脚本或注释之内，页面显示中无法标出，见下方源代码。"
                } @else {
                    "未在存档页面中找到证据摘录原文。"
                }
                " 存档页面在隔离框架中显示：不运行任何脚本，不加载任何外部资源。"
            }
            iframe.replay sandbox="" referrerpolicy="no-referrer" title="存档页面（已禁用脚本）"
                src={ "/findings/" (id) "/archive#" (MARK_ID) } {}
            p.note { a href={ "/findings/" (id) "/archive" } { "单独打开存档页面" } "（同样禁用脚本与外部资源；CSP：" code { (replay::REPLAY_CSP) } "）" }
            h3 { "页面源代码（证据摘录已标出）" }
            @match &located {
                Some(r) => {
                    @let a = chars_before(text, r.start, SOURCE_RADIUS);
                    @let b = chars_after(text, r.end, SOURCE_RADIUS);
                    pre.source {
                        @if a > 0 { "…\n" }
                        (&text[a..r.start]) mark { (&text[r.clone()]) } (&text[r.end..b])
                        @if b < text.len() { "\n…" }
                    }
                }
                None => {
                    @let b = chars_after(text, 0, SOURCE_RADIUS * 2);
                    pre.source { (&text[..b]) @if b < text.len() { "\n…" } }
                }
            }
        }
    }
    }
}
